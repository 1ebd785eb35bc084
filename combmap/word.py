"""Write a `Document` as a Word file (.docx) with python-docx.

Headings use Word's own Heading 1-4 styles, tables the built-in "Table Grid" style and lists
"List Bullet"/"List Number", so a consultant can restyle the whole report from Word's style
gallery. The diagram goes in as a PNG on its own landscape page. Case text is made XML-safe
(control characters removed) before it reaches python-docx, and is only ever text, never a
field code or a hyperlink.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from combmap.document import Block, Bullets, Document, Figure, Heading, Inline, Para, Table, spans
from combmap.errors import RenderError

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

#: Characters XML 1.0 cannot carry (python-docx refuses them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
#: Widths in centimetres of the text block on A4 portrait and landscape (2 cm margins).
_PORTRAIT_WIDTH_CM, _LANDSCAPE_WIDTH_CM, _LANDSCAPE_HEIGHT_CM = 17.0, 25.7, 15.0


def xml_safe(text: str) -> str:
    """Text without the characters Word's XML cannot hold."""
    return _NOT_XML.sub(" ", text)


def _runs(paragraph: Any, content: Inline) -> None:
    from docx.shared import RGBColor

    for span in spans(content):
        run = paragraph.add_run(xml_safe(span.text))
        if span.style in {"strong", "flag"}:
            run.bold = True
        if span.style == "em":
            run.italic = True
        if span.style == "flag":
            run.font.color.rgb = RGBColor(0x8A, 0x3B, 0x00)
        if span.style == "code":
            run.font.name = "Consolas"


def _table(doc: DocxDocument, table: Table) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    if table.caption:
        doc.add_paragraph(xml_safe(table.caption), style="Caption")
    grid = doc.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    for cell, name in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(xml_safe(name))
        run.bold = True
    _repeat_header(grid.rows[0])
    for row in table.rows:
        cells = grid.add_row().cells
        for index, (cell, content) in enumerate(zip(cells, row, strict=False)):
            paragraph = cell.paragraphs[0]
            _runs(paragraph, content)
            if index in table.numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row in grid.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    if table.widths:
        total = sum(table.widths) or 1.0
        for row in grid.rows:
            for cell, width in zip(row.cells, table.widths, strict=False):
                cell.width = Cm(_PORTRAIT_WIDTH_CM * width / total)
    doc.add_paragraph()


def _repeat_header(row: Any) -> None:
    """Mark a table row as a header row, repeated at the top of every page it spans."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _figure(doc: DocxDocument, figure: Figure) -> None:
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Cm

    if figure.png is None:
        doc.add_paragraph(xml_safe(figure.note or "No diagram in this report."))
        return
    landscape = doc.add_section(WD_SECTION.NEW_PAGE)
    landscape.orientation = WD_ORIENT.LANDSCAPE
    landscape.page_width, landscape.page_height = Cm(29.7), Cm(21.0)
    try:
        from PIL import Image

        with Image.open(io.BytesIO(figure.png)) as image:
            width, height = image.size
    except ImportError:  # pragma: no cover - pillow is a dependency of the dev and pdf sets
        width, height = 16, 9
    if width / height > _LANDSCAPE_WIDTH_CM / _LANDSCAPE_HEIGHT_CM:
        doc.add_picture(io.BytesIO(figure.png), width=Cm(_LANDSCAPE_WIDTH_CM))
    else:
        doc.add_picture(io.BytesIO(figure.png), height=Cm(_LANDSCAPE_HEIGHT_CM))
    doc.add_paragraph(xml_safe(figure.caption), style="Caption")
    if figure.note:
        doc.add_paragraph(xml_safe(figure.note))
    portrait = doc.add_section(WD_SECTION.NEW_PAGE)
    portrait.orientation = WD_ORIENT.PORTRAIT
    portrait.page_width, portrait.page_height = Cm(21.0), Cm(29.7)


def _block(doc: DocxDocument, block: Block, shift: int) -> None:
    if isinstance(block, Heading):  # an h3 under a section is Word's Heading 2
        doc.add_heading(xml_safe(block.text), level=min(max(block.level - 1 + shift, 2), 5))
    elif isinstance(block, Para):
        paragraph = doc.add_paragraph(style="Intense Quote" if block.kind == "lead" else None)
        _runs(paragraph, block.content)
        if block.kind == "note":
            for run in paragraph.runs:
                run.italic = True
    elif isinstance(block, Bullets):
        style = "List Number" if block.ordered else "List Bullet"
        for item in block.items:
            _runs(doc.add_paragraph(style=style), item)
    elif isinstance(block, Table):
        _table(doc, block)
    else:
        _figure(doc, block)


def to_docx(document: Document) -> bytes:
    """The document as the bytes of a .docx file.

    Raises:
        RenderError: python-docx is not installed.
    """
    try:
        import docx
        from docx.shared import Cm
    except ImportError:
        raise RenderError(
            "Word output needs python-docx, a dependency of combmap: reinstall combmap "
            "(pip install combmap) or install it with pip install python-docx"
        ) from None
    doc = docx.Document()
    core = doc.core_properties
    core.title = xml_safe(document.title)[:250]
    core.author = "combmap"
    # python-docx stamps the current time and a default revision; fix them for stable bytes.
    from datetime import datetime

    core.created = core.modified = datetime(2000, 1, 1)
    core.revision = 1
    core.last_modified_by = "combmap"
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, margin, Cm(2.0))
    doc.add_heading(xml_safe(document.title), level=0)
    doc.add_paragraph(xml_safe(" · ".join(document.meta)), style="Subtitle")
    first_appendix = True
    for part in document.sections:
        if part.appendix and first_appendix:
            doc.add_page_break()  # type: ignore[no-untyped-call]
            doc.add_heading("Appendix", level=1)
            first_appendix = False
        doc.add_heading(xml_safe(part.title), level=2 if part.appendix else 1)
        for block in part.blocks:
            _block(doc, block, 1 if part.appendix else 0)
    if document.footer:
        doc.add_paragraph(xml_safe(document.footer), style="Caption")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


__all__ = ["to_docx", "xml_safe"]
