"""Cold start-up of the command line, each command paired with a floor built here.

Usage:

    .venv/bin/python bench/cli_startup.py              # 15 pairs of runs per command
    .venv/bin/python bench/cli_startup.py --runs 31
    .venv/bin/python bench/cli_startup.py --only plan  # rows whose name contains 'plan'

Every command runs as a new process, the way a person runs it. Its floor is the least any
typer program could do for the same job, written into a temporary directory by this script:

* `--help`: a minimal typer app (two commands, typer's default rich help) printing its help;
* a command that reads the ontology and a case: an empty typer command whose body parses the
  same YAML files with libyaml (`yaml.CSafeLoader`) and does nothing else;
* `diagram` and `report`: the same, plus laying out the same DOT with the same renderer
  (`dot -Tsvg` when Graphviz is on PATH, else graphviz-pure, as `combmap.diagram.render`
  picks).

Runs alternate in pairs (command then floor, then floor then command), so load from other work
on the machine falls on both alike; the table gives the medians and the median of the per-pair
ratios. Each floor and command is run once first, untimed, so files and bytecode are cached,
as an installed wheel has them. Python's own start (`python -c pass`) is printed for scale.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
COMBMAP = str(Path(PYTHON).parent / "combmap")
CASE = ROOT / "cases" / "baxter-2020-cvso.yaml"

#: The floor program: a typer app as small as typer allows, with the work of each floor.
FLOOR_APP = '''
import subprocess
import sys

import typer

app = typer.Typer(add_completion=False, context_settings={"help_option_names": ["-h", "--help"]})


@app.command()
def parse(files: list[str] = typer.Argument(None), render: str = typer.Option("")) -> None:
    """Parse YAML files with libyaml; optionally lay out a DOT file."""
    import yaml

    for name in files or []:
        with open(name, encoding="utf-8") as handle:
            yaml.load(handle.read(), Loader=yaml.CSafeLoader)
    if render:
        executable, dot_file = render.split("::")
        with open(dot_file, "rb") as handle:
            subprocess.run([executable, "-Tsvg"], input=handle.read(), capture_output=True, check=True)


@app.command()
def other() -> None:
    """A second command, so that the app is a group and its help lists commands."""
'''


def _ontology_files() -> list[str]:
    from combmap.resources import packaged_ontology_dir

    return [str(p) for p in sorted(packaged_ontology_dir().rglob("*.yaml"))]


def _renderer_and_dot(folder: Path) -> str:
    """'EXECUTABLE::DOTFILE' for the renderer combmap would use on the Baxter diagram."""
    from combmap import load_case, load_ontology, make_plan
    from combmap.diagram import _pure_executable, _system_executable, plan_digraph

    onto = load_ontology()
    plan = make_plan(load_case(CASE, onto), onto)
    dot_file = folder / "baxter.dot"
    dot_file.write_text(plan_digraph(plan, onto).source, encoding="utf-8")
    executable = _system_executable() or _pure_executable()
    if executable is None:
        raise SystemExit("no Graphviz renderer here; install graphviz or graphviz-pure")
    return f"{executable}::{dot_file}"


def _once(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, env=env)
    return time.perf_counter() - start


def paired(
    command: list[str], floor: list[str], runs: int, env: dict[str, str]
) -> tuple[float, float, float]:
    """Median seconds of the command, of its floor, and the median per-pair ratio."""
    _once(command, env)
    _once(floor, env)
    took, base, ratios = [], [], []
    for index in range(runs):
        if index % 2:
            b = _once(floor, env)
            t = _once(command, env)
        else:
            t = _once(command, env)
            b = _once(floor, env)
        took.append(t)
        base.append(b)
        ratios.append(t / b)
    return statistics.median(took), statistics.median(base), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="Pairs of runs per command (default 15).")
    parser.add_argument("--only", default="", help="Run only the rows whose name contains this.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="combmap-bench-"))
    floor_app = folder / "floor_app.py"
    floor_app.write_text(FLOOR_APP, encoding="utf-8")
    floor = [PYTHON, "-c", f"import sys; sys.path.insert(0, {str(folder)!r}); import floor_app; floor_app.app()"]
    # As an installed wheel has it: combmap's bytecode compiled (PYTHONDONTWRITEBYTECODE would
    # otherwise make every run compile the package again).
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "combmap"), str(folder)], check=True)
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    ontology = _ontology_files()
    with_case = [*ontology, str(CASE)]
    rows: list[tuple[str, list[str], list[str]]] = [
        ("--help", [COMBMAP, "--help"], [*floor, "--help"]),
        ("plan --help", [COMBMAP, "plan", "--help"], [*floor, "parse", "--help"]),
        ("ontology validate", [COMBMAP, "ontology", "validate"], [*floor, "parse", *ontology]),
        (
            "plan baxter --format json",
            [COMBMAP, "plan", str(CASE), "--format", "json"],
            [*floor, "parse", *with_case],
        ),
        (
            "plan baxter --format json --no-cache",
            [COMBMAP, "--no-cache", "plan", str(CASE), "--format", "json"],
            [*floor, "parse", *with_case],
        ),
    ]
    if not args.only or any(word in args.only for word in ("diagram", "report")):
        render = _renderer_and_dot(folder)
        rows += [
            (
                "diagram baxter -o x.svg",
                [COMBMAP, "diagram", str(CASE), "-o", str(folder / "x.svg")],
                [*floor, "parse", *with_case, "--render", render],
            ),
            (
                "report baxter -o x.html",
                [COMBMAP, "report", str(CASE), "-o", str(folder / "x.html")],
                [*floor, "parse", *with_case, "--render", render],
            ),
        ]
    rows = [row for row in rows if args.only in row[0]]
    python_ms = statistics.median(_once([PYTHON, "-c", "pass"], env) for _ in range(args.runs)) * 1000
    print(f"{args.runs} alternating pairs per row; python -c pass: {python_ms:.0f} ms")
    print(f"{'command':40s} {'ms':>7s} {'floor ms':>9s} {'ratio':>6s}   floor")
    floors = {
        "--help": "minimal typer app --help",
        "plan --help": "its command's --help",
    }
    for name, command, base in rows:
        took, floor_s, ratio = paired(command, base, args.runs, env)
        what = floors.get(name, "empty typer command + libyaml parse" + (" + render" if "--render" in base else ""))
        print(f"{name:40s} {took * 1000:7.1f} {floor_s * 1000:9.1f} {ratio:6.2f}   {what}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
