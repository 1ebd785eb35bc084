"""Online surveys: the question bank as a survey-tool data dictionary, and exports back in.

`export_questions` writes the items as a plain CSV or a REDCap data dictionary;
`import_survey` reads an export (one row per respondent) into one self-assessment session
each, reporting bad rows instead of stopping. The answer rule is the self-assessment's own
(combmap/assess.py), so a survey respondent's case equals one made in the terminal.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from combmap.assess import (
    BEHAVIOUR_EXAMPLE,
    BEHAVIOUR_QUESTION,
    META_KEYS,
    REDCAP_DONT_KNOW,
    REDCAP_NOT_APPLICABLE,
    SECTION_TITLES,
    Answer,
    Session,
    csv_rows,
    parse_answer,
    question_bank,
    question_id,
    slugify,
)
from combmap.errors import AssessmentError, Issue
from combmap.ontology import Ontology, Question, QuestionBank
from combmap.schema import ResponseModel, ScaleModel, Section
from combmap.yamlio import read_text

#: Form (instrument) name in the REDCap data dictionary.
REDCAP_FORM = "combmap_self_assessment"


#: The 18 columns of a REDCap data dictionary, in REDCap's order.
REDCAP_COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
#: Survey columns that are not questions.
_RECORD = ("record_id", "respondent_id", "response_id", "id")
_SURVEY_META = {
    "respondent": "respondent",
    "organisation": "organisation",
    "behaviour": "behaviour",
    "comments": "comments",
}
_IGNORED = re.compile(
    r"^(redcap_[a-z_]+|.*_timestamp|.*_complete|timestamp|start ?date|end ?date|submit ?date)$"
)


def variable_name(question: Question) -> str:
    """The question's REDCap variable name: its id with underscores."""
    return question.id.replace("-", "_")


def _choices(scale: ScaleModel, sep: str, pair: str) -> str:
    choices = [f"{i}{pair}{label}" for i, label in enumerate(scale.points, start=1)]
    choices.append(f"{REDCAP_DONT_KNOW}{pair}{scale.dont_know}")
    choices.append(f"{REDCAP_NOT_APPLICABLE}{pair}{scale.not_applicable}")
    return sep.join(choices)


