"""CLI conventions (issue 15, item 6): completion, '-' for stdin and stdout, one spelling for
output options, refused suffixes, metavars in words and no pydantic wording."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from combmap.cli import app

from .conftest import CASES, DATA
from .conftest import run_cli as run

BAXTER = CASES / "baxter-2020-cvso.yaml"
ANSWERS = DATA / "assess" / "answers.yaml"


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def _commands() -> list[list[str]]:
    """Every command path: [], ["plan"], ["assess", "merge"], ..."""
    found: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


# --- (a) completion ---------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_completion_prints_a_script(capsys: pytest.CaptureFixture[str], shell: str) -> None:
    code, out, err = run(capsys, "completion", shell)
    assert code == 0, err
    assert "_COMBMAP_COMPLETE" in out and "combmap" in out


def test_completion_script_completes_commands_options_and_values() -> None:
    def complete(words: str) -> list[str]:
        env = {**os.environ, "_COMBMAP_COMPLETE": "complete_bash", "COMP_WORDS": words}
        env["COMP_CWORD"] = str(len(words.split()) - (0 if words.endswith(" ") else 1))
        done = subprocess.run([sys.executable, "-m", "combmap"], env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("combmap pl") == ["plan"]
    assert "--format" in complete("combmap diagram case.yaml --fo")
    assert complete("combmap diagram case.yaml --format ") == ["svg", "png", "pdf", "dot", "mermaid"]


def test_root_help_has_no_completion_options(capsys: pytest.CaptureFixture[str]) -> None:
    """Completion is a command, not typer's --install-completion: nothing added at start-up."""
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "completion" in out and "--install-completion" not in out


# --- (b) '-' for stdin and stdout ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "-", "--format", "json"],
        ["explain", "-", "ds-business-skills"],
        ["validate", "-"],
        ["diagram", "-", "--format", "dot"],
        ["report", "-", "--format", "markdown"],
        ["compare", "-", str(CASES / "uk-mh-professionals-volunteers.yaml"), "--format", "json"],
        ["aggregate", "-", "--format", "json"],
    ],
)
def test_dash_reads_the_case_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    _stdin(monkeypatch, BAXTER.read_bytes())
    code, out, err = run(capsys, *args)
    assert code == 0, err
    code, expected, _ = run(capsys, *[str(BAXTER) if a == "-" else a for a in args])
    assert out == expected


def test_case_export_reads_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _stdin(monkeypatch, BAXTER.read_bytes())
    code, _, err = run(capsys, "case", "export", "-", "-o", str(tmp_path / "piped.csv"))
    assert code == 0, err
    code, _, err = run(capsys, "case", "export", str(BAXTER), "-o", str(tmp_path / "file.csv"))
    assert (tmp_path / "piped.csv").read_bytes() == (tmp_path / "file.csv").read_bytes()


def test_stdin_errors_are_named_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b"case: {id: x}\n")
    code, _, err = run(capsys, "validate", "-")
    assert code == 1 and "<stdin>:1:" in err


def test_dash_twice_is_a_usage_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, BAXTER.read_bytes())
    code, _, err = run(capsys, "compare", "-", "-")
    assert code == 2 and "only once" in err


@pytest.mark.parametrize("name", ["answers.yaml", "answers.csv"])
def test_assess_answers_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    _stdin(monkeypatch, (DATA / "assess" / name).read_bytes())
    (tmp_path / "piped").mkdir()
    (tmp_path / "file").mkdir()
    code, _, err = run(capsys, "assess", "-o", str(tmp_path / "piped" / "org.yaml"), "--answers", "-")
    assert code == 0, err
    code, _, err = run(capsys, "assess", "-o", str(tmp_path / "file" / "org.yaml"), "--answers", str(DATA / "assess" / name))
    assert code == 0, err
    assert (tmp_path / "piped" / "org.yaml").read_text() == (tmp_path / "file" / "org.yaml").read_text()


def test_assess_refuses_dash_as_the_answers_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "assess", "-o", "-")
    assert code == 2 and "not '-'" in err


@pytest.mark.parametrize(
    "args",
    [
        ["plan", str(BAXTER), "-o", "-", "--format", "json"],
        ["diagram", str(BAXTER), "-o", "-", "--format", "mermaid"],
        ["ontology", "export", "-o", "-", "--format", "csv"],
        ["assess", "export-questions", "-o", "-"],
        ["assess", "merge", str(DATA / "assess" / "sam.yaml"), str(DATA / "assess" / "alex.yaml"), "-o", "-"],
        ["example", "baxter", "-o", "-"],
    ],
)
def test_dash_writes_to_stdout(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]) -> None:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert out.strip() and not (tmp_path / "-").exists() and not Path("-").exists()


# --- (c) one spelling ------------------------------------------------------------------------


