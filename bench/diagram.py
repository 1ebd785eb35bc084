"""Time diagram building and rendering: the Baxter case and a generated 40-barrier case.

Usage:

    .venv/bin/python bench/diagram.py [--runs 7] [--keep DIR]

Prints the median (and min–max) seconds of: building the DOT source, building the Mermaid text,
and rendering SVG and PNG with each renderer found here (system Graphviz, graphviz-pure). No
asserts: numbers to read, and to compare before and after a change. `--keep DIR` writes the
generated case and its PNGs there to look at.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import yaml

from combmap import load_case, load_ontology, make_plan
from combmap.diagram import available_renderers, plan_digraph, plan_mermaid, render

ROOT = Path(__file__).resolve().parent.parent
BAXTER = ROOT / "cases" / "baxter-2020-cvso.yaml"
DOMAINS = [
    "knowledge", "skills", "social-professional-role-and-identity", "beliefs-about-capabilities",
    "optimism", "beliefs-about-consequences", "reinforcement", "intentions", "goals",
    "memory-attention-and-decision-processes", "environmental-context-and-resources",
    "social-influences", "emotion", "behavioural-regulation",
]
COMPONENTS = [
    "psychological-capability", "physical-capability", "social-opportunity",
    "physical-opportunity", "reflective-motivation", "automatic-motivation",
]
WORDS = (
    "staff volunteers funding referrals training time space trust managers commissioners partners "
    "evidence confidence stigma rota transport safeguarding records budget waiting lists boundaries"
).split()


def generated_case(count: int = 40, seed: int = 4) -> dict[str, object]:
    """A case of `count` entries with mixed TDF and COM-B codes, the same for the same seed."""
    rng = random.Random(seed)
    barriers = []
    for index in range(count):
        entry: dict[str, object] = {
            "id": f"g{index:02d}",
            "text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 22))).capitalize() + ".",
            "kind": rng.choice(["barrier", "barrier", "barrier", "enabler", "both"]),
            "frequency": rng.randint(1, 9),
        }
        style = index % 3
        if style in (0, 2):
            entry["tdf"] = rng.sample(DOMAINS, rng.randint(1, 2))
        if style in (1, 2):
            entry["comb"] = rng.sample(COMPONENTS, rng.randint(1, 2))
        barriers.append(entry)
    return {
        "case": {"id": "generated-40", "title": f"Generated case: {count} barriers with mixed TDF and COM-B codes"},
        "behaviour": {"target": "Staff refer people to community activities"},
        "barriers": barriers,
        "options": {"exclude": [{"id": "if:coercion", "reason": "Not acceptable here"}]},
    }


def timed(action: Callable[[], object], runs: int) -> tuple[float, float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def report(name: str, numbers: tuple[float, float, float]) -> None:
    median, low, high = numbers
    print(f"  {name:<28} median {median * 1000:8.1f} ms   (min {low * 1000:.1f}, max {high * 1000:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    onto = load_ontology()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="combmap-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    generated = folder / "generated-40.yaml"
    generated.write_text(yaml.safe_dump(generated_case(), sort_keys=False), encoding="utf-8")
    renderers = available_renderers()
    print(f"renderers here: {', '.join(renderers) or 'none'}; {args.runs} runs each")
    for path in (BAXTER, generated):
        plan = make_plan(load_case(path, onto), onto)
        source = plan_digraph(plan, onto).source
        print(f"{path.stem}: {len(plan.barriers)} entries, DOT {len(source):,} bytes")
        report("build DOT", timed(partial(lambda p: plan_digraph(p, onto).source, plan), args.runs * 3))
        report("build Mermaid", timed(partial(plan_mermaid, plan, onto), args.runs * 3))
        for renderer in renderers:
            for fmt in ("svg", "png"):
                report(f"render {fmt} ({renderer})", timed(partial(render, source, fmt, renderer=renderer), args.runs))
            if args.keep:
                (folder / f"{path.stem}-{renderer}.png").write_bytes(render(source, "png", renderer=renderer))


if __name__ == "__main__":
    main()