def _csv(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def export_questions(bank: QuestionBank, format: Literal["csv", "redcap"]) -> str:
    """The question bank as a survey data dictionary: plain CSV, or REDCap's 18 columns.

    The REDCap dictionary has a record id, the respondent, organisation and behaviour, one
    radio field per question (8 = don't know, 9 = not applicable) and a comments box; the
    Field Annotation carries each question's codes so the export is self-describing.
    """
    if format == "csv":
        rows: list[Sequence[str]] = [
            ("variable", "id", "section", "text", "help", "reverse", "tdf", "comb", "choices")
        ]
        for q in bank.items:
            rows.append(
                (
                    variable_name(q),
                    q.id,
                    q.section.value,
                    q.text,
                    q.help or "",
                    "yes" if q.reverse else "no",
                    " ".join(q.domains),
                    " ".join(q.components),
                    _choices(bank.scale, "; ", "="),
                )
            )
        return _csv(rows)
    blank = [""] * len(REDCAP_COLUMNS)

    def field_row(name: str, kind: str, label: str, **extra: str) -> list[str]:
        row = list(blank)
        row[0], row[1], row[3], row[4] = name, REDCAP_FORM, kind, label
        columns = {"section": 2, "choices": 5, "note": 6, "identifier": 10, "annotation": 17}
        for key, value in extra.items():
            row[columns[key]] = value
        return row

    out = [list(REDCAP_COLUMNS), field_row("record_id", "text", "Record ID")]
    out.append(
        field_row(
            "respondent",
            "text",
            "Your name (optional)",
            section="About you and your organisation",
            identifier="y",
        )
    )
    out.append(field_row("organisation", "text", "Your organisation's name"))
    out.append(field_row("behaviour", "notes", BEHAVIOUR_QUESTION, note=BEHAVIOUR_EXAMPLE))
    choices = _choices(bank.scale, " | ", ", ")
    section: Section | None = None
    for q in bank.items:
        header = SECTION_TITLES[q.section] if q.section != section else ""
        section = q.section
        codes = " ".join(
            (q.id, *q.domains, *q.components, *(("reverse-keyed",) if q.reverse else ()))
        )
        out.append(
            field_row(
                variable_name(q),
                "radio",
                q.text,
                section=header,
                choices=choices,
                note=q.help or "",
                annotation=f"combmap: {codes}",
            )
        )
    out.append(
        field_row(
            "comments",
            "notes",
            "Is there anything else you would like to add?",
            section="Anything else",
        )
    )
    return _csv(out)


@dataclass(frozen=True)
class SurveyRow:
    """One respondent's row of a survey export."""

    row: int
    line: int
    name: str
    response: ResponseModel
    organisation: str | None = None
    behaviour: str | None = None


@dataclass(frozen=True)
class SurveyImport:
    """The good rows of a survey, the bad ones (with row numbers) and column warnings."""

    rows: tuple[SurveyRow, ...]
    problems: tuple[Issue, ...]
    warnings: tuple[str, ...]


def import_survey(path: Path, ontology: Ontology) -> SurveyImport:
    """Read a survey export: one row per respondent, one column per question.

    Columns are question ids or REDCap variable names (`q_know_duties`), optionally a
    `<question>_note` column, plus record_id, respondent, organisation, behaviour, comments;
    REDCap's own columns (`*_timestamp`, `*_complete`, `redcap_*`) are ignored. A bad row is
    reported with its number and left out; the other rows are still read.

    Raises:
        AssessmentError: the file has no question columns, or two columns for one question.
        InputError: the file cannot be read.
    """
    bank = question_bank(ontology)
    return import_survey_text(read_text(path, what="survey file"), str(path), bank)


def import_survey_text(text: str, file: str, bank: QuestionBank) -> SurveyImport:
    """`import_survey` on text already read."""
    rows = csv_rows(text)
    while rows and not any(cell.strip() for cell in rows[0][1]):
        rows.pop(0)
    if not rows:
        raise AssessmentError(f"{file} is empty; expected a header row and one row per respondent")
    header = rows[0][1]
    roles: list[tuple[str, str | None]] = []  # (role, question id) per column
    warnings: list[str] = []
    taken: dict[tuple[str, str | None], str] = {}
    for cell in header:
        name = cell.strip().lstrip("\ufeff")
        key = name.casefold()
        found = question_id(name, bank)
        note_of = re.fullmatch(r"(.+?)[_-]note", key)
        if found is not None:
            assigned: tuple[str, str | None] = ("answer", found)
        elif note_of and question_id(note_of.group(1), bank) is not None:
            assigned = ("note", question_id(note_of.group(1), bank))
        elif key in _RECORD:
            assigned = ("record", None)
        elif META_KEYS.get(key) in _SURVEY_META:
            assigned = (META_KEYS[key], None)
        elif not key or _IGNORED.match(key):
            assigned = ("ignore", None)
        else:
            assigned = ("ignore", None)
            warnings.append(f"column {name!r} is not a question; it is ignored")
        if assigned[0] != "ignore" and assigned in taken:
            raise AssessmentError(
                f"{file}: the columns {taken[assigned]!r} and {name!r} are the same question or field"
            )
        taken.setdefault(assigned, name)
        roles.append(assigned)
    if not any(role == "answer" for role, _ in roles):
        raise AssessmentError(
            f"{file} has no question columns; its header should name the questions "
            "(see `combmap assess export-questions`)"
        )
    good: list[SurveyRow] = []
    problems: list[Issue] = []
    names: dict[str, int] = {}
    for number, (line, cells) in enumerate(rows[1:], start=1):
        if not any(cell.strip() for cell in cells):
            continue
        where = f"row {number}"
        if len(cells) > len(roles):
            message = f"has {len(cells)} cells but the header has {len(roles)} columns"
            problems.append(Issue(file, line, where, message))
            continue
        answers: dict[str, Answer] = {}
        notes: dict[str, str] = {}
        meta: dict[str, str] = {}
        bad: list[str] = []
        for (role, qid), cell in zip(roles, cells, strict=False):
            value = cell.strip()
            if role == "answer" and qid is not None:
                try:
                    answer = parse_answer(value, bank.scale)
                except AssessmentError as error:
                    bad.append(f"{variable_name(bank.get(qid) or _stub(qid))}: {error.message}")
                    continue
                if answer is not None:
                    answers[qid] = answer
            elif role == "note" and qid is not None and value:
                notes[qid] = value
            elif role not in ("ignore", "answer", "note") and value:
                meta[role] = value
        if bad:
            problems.append(Issue(file, line, where, "; ".join(bad)))
            continue
        if not answers:
            problems.append(Issue(file, line, where, "has no answers"))
            continue
        record = meta.get("record") or meta.get("respondent") or ""
        name = slugify(record) or f"respondent-{number}"
        if name in names:
            message = f"the record {record or name!r} is also on row {names[name]}"
            problems.append(Issue(file, line, where, message))
            continue
        names[name] = number
        response = ResponseModel(
            respondent=meta.get("respondent"),
            source=f"{Path(file).name}, {where}",
            answers=answers,
            notes=notes,
            comments=meta.get("comments"),
        )
        good.append(
            SurveyRow(number, line, name, response, meta.get("organisation"), meta.get("behaviour"))
        )
    return SurveyImport(tuple(good), tuple(problems), tuple(warnings))


def _stub(question_id: str) -> Question:
    return Question(question_id, "", Section.CAPABILITY, (), (), False, None, "")


def survey_session(row: SurveyRow, directory: Path, ontology: Ontology) -> Session:
    """A session for one survey row, to be saved as `<directory>/<row.name>.yaml`."""
    session = Session(
        bank=question_bank(ontology),
        path=directory / f"{row.name}.yaml",
        ontology_version=ontology.version,
        respondent=row.response.respondent,
        answers=dict(row.response.answers),
        notes=dict(row.response.notes),
        comments=row.response.comments,
    )
    session.set_organisation(row.organisation)
    session.set_behaviour(row.behaviour)
    return session
