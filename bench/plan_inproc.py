"""One plan computed in-process: microseconds per barrier, for make_plan and the counting path.

Usage:

    .venv/bin/python bench/plan_inproc.py
    .venv/bin/python bench/plan_inproc.py --repeat 50 cases/baxter-2020-cvso.yaml

For each case (default: every cases/*.yaml), the ontology and case are loaded once, then
`make_plan` (the full, explained plan) and `Scorer.coverage` (the numbers only, aggregate's
fast path) run `--repeat` times; the median time per call is printed, and per barrier (entries
of every kind count). A first, untimed call warms the per-profile route caches, as a long
process would have them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_us(call: Callable[[], object], repeat: int) -> float:
    """Median microseconds of `repeat` calls, after one warm-up call."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    from combmap import load_case, load_ontology, make_plan
    from combmap.plan import Scorer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", type=Path, help="Case files (default cases/*.yaml).")
    parser.add_argument("--repeat", type=int, default=30, help="Timed calls per case.")
    args = parser.parse_args()
    paths = args.cases or sorted((ROOT / "cases").glob("*.yaml"))
    ontology = load_ontology()
    scorer = Scorer(ontology)
    print(
        f"{'case':45s} {'entries':>7s} {'plan us':>9s} {'us/entry':>8s} {'count us':>9s} {'us/entry':>8s}"
    )
    for path in paths:
        case = load_case(path, ontology)
        n = len(case.barriers)
        plan = median_us(partial(make_plan, case, ontology), args.repeat)
        count = median_us(partial(scorer.coverage, case), args.repeat)
        print(
            f"{case.id[:45]:45s} {n:7d} {plan:9.0f} {plan / n:8.1f} {count:9.0f} {count / n:8.1f}"
        )


if __name__ == "__main__":
    main()
