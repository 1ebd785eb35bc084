"""Survey exports as the platforms write them (issue 15 item 2).

Each fixture follows the vendor's documented layout: REDCap "CSV (raw)" and "CSV (labels)",
Qualtrics' three header rows (names, question text, ImportId), Google Forms (Timestamp, then
question text), Microsoft Forms (ID, Start time, Completion time, Email, Name, then question
text; .xlsx is its only download), and the same as .xlsx.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from combmap import Ontology, survey
from combmap import assess as lib
from combmap.errors import AssessmentError
from combmap.ontology import QuestionBank

ANSWERS = (4, 2, "dont-know", 5)


def _bank(onto: Ontology) -> QuestionBank:
    return lib.question_bank(onto)


def _label(bank: QuestionBank, answer: int | str) -> str:
    return lib.answer_label(answer, bank.scale)


def _write(path: Path, rows: list[list[str]]) -> Path:
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        for row in rows:
            book.active.append(row)
        book.save(path)
    else:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    return path


def _layout(fmt: str, bank: QuestionBank) -> list[list[str]]:
    questions = bank.items[: len(ANSWERS)]
    texts = [q.text for q in questions]
    names = [survey.variable_name(q) for q in questions]
    labels = [_label(bank, a) for a in ANSWERS]
    codes = [str(a) if isinstance(a, int) else "8" for a in ANSWERS]
    if fmt == "redcap":
        return [
            ["record_id", "redcap_survey_identifier", "combmap_self_assessment_timestamp", "respondent", *names, "combmap_self_assessment_complete"],
            ["r1", "", "2026-01-02 10:00", "Sam", *codes, "2"],
            ["r2", "", "2026-01-02 11:00", "Alex", *codes, "2"],
        ]
    if fmt == "redcap-labels":
        return [
            ["Record ID", "Survey Identifier", "Survey Timestamp", "Your name (optional)", *texts, "Complete?"],
            ["r1", "", "2026-01-02 10:00", "Sam", *labels, "Complete"],
            ["r2", "", "2026-01-02 11:00", "Alex", *labels, "Complete"],
        ]
    if fmt == "qualtrics":
        meta = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "DistributionChannel", "UserLanguage"]
        tags = [f"Q{i}" for i in range(1, len(texts) + 1)]
        row2 = ["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)", "Finished", "Recorded Date", "Response ID", "Recipient Last Name", "Distribution Channel", "User Language", *texts]
        row3 = [json.dumps({"ImportId": name}) for name in [*meta, *tags]]
        values = ["2026-01-02", "2026-01-02", "0", "", "100", "60", "1", "2026-01-02", "", "", "anonymous", "EN"]
        r1, r2 = list(values), list(values)
        r1[8], r2[8] = "R_1abc", "R_2def"
        numeric = [str(a) if isinstance(a, int) else "6" for a in ANSWERS]  # Qualtrics numbers 1-7
        return [[*meta, *tags], row2, row3, [*r1, *numeric], [*r2, *labels]]
    if fmt == "google-forms":
        return [
            ["Timestamp", "Email Address", *texts],
            ["2026/01/02 10:00:00 AM GMT", "sam@example.org", *labels],
            ["2026/01/02 11:00:00 AM GMT", "alex@example.org", *labels],
        ]
    if fmt == "microsoft-forms":
        return [
            ["ID", "Start time", "Completion time", "Email", "Name", *texts],
            ["1", "1/2/26 10:00:00", "1/2/26 10:05:00", "anonymous", "", *labels],
            ["2", "1/2/26 11:00:00", "1/2/26 11:05:00", "anonymous", "", *labels],
        ]
    raise AssertionError(fmt)


FORMATS = ["redcap", "redcap-labels", "qualtrics", "google-forms", "microsoft-forms"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_each_platform_export_is_detected_and_read(fmt: str, suffix: str, tmp_path: Path, onto: Ontology) -> None:
    bank = _bank(onto)
    path = _write(tmp_path / f"{fmt}{suffix}", _layout(fmt, bank))
    result = survey.import_survey(path, onto)
    assert result.format == fmt
    assert result.problems == () and result.warnings == ()
    expected = {q.id: a for q, a in zip(bank.items, ANSWERS, strict=False)}
    assert [r.response.answers for r in result.rows] == [expected, expected]
    if fmt == "qualtrics":
        assert [r.name for r in result.rows] == ["r-1abc", "r-2def"]
        assert [r.row for r in result.rows] == [1, 2]


def test_an_unrecognised_header_names_the_formats(tmp_path: Path, onto: Ontology) -> None:
    path = _write(tmp_path / "x.csv", [["Name", "Age"], ["Sam", "40"]])
    with pytest.raises(AssessmentError) as caught:
        survey.import_survey(path, onto)
    message = caught.value.message
    for words in ("REDCap", "Qualtrics", "Google Forms", "Microsoft Forms", ".xlsx", "'Name'"):
        assert words in message


def test_qualtrics_txt_export_is_advanced_format(onto: Ontology) -> None:
    bank = _bank(onto)
    text = survey.export_questions(bank, "qualtrics")
    lines = text.splitlines()
    assert lines[0] == "[[AdvancedFormat]]"
    assert text.count("[[Question:MC:SingleAnswer:Horizontal]]") == len(bank.items)
    assert f"[[ID:{survey.variable_name(bank.items[0])}]]" in text
    assert text.count("[[Block:") == 4  # about you, and the three COM-B sections
    assert "[[Question:TE:Essay]]" in text


def test_a_qualtrics_survey_built_from_the_export_imports_by_its_tags(tmp_path: Path, onto: Ontology) -> None:
    bank = _bank(onto)
    names = [survey.variable_name(q) for q in bank.items[:2]]
    path = _write(
        tmp_path / "q.csv",
        [["ResponseId", "respondent", *names], ["Response ID", "Your name (optional)", *(q.text for q in bank.items[:2])], ["R_9", "Jo", "1", "7"]],
    )
    result = survey.import_survey(path, onto)
    assert result.rows[0].response.answers == {bank.items[0].id: 1, bank.items[1].id: "not-applicable"}
    assert result.rows[0].response.respondent == "Jo"
