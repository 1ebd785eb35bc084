"""Online surveys: the question bank as a survey-tool data dictionary, and exports back in.

`export_questions` writes the items as a plain CSV or a REDCap data dictionary;
`import_survey` reads an export (one row per respondent) into one self-assessment session
each, reporting bad rows instead of stopping. The answer rule is the self-assessment's own
(combmap/assess.py), so a survey respondent's case equals one made in the terminal.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from combmap.assess import (
    BEHAVIOUR_EXAMPLE,
    BEHAVIOUR_QUESTION,
    META_KEYS,
    REDCAP_DONT_KNOW,
    REDCAP_NOT_APPLICABLE,
    SECTION_TITLES,
    Answer,
    Session,
    parse_answer,
    question_bank,
    question_id,
    slugify,
)
from combmap.errors import AssessmentError, Issue
from combmap.ontology import Ontology, Question, QuestionBank
from combmap.schema import ResponseModel, ScaleModel, Section

if TYPE_CHECKING:
    from combmap.tabular import Row, Table

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
    clean = _redcap_label if sep.strip() == "|" else str
    choices = [f"{i}{pair}{clean(label)}" for i, label in enumerate(scale.points, start=1)]
    choices.append(f"{REDCAP_DONT_KNOW}{pair}{clean(scale.dont_know)}")
    choices.append(f"{REDCAP_NOT_APPLICABLE}{pair}{clean(scale.not_applicable)}")
    return sep.join(choices)


def _csv(rows: Iterable[Sequence[str]]) -> str:
    from combmap.tabular import csv_text

    return csv_text(rows)


def export_questions(bank: QuestionBank, format: Literal["csv", "redcap", "qualtrics"]) -> str:
    """The question bank as a survey: a plain CSV or REDCap dictionary, or Qualtrics TXT.

    The Qualtrics file is its Advanced Format (Survey > Tools > Import/Export > Import Survey).

    The REDCap dictionary has a record id, the respondent, organisation and behaviour, one
    radio field per question (8 = don't know, 9 = not applicable) and a comments box; the
    Field Annotation carries each question's codes so the export is self-describing.
    """
    if format == "qualtrics":
        return qualtrics_txt(bank)
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


#: Survey formats combmap recognises from the header row, with the words used in messages.
FORMATS = {
    "combmap": "combmap's own columns (question ids)",
    "redcap": "REDCap records, raw",
    "redcap-labels": "REDCap records, labels (CSV (labels))",
    "qualtrics": "Qualtrics responses (three header rows)",
    "google-forms": "Google Forms responses",
    "microsoft-forms": "Microsoft Forms responses",
}
#: At most this many bad rows are listed; the rest are counted.
MAX_PROBLEMS = 200
#: Longest free-text answer kept, the case file's own limit for text.
MAX_TEXT = 20_000
#: Columns a survey platform adds on its own: not questions, and not worth a warning.
_PLATFORM_COLUMNS = {
    "qualtrics": {
        "startdate", "enddate", "status", "ipaddress", "progress", "duration (in seconds)",
        "finished", "recordeddate", "recipientlastname", "recipientfirstname",
        "recipientemail", "externalreference", "locationlatitude", "locationlongitude",
        "distributionchannel", "userlanguage", "q_recaptchascore", "q_relevantidduplicate",
    },
    "google-forms": {"timestamp", "email address", "score", "horodateur", "marca temporal"},
    "microsoft-forms": {
        "start time", "completion time", "email", "last modified time", "total points",
        "quiz feedback",
    },
    "redcap-labels": {"survey identifier", "survey timestamp", "complete?"},
}
#: Qualtrics' default numbering of combmap's seven choices (1-5, then don't know, not applicable).
_QUALTRICS_CODES = {"6": str(REDCAP_DONT_KNOW), "7": str(REDCAP_NOT_APPLICABLE)}


def _qualtrics_text(text: str) -> str:
    """One line of Qualtrics Advanced Format text: no line breaks, no `[[` that starts a tag."""
    return " ".join(text.split()).replace("[[", "[ [")


def qualtrics_txt(bank: QuestionBank) -> str:
    """The questions in Qualtrics' Advanced Format TXT: one block per section.

    Each question's ID is its REDCap variable name, so the responses export names its columns
    the way `combmap assess import` reads them. Qualtrics numbers the seven choices 1 to 7 in
    order; the import reads 6 as don't know and 7 as not applicable, and reads choice text
    as well.
    """
    lines = ["[[AdvancedFormat]]", "", "[[Block:About you and your organisation]]", ""]

    def text_entry(name: str, kind: str, label: str) -> None:
        lines.extend([f"[[Question:TE:{kind}]]", f"[[ID:{name}]]", _qualtrics_text(label), ""])

    text_entry("respondent", "SingleLine", "Your name (optional)")
    text_entry("organisation", "SingleLine", "Your organisation's name")
    text_entry("behaviour", "Essay", f"{BEHAVIOUR_QUESTION} {BEHAVIOUR_EXAMPLE}")
    scale = bank.scale
    choices = [*scale.points, scale.dont_know, scale.not_applicable]
    section: Section | None = None
    for q in bank.items:
        if q.section != section:
            section = q.section
            lines.extend([f"[[Block:{_qualtrics_text(SECTION_TITLES[q.section])}]]", ""])
        lines.extend(
            [
                "[[Question:MC:SingleAnswer:Horizontal]]",
                f"[[ID:{variable_name(q)}]]",
                _qualtrics_text(q.text),
                "[[Choices]]",
                *(_qualtrics_text(c) for c in choices),
                "",
            ]
        )
    text_entry("comments", "Essay", "Is there anything else you would like to add?")
    return "\n".join(lines)


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
    format: str = "combmap"
    more_problems: int = 0


def import_survey(path: Path, ontology: Ontology) -> SurveyImport:
    """Read a survey export: one row per respondent, one column per question.

    Read as they come (CSV in any of comma, semicolon or tab; UTF-8 or UTF-16; or .xlsx):
    REDCap raw and labels exports, Qualtrics (three header rows, `ResponseId`), Google Forms
    and Microsoft Forms. The format is told from the header. Columns are matched to questions
    by id, REDCap variable name (`q_know_duties`) or question text; a `<question>_note`
    column holds a note. A bad row is reported with its number and left out; the other rows
    are still read.

    Raises:
        AssessmentError: the file has no question columns, or two columns for one question.
        InputError: the file cannot be read.
    """
    from combmap.tabular import read_table

    bank = question_bank(ontology)
    return import_survey_table(read_table(path, what="survey file"), bank)


def import_survey_text(text: str, file: str, bank: QuestionBank) -> SurveyImport:
    """`import_survey` on CSV text already read."""
    from combmap.errors import InputError
    from combmap.tabular import csv_table

    try:
        table = csv_table(text, file)
    except InputError as error:
        raise AssessmentError(error.message, error.issues) from None
    return import_survey_table(table, bank)


def detect_format(header: Sequence[str]) -> str:
    """The survey platform a header row comes from (a key of FORMATS)."""
    keys = {cell.strip().casefold() for cell in header}
    if "responseid" in keys or "_recordid" in keys:
        return "qualtrics"
    if "record_id" in keys or any(k.startswith("redcap_") for k in keys):
        return "redcap"
    if "record id" in keys:
        return "redcap-labels"
    if {"start time", "completion time"} <= keys:
        return "microsoft-forms"
    if "timestamp" in keys or "horodateur" in keys or "marca temporal" in keys:
        return "google-forms"
    return "combmap"


class _Columns:
    """What each column of a survey is, matched by id, variable name or text."""

    def __init__(self, bank: QuestionBank) -> None:
        self.bank = bank
        self.by_text = {_text_key(q.text): q.id for q in bank.items}
        self.meta_text = {
            _text_key("Record ID"): "record",
            _text_key("Response ID"): "record",
            _text_key("Your name (optional)"): "respondent",
            _text_key("Your organisation's name"): "organisation",
            _text_key(BEHAVIOUR_QUESTION): "behaviour",
            _text_key("Is there anything else you would like to add?"): "comments",
        }

    def question(self, name: str) -> str | None:
        found = question_id(name, self.bank)
        if found is not None:
            return found
        key = _text_key(name)
        found = self.by_text.get(key)
        if found is None:
            grid = re.fullmatch(r".*\[(.+)\]", name.strip())  # Google Forms grid: "Title [row]"
            if grid:
                found = question_id(grid.group(1), self.bank) or self.by_text.get(
                    _text_key(grid.group(1))
                )
        return found

    def role(self, name: str, fmt: str) -> tuple[str, str | None] | None:
        key = name.casefold()
        found = self.question(name)
        if found is not None:
            return ("answer", found)
        note_of = re.fullmatch(r"(.+?)[_-]note", key)
        if note_of and self.question(note_of.group(1)) is not None:
            return ("note", self.question(note_of.group(1)))
        if key in _RECORD or (fmt == "qualtrics" and key == "responseid"):
            return ("record", None)
        if fmt == "microsoft-forms" and key == "name":
            return ("respondent", None)
        if META_KEYS.get(key) in _SURVEY_META:
            return (META_KEYS[key], None)
        meta = self.meta_text.get(_text_key(name))
        if meta is not None:
            return (meta, None)
        if not key or _IGNORED.match(key) or key in _PLATFORM_COLUMNS.get(fmt, ()):
            return ("ignore", None)
        return None


def _text_key(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").casefold()
    return re.sub(r"[^\w]+", " ", text).strip()


def _unrecognised(file: str, header: Sequence[str]) -> AssessmentError:
    shown = ", ".join(repr(c) for c in header[:5]) + (", ..." if len(header) > 5 else "")
    known = "; ".join(FORMATS.values())
    return AssessmentError(
        f"{file} has no question columns, so combmap cannot tell what it is (its header starts "
        f"{shown}). combmap reads: {known}; as CSV or .xlsx. Build the survey from "
        "`combmap assess export-questions` so its columns name the questions"
    )


def import_survey_table(table: Table, bank: QuestionBank) -> SurveyImport:
    """`import_survey` on a table already opened; rows are read one at a time."""
    file = table.file
    header = [cell.strip().lstrip("\ufeff") for cell in table.header]
    fmt = detect_format(header)
    columns = _Columns(bank)
    rows: Iterator[Row] = table.rows
    texts: list[str] = []
    if fmt == "qualtrics":  # rows 2 and 3: question texts and ImportIds, read before the data
        first: list[Row] = []
        for row in rows:
            if not _qualtrics_header_row(row.cells):
                first.append(row)
                break
            if not texts and not any(c.strip().startswith('{"ImportId"') for c in row.cells):
                texts = row.cells
        rows = itertools.chain(first, rows)
    roles: list[tuple[str, str | None]] = []  # (role, question id) per column
    warnings: list[str] = []
    taken: dict[tuple[str, str | None], str] = {}
    for index, name in enumerate(header):
        assigned = columns.role(name, fmt)
        if (assigned is None or assigned[0] == "ignore") and index < len(texts):
            assigned = columns.role(texts[index].strip(), fmt) or assigned
        if assigned is None:
            assigned = ("ignore", None)
            warnings.append(f"column {name!r} is not a question; it is ignored")
        if assigned[0] != "ignore" and assigned in taken:
            raise AssessmentError(
                f"{file}: the columns {taken[assigned]!r} and {name!r} are the same question or field"
            )
        taken.setdefault(assigned, name)
        roles.append(assigned)
    if not any(role == "answer" for role, _ in roles):
        raise _unrecognised(file, header)
    labels = _exported_labels(bank.scale)
    parsed: dict[str, Answer | _Bad | None] = {}  # each distinct cell text is parsed once
    good: list[SurveyRow] = []
    problems: list[Issue] = []
    more = 0
    names: dict[str, int] = {}
    number = 0

    def problem(line: int, where: str, message: str) -> None:
        nonlocal more
        if len(problems) < MAX_PROBLEMS:
            name, at = table.where(line)
            problems.append(Issue(name, at, where, message))
        else:
            more += 1

    for row in rows:
        cells = row.cells
        if not any(cell.strip() for cell in cells):
            continue
        number += 1
        where = f"row {number}"
        if len(cells) > len(roles):
            problem(row.line, where, f"has {len(cells)} cells but the header has {len(roles)} columns")
            continue
        answers: dict[str, Answer] = {}
        notes: dict[str, str] = {}
        meta: dict[str, str] = {}
        bad: list[str] = []
        for (role, qid), cell in zip(roles, cells, strict=False):
            value = cell.strip()
            if role == "ignore":
                continue
            if len(value) > MAX_TEXT:
                bad.append(
                    f"{_column_name(role, qid, bank)}: {len(value):,} characters; combmap keeps up to {MAX_TEXT:,}"
                )
                continue
            if role == "answer" and qid is not None:
                if fmt == "qualtrics":
                    value = _QUALTRICS_CODES.get(value, value)
                value = labels.get(value, value)
                if value in parsed:
                    outcome = parsed[value]
                else:
                    try:
                        outcome = parse_answer(value, bank.scale)
                    except AssessmentError as error:
                        outcome = _Bad(error.message)
                    if len(parsed) < 10_000:
                        parsed[value] = outcome
                if isinstance(outcome, _Bad):
                    bad.append(f"{_column_name(role, qid, bank)}: {outcome.message}")
                    continue
                answer = outcome
                if answer is not None:
                    answers[qid] = answer
            elif role == "note" and qid is not None and value:
                notes[qid] = value
            elif value:
                meta[role] = value
        if bad:
            problem(row.line, where, "; ".join(bad))
            continue
        if not answers:
            problem(row.line, where, "has no answers")
            continue
        record = meta.get("record") or meta.get("respondent") or ""
        name = slugify(record) or f"respondent-{number}"
        if name in names:
            problem(row.line, where, f"the record {record or name!r} is also on row {names[name]}")
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
            SurveyRow(number, row.line, name, response, meta.get("organisation"), meta.get("behaviour"))
        )
    return SurveyImport(tuple(good), tuple(problems), tuple(warnings), fmt, more)


@dataclass(frozen=True)
class _Bad:
    message: str


def _qualtrics_header_row(cells: Sequence[str]) -> bool:
    """Qualtrics' 2nd and 3rd header rows: question texts, and `{"ImportId": ...}`."""
    first = [c.strip() for c in cells if c.strip()]
    return any(c.startswith('{"ImportId"') for c in first) or "Response ID" in first


def _column_name(role: str, qid: str | None, bank: QuestionBank) -> str:
    if qid is None:
        return role
    return variable_name(bank.get(qid) or _stub(qid)) + ("_note" if role == "note" else "")


def _exported_labels(scale: ScaleModel) -> dict[str, str]:
    """Scale labels as a REDCap dictionary spells them (`|` replaced) → the true label."""
    labels = [*scale.points, scale.dont_know, scale.not_applicable]
    return {_redcap_label(label): label for label in labels if _redcap_label(label) != label}


def _redcap_label(label: str) -> str:
    """A choice label REDCap can hold: `|` separates choices there, so it becomes `/`."""
    return label.replace("|", "/")


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
