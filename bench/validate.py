"""Time `load_case` (what `combmap validate` does) on one case of 1k, 10k and 100k barriers.

Usage:

    .venv/bin/python bench/validate.py            # valid codes, then misspelt ones
    .venv/bin/python bench/validate.py 1000 10000

Each size runs in a fresh process and prints CPU seconds (steadier than wall time on a shared
machine), peak memory and the number of problems reported. "misspelt" uses 1,000 distinct
unknown codes, each repeated: the did-you-mean search runs once per distinct code, and the
report lists the first 100 problems and counts the rest.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import resource, sys, time
from pathlib import Path
from combmap.case import load_case
from combmap.errors import CombmapError
from combmap.ontology import load_ontology
onto = load_ontology()
start = time.process_time()
try:
    load_case(Path(sys.argv[1]), onto)
    shown = 0
except CombmapError as error:
    shown = len(error.issues)
cpu = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{cpu:.2f} {peak:.0f} {shown}")
"""

_DOMAINS = ["knowledge", "skills", "emotion", "goals", "social-influences", "optimism"]


def write_case(path: Path, barriers: int, *, misspelt: bool) -> None:
    """A case of `barriers` entries; misspelt ones use 1,000 distinct unknown codes."""
    with path.open("w", encoding="utf-8") as out:
        out.write("case:\n  id: big\n  title: Big\nbehaviour:\n  target: x\nbarriers:\n")
        for index in range(barriers):
            code = f"knowlege{index % 1000}" if misspelt else _DOMAINS[index % len(_DOMAINS)]
            out.write(f"  - id: b{index}\n    text: barrier number {index}\n    tdf: [{code}]\n")


def main(sizes: list[int]) -> None:
    """Print one row per size and kind of input."""
    print(f"{'barriers':>9} {'codes':>9} {'MB in':>6} {'cpu s':>6} {'peak MB':>8} {'listed':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for misspelt in (False, True):
            for size in sizes:
                path = Path(folder) / f"case-{size}.yaml"
                write_case(path, size, misspelt=misspelt)
                found = subprocess.run(
                    [sys.executable, "-c", _CHILD, str(path)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                mb = path.stat().st_size / 1e6
                kind = "misspelt" if misspelt else "valid"
                print(f"{size:>9,} {kind:>9} {mb:>6.1f} {found[0]:>6} {found[1]:>8} {found[2]:>6}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000])
