"""combmap's YAML reader on generated cases: yaml-rs where it may read, libyaml, and the floor.

Usage:

    .venv/bin/python bench/parse.py                    # 1,000 generated cases, 5 rounds
    .venv/bin/python bench/parse.py --cases 200 --rounds 9 --keep /tmp/cases

In one process, the files read into memory first, each way in turn, round after round (the
median of each is shown, in µs a case):

* **libyaml floor**: `yaml.load` with `yaml.CSafeLoader`, what the aggregate bench compares to;
* **combmap, libyaml only**: `parse_yaml` with yaml-rs turned off (the event path);
* **combmap**: `parse_yaml` as shipped, yaml-rs for the text it may read;
* **gate**: the text rules alone (`fast._refused`), part of the line above.

Also printed: how many of the files yaml-rs read.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="Generate into (and reuse) DIR.")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import gen_cases  # beside this script
    import yaml

    from combmap.yamlio import fast
    from combmap.yamlio.parser import expect, parse_yaml

    folder = (args.keep or Path(tempfile.mkdtemp(prefix="combmap-bench-parse-"))) / f"cases-{args.cases}"
    if not folder.exists():
        gen_cases.generate(args.cases, folder)
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.yaml"))]
    expect(len(texts))  # as aggregate does: yaml-rs from the first file
    shipped = fast.yaml_rs

    def floor() -> None:
        for text in texts:
            yaml.load(text, Loader=yaml.CSafeLoader)

    def libyaml_only() -> None:
        fast.yaml_rs = None
        try:
            for text in texts:
                parse_yaml(text, "case.yaml")
        finally:
            fast.yaml_rs = shipped

    def combmap() -> None:
        for text in texts:
            parse_yaml(text, "case.yaml")

    def gate() -> None:
        for text in texts:
            fast._refused(text)

    ways: dict[str, Callable[[], None]] = {
        "libyaml floor": floor,
        "combmap, libyaml only": libyaml_only,
        "combmap": combmap,
        "gate (part of combmap)": gate,
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    gc.freeze()
    for _ in range(args.rounds):
        for name, way in ways.items():
            start = time.perf_counter()
            way()
            times[name].append(time.perf_counter() - start)
    taken = sum(fast.fast_data(text) is not fast.SLOW for text in texts)
    size = sum(map(len, texts)) / len(texts)
    print(f"{len(texts)} generated cases, {size / 1024:.1f} KB each; medians of {args.rounds} rounds")
    for name, runs in times.items():
        print(f"{name:24s} {statistics.median(runs) / len(texts) * 1e6:7.0f} µs a case")
    print(f"yaml-rs read {taken} of {len(texts)} files (yaml-rs {'present' if shipped else 'missing'})")


if __name__ == "__main__":
    main()
