"""The interactive questionnaire in a real pseudo-terminal: kill, resume, go back, quit.

Each test drives `python -m combmap assess` with pexpect, as a person at a keyboard would, and
checks the case file on disk: the promise is that no answer is ever lost.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from combmap import Ontology, load_case, make_plan
from combmap import assess as lib

if TYPE_CHECKING:
    import pexpect
else:
    pexpect = pytest.importorskip("pexpect")

TIMEOUT = 20


def spawn(tmp_path: Path, *args: str) -> pexpect.spawn[str]:
    env = {**os.environ, "TERM": "dumb", "NO_COLOR": "1", "COLUMNS": "120"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "combmap", "assess", "--out", "org.yaml", *args],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(40, 120),
    )
    return child


def words(phrase: str) -> str:
    """A pattern for a phrase that the terminal may have wrapped (inside a panel, too)."""
    return r"[\s│]+".join(re.escape(word) for word in phrase.split())


def answer(child: pexpect.spawn[str], number: int, key: str) -> None:
    """Wait for question `number`, then type `key` and Enter."""
    child.expect(rf"\b{number} of 33 ·")
    child.expect("Your answer: ")
    child.sendline(key)


def stored(tmp_path: Path) -> dict[str, object]:
    data = yaml.safe_load((tmp_path / "org.yaml").read_text(encoding="utf-8"))
    [person] = data["assessment"]["respondents"]
    return dict(person.get("answers", {}))


def finish(child: pexpect.spawn[str]) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else -(child.signalstatus or 0))


def test_killed_session_resumes_with_every_answer(tmp_path: Path, onto: Ontology) -> None:
    ids = [q.id for q in lib.question_bank(onto).items]
    child = spawn(tmp_path, "--org", "Riverside Arts", "--behaviour", "Run weekly arts sessions")
    child.expect(words("It takes about 10 minutes"))
    child.expect(words("saved after every question"))
    child.expect("Press Enter to start: ")
    child.sendline("")
    for number, key in enumerate(["4", "2", "5", "1", "d"], start=1):
        answer(child, number, key)
    child.expect(r"\b6 of 33 ·")  # the fifth answer is on disk before the sixth question shows
    child.kill(signal.SIGKILL)
    child.close(force=True)
    assert stored(tmp_path) == dict(zip(ids, [4, 2, 5, 1, "dont-know"], strict=False))

    child = spawn(tmp_path)
    child.expect(words("Welcome back. You have answered 5 of 33 questions; 28 to go"))
    child.expect(words("Press Enter to carry on with question 6"))
    child.sendline("")
    answer(child, 6, "3")
    answer(child, 7, "b")  # back to question 6, which shows its answer
    child.expect(r"\b6 of 33 ·")
    child.expect(words("Your answer so far: 3 Neither agree nor disagree"))
    child.expect("Your answer: ")
    child.sendline("5")  # changed
    answer(child, 7, "seven")
    child.expect("'seven' is not an answer")
    child.expect("Your answer: ")
    child.sendline("a")
    child.expect("Type your note")
    child.sendline("Funding ends in March")
    child.expect("Note saved.")
    child.expect("Your answer: ")
    child.sendline("q")
    child.expect(words("Saved. You have answered 6 of 33 questions"))
    child.expect("To carry on later, run:  combmap assess -o org.yaml")
    assert finish(child) == 0
    answers = stored(tmp_path)
    assert answers == {**dict(zip(ids, [4, 2, 5, 1, "dont-know"], strict=False)), ids[5]: 5}
    data = yaml.safe_load((tmp_path / "org.yaml").read_text(encoding="utf-8"))
    assert data["assessment"]["respondents"][0]["notes"] == {ids[6]: "Funding ends in March"}
    assert data["assessment"]["position"] == ids[6]

    # Review from the start; Ctrl-C saves and says how to carry on.
    child = spawn(tmp_path)
    child.expect(words("answered 6 of 33"))
    child.expect(words("type r to look over your answers first"))
    child.sendline("r")
    child.expect(r"\b1 of 33 ·")
    child.expect(words("Your answer so far: 4 Agree"))
    child.expect("Your answer: ")
    child.sendline("")  # keep
    answer(child, 2, "1")  # change 2 → 1
    child.expect(r"\b3 of 33 ·")
    child.expect("Your answer: ")
    child.sendintr()
    child.expect(words("Saved. You have answered 6 of 33 questions"))
    child.expect("To carry on later")
    assert finish(child) == 130
    assert stored(tmp_path)[ids[1]] == 1
    assert len(stored(tmp_path)) == 6


def test_whole_questionnaire_to_the_summary(tmp_path: Path, onto: Ontology) -> None:
    child = spawn(tmp_path, "--respondent", "Sam")
    child.expect(words("What is your organisation called"))
    child.sendline("[red]Riverside[/red]")
    child.expect(words("what do you want your organisation to do"))
    child.expect("> ")
    child.sendline("")
    child.expect(words("Please write a sentence"))
    child.expect("> ")
    child.sendline("[bold]Run sessions[/bold]")
    child.expect_exact("this work means: [bold]Run sessions[/bold]")  # shown, not interpreted
    child.expect("Press Enter to start: ")
    child.sendline("")
    keys = ["1", "2", "4", "5", "s", "n", "3"] * 5
    for number in range(1, 34):
        answer(child, number, keys[number - 1])
    child.expect(words("You skipped 5 questions. Type y to answer now"))
    child.sendline("y")
    for number in (5, 12, 19, 26, 33):
        answer(child, number, "2")
    child.expect(words("what could your organisation use?"))
    child.expect("type l to do this later")
    child.sendline("l")
    child.expect("Your summary")
    child.expect(words("Barriers and strengths, by part of the COM-B model"))
    child.expect(words("What to work on first"))
    child.expect(words("What could help most"))
    child.expect(r"Your case file: .*org\.yaml")
    assert finish(child) == 0
    case = load_case(tmp_path / "org.yaml", onto)
    assert case.info.organisation == "[red]Riverside[/red]"
    assert case.behaviour.target == "[bold]Run sessions[/bold]"
    assert len(stored(tmp_path)) == 33
    assert make_plan(case, onto).functions

    # Running again on a finished file asks nothing and shows the summary.
    child = spawn(tmp_path)
    child.expect(words("Welcome back, Sam. You have answered 33 of 33 questions."))
    child.expect(words("Press Enter to see your summary"))
    child.sendline("")
    child.expect("type l to do this later")
    child.sendline("l")
    child.expect("Your summary")
    assert finish(child) == 0


def test_end_of_input_saves_and_exits_cleanly(tmp_path: Path) -> None:
    child = spawn(tmp_path, "--behaviour", "Run sessions", "--org", "X")
    child.expect("Press Enter to start: ")
    child.sendline("")
    answer(child, 1, "5")
    child.expect(r"\b2 of 33 ·")
    child.expect("Your answer: ")
    child.sendeof()
    child.expect(words("Saved. You have answered 1 of 33 questions"))
    assert finish(child) == 0
    assert list(stored(tmp_path).values()) == [5]


def test_apease_step_rules_out_coercion_and_marks_not_sure(tmp_path: Path, onto: Ontology) -> None:
    """Issue 12: options judged unacceptable never show again; 'not sure' is shown as such."""
    child = spawn(tmp_path, "--org", "Riverside Arts", "--behaviour", "Run weekly sessions")
    child.expect("Press Enter to start")
    child.sendline("")
    for number in range(1, 34):
        answer(child, number, "1")
    child.expect(words("what could your organisation use?"))
    child.expect("type l to do this later")
    child.sendline("")
    seen: dict[str, str] = {}
    while child.expect([r"Option (\d+) of (\d+) · ", "Your summary"]) == 0:
        child.expect("Your answer: ")
        shown = str(child.before)
        if "(Coercion)" in shown:
            child.sendline("n")
            child.expect("What rules it out")
            child.sendline("a")
            seen["coercion"] = "no"
        elif "(Enablement)" in shown:
            child.sendline("u")
            seen["enablement"] = "unsure"
        else:
            child.sendline("y")
    assert seen == {"coercion": "no", "enablement": "unsure"}
    child.expect(pexpect.EOF)
    summary = str(child.before)
    assert "Coercion" not in summary
    assert "penalise" not in summary.casefold()
    assert re.search(words("(Enablement) (you were not sure about this)"), summary)
    assert re.search(words("You ruled out 1 option"), summary)
    data = yaml.safe_load((tmp_path / "org.yaml").read_text(encoding="utf-8"))
    verdicts = data["options"]["apease"]
    assert verdicts["if:coercion"]["apease:acceptability"] == "fail"
    assert verdicts["if:coercion"]["apease:affordability"] == "pass"
    assert set(verdicts["if:enablement"].values()) == {"unsure"}
    plan = make_plan(load_case(tmp_path / "org.yaml", onto), onto)
    recommended = {f.id for f in plan.functions} | {t.id for t in plan.techniques}
    assert "if:coercion" not in recommended
    from typer.testing import CliRunner

    from combmap.cli import app

    result = CliRunner().invoke(app, ["plan", str(tmp_path / "org.yaml"), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    ranked = result.output.split("Excluded", 1)[0]
    assert "Coercion" not in ranked
    # The plan of a self-assessment is in plain words by default, and never names Coercion.
    result = CliRunner().invoke(app, ["plan", str(tmp_path / "org.yaml")])
    assert result.exit_code == 0, result.output
    assert "Coercion" not in result.output and "penalise" not in result.output.casefold()
    assert "(Enablement) (you were not sure about this)" in result.output
    assert "You ruled out 1 option" in result.output


def test_apease_step_resumes_where_it_stopped(tmp_path: Path) -> None:
    """Quitting during the APEASE step keeps the judgements made; the next run asks the rest."""
    child = spawn(tmp_path, "--behaviour", "Run weekly sessions")
    child.expect("What is your organisation called")
    child.sendline("")
    child.expect("Press Enter to start")
    child.sendline("")
    for number in range(1, 34):
        answer(child, number, "1")
    child.expect("type l to do this later")
    child.sendline("")
    child.expect(r"Option 1 of (\d+) · ")
    match = child.match
    assert isinstance(match, re.Match)
    total = int(match.group(1))
    child.expect("Your answer: ")
    child.sendline("y")
    child.expect(r"Option 2 of ")
    child.expect("Your answer: ")
    child.sendline("q")
    child.expect(pexpect.EOF)
    data = yaml.safe_load((tmp_path / "org.yaml").read_text(encoding="utf-8"))
    assert len(data["options"]["apease"]) == 1
    again = spawn(tmp_path)
    again.expect("see your summary")
    again.sendline("")
    again.expect("type l to do this later")
    again.sendline("")
    again.expect(rf"Option 1 of {total - 1} · ")
    again.expect("Your answer: ")
    again.sendline("q")
    again.expect(pexpect.EOF)
