"""Tables in and out: the one formula-safe CSV writer, and one reader for CSV and XLSX files.

Every CSV combmap writes goes through `csv_text`, so a label such as `=HYPERLINK(...)` from a
partner's overlay or a client's case reaches a spreadsheet as text, never as a formula (the
OWASP "CSV injection" advice: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return gets a leading `'`). Every table combmap reads (surveys, coded barriers) goes through
`read_table`: one documented CSV dialect (RFC 4180 quoting with `"`, the delimiter detected
among comma, semicolon and tab; nothing else is guessed), UTF-8 with or without a BOM or
UTF-16 (Excel's "Unicode text"), and `.xlsx` workbooks. Rows are read one at a time, so a
million-row file costs time in proportion and little memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from combmap.errors import InputError, Issue

#: Characters that make a spreadsheet read a cell as a formula (OWASP), plus their
#: full-width forms, which some spreadsheet locales accept too.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
#: Largest table combmap reads, in bytes (CSV text, or the uncompressed cells of a workbook).
MAX_TABLE_BYTES = 64 * 1024 * 1024
#: Delimiters the reader chooses among; anything else is read as one column.
DELIMITERS = (",", ";", "\t")
#: File name endings read as Excel workbooks.
XLSX_SUFFIXES = (".xlsx", ".xlsm")


def safe_cell(value: object) -> object:
    """A cell value that no spreadsheet runs as a formula; numbers and None pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def unguard(text: str) -> str:
    """Undo `safe_cell` on a cell read back (a `'` before a formula lead is dropped)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_LEADS):
        return text[1:]
    return text


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV text: comma, `"` quoting, newline line ends, every cell formula-safe.

    A cell is quoted when it holds a comma, a quote, a line feed or a carriage return (the
    stdlib writer leaves a lone carriage return bare, which splits the row in Excel and R).
    """
    return "".join(",".join(_field(safe_cell(cell)) for cell in row) + "\n" for row in rows)


def _field(value: object) -> str:
    text = "" if value is None else str(value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of a table: its number among the data rows, where it starts, and its cells."""

    number: int
    line: int
    cells: list[str]


@dataclass
class Table:
    """A header and an iterator over the rows under it."""

    file: str
    sheet: str | None
    header_line: int
    header: list[str]
    rows: Iterator[Row]

    def where(self, line: int | None) -> tuple[str, int | None]:
        """The file name (with the sheet of a workbook) and line for an Issue."""
        name = self.file if self.sheet is None else f"{self.file} [sheet {self.sheet}]"
        return name, line


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 → A, 26 → AA."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def decode(raw: bytes, name: str) -> str:
    """Bytes of a text table as str: UTF-8 (BOM optional) or UTF-16 with a BOM or without."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif len(raw) >= 4 and raw[1:4:2] == b"\x00\x00" and raw[0] and raw[2]:
        encoding = "utf-16-le"  # "Unicode text" without its BOM
    elif len(raw) >= 4 and raw[0:4:2] == b"\x00\x00" and raw[1] and raw[3]:
        encoding = "utf-16-be"
    else:
        encoding = "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise InputError(
            f"{name} is not UTF-8 or UTF-16 text (byte {error.start}); save it as CSV UTF-8 and try again"
        ) from None
    if "\x00" in text:
        raise InputError(f"{name} is a binary file, not a CSV table")
    return text.lstrip("\ufeff")


def read_table(path: Path, *, what: str = "table", sheet: str | None = None) -> Table:
    """Open a CSV/TSV/TXT file or an XLSX workbook as a header plus streamed rows.

    Leading blank rows are skipped; the first non-blank row is the header.

    Raises:
        InputError: the file cannot be read, is empty, or is not a table.
    """
    from combmap.yamlio import read_bytes

    raw = read_bytes(path, what=what, limit=MAX_TABLE_BYTES)
    name = str(path)
    if path.suffix.lower() in XLSX_SUFFIXES or raw.startswith(b"PK\x03\x04"):
        return _xlsx_table(raw, name, sheet)
    return csv_table(decode(raw, name), name)


def csv_table(text: str, name: str) -> Table:
    """A Table over CSV text in combmap's dialect (see the module docstring)."""
    rows = csv_records(text, name)
    for line, cells in rows:
        if any(cell.strip() for cell in cells):
            header = [cell.strip() for cell in cells]
            return Table(name, None, line, header, _numbered(rows))
    raise InputError(f"{name} is empty; expected a header row and then one row per record")


