"""Cold start-up of the command line, against the floor of Python parsing the same YAML.

Usage:

    .venv/bin/python bench/cli_startup.py            # 15 runs of each command
    .venv/bin/python bench/cli_startup.py --runs 31

Each command runs as a new process (the way a person runs it); the median wall time is
printed beside its floor: starting the same Python and parsing the same YAML files with
libyaml's loader (yaml.CSafeLoader), and nothing else. `combmap --help` reads no YAML, so its
floor is starting Python; `import typer` is printed too, as typer is what every command needs.
The ratio says how far above the floor each command is. Run it on an idle machine: other
processes add noise that the median only partly removes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
COMBMAP = str(Path(PYTHON).parent / "combmap")
CASE = ROOT / "cases" / "baxter-2020-cvso.yaml"


def _ontology_files() -> list[str]:
    from combmap.resources import packaged_ontology_dir

    return [str(p) for p in sorted(packaged_ontology_dir().rglob("*.yaml"))]


def _parse_only(files: list[str]) -> list[str]:
    code = (
        "import sys, yaml\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, encoding='utf-8') as f: yaml.load(f.read(), Loader=yaml.CSafeLoader)\n"
    )
    return [PYTHON, "-c", code, *files]


def median_seconds(command: list[str], runs: int) -> float:
    """Median wall time of `runs` fresh runs (after one warm-up for the file cache)."""
    subprocess.run(command, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="Runs of each command (default 15).")
    args = parser.parse_args()
    ontology = _ontology_files()
    rows = [
        ("combmap --help", [COMBMAP, "--help"], [PYTHON, "-c", "pass"]),
        ("combmap ontology validate", [COMBMAP, "ontology", "validate"], _parse_only(ontology)),
        (
            "combmap plan baxter --format json",
            [COMBMAP, "plan", str(CASE), "--format", "json"],
            _parse_only([*ontology, str(CASE)]),
        ),
    ]
    print(f"median of {args.runs} cold runs; floor = python + libyaml parse of the same files")
    print(f"{'command':36s} {'ms':>8s} {'floor ms':>9s} {'ratio':>6s}")
    for name, command, floor in rows:
        took = median_seconds(command, args.runs)
        base = median_seconds(floor, args.runs)
        print(f"{name:36s} {took * 1000:8.1f} {base * 1000:9.1f} {took / base:6.1f}")
    typer_ms = median_seconds([PYTHON, "-c", "import typer"], args.runs) * 1000
    print(f"{'(python -c import typer)':36s} {typer_ms:8.1f}")


if __name__ == "__main__":
    main()