def test_output_options_are_spelt_one_way(capsys: pytest.CaptureFixture[str]) -> None:
    for path in _commands():
        code, out, _ = run(capsys, *path, "--help")
        assert code == 0
        assert not re.search(r"--out\b(?!put)|--out-dir", out), f"combmap {' '.join(path)} shows an old spelling"


def test_old_spellings_still_work(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "assess", "--out", str(tmp_path / "a.yaml"), "--answers", str(ANSWERS))
    assert code == 0, err
    sam, alex = DATA / "assess" / "sam.yaml", DATA / "assess" / "alex.yaml"
    code, _, err = run(capsys, "assess", "merge", str(sam), str(alex), "--out", str(tmp_path / "m.yaml"))
    assert code == 0 and (tmp_path / "m.yaml").exists(), err
    (tmp_path / "old").mkdir()
    code, _, err = run(capsys, "assess", "import", str(DATA / "assess" / "survey.csv"), "--out-dir", str(tmp_path / "old"))
    (tmp_path / "new").mkdir()
    code2, _, err2 = run(capsys, "assess", "import", str(DATA / "assess" / "survey.csv"), "--output-dir", str(tmp_path / "new"))
    assert code == code2, (err, err2)
    assert sorted(p.name for p in (tmp_path / "old").iterdir()) == sorted(p.name for p in (tmp_path / "new").iterdir())
    assert any((tmp_path / "new").iterdir())


# --- (d) refused suffixes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["plan", str(BAXTER)], ".json, .markdown, .md, .txt, .yaml, .yml"),
        (["ontology", "export"], ".csv, .graphml, .json"),
        (["assess", "export-questions"], ".csv, .txt"),
        (["diagram", str(BAXTER)], ".svg"),
        (["report", str(BAXTER)], ".html"),
        (["compare", str(BAXTER), str(CASES / "uk-mh-professionals-volunteers.yaml")], ".json"),
        (["aggregate", str(BAXTER)], ".csv"),
        (["case", "export", str(BAXTER)], ".csv, .xlsx"),
        (["case", "template"], ".xlsx"),
        (["example", "baxter"], ".yaml"),
        (["assess", "merge", str(DATA / "assess" / "sam.yaml")], ".yaml, .yml"),
    ],
)
def test_unknown_suffix_is_refused_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], named: str
) -> None:
    target = tmp_path / "out.docx" if args[0] != "report" else tmp_path / "out.xlsx"
    code, _, err = run(capsys, *args, "-o", str(target))
    assert code == 1, err
    assert "cannot write the" in err and named in err
    assert not target.exists()


def test_a_given_format_writes_any_file_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "plan.out"
    code, _, err = run(capsys, "plan", str(BAXTER), "--format", "json", "-o", str(target))
    assert code == 0, err
    assert json.loads(target.read_text())["schema"] == "combmap.plan/3"


def test_export_questions_takes_its_format_from_the_suffix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "assess", "export-questions", "-o", str(tmp_path / "survey.txt"))
    assert code == 0, err
    assert (tmp_path / "survey.txt").read_text().startswith("[[AdvancedFormat]]")


# --- (e) metavars in words -------------------------------------------------------------------


def test_help_names_values_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    """No Python types in help (`<list[Path]>`, `<bool>`, `<path>`, `<str>`): FILE, DIR, N ..."""
    for path in _commands():
        code, out, _ = run(capsys, *path, "--help")
        assert code == 0
        assert not re.search(r"<(list\[|bool|path|str|int|float|text)", out, re.I), (path, out)
    code, out, _ = run(capsys, "diagram", "--help")
    assert all(word in out for word in ("CASE", "FILE", "DIR", "LAYER", "FORMAT", " N "))


# --- (f) no pydantic wording -----------------------------------------------------------------

PYDANTIC_WORDS = re.compile(r"Value error,|Input should be|Field required|validation error|Assertion failed|type=|pydantic", re.I)


@pytest.mark.parametrize("path", sorted(p for p in (DATA / "broken").iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_broken_overlays_carry_no_pydantic_wording(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    code, _, err = run(capsys, "ontology", "validate", str(path))
    assert code == 1
    assert not PYDANTIC_WORDS.search(err), err


def test_bad_values_carry_no_pydantic_wording(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(
        "case: {id: 'Bad Id', title: 3}\nbehaviour: {}\nbarriers:\n"
        "  - {id: b1, text: x, kind: sideways, tdf: [tdf:knowledge], frequency: many, evidence: [1]}\n"
        "  - id: b1\n    text: ''\n    tdf: knowledge\n    comb: [1, 2]\n"
    )
    code, _, err = run(capsys, "validate", str(case))
    assert code == 1
    assert not PYDANTIC_WORDS.search(err), err
    bad = tmp_path / "answers.yaml"
    bad.write_text("answers: [1, 2]\nnotes: 3\nrespondent: {a: 1}\n")
    code, _, err = run(capsys, "assess", "-o", str(tmp_path / "o.yaml"), "--answers", str(bad))
    assert code == 1
    assert not PYDANTIC_WORDS.search(err), err
