"""Self-assessment: the question bank, the answer rule, sessions, merge, survey export/import."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from combmap import Ontology, OntologyError, load_case, load_ontology, make_plan
from combmap import assess as lib
from combmap import survey as surveys
from combmap.answers import read_answers
from combmap.case import case_from_document
from combmap.errors import AssessmentError
from combmap.schema import DONT_KNOW, NOT_APPLICABLE, Kind, ResponseModel
from combmap.yamlio.parser import parse_yaml

from .conftest import DATA, TINY
from .conftest import run_cli as run

ASSESS = DATA / "assess"


def entries(path: Path) -> dict[str, dict[str, object]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {b["id"]: b for b in data["barriers"]}


def answers_of(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    [person] = data["assessment"]["respondents"]
    return dict(person.get("answers", {}))


def plans(path: Path, onto: Ontology) -> None:
    """The generated case loads and plans: what `combmap plan` will do with it."""
    result = make_plan(load_case(path, onto), onto)
    assert result.functions


# --- The question bank ---------------------------------------------------------------------


def test_bank_covers_every_domain_twice_and_has_reverse_items(onto: Ontology) -> None:
    bank = lib.question_bank(onto)
    assert 30 <= len(bank.items) <= 36
    ids = [q.id for q in bank.items]
    assert len(ids) == len(set(ids))
    asked = Counter(d for q in bank.items for d in q.domains)
    for domain in onto.of_kind(Kind.DOMAIN):
        assert asked[domain.id] >= 2, domain.id
    reverse = sum(q.reverse for q in bank.items)
    assert 0.2 <= reverse / len(bank.items) <= 0.5
    sections = [q.section.value for q in bank.items]
    assert sections == sorted(sections, key=["capability", "opportunity", "motivation"].index)
    for question in bank.items:
        assert question.text.endswith(".") and len(question.text) < 200, question.id
        assert len(surveys.variable_name(question)) <= 26


def test_ontology_validate_counts_the_questions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ontology", "validate")
    assert code == 0
    assert "; 33 questions" in out


def test_questions_schema_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ontology", "schema", "questions")
    assert code == 0 and '"items"' in out


def _overlay(tmp_path: Path, text: str) -> Path:
    (tmp_path / "questions.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_overlay_adds_and_replaces_questions(tmp_path: Path) -> None:
    overlay = _overlay(
        tmp_path,
        "items:\n"
        "  - {id: q-know-duties, section: capability, text: Replaced., tdf: [tdf:knowledge],"
        " comb: [comb:psychological-capability], replaces: true}\n"
        "  - {id: q-new-thing, section: capability, text: New., tdf: [tdf:skills],"
        " comb: [comb:physical-capability]}\n",
    )
    bank = lib.question_bank(load_ontology(overlay))
    ids = [q.id for q in bank.items]
    assert ids[0] == "q-know-duties" and bank.items[0].text == "Replaced."
    capability = [q.id for q in bank.items if q.section.value == "capability"]
    assert capability[-1] == "q-new-thing"
    assert len(bank.items) == 34


@pytest.mark.parametrize(
    ("item", "path", "message"),
    [
        (
            "{id: q-x, section: capability, text: X., tdf: [tdf:knowlege], comb: [comb:psychological-capability]}",
            "items[0].tdf[0]",
            "unknown id 'tdf:knowlege'; did you mean 'tdf:knowledge'?",
        ),
        (
            "{id: q-x, section: capability, text: X., tdf: [tdf:knowledge], comb: [comb:physical-opportunity]}",
            "items[0].comb[0]",
            "'comb:physical-opportunity' is not what this question's TDF domains map to",
        ),
        (
            "{id: q-x, section: opportunity, text: X., tdf: [tdf:knowledge], comb: [comb:psychological-capability]}",
            "items[0].section",
            "section 'opportunity' does not match the question's COM-B components",
        ),
        (
            "{id: q-know-duties, section: capability, text: X., tdf: [tdf:knowledge], comb: [comb:psychological-capability]}",
            "items[0].id",
            "duplicate question id 'q-know-duties'",
        ),
        (
            "{id: q-x, section: capability, text: X., tdf: [tdf:knowledge], comb: [comb:capability]}",
            "items[0].comb[0]",
            "'comb:capability' is a COM-B source; code one of its components",
        ),
        (
            "{id: Q_X, section: capability, text: X., tdf: [tdf:knowledge], comb: [comb:psychological-capability]}",
            "items[0].id",
            "use 'q-' then lower-case letters",
        ),
    ],
)
def test_bad_overlay_question_gives_a_located_message(
    tmp_path: Path, item: str, path: str, message: str
) -> None:
    overlay = _overlay(tmp_path, f"items:\n  - {item}\n")
    with pytest.raises(OntologyError) as caught:
        load_ontology(overlay)
    [issue] = caught.value.issues
    assert issue.file == str(overlay / "questions.yaml")
    assert issue.line == 2
    assert issue.path == path
    assert message in issue.message


def test_thin_bank_fails_coverage_and_reverse_rules(tmp_path: Path) -> None:
    base = tmp_path / "base"
    shutil.copytree(TINY, base)
    (base / "questions.yaml").write_text(
        "scale: {points: [a, b, c, d, e]}\n"
        "items:\n"
        "  - {id: q-one, section: capability, text: One., tdf: [tdf:knowledge],"
        " comb: [comb:psychological-capability]}\n",
        encoding="utf-8",
    )
    with pytest.raises(OntologyError) as caught:
        load_ontology(base=base)
    messages = [i.message for i in caught.value.issues]
    assert any("'tdf:knowledge' is asked about by 1 question;" in m for m in messages)
    assert any("no question is reverse-keyed" in m for m in messages)
    assert all(i.path == "items" for i in caught.value.issues)


def test_ontology_without_a_bank_says_so(tiny: Ontology) -> None:
    with pytest.raises(AssessmentError, match="no question bank"):
        lib.question_bank(tiny)


# --- The answer rule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4", 4),
        (4, 4),
        ("4.0", 4),
        ("Strongly agree", 5),
        ("strongly  DISAGREE", 1),
        ("neither", 3),
        ("d", DONT_KNOW),
        ("Don’t know", DONT_KNOW),
        ("n/a", NOT_APPLICABLE),
        ("Does not apply to us", NOT_APPLICABLE),
        ("8", DONT_KNOW),
        ("9", NOT_APPLICABLE),
        ("", None),
        (None, None),
    ],
)
def test_parse_answer(onto: Ontology, text: object, expected: object) -> None:
    assert lib.parse_answer(text, lib.question_bank(onto).scale) == expected


@pytest.mark.parametrize("text", ["0", "6", "7", "maybe", True, "4 or 5"])
def test_parse_answer_refuses(onto: Ontology, text: object) -> None:
    with pytest.raises(AssessmentError, match="is not an answer; use 1 to 5"):
        lib.parse_answer(text, lib.question_bank(onto).scale)


def test_keys_at_the_keyboard(onto: Ontology) -> None:
    scale = lib.question_bank(onto).scale
    assert lib.parse_key(" 3 ", scale) == lib.Command("answer", 3)
    assert lib.parse_key("D", scale) == lib.Command("answer", DONT_KNOW)
    assert lib.parse_key("", scale).action == "keep"
    assert [lib.parse_key(k, scale).action for k in "bsaq?"] == [
        "back",
        "skip",
        "note",
        "quit",
        "help",
    ]
    with pytest.raises(AssessmentError, match="'9' is not an answer"):
        lib.parse_key("9", scale)  # REDCap codes are for files, never for a person typing


@pytest.mark.parametrize(
    ("answer", "reverse", "kind", "weight"),
    [
        (1, False, "barrier", 2),
        (2, False, "barrier", 1),
        (3, False, None, None),
        (4, False, "enabler", 1),
        (5, False, "enabler", 2),
        (DONT_KNOW, False, None, None),
        (NOT_APPLICABLE, False, None, None),
        (5, True, "barrier", 2),
        (2, True, "enabler", 1),
    ],
)
def test_one_answer_becomes_one_entry(
    onto: Ontology, answer: lib.Answer, reverse: bool, kind: str | None, weight: int | None
) -> None:
    bank = lib.question_bank(onto)
    question = next(q for q in bank.items if q.reverse == reverse)
    found = lib.case_entries(bank, [ResponseModel(answers={question.id: answer})])
    if kind is None:
        assert found == []
        return
    [entry] = found
    assert (entry["id"], entry["kind"], entry["weight"]) == (question.id, kind, weight)
    assert entry["tdf"] == list(question.domains) and entry["comb"] == list(question.components)
    assert "frequency" not in entry


def test_strong_disagreement_between_people_is_both(onto: Ontology) -> None:
    bank = lib.question_bank(onto)
    q = bank.items[0].id
    people = [
        ResponseModel(respondent="A", answers={q: 1}, notes={q: "no policy"}),
        ResponseModel(respondent="B", answers={q: 2}),
        ResponseModel(respondent="C", answers={q: 5}),
        ResponseModel(respondent="D", answers={q: DONT_KNOW}),
    ]
    [entry] = lib.case_entries(bank, people)
    assert entry["kind"] == "both"
    assert entry["frequency"] == 2 and entry["weight"] == 1.5  # barrier side: (2 + 1) / 2
    assert entry["evidence"] == ["A: no policy"]
    assert entry["text"].startswith(
        "1 × Strongly disagree, 1 × Disagree, 1 × Strongly agree, 1 × Don't know: "
    )
    agree = lib.case_entries(bank, [ResponseModel(answers={q: 4}), ResponseModel(answers={q: 5})])
    assert (agree[0]["kind"], agree[0]["frequency"], agree[0]["weight"]) == ("enabler", 2, 1.5)


# --- Sessions and the walk -----------------------------------------------------------------


def test_session_saves_and_resumes(tmp_path: Path, onto: Ontology) -> None:
    path = tmp_path / "org.yaml"
    session = lib.open_session(path, onto, organisation="Riverside", behaviour="Run sessions")
    walk = lib.Walk(session)
    first, second = session.bank.items[0].id, session.bank.items[1].id
    walk.answer(4)
    walk.note("a note")  # on the second question, now on screen
    walk.skip()
    assert path.exists()
    again = lib.open_session(path, onto)
    assert again.resumed
    assert again.answers == {first: 4}
    assert again.notes == {second: "a note"}
    assert again.skipped == [second]
    assert again.position == session.bank.items[2].id
    assert (again.organisation, again.behaviour) == ("Riverside", "Run sessions")
    assert lib.Walk(again).current == session.bank.items[2]


def test_walk_back_reviews_then_fills(tmp_path: Path, onto: Ontology) -> None:
    session = lib.open_session(tmp_path / "w.yaml", onto, behaviour="x")
    items = session.bank.items
    session.answers[items[5].id] = 3  # answered earlier, e.g. from a file: never asked again
    walk = lib.Walk(session)
    for value in (1, 2, 3):
        walk.answer(value)
    assert walk.number == 4
    assert walk.back() and walk.back()
    assert walk.number == 2
    walk.keep()  # Enter keeps the answer
    assert walk.number == 3
    walk.answer(5)  # changed
    assert walk.number == 4  # the first unanswered: back to filling
    walk.answer(4)
    assert walk.number == 5
    walk.answer(4)
    assert walk.number == 7  # question 6 was answered already
    with pytest.raises(AssessmentError, match="choose an answer"):
        walk.keep()
    assert session.answers[items[2].id] == 5
    first = lib.Walk(session)
    assert not (first.back() if first.pos == 0 else False)


def test_existing_case_is_never_overwritten(tmp_path: Path, onto: Ontology) -> None:
    case = tmp_path / "case.yaml"
    shutil.copy(DATA / "cases" / "tiny.yaml", case)
    before = case.read_bytes()
    with pytest.raises(AssessmentError, match="holds no self-assessment answers"):
        lib.open_session(case, onto)
    assert case.read_bytes() == before


def test_hand_edits_survive_a_resave(tmp_path: Path, onto: Ontology) -> None:
    path = tmp_path / "org.yaml"
    shutil.copy(ASSESS / "sam.yaml", path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["options"] = {"exclude": [{"id": "if:coercion", "reason": "not for us"}]}
    data["barriers"].append({"id": "own-entry", "text": "Added by hand.", "tdf": ["knowledge"]})
    data["behaviour"]["who"] = "Trustees and volunteers"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    session = lib.open_session(path, onto)
    session.answer("q-know-duties", 5)
    session.save()
    again = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert again["options"] == data["options"]
    assert again["behaviour"]["who"] == "Trustees and volunteers"
    ids = [b["id"] for b in again["barriers"]]
    assert "own-entry" in ids and ids.count("q-know-duties") == 1
    assert entries(path)["q-know-duties"]["kind"] == "enabler"
    plans(path, onto)


def test_same_answers_give_the_same_bytes(tmp_path: Path, onto: Ontology) -> None:
    given = read_answers(ASSESS / "answers.yaml", onto)
    reordered = lib.AnswerSet(
        dict(reversed(list(given.answers.items()))),
        given.notes,
        given.respondent,
        given.organisation,
        given.behaviour,
    )
    texts = []
    for name, answers in (("a", given), ("b", reordered)):
        session = lib.open_session(tmp_path / name / "org.yaml", onto)
        (tmp_path / name).mkdir()
        session.apply(answers)
        session.save()
        texts.append((tmp_path / name / "org.yaml").read_bytes())
    assert texts[0] == texts[1]
    assert b"20" not in texts[0].split(b"assessment:")[0].replace(b"2026", b"")  # no timestamps


# --- Non-interactive runs ------------------------------------------------------------------


def test_answers_from_yaml(
    tmp_path: Path, onto: Ontology, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "org.yaml"
    code, stdout, err = run(
        capsys, "assess", "--out", str(out), "--answers", str(ASSESS / "answers.yaml")
    )
    assert code == 0, err
    assert "You answered 33 of 33 questions (1 don't know, 1 does not apply to us)" in stdout
    assert "What to work on first" in stdout and str(out.resolve()) in stdout
    found = entries(out)
    assert found["q-know-duties"]["kind"] == "barrier"
    assert found["q-know-duties"]["evidence"] == [
        "We have a safeguarding policy but most volunteers have not read it."
    ]
    assert found["q-skills-evidence"]["kind"] == "barrier"  # reverse-keyed, strongly agree
    assert found["q-role-blurred"]["kind"] == "enabler"  # reverse-keyed, disagree
    assert "q-breg-review" not in found and "q-breg-records" not in found
    case = load_case(out, onto)
    assert case.info.organisation == "Riverside Arts"
    assert case.behaviour.target.startswith("Run weekly arts sessions")
    plans(out, onto)


def test_answers_from_csv(
    tmp_path: Path, onto: Ontology, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "org.yaml"
    code, _, err = run(
        capsys,
        "assess",
        "--out",
        str(out),
        "--answers",
        str(ASSESS / "answers.csv"),
        "--behaviour",
        "Run sessions",
    )
    assert code == 0, err
    assert answers_of(out) == {
        "q-know-duties": 1,
        "q-know-needs": 4,
        "q-skills-distress": 1,
        "q-env-funding": 5,
        "q-soc-health": 4,
        "q-int-decided": NOT_APPLICABLE,
        "q-emo-burnout": DONT_KNOW,
    }
    assert entries(out)["q-env-funding"]["evidence"] == ["One-year grants only"]
    plans(out, onto)


def test_answers_from_a_one_row_survey_csv(tmp_path: Path, onto: Ontology) -> None:
    wide = tmp_path / "one.csv"
    wide.write_text("respondent,q_know_duties,q_env_funding\nSam,2,agree\n", encoding="utf-8")
    given = read_answers(wide, onto)
    assert given.answers == {"q-know-duties": 2, "q-env-funding": 4}
    assert given.respondent == "Sam"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "answers-bad.yaml",
            [
                "answers-bad.yaml:3: answers.q-know-dutys: 'q-know-dutys' is not a question; did you mean 'q-know-duties'?",
                "answers-bad.yaml:4: answers.q-env-funding: '7' is not an answer; use 1 to 5",
                "answers-bad.yaml:5: answers.q-soc-health: 'maybe' is not an answer",
                "answers-bad.yaml:6: colour: unknown key 'colour'",
            ],
        ),
        (
            "answers-bad.csv",
            [
                "answers-bad.csv:3: 'q-know-dutys' is not a question; did you mean 'q-know-duties'?",
                "answers-bad.csv:4: q-env-funding: '0' is not an answer",
                "answers-bad.csv:5: q-know-duties: this question is answered twice",
            ],
        ),
    ],
)
def test_bad_answers_file_is_reported_with_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, expected: list[str]
) -> None:
    out = tmp_path / "org.yaml"
    code, _, err = run(capsys, "assess", "--out", str(out), "--answers", str(ASSESS / name))
    assert code == 1
    assert "Traceback" not in err
    lines = [
        line.strip().removeprefix("- ").replace(str(ASSESS) + "/", "") for line in err.splitlines()
    ]
    for message in expected:
        assert any(line.startswith(message) for line in lines), (message, err)
    assert not out.exists()  # nothing applied unless the whole file is good


def test_answers_piped_on_stdin(
    tmp_path: Path,
    onto: Ontology,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "org.yaml"
    code, stdout, err = run(
        capsys,
        "assess",
        "--out",
        str(out),
        "--behaviour",
        "Run sessions",
        stdin="4\n1\ns\na\nNo one is trained\n5\nb\n2\nd\nq\n4\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    ids = [q.id for q in lib.question_bank(onto).items]
    assert answers_of(out) == {ids[0]: 4, ids[1]: 1, ids[3]: 2, ids[4]: DONT_KNOW}
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["assessment"]["skipped"] == [ids[2]]
    assert data["assessment"]["respondents"][0]["notes"] == {ids[3]: "No one is trained"}
    assert "29 questions are still open" in stdout
    # Piping more lines carries on where it stopped, asking nothing already answered.
    code, _, err = run(capsys, "assess", "--out", str(out), stdin="3\n", monkeypatch=monkeypatch)
    assert code == 0, err
    assert answers_of(out)[ids[5]] == 3
    plans(out, onto)


def test_bad_piped_line_keeps_earlier_answers(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    onto: Ontology,
) -> None:
    out = tmp_path / "org.yaml"
    code, _, err = run(
        capsys, "assess", "--out", str(out), stdin="4\n2\nseven\n5\n", monkeypatch=monkeypatch
    )
    assert code == 1
    assert "Traceback" not in err
    assert "<stdin>:3: q-skills-distress: 'seven' is not an answer" in err
    assert list(answers_of(out).values()) == [4, 2]


def test_nothing_piped_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "org.yaml"
    code, _, err = run(capsys, "assess", "--out", str(out), stdin="", monkeypatch=monkeypatch)
    assert code == 1
    assert "standard input is not a terminal and nothing was piped in" in err
    assert not out.exists()


def test_assess_needs_an_out_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "assess")
    assert code == 2
    assert "combmap assess -o" in err


# --- Merge ---------------------------------------------------------------------------------


def test_merge_marks_disagreement(
    tmp_path: Path, onto: Ontology, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "riverside.yaml"
    code, _, err = run(
        capsys,
        "assess",
        "merge",
        str(ASSESS / "sam.yaml"),
        str(ASSESS / "alex.yaml"),
        "-o",
        str(out),
    )
    assert code == 0, err
    assert "2 respondents" in err and "3 with answers that point both ways" in err
    found = entries(out)
    assert found["q-know-duties"]["kind"] == "both"  # Sam 2, Alex 5
    assert found["q-env-funding"]["kind"] == "barrier" and found["q-env-funding"]["frequency"] == 2
    assert found["q-reinf-thanks"]["kind"] == "barrier"  # Sam n/a, Alex 1: only Alex counts
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    people = data["assessment"]["respondents"]
    assert [(p["respondent"], p["source"]) for p in people] == [
        ("Sam Patel", "sam.yaml"),
        ("Alex Jones", "alex.yaml"),
    ]
    case = load_case(out, onto)
    result = make_plan(case, onto)
    knowledge = next(p for p in result.priorities.domains if p.id == "tdf:knowledge")
    assert knowledge.conflicting
    # A merge of merges keeps everyone; resuming a merge is refused.
    again = tmp_path / "again.yaml"
    code, _, err = run(
        capsys, "assess", "merge", str(out), str(ASSESS / "alex.yaml"), "-o", str(again)
    )
    assert code == 0, err
    assert len(yaml.safe_load(again.read_text(encoding="utf-8"))["assessment"]["respondents"]) == 3
    with pytest.raises(AssessmentError, match="merged answers"):
        lib.open_session(out, onto)


def test_merge_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sam = tmp_path / "sam.yaml"
    shutil.copy(ASSESS / "sam.yaml", sam)
    code, _, err = run(
        capsys, "assess", "merge", str(sam), str(ASSESS / "alex.yaml"), "-o", str(sam)
    )
    assert code == 1 and "one of the files to merge" in err
    case = tmp_path / "case.yaml"
    shutil.copy(DATA / "cases" / "tiny.yaml", case)
    code, _, err = run(capsys, "assess", "merge", str(sam), "-o", str(case))
    assert code == 1 and "not a self-assessment" in err


def test_merge_reports_a_file_that_is_not_an_assessment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys,
        "assess",
        "merge",
        str(ASSESS / "sam.yaml"),
        str(DATA / "cases" / "tiny.yaml"),
        "-o",
        str(tmp_path / "m.yaml"),
    )
    assert code == 1
    assert "holds no self-assessment answers" in err and "Traceback" not in err


# --- Survey export and import --------------------------------------------------------------


def test_export_redcap_dictionary(onto: Ontology, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "assess", "export-questions", "--format", "redcap")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert tuple(rows[0]) == surveys.REDCAP_COLUMNS and len(rows[0]) == 18
    assert all(len(row) == 18 for row in rows)
    bank = lib.question_bank(onto)
    assert len(rows) == 1 + 4 + len(bank.items) + 1
    assert rows[1][:5] == ["record_id", surveys.REDCAP_FORM, "", "text", "Record ID"]
    names = [row[0] for row in rows[1:]]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,25}", name) for name in names)
    first = rows[5]
    assert first[0] == "q_know_duties" and first[3] == "radio"
    assert first[2] == lib.SECTION_TITLES[bank.items[0].section]
    assert first[5].startswith("1, Strongly disagree | 2, Disagree | ")
    assert first[5].endswith(" | 8, Don't know | 9, Does not apply to us")
    assert first[17] == "combmap: q-know-duties tdf:knowledge comb:psychological-capability"
    assert sum(1 for row in rows[1:] if row[2]) == 5  # about you, three sections, anything else


def test_export_csv_dictionary(
    onto: Ontology, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "questions.csv"
    code, _, _ = run(capsys, "assess", "export-questions", "-o", str(target))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == [q.id for q in lib.question_bank(onto).items]
    assert {r["reverse"] for r in rows} == {"yes", "no"}


def test_import_survey_reports_bad_rows_and_imports_good_ones(
    tmp_path: Path, onto: Ontology, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "assess", "import", str(ASSESS / "survey.csv"), "--out-dir", str(tmp_path)
    )
    assert code == 1
    assert "Traceback" not in err
    assert "column 'favourite_colour' is not a question" in err
    assert "4 rows of" in err
    for expected in (
        "survey.csv:3: row 2: q_skills_distress: '7' is not an answer",
        "survey.csv:4: row 3: has no answers",
        "survey.csv:5: row 4: has 18 cells but the header has 17 columns",
        "survey.csv:8: row 6: the record 'r1' is also on row 1",
    ):
        assert expected in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r1.yaml", "r5.yaml"]
    assert answers_of(tmp_path / "r1.yaml") == {
        "q-know-duties": 2,
        "q-skills-distress": 4,
        "q-env-funding": 5,
        "q-env-training": 1,
        "q-soc-health": DONT_KNOW,
        "q-soc-valued": NOT_APPLICABLE,
        "q-emo-burnout": 4,
        "q-int-decided": 5,
    }
    r5 = yaml.safe_load((tmp_path / "r5.yaml").read_text(encoding="utf-8"))
    assert r5["assessment"]["respondents"][0]["notes"] == {"q-know-duties": "Two lines\nof note"}
    assert r5["assessment"]["respondents"][0]["comments"] == "Thanks"
    for name in ("r1.yaml", "r5.yaml"):
        plans(tmp_path / name, onto)
    # Importing again never replaces a file silently.
    code, _, err = run(
        capsys, "assess", "import", str(ASSESS / "survey.csv"), "--out-dir", str(tmp_path)
    )
    assert code == 1 and "already exists; not replaced" in err


def test_redcap_round_trip(
    tmp_path: Path, onto: Ontology, capsys: pytest.CaptureFixture[str]
) -> None:
    """A survey built from the exported dictionary imports back to the same answers."""
    code, out, _ = run(capsys, "assess", "export-questions", "--format", "redcap")
    assert code == 0
    names = [row[0] for row in list(csv.reader(io.StringIO(out)))[1:]]
    bank = lib.question_bank(onto)
    codes = ["1", "2", "3", "4", "5", "8", "9"]
    values = {name: codes[i % 7] for i, name in enumerate(names) if name.startswith("q_")}
    row = {
        **values,
        "record_id": "7",
        "respondent": "Sam",
        "organisation": "Riverside",
        "behaviour": "Run sessions",
        "comments": "",
    }
    survey = tmp_path / "export.csv"
    with survey.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, [*names, f"{surveys.REDCAP_FORM}_complete"])
        writer.writeheader()
        writer.writerow({**row, f"{surveys.REDCAP_FORM}_complete": "2"})
    result = surveys.import_survey(survey, onto)
    assert not result.problems and not result.warnings
    [imported] = result.rows
    expected = {
        q.id: lib.parse_answer(values[surveys.variable_name(q)], bank.scale) for q in bank.items
    }
    assert imported.response.answers == expected
    session = surveys.survey_session(imported, tmp_path, onto)
    session.save()
    assert session.path.name == "7.yaml"
    plans(session.path, onto)


def test_survey_without_question_columns_is_refused(tmp_path: Path, onto: Ontology) -> None:
    survey = tmp_path / "s.csv"
    survey.write_text("name,age\nSam,40\n", encoding="utf-8")
    with pytest.raises(AssessmentError, match="has no question columns"):
        surveys.import_survey(survey, onto)


# --- Summary helpers -----------------------------------------------------------------------


def test_comb_profile_and_top_priorities(onto: Ontology) -> None:
    case = load_case(ASSESS / "sam.yaml", onto)
    rows = lib.comb_profile(case, onto)
    assert [r.id for r in rows] == [
        "comb:physical-capability",
        "comb:psychological-capability",
        "comb:physical-opportunity",
        "comb:social-opportunity",
        "comb:automatic-motivation",
        "comb:reflective-motivation",
    ]
    opportunity = next(r for r in rows if r.id == "comb:physical-opportunity")
    assert opportunity.barriers == 2 + 2 + 1  # funding 5 (rev), training 1, capacity 4 (rev)
    top = lib.top_priorities(make_plan(case, onto), case)
    assert top[0].id == "tdf:environmental-context-and-resources"
    assert all(p.barriers for p in top)


def test_fixture_cases_are_current(onto: Ontology, tmp_path: Path) -> None:
    """sam.yaml and alex.yaml are what `assess --answers` makes today (regenerate if not)."""
    for name, source in (("sam", "answers.yaml"), ("alex", "alex-answers.yaml")):
        session = lib.open_session(tmp_path / f"{name}.yaml", onto)
        session.apply(read_answers(ASSESS / source, onto))
        session.save()
        assert session.path.read_text(encoding="utf-8") == (ASSESS / f"{name}.yaml").read_text(
            encoding="utf-8"
        )
        case_from_document(parse_yaml(session.path.read_text(encoding="utf-8"), "x"), onto)


def test_answer_files_report_every_problem_in_one_run(tmp_path: Path, onto: Ontology) -> None:
    """Issue 15 item 7: a case-part problem does not hide an answers-part problem, and one
    question answered under two spellings is reported with the others."""
    from combmap.errors import AssessmentError

    saved = (ASSESS / "sam.yaml").read_text()
    broken = saved.replace("  coded_by:", "  coded_bye:", 1).replace("      q-know-needs: 4", "      q-know-needs: {x: 1}", 1)
    (tmp_path / "sam.yaml").write_text(broken)
    with pytest.raises(AssessmentError) as caught:
        read_answers(tmp_path / "sam.yaml", onto)
    paths = [i.path for i in caught.value.issues]
    assert any(p.endswith("coded_bye") for p in paths) and any("q-know-needs" in p for p in paths), paths
    lines = [i.line or 0 for i in caught.value.issues]
    assert lines == sorted(lines)
    (tmp_path / "answers.yaml").write_text("answers:\n  q-know-duties: 2\n  q_know_duties: 4\n  q-nope: 3\n")
    with pytest.raises(AssessmentError) as caught:
        read_answers(tmp_path / "answers.yaml", onto)
    assert [(i.line, i.message.split(" (")[0].split(";")[0]) for i in caught.value.issues] == [
        (3, "'q-know-duties' is answered twice"),
        (4, caught.value.issues[1].message.split(" (")[0].split(";")[0]),
    ]