def _numbered(rows: Iterator[tuple[int, list[str]]]) -> Iterator[Row]:
    number = 0
    for line, cells in rows:
        number += 1
        yield Row(number, line, cells)


def sniff_delimiter(text: str) -> str:
    """The delimiter of a table: the one of `DELIMITERS` most used in its first line.

    Only the delimiter is detected; quoting is always `"`. Delimiters inside quotes do not
    count, so a header such as `"Q1, part a";"Q2"` is read as semicolon-separated.
    """
    first = ""
    for line in text.splitlines():
        if line.strip():
            first = line
            break
    outside = re.sub(r'"(?:[^"]|"")*"?', "", first)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class _Dialect(csv.Dialect):
    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\n"
    quoting = csv.QUOTE_MINIMAL
    strict = True


def csv_records(text: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line, cells) for each record, checking records against physical lines.

    A quoted cell may span lines (free-text answers do). But a quote that is never closed
    would swallow the rows after it into one cell; that is refused with the line it opens on,
    as is any cell holding an embedded line that looks like a whole row of its own.

    Raises:
        InputError: the quoting is broken; the message names the line.
    """
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), _Dialect, delimiter=delimiter)
    start = 1
    width: int | None = None
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise InputError(
                f"{name} is not readable as CSV: {error} in the record starting on line {start}",
                [Issue(name, start, "", f"a quote (\") opened on or after line {start} is not closed; close it or remove it")],
            ) from None
        end = reader.line_num
        if width is None and any(c.strip() for c in cells):
            width = len(cells)
        if end > start and width and width > 2:
            for cell in cells:
                if "\n" in cell and any(
                    part.count(delimiter) >= width - 1 for part in cell.splitlines()[1:]
                ):
                    message = (
                        f"a quoted cell runs from line {start} to line {end} and holds what look "
                        "like whole rows; a quote (\") is probably not closed"
                    )
                    raise InputError(
                        f"{name} has broken quoting at line {start}", [Issue(name, start, "", message)]
                    )
        yield start, cells
        start = end + 1


#: Characters a workbook cell cannot hold as they are; CR too, which readers turn into LF.
_XLSX_ESCAPED = re.compile(r"[\x00-\x08\x0b-\x0d\x0e-\x1f\ufffe\uffff]")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def xlsx_escape(text: str) -> str:
    """Text for a workbook cell: control characters as OOXML `_xHHHH_` escapes."""
    text = re.sub(r"_x(?=[0-9A-Fa-f]{4}_)", "_x005F_x", text)
    return _XLSX_ESCAPED.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def xlsx_unescape(text: str) -> str:
    """Undo `xlsx_escape` (and Excel's own escapes)."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        if hasattr(value, "hour") and not (value.hour or value.minute or value.second):
            value = value.date()  # a date typed into a cell
        return str(value.isoformat())
    return xlsx_unescape(str(value))


def open_workbook(raw: bytes, name: str) -> Any:
    """An openpyxl read-only workbook from bytes."""
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            size = sum(info.file_size for info in archive.infolist())
        if size > MAX_TABLE_BYTES:
            raise InputError(f"{name} unpacks to {size:,} bytes; combmap reads workbooks up to {MAX_TABLE_BYTES:,}")
        return load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except InputError:
        raise
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise InputError(f"{name} is not a readable .xlsx workbook ({type(error).__name__})") from None


def sheet_rows(workbook: Any, sheet: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) for each row of one sheet."""
    for index, values in enumerate(workbook[sheet].iter_rows(values_only=True), start=1):
        cells = [_cell_text(v) for v in values]
        while cells and not cells[-1]:
            cells.pop()
        yield index, cells


def _xlsx_table(raw: bytes, name: str, sheet: str | None) -> Table:
    workbook = open_workbook(raw, name)
    names = list(workbook.sheetnames)
    chosen = sheet if sheet is not None else names[0]
    if chosen not in names:
        raise InputError(f"{name} has no sheet {chosen!r} (sheets: {', '.join(names)})")
    rows = sheet_rows(workbook, chosen)
    for line, cells in rows:
        if any(cell.strip() for cell in cells):
            return Table(name, chosen, line, [c.strip() for c in cells], _numbered(rows))
    raise InputError(f"{name} [sheet {chosen}] is empty; expected a header row and then rows")


__all__ = [
    "FORMULA_LEADS",
    "Row",
    "Table",
    "csv_records",
    "csv_table",
    "csv_text",
    "decode",
    "read_table",
    "safe_cell",
    "sniff_delimiter",
    "unguard",
]
