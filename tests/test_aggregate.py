"""Aggregating many cases: equal to the sum of the per-case plans, bad files skipped, atomic."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from combmap import Ontology, load_case, make_plan
from combmap import aggregate as aggregating
from combmap.errors import CaseError

from .conftest import CASES, ROOT, run_cli

sys.path.insert(0, str(ROOT / "bench"))
import gen_cases

MICRO = 1_000_000


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed cases plus generated ones (with exclusions and APEASE worksheets)."""
    directory = tmp_path_factory.mktemp("cases")
    for path in sorted(CASES.glob("*.yaml")):
        shutil.copy(path, directory / path.name)
    gen_cases.generate(40, directory / "generated", seed=11)
    return directory


def expected(files: list[str], onto: Ontology) -> dict[str, Any]:
    """Sum every case's make_plan, item by item, the way the aggregate documents it."""
    items: dict[str, dict[str, list[int]]] = {
        k: defaultdict(lambda: [0, 0, 0, 0]) for k in ("functions", "policies", "techniques")
    }
    priorities: dict[str, dict[str, list[int]]] = {
        k: defaultdict(lambda: [0, 0, 0, 0, 0, 0]) for k in ("domains", "components")
    }
    for file in files:
        plan = make_plan(load_case(file, onto), onto, top=93)
        selected = set(plan.selected)
        for key in items:
            for item in getattr(plan, key):
                row = items[key][item.id]
                row[0] += bool(item.barriers)
                row[1] += round(item.score * MICRO)
                row[2] += len(item.barriers)
                row[3] += item.id in selected
        for key in priorities:
            for p in getattr(plan.priorities, key):
                row = priorities[key][p.id]
                row[0] += bool(p.barriers)
                row[1] += 1
                row[2] += bool(p.enablers)
                row[3] += p.conflicting
                row[4] += p.frequency
                row[5] += round(p.load * MICRO)
    return {"items": items, "priorities": priorities}


def test_aggregate_equals_the_sum_of_the_plans(fixture_dir: Path, onto: Ontology) -> None:
    files, missing = aggregating.expand_inputs([fixture_dir])
    assert not missing and len(files) == 45
    totals = aggregating.aggregate(files, onto, jobs=1)
    assert (totals.cases, totals.skipped) == (45, 0)
    want = expected(files, onto)
    for key in ("functions", "policies", "techniques"):
        assert getattr(totals, key) == dict(want["items"][key]), key
    assert totals.domains == dict(want["priorities"]["domains"])
    assert totals.components == dict(want["priorities"]["components"])
    data = aggregating.result(totals, onto)
    plans = [make_plan(load_case(f, onto), onto, top=93) for f in files]
    for row in data["functions"]:
        total = sum(i.score for p in plans for i in p.functions if i.id == row["id"])
        assert row["score"] == pytest.approx(total, abs=1e-6)
    scores = [r["score"] for r in data["functions"]]
    assert scores == sorted(scores, reverse=True)


