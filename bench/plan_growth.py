"""How planning, plan JSON, the HTML report and the DOT diagram grow with a case's size.

Usage:

    .venv/bin/python bench/plan_growth.py                      # 1,000 and 10,000 barriers
    .venv/bin/python bench/plan_growth.py --sizes 1000 3000 10000 100000 --budget 600
    .venv/bin/python bench/plan_growth.py --render             # also lay out the DOT (slow)

For each size, a generated case (barriers, enablers and "both", coded to TDF domains and/or
COM-B components, the same for the same size and seed) is written as YAML, then a fresh
process runs, through public functions only: `load_case`, `make_plan`, `Plan.to_json`,
`report.plan_html` (without a diagram), `diagram.plan_digraph(...).source` and, with
`--render`, `diagram.render(..., "svg")`. A case over the 8 MiB input limit (100,000
barriers make 22 MB) is parsed and validated by the same code as `load_case`, without the
limit. Each step prints its wall time, the process's peak
resident memory so far (getrusage: steps run in order, so a step that raises the peak shows
it) and the size of what it produced. A size whose process runs past `--budget` seconds is
stopped, and the steps it did not finish are marked. The growth column divides each time by
the time of the same step at the first size, beside the ratio of sizes.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

DOMAINS = [
    "knowledge", "skills", "social-professional-role-and-identity", "beliefs-about-capabilities",
    "optimism", "beliefs-about-consequences", "reinforcement", "intentions", "goals",
    "memory-attention-and-decision-processes", "environmental-context-and-resources",
    "social-influences", "emotion", "behavioural-regulation",
]  # fmt: skip
COMPONENTS = [
    "psychological-capability", "physical-capability", "social-opportunity",
    "physical-opportunity", "reflective-motivation", "automatic-motivation",
]  # fmt: skip
WORDS = (
    "staff volunteers funding referrals training time space trust managers commissioners partners "
    "evidence confidence stigma rota transport safeguarding records budget waiting lists"
).split()
STEPS = ("load_case", "make_plan", "to_json", "plan_html", "plan_digraph", "render svg")


def generated_case(count: int, seed: int = 14) -> dict[str, object]:
    """A case of `count` entries with mixed codes and groups; the same for the same seed."""
    rng = random.Random(seed)
    barriers = []
    for index in range(count):
        entry: dict[str, object] = {
            "id": f"b{index:06d}",
            "text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))).capitalize() + ".",
            "kind": rng.choice(["barrier", "barrier", "barrier", "enabler", "both"]),
            "frequency": rng.randint(1, 9),
            "group": rng.choice(["staff", "volunteers", "managers"]),
        }
        style = index % 3
        if style in (0, 2):
            entry["tdf"] = rng.sample(DOMAINS, rng.randint(1, 2))
        if style in (1, 2):
            entry["comb"] = rng.sample(COMPONENTS, rng.randint(1, 2))
        barriers.append(entry)
    return {
        "case": {"id": f"growth-{count}", "title": f"Generated case: {count} barriers"},
        "behaviour": {"target": "Staff refer people to community activities"},
        "groups": [{"id": g, "label": g.capitalize()} for g in ("staff", "volunteers", "managers")],
        "barriers": barriers,
    }


def _step(name: str, start: float, size: int) -> None:
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"step": name, "seconds": took, "peak_kb": peak, "bytes": size}), flush=True)


def child(path: Path, render: bool) -> None:
    """Run the steps on one case file, printing one JSON line per step."""
    from combmap import load_case, load_ontology, make_plan
    from combmap.case import case_from_document
    from combmap.diagram import plan_digraph
    from combmap.diagram import render as render_dot
    from combmap.report import plan_html
    from combmap.yamlio import MAX_BYTES
    from combmap.yamlio.parser import parse_yaml

    onto = load_ontology()
    start = time.perf_counter()
    if path.stat().st_size <= MAX_BYTES:
        case = load_case(path, onto)
    else:  # over the input limit (100,000 barriers): the same parse and validation, unbounded
        case = case_from_document(parse_yaml(path.read_text(encoding="utf-8"), path.name), onto)
    _step("load_case", start, path.stat().st_size)
    start = time.perf_counter()
    plan = make_plan(case, onto)
    _step("make_plan", start, 0)
    start = time.perf_counter()
    text = plan.to_json()
    _step("to_json", start, len(text.encode()))
    del text
    start = time.perf_counter()
    html = plan_html(plan, onto, case, svg=None)
    _step("plan_html", start, len(html.encode()))
    del html
    start = time.perf_counter()
    source = plan_digraph(plan, onto).source
    _step("plan_digraph", start, len(source.encode()))
    if render:
        start = time.perf_counter()
        svg = render_dot(source, "svg")
        _step("render svg", start, len(svg))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--budget", type=float, default=300, help="Seconds per size (default 300).")
    parser.add_argument("--render", action="store_true", help="Also lay out the DOT as SVG.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="combmap-growth-"))
    first: dict[str, float] = {}
    print(f"{'barriers':>8s} {'step':12s} {'seconds':>9s} {'growth':>7s} {'peak MB':>8s} {'output':>12s} {'per barrier':>11s}")
    for size in args.sizes:
        path = folder / f"growth-{size}.yaml"
        path.write_text(yaml.safe_dump(generated_case(size), sort_keys=False), encoding="utf-8")
        command = [sys.executable, __file__, "--child", str(path), *(["--render"] if args.render else [])]
        done: list[str] = []
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + args.budget
        try:
            out, err = process.communicate(timeout=args.budget)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        for line in out.splitlines():
            row = json.loads(line)
            name = row["step"]
            done.append(name)
            first.setdefault(name, row["seconds"] or 1e-9)
            growth = row["seconds"] / first[name]
            output = f"{row['bytes'] / 1024:,.0f} KB" if row["bytes"] else ""
            per = f"{row['bytes'] / size:,.0f} B" if row["bytes"] else ""
            print(f"{size:8d} {name:12s} {row['seconds']:9.2f} {growth:6.1f}x {row['peak_kb'] / 1024:8.0f} {output:>12s} {per:>11s}")
        wanted = [s for s in STEPS if args.render or s != "render svg"]
        missing = [s for s in wanted if s not in done]
        if missing:
            why = "over the budget" if time.monotonic() >= deadline else f"failed: {err.strip().splitlines()[-1:] or ['?']}"
            print(f"{size:8d} {', '.join(missing)}: not finished ({why}, {args.budget:.0f} s)")
    print(f"growth: time over the first size's ({args.sizes[0]:,} barriers) for the same step")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), "--render" in sys.argv[3:])
    else:
        main()
