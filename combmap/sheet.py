"""Cases as spreadsheets: coded barriers in from Excel or CSV, a case out, and back again.

Researchers code barriers in a spreadsheet, one row per barrier or enabler. `read_sheet`
turns such a workbook (or a CSV of the barriers alone) into a validated case, with every
problem located by sheet, row and column; `case_workbook` writes a case (or a blank template
with the code lists as drop-downs) as a workbook, so `read_sheet(case_workbook(case))` gives
the same case back. The layout is in docs/case-format.md.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from combmap.case import Case, case_from_document
from combmap.errors import CaseError, Issue
from combmap.ontology import Ontology
from combmap.schema import BarrierKind, Judgement, Kind
from combmap.tabular import (
    MAX_TABLE_BYTES,
    XLSX_SUFFIXES,
    column_letter,
    csv_table,
    csv_text,
    decode,
    open_workbook,
    sheet_rows,
    unguard,
    xlsx_escape,
)
from combmap.yamlio import Document, read_bytes

#: Columns of the barriers sheet, in order. tdf, comb and evidence may repeat ("tdf 2" ...).
BARRIER_COLUMNS = (
    "id",
    "text",
    "kind",
    "tdf",
    "comb",
    "frequency",
    "weight",
    "group",
    "behaviour",
    "theme",
    "evidence",
    "locator",
    "notes",
)
#: Case-sheet fields whose value is JSON: the structured parts of issue 16, kept whole like
#: `assessment` (a workbook has no natural place for nested lists).
JSON_FIELDS = ("behaviours", "candidates", "proposed", "specifications", "options.delivery")
#: Columns that hold a list: one value per cell (repeat the column) or several split by ";".
LIST_COLUMNS = ("tdf", "comb", "evidence")
#: Other headings researchers use for the same columns (compared without case or spaces).
ALIASES = {
    "barrier": "text",
    "description": "text",
    "barrier or enabler": "text",
    "type": "kind",
    "tdf domain": "tdf",
    "tdf domains": "tdf",
    "domain": "tdf",
    "domains": "tdf",
    "com-b": "comb",
    "com b": "comb",
    "com-b component": "comb",
    "com-b components": "comb",
    "component": "comb",
    "components": "comb",
    "count": "frequency",
    "n": "frequency",
    "importance": "weight",
    "stakeholder group": "group",
    "quote": "evidence",
    "quotes": "evidence",
    "source": "locator",
    "note": "notes",
}
#: The header fields of the `case` sheet, as dotted keys of the case file.
CASE_FIELDS = (
    "case.id",
    "case.title",
    "case.organisation",
    "case.sector",
    "case.setting",
    "case.date",
    "case.source.citation",
    "case.source.doi",
    "case.source.url",
    "case.coded_by",
    "case.notes",
    "behaviour.target",
    "behaviour.who",
    "behaviour.what",
    "behaviour.where",
    "behaviour.when",
    "behaviour.how_often",
    "behaviour.with_whom",
    "options.profile",
    "options.enabler_weight",
)
#: The sheets of a case workbook, and their columns.
SHEETS: dict[str, tuple[str, ...]] = {
    "case": ("field", "value"),
    "barriers": BARRIER_COLUMNS,
    "groups": ("id", "label", "size"),
    "exclusions": ("id", "reason", "criteria"),
    "apease": ("option", "criterion", "judgement"),
}
#: How many cells a list column gets in the template (more can be added).
TEMPLATE_REPEATS = {"tdf": 3, "comb": 2, "evidence": 2}

_Path = tuple[str | int, ...]


@dataclass
class _SheetDocument(Document):
    """A Document whose key paths are located by sheet, row and column, not by line."""

    cells: dict[_Path, tuple[str, int, str]] = field(default_factory=dict)

    def issue(self, path: _Path, message: str) -> Issue:
        for end in range(len(path), -1, -1):
            found = self.cells.get(tuple(path[:end]))
            if found is not None:
                where, row, column = found
                return Issue(where, row, column, message)
        return Issue(self.file, None, "", message)


def _header_key(text: str) -> str | None:
    """The column a heading names: 'TDF domain 2' → 'tdf'; None for an unknown heading."""
    key = re.sub(r"\s+", " ", text.strip().casefold().replace("_", " "))
    key = re.sub(r"\s*\(?\d+\)?$", "", key) if re.search(r"\d+\)?$", key) else key
    key = ALIASES.get(key, key)
    return key if key in BARRIER_COLUMNS else None


@dataclass
class _Reader:
    """Builds case data from rows, remembering where each value came from."""

    file: str
    cells: dict[_Path, tuple[str, int, str]] = field(default_factory=dict)
    problems: list[Issue] = field(default_factory=list)

    def place(self, sheet: str | None) -> str:
        return self.file if sheet is None else f"{self.file} [sheet {sheet}]"

    def table(
        self,
        sheet: str | None,
        header_line: int,
        header: Sequence[str],
        rows: Iterable[tuple[int, list[str]]],
        known: Sequence[str],
        path: str,
        keys: Any = None,
    ) -> list[dict[str, Any]]:
        """Rows of one sheet as mappings of its known columns; lists collected."""
        where = self.place(sheet)
        columns: list[str | None] = []
        for index, heading in enumerate(header):
            key = keys(heading) if keys else (heading.strip().casefold() or None)
            if key is not None and key not in known:
                key = None
            if key is None and heading.strip():
                self.problems.append(
                    Issue(
                        where,
                        header_line,
                        f"column {column_letter(index)}",
                        f"unknown column {heading.strip()!r} (columns: {', '.join(known)})",
                    )
                )
            if key is not None and key in columns and key not in LIST_COLUMNS:
                self.problems.append(
                    Issue(where, header_line, f"column {column_letter(index)}", f"a second {key!r} column")
                )
                key = None
            columns.append(key)
        out: list[dict[str, Any]] = []
        for line, cells in rows:
            if not any(c.strip() for c in cells):
                continue
            record: dict[str, Any] = {}
            at = (path, len(out))
            self.cells[at] = (where, line, "")
            for index, cell in enumerate(cells):
                key = columns[index] if index < len(columns) else None
                value = unguard(cell.strip())
                if key is None:
                    if value and index >= len(columns):
                        self.problems.append(
                            Issue(where, line, f"column {column_letter(index)}", "a value in a column with no heading")
                        )
                    continue
                if not value:
                    continue
                spot = (where, line, f"column {column_letter(index)} ({key})")
                if key in LIST_COLUMNS or key == "criteria":
                    parts = [value] if key == "evidence" else [p.strip() for p in re.split(r"[;\n]", value) if p.strip()]
                    items = record.setdefault(key, [])
                    for part in parts:
                        self.cells[(*at, key, len(items))] = spot
                        items.append(part)
                    self.cells.setdefault((*at, key), spot)
                else:
                    record[key] = value
                    self.cells[(*at, key)] = spot
            out.append(record)
        return out


def read_sheet(
    path: Path,
    ontology: Ontology,
    *,
    case_id: str | None = None,
    title: str | None = None,
    behaviour: str | None = None,
) -> tuple[Case, dict[str, Any]]:
    """Read coded barriers from an .xlsx workbook or a CSV file into a validated case.

    A workbook has the sheets of `SHEETS` (only `barriers` is required); a CSV holds the
    barriers sheet alone, and the case header comes from the arguments (the id and title
    default to the file name). Returns the case and its plain data, ready to write as YAML.

    Raises:
        CaseError: the sheet is not a valid case; every problem is located by sheet, row and
            column.
        InputError: the file cannot be read.
    """
    raw = read_bytes(path, what="spreadsheet", limit=MAX_TABLE_BYTES)
    name = str(path)
    reader = _Reader(Path(name).name if name != "-" else "<stdin>")
    data: dict[str, Any] = {}
    header_rows: dict[str, tuple[str, int]] = {}
    if path.suffix.lower() in XLSX_SUFFIXES or raw.startswith(b"PK\x03\x04"):
        book = open_workbook(raw, name)
        names = {n.casefold(): n for n in book.sheetnames}
        if "barriers" not in names:
            if len(book.sheetnames) != 1:
                raise CaseError(
                    f"{name} has no sheet named 'barriers' (sheets: {', '.join(book.sheetnames)})"
                )
            names["barriers"] = book.sheetnames[0]
        for sheet, known in SHEETS.items():
            if sheet not in names:
                continue
            rows = sheet_rows(book, names[sheet])
            header_line, header = _first_row(rows)
            if header is None:
                continue
            keys = _header_key if sheet == "barriers" else None
            records = reader.table(names[sheet], header_line, header, rows, known, sheet, keys)
            data[sheet] = records
            header_rows[sheet] = (names[sheet], header_line)
    else:
        table = csv_table(decode(raw, name), reader.file)
        rows_iter = ((r.line, r.cells) for r in table.rows)
        data["barriers"] = reader.table(
            None, table.header_line, table.header, rows_iter, BARRIER_COLUMNS, "barriers", _header_key
        )
        header_rows["barriers"] = (reader.file, table.header_line)
    document = _assemble(data, reader, header_rows, path, case_id, title, behaviour)
    doc = _SheetDocument(reader.file, document, {}, reader.cells)
    try:
        case = case_from_document(doc, ontology)
    except CaseError as error:
        issues = [*reader.problems, *error.issues]
        raise CaseError(f"{name} is not a valid case ({_count(issues)})", issues) from None
    if reader.problems:
        raise CaseError(f"{name} is not a valid case ({_count(reader.problems)})", reader.problems)
    return case, document


def _count(issues: Sequence[Issue]) -> str:
    return f"{len(issues)} problem{'s' * (len(issues) != 1)}"


def _first_row(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str] | None]:
    for line, cells in rows:
        if any(c.strip() for c in cells):
            return line, cells
    return 0, None


def _assemble(
    data: dict[str, Any],
    reader: _Reader,
    header_rows: dict[str, tuple[str, int]],
    path: Path,
    case_id: str | None,
    title: str | None,
    behaviour: str | None,
) -> dict[str, Any]:
    """The plain data of a case file from the sheets read."""
    document: dict[str, Any] = {}
    stem = re.sub(r"[^a-z0-9]+", "-", path.stem.casefold()).strip("-") or "case"
    for record in data.get("case", []):
        key, value = record.get("field", ""), record.get("value")
        spot = reader.cells.get(("case", data["case"].index(record)))
        if key == "assessment" and value:
            try:
                document["assessment"] = json.loads(value)
            except json.JSONDecodeError:
                if spot:
                    reader.problems.append(Issue(spot[0], spot[1], "column B", "the assessment is not valid JSON"))
            continue
        if key in JSON_FIELDS and value:
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                if spot:
                    reader.problems.append(Issue(spot[0], spot[1], "column B", f"{key} is not valid JSON"))
                continue
            head, _, tail = key.partition(".")
            if tail:
                document.setdefault(head, {})[tail] = parsed
            else:
                document[key] = parsed
            continue
        if key not in CASE_FIELDS:
            if spot and key:
                reader.problems.append(
                    Issue(spot[0], spot[1], "column A", f"unknown field {key!r} (fields: {', '.join(CASE_FIELDS)})")
                )
            continue
        if value is None:
            continue
        parts = key.split(".")
        target = document
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
        if spot:
            reader.cells[tuple(parts)] = (spot[0], spot[1], f"column B ({key})")
    info = document.setdefault("case", {})
    if case_id is not None:
        info["id"] = case_id
    if title is not None:
        info["title"] = title
    if behaviour is not None:
        document.setdefault("behaviour", {})["target"] = behaviour
    info.setdefault("id", stem)
    info.setdefault("title", path.stem)
    if "behaviour" not in document:
        where = header_rows.get("barriers", (reader.file, 1))[0]
        reader.problems.append(
            Issue(where, None, "", "no target behaviour: give --behaviour, or fill behaviour.target in the 'case' sheet")
        )
        document["behaviour"] = {"target": "(none given)"}
    if "groups" in data:
        document["groups"] = data["groups"]
    else:
        named = sorted({b["group"] for b in data.get("barriers", []) if "group" in b})
        if named:
            document["groups"] = [{"id": g, "label": g} for g in named]
    document["barriers"] = data.get("barriers", [])
    named_behaviours = sorted({b["behaviour"] for b in document["barriers"] if b.get("behaviour")})
    if named_behaviours and "behaviours" not in document:
        # A barriers table alone names behaviours without specifying them: list each by its id.
        document["behaviours"] = [{"id": n, "target": n, "actor": n} for n in named_behaviours]
    options = document.setdefault("options", {})
    if data.get("exclusions"):
        options["exclude"] = data["exclusions"]
        for index in range(len(data["exclusions"])):
            for key, spot in list(reader.cells.items()):
                if key[:2] == ("exclusions", index):
                    reader.cells[("options", "exclude", index, *key[2:])] = spot
    if data.get("apease"):
        apease: dict[str, dict[str, str]] = {}
        for index, record in enumerate(data["apease"]):
            option, criterion = record.get("option", ""), record.get("criterion", "")
            apease.setdefault(option, {})[criterion] = record.get("judgement", "")
            spot = reader.cells.get(("apease", index))
            if spot:
                reader.cells[("options", "apease", option)] = spot
                reader.cells[("options", "apease", option, criterion)] = spot
        options["apease"] = apease
    if not options:
        del document["options"]
    return document


# --- writing ----------------------------------------------------------------------------------


def _barrier_rows(case: Case | None, ontology: Ontology, repeats: dict[str, int]) -> tuple[list[str], list[list[str]]]:
    header: list[str] = []
    for column in BARRIER_COLUMNS:
        count = repeats.get(column, 1)
        header.extend(column if i == 0 else f"{column} {i + 1}" for i in range(count))
    rows: list[list[str]] = []
    for b in case.barriers if case else ():
        values: dict[str, list[str]] = {
            "id": [b.id],
            "text": [b.text],
            "kind": [b.kind.value],
            "tdf": [ontology[d].label for d in b.domains],
            "comb": [ontology[c].label for c in b.components],
            "frequency": [str(b.frequency) if b.frequency is not None else ""],
            "weight": [_number(b.weight) if b.weight != 1.0 else ""],
            "group": [b.group or ""],
            "behaviour": [b.behaviour or ""] if case and case.behaviours else [""],
            "theme": [b.theme or ""],
            "evidence": list(b.evidence),
            "locator": [b.locator or ""],
            "notes": [b.notes or ""],
        }
        row: list[str] = []
        for column in BARRIER_COLUMNS:
            cells = values[column]
            count = repeats.get(column, 1)
            row.extend(cells[i] if i < len(cells) else "" for i in range(count))
        rows.append(row)
    return header, rows


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _repeats(case: Case | None) -> dict[str, int]:
    if case is None:
        return dict(TEMPLATE_REPEATS)
    return {
        "tdf": max([1, *(len(b.domains) for b in case.barriers)]),
        "comb": max([1, *(len(b.components) for b in case.barriers)]),
        "evidence": max([1, *(len(b.evidence) for b in case.barriers)]),
    }


def case_csv(case: Case, ontology: Ontology) -> str:
    """The barriers of a case as CSV (formula-safe), one row per barrier or enabler."""
    header, rows = _barrier_rows(case, ontology, _repeats(case))
    return csv_text([header, *rows])


def _case_fields(case: Case | None) -> list[tuple[str, str]]:
    if case is None:
        return [(key, "") for key in CASE_FIELDS]
    data = {
        "case": case.info.model_dump(mode="json", exclude_none=True),
        "behaviour": case.behaviour.model_dump(mode="json", exclude_none=True),
        "options": {"profile": case.profile, "enabler_weight": case.enabler_weight},
    }
    out: list[tuple[str, str]] = []
    for key in CASE_FIELDS:
        value: Any = data
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if key == "options.enabler_weight" and value == 0.0:
            value = None
        out.append((key, "" if value is None else (_number(value) if isinstance(value, float) else str(value))))
    if case.assessment is not None:
        out.append(("assessment", json.dumps(case.assessment, ensure_ascii=False, sort_keys=True)))
    structured: dict[str, Any] = {
        "behaviours": [b.model_dump(mode="json", exclude_none=True) for b in case.behaviours],
        "candidates": [c.model_dump(mode="json", exclude_none=True) for c in case.candidates],
        "proposed": [
            {k: v for k, v in dataclasses.asdict(p).items() if v not in (None, ())}
            for p in case.proposed
        ],
        "specifications": {
            k: v.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
            for k, v in case.specifications
        },
        "options.delivery": {k: list(v) for k, v in case.delivery},
    }
    for key in JSON_FIELDS:
        if structured[key]:
            out.append((key, json.dumps(structured[key], ensure_ascii=False)))
    return out


def case_workbook(case: Case | None, ontology: Ontology) -> bytes:
    """A case as an .xlsx workbook, or the blank template when `case` is None.

    Every sheet has a frozen header row; kind, TDF, COM-B, group, criterion and judgement
    cells have drop-downs of the allowed values (from a hidden `lists` sheet). Text is
    written as text, never as a formula.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: Sequence[str], rows: Iterable[Sequence[str]], first: bool = False) -> Any:
        ws = book.active if first else book.create_sheet(title)
        ws.title = title
        ws.append([xlsx_escape(h) for h in header])
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([_text_cell(v) for v in row])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        ws.freeze_panes = "A2"
        for index, heading in enumerate(header):
            ws.column_dimensions[column_letter(index)].width = 60 if heading in ("text", "value", "reason") or heading.startswith("evidence") else 24
        return ws

    sheet("case", SHEETS["case"], _case_fields(case), first=True)
    header, rows = _barrier_rows(case, ontology, _repeats(case))
    barriers = sheet("barriers", header, rows)
    sheet("groups", SHEETS["groups"], [[g.id, g.label, str(g.size or "")] for g in (case.groups if case else ())])
    sheet(
        "exclusions",
        SHEETS["exclusions"],
        [[e.id, e.reason, "; ".join(e.criteria)] for e in (case.exclusions if case else ())],
    )
    sheet(
        "apease",
        SHEETS["apease"],
        [[option, criterion, judgement.value] for option, pairs in (case.apease if case else ()) for criterion, judgement in pairs],
    )
    lists = book.create_sheet("lists")
    columns = {
        "kind": [k.value for k in BarrierKind],
        "tdf": [e.label for e in ontology.of_kind(Kind.DOMAIN)],
        "comb": [e.label for e in ontology.of_kind(Kind.COMPONENT) if e.parent is not None],
        "criterion": [e.label for e in ontology.of_kind(Kind.CRITERION)],
        "judgement": [j.value for j in Judgement],
    }
    ranges: dict[str, str] = {}
    for index, (name, values) in enumerate(columns.items()):
        letter = column_letter(index)
        lists.cell(1, index + 1, name).font = bold
        for row, value in enumerate(values, start=2):
            lists.cell(row, index + 1, xlsx_escape(value)).data_type = "s"
        ranges[name] = f"lists!${letter}$2:${letter}${len(values) + 1}"
    lists.sheet_state = "hidden"
    last = max(1000, len(rows) + 500)

    def drop_down(ws: Any, source: str, letters: Iterable[str], what: str) -> None:
        check = DataValidation(type="list", formula1=f"={source}", allow_blank=True)
        check.error = f"Choose a {what} from the list"
        check.prompt = f"Choose a {what}"
        check.showErrorMessage = what not in ("TDF domain", "COM-B component", "group")
        ws.add_data_validation(check)
        for letter in letters:
            check.add(f"{letter}2:{letter}{last}")

    def letters_of(column: str) -> list[str]:
        return [column_letter(i) for i, h in enumerate(header) if _header_key(h) == column]

    drop_down(barriers, ranges["kind"], letters_of("kind"), "kind")
    drop_down(barriers, ranges["tdf"], letters_of("tdf"), "TDF domain")
    drop_down(barriers, ranges["comb"], letters_of("comb"), "COM-B component")
    drop_down(barriers, "groups!$A$2:$A$200", letters_of("group"), "group")
    apease = book["apease"]
    drop_down(apease, ranges["criterion"], ["B"], "criterion")
    drop_down(apease, ranges["judgement"], ["C"], "judgement")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text_cell(value: str) -> str | None:
    return xlsx_escape(value) if value != "" else None


def case_document_text(document: dict[str, Any], source: str) -> str:
    """A case's plain data as YAML text, with a comment saying where it came from."""
    import yaml

    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return f"# Made by `combmap case import` from {Path(source).name}.\n{body}"


__all__ = [
    "BARRIER_COLUMNS",
    "CASE_FIELDS",
    "SHEETS",
    "case_csv",
    "case_document_text",
    "case_workbook",
    "read_sheet",
]