def test_parallel_run_gives_the_same_bytes(
    fixture_dir: Path, onto: Ontology, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, _ = aggregating.expand_inputs([fixture_dir])
    alone = aggregating.to_json(
        aggregating.result(aggregating.aggregate(files, onto, jobs=1), onto)
    )
    monkeypatch.setattr(aggregating, "PARALLEL_FROM", 0)
    monkeypatch.setattr(aggregating, "CHUNK", 4)
    together = aggregating.aggregate(files, onto, jobs=2, cache=False)
    assert aggregating.to_json(aggregating.result(together, onto)) == alone


def test_bad_files_are_reported_and_skipped(tmp_path: Path, onto: Ontology) -> None:
    shutil.copy(CASES / "baxter-2020-cvso.yaml", tmp_path / "good.yaml")
    (tmp_path / "broken.yaml").write_text("case: [\n", encoding="utf-8")
    (tmp_path / "wrong.yaml").write_text(
        (CASES / "baxter-2020-cvso.yaml")
        .read_text(encoding="utf-8")
        .replace("kind: barrier", "kind: obstacle", 1),
        encoding="utf-8",
    )
    (tmp_path / ".hidden.yaml").write_text("not: a case\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored\n", encoding="utf-8")
    files, missing = aggregating.expand_inputs([tmp_path, tmp_path / "absent.yaml"])
    assert [Path(f).name for f in files] == ["broken.yaml", "good.yaml", "wrong.yaml"]
    assert [m.message for m in missing] == ["does not exist"]
    totals = aggregating.aggregate(files, onto, jobs=1)
    assert (totals.cases, totals.skipped) == (1, 2)
    firsts = {Path(issue.file).name: issue for issue, _ in totals.skips}
    assert firsts["broken.yaml"].line == 2 and "not valid YAML" in firsts["broken.yaml"].message
    assert firsts["wrong.yaml"].line and firsts["wrong.yaml"].path.endswith(".kind")
    with pytest.raises(CaseError, match=r"wrong\.yaml"):
        aggregating.aggregate([*files[1:], files[0]], onto, jobs=1, strict=True)


def test_globs_are_expanded(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yml", "sub/c.yaml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x: 1\n", encoding="utf-8")
    files, missing = aggregating.expand_inputs([f"{tmp_path}/**/*.yaml", f"{tmp_path}/none-*"])
    assert [Path(f).name for f in files] == ["a.yaml", "c.yaml"]
    assert [m.message for m in missing] == ["no file matches this pattern"]


def _one_good_one_bad(folder: Path, bad: str) -> Path:
    """Baxter's case as a.yaml and a file named `bad` that is not a case; the output path."""
    shutil.copy(CASES / "baxter-2020-cvso.yaml", folder / "a.yaml")
    (folder / bad).write_text("- a list\n", encoding="utf-8")
    return folder / "out.json"


def test_cli_strict_fails_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _one_good_one_bad(tmp_path, "b.yaml")
    code, _, err = run_cli(capsys, "aggregate", str(tmp_path), "--strict", "-o", str(out))
    assert code == 1
    assert "b.yaml" in err and not out.exists()
    code, _, err = run_cli(capsys, "aggregate", str(tmp_path), "-o", str(out))
    assert code == 0, err
    assert "skipped" in err and "b.yaml:1" in err and "aggregated 1 case" in err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["cases"], data["skipped"], data["schema"]) == (1, 1, "combmap.aggregate/1")


def test_cli_summary_is_plain_notes_that_quiet_silences(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The summary lines are notes, as "wrote FILE" is: plain, filtered, and gone with -q."""
    out = _one_good_one_bad(tmp_path, "b[red]\x1b[2J.yaml")
    code, _, err = run_cli(capsys, "aggregate", str(tmp_path), "-o", str(out))
    assert code == 0
    assert "skipped " in err and "b[red]" in err and "\x1b" not in err
    assert err.splitlines()[-1] == "aggregated 1 case; 1 input skipped"
    code, _, err = run_cli(capsys, "-q", "aggregate", str(tmp_path), "-o", str(out))
    assert code == 0 and err == ""


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_cli_formats(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, err = run_cli(capsys, "aggregate", str(CASES), "--format", fmt)
    assert code == 0, err
    assert "Enablement" in out


def test_csv_export_rows_count_as_cases(tmp_path: Path, onto: Ontology) -> None:
    pytest.importorskip("combmap.assess")
    export = tmp_path / "survey.csv"
    export.write_text(
        "record_id,organisation,q_know_duties,q_env_funding,q_emo_burnout\n"
        "r1,Riverside Arts,1,2,5\n"
        "r2,Hill Choir,2,1,4\n"
        "r3,Nothing Applies,9,9,9\n"
        "r4,Bad Row,7,1,1\n",
        encoding="utf-8",
    )
    totals = aggregating.aggregate([str(export)], onto, jobs=1)
    assert (totals.cases, totals.skipped) == (2, 2)
    skipped = sorted((issue.line, issue.path) for issue, _ in totals.skips)
    assert skipped == [(4, "row 3 barriers"), (5, "row 4")]
    export.write_text("\n".join(export.read_text(encoding="utf-8").splitlines()[:4]) + "\n")
    with pytest.raises(CaseError, match=r"survey\.csv, row 3 is not a valid case"):
        aggregating.aggregate([str(export)], onto, jobs=1, strict=True)


def test_csv_rows_are_spread_over_workers(
    tmp_path: Path, onto: Ontology, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: an export's rows go to the workers in chunks, merged in order."""
    pytest.importorskip("combmap.assess")
    export = tmp_path / "survey.csv"
    lines = ["record_id,organisation,q_know_duties,q_env_funding,q_emo_burnout"]
    lines += [f"r{i},Org {i},{1 + i % 5},{1 + i * 3 % 5},{1 + i * 7 % 5}" for i in range(40)]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    alone = aggregating.aggregate([str(export)], onto, jobs=1)
    monkeypatch.setattr(aggregating, "PARALLEL_FROM", 0)
    monkeypatch.setattr(aggregating, "CHUNK", 6)
    together = aggregating.aggregate([str(export)], onto, jobs=2)
    assert together.cases + together.skipped == 40
    assert aggregating.to_json(aggregating.result(together, onto)) == aggregating.to_json(
        aggregating.result(alone, onto)
    )
    assert [issue for issue, _ in together.skips] == [issue for issue, _ in alone.skips]


def _case_count(directory: Path) -> int:
    return sum(1 for _ in directory.rglob("*.yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_interrupted_run_leaves_the_old_output(tmp_path: Path, jobs: str) -> None:
    gen_cases.generate(5000, tmp_path / "cases")  # several seconds of work, even on 2 cores
    out = tmp_path / "out.json"
    out.write_text("old\n", encoding="utf-8")
    command = [sys.executable, "-m", "combmap", "aggregate", str(tmp_path / "cases")]
    child = subprocess.Popen(
        [*command, "-o", str(out), "--jobs", jobs],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(2.0)
    assert child.poll() is None, "the run finished before it could be interrupted"
    os.kill(child.pid, signal.SIGKILL)  # the main process only: workers must notice and end
    child.wait()
    assert out.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases", "out.json"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(child.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.killpg(child.pid, signal.SIGKILL)
        pytest.fail("worker processes outlived the killed run")


@pytest.fixture
def counts_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from combmap import cache

    home = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(home))
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    return home / "aggregate"


@pytest.mark.skipif(os.name != "posix", reason="the cache needs POSIX owners and modes")
def test_unchanged_files_are_counted_from_the_cache(
    fixture_dir: Path, tmp_path: Path, counts_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: a re-run over unchanged files reads their counts, and any change is seen."""
    from combmap import load_ontology

    onto = load_ontology()
    folder = tmp_path / "cases"
    shutil.copytree(fixture_dir, folder)
    (folder / "broken.yaml").write_text("case: [\n", encoding="utf-8")
    monkeypatch.setattr(aggregating, "CHUNK", 4)
    files, _ = aggregating.expand_inputs([folder])

    def run(**options: Any) -> str:
        totals = aggregating.aggregate(files, onto, jobs=1, **options)
        return aggregating.to_json(aggregating.result(totals, onto))

    fresh = run(cache=False)
    assert not counts_cache.exists()
    assert run() == fresh
    entries = sorted(counts_cache.glob("*.json"))
    assert entries and all(p.stat().st_mode & 0o777 == 0o600 for p in entries)
    read: list[str] = []
    real = aggregating._Reader.case_file

    def counting(self: aggregating._Reader, path: str, totals: aggregating.Totals) -> bool:
        read.append(Path(path).name)
        return real(self, path, totals)

    monkeypatch.setattr(aggregating._Reader, "case_file", counting)
    assert run() == fresh
    # Only the unit holding the broken file (never cached: its problems name the file) is read.
    assert "broken.yaml" in read and len(read) < len(files) // 2
    # A changed file is read again, and the result follows it.
    target = folder / "baxter-2020-cvso.yaml"
    target.write_text(
        target.read_text(encoding="utf-8").replace("kind: barrier", "kind: enabler", 1),
        encoding="utf-8",
    )
    read.clear()
    assert run() == run(cache=False) != fresh
    assert "baxter-2020-cvso.yaml" in read
    # A damaged entry is ignored.
    for entry in counts_cache.glob("*.json"):
        entry.write_bytes(b"garbage")
    assert run() == run(cache=False)


@pytest.mark.skipif(os.name != "posix", reason="the cache needs POSIX owners and modes")
def test_a_rerun_over_unchanged_files_needs_no_planner(fixture_dir: Path, tmp_path: Path) -> None:
    """Issue 14: with every count cached, the command line neither imports the planner nor
    makes a scorer, nor loads a YAML parser (nothing is parsed), and writes the same bytes."""
    program = (
        "import sys\n"
        "from combmap.cli import main\n"
        f"sys.argv = ['combmap', '-q', 'aggregate', {str(fixture_dir)!r}, '-o', sys.argv[1], '-j', '1']\n"
        "try:\n    main()\nexcept SystemExit as done:\n    assert not done.code, done.code\n"
        "print('combmap.plan' in sys.modules, 'yaml' in sys.modules, 'yaml_rs' in sys.modules)\n"
    )
    env = {**os.environ, "COMBMAP_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("COMBMAP_NO_CACHE", None)
    runs = []
    for name in ("first.json", "again.json"):
        done = subprocess.run(
            [sys.executable, "-c", program, str(tmp_path / name)],
            capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
        )
        runs.append(done.stdout.strip())
    assert runs == ["True True True", "False False False"]
    assert (tmp_path / "first.json").read_bytes() == (tmp_path / "again.json").read_bytes()


def test_aggregate_gives_the_collector_back_as_it_found_it(tmp_path: Path, onto: Ontology) -> None:
    """Units are counted with the collector paused and then frozen: undone at the end, also
    when a strict run stops at a bad file."""
    import gc

    for n in range(3):
        shutil.copy(CASES / "baxter-2020-cvso.yaml", tmp_path / f"c{n}.yaml")
    files = sorted(str(p) for p in tmp_path.glob("*.yaml"))
    assert gc.isenabled() and gc.get_freeze_count() == 0
    aggregating.aggregate(files, onto, jobs=1, cache=False)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    (tmp_path / "c1.yaml").write_text("- a list\n", encoding="utf-8")
    with pytest.raises(CaseError):
        aggregating.aggregate(files, onto, jobs=1, cache=False, strict=True)
    assert gc.isenabled() and gc.get_freeze_count() == 0
