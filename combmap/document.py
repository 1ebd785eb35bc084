"""A report as plain blocks (headings, paragraphs, tables, a figure), written as HTML or Markdown.

The report's content is decided once, in `combmap.report`, as a `Document`; the writers here
and in `combmap.word` only lay it out. So the HTML page, the Markdown file and the Word
document always say the same thing in the same order. Every string in a document may come from
a case file: the writers escape it for their format (HTML entities, Markdown escapes, XML-safe
text for Word) and never pass it through as markup.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from combmap.render import md_escape, plain


@dataclass(frozen=True)
class Span:
    """A run of text with an emphasis: none, strong, em (muted), code, or flag (a warning)."""

    text: str
    style: str = ""


Inline = str | Span | Sequence[str | Span]
"""Inline content: a string, a span, or a sequence of them."""


def spans(content: Inline) -> list[Span]:
    """Inline content as a list of spans."""
    if isinstance(content, str):
        return [Span(content)]
    if isinstance(content, Span):
        return [content]
    return [part if isinstance(part, Span) else Span(part) for part in content]


@dataclass(frozen=True)
class Heading:
    """A heading inside a section (levels 3 and 4; sections carry level 2)."""

    text: str
    level: int = 3
    anchor: str | None = None


@dataclass(frozen=True)
class Para:
    """A paragraph; `kind` is '', 'note' (small, muted), 'flag' (a warning) or 'lead' (boxed)."""

    content: Inline
    kind: str = ""


@dataclass(frozen=True)
class Bullets:
    """A bulleted or numbered list."""

    items: Sequence[Inline]
    ordered: bool = False


@dataclass(frozen=True)
class Table:
    """A table: a header row and body rows of inline cells.

    `numeric` names columns aligned right; `classes` gives a CSS class per cell (HTML only),
    keyed by (row, column); `widths` are relative column widths (Word and HTML).
    """

    columns: Sequence[str]
    rows: Sequence[Sequence[Inline]]
    caption: str | None = None
    numeric: frozenset[int] = frozenset()
    kind: str = ""
    classes: dict[tuple[int, int], str] = field(default_factory=dict)
    widths: Sequence[float] | None = None


@dataclass(frozen=True)
class Figure:
    """The diagram: SVG for HTML, PNG for Word, Mermaid for Markdown; any may be missing."""

    caption: str
    svg: str | None = None
    png: bytes | None = None
    mermaid: str | None = None
    note: str | None = None


Block = Heading | Para | Bullets | Table | Figure


@dataclass
class Section:
    """A level-2 section. `appendix` puts it after the main part (collapsed in HTML)."""

    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    appendix: bool = False
    kind: str = ""

    def add(self, *blocks: Block) -> Section:
        """Append blocks; returns the section for chaining."""
        self.blocks.extend(blocks)
        return self


@dataclass
class Document:
    """A whole report: a title, a line of facts under it, and sections in order."""

    title: str
    meta: list[str]
    sections: list[Section] = field(default_factory=list)
    footer: str | None = None

    def section(self, id: str, title: str, *, appendix: bool = False, kind: str = "") -> Section:
        """Start a new section at the end of the document."""
        found = Section(id, title, appendix=appendix, kind=kind)
        self.sections.append(found)
        return found

    @property
    def main(self) -> list[Section]:
        """The sections before the appendix."""
        return [s for s in self.sections if not s.appendix]

    @property
    def appendix(self) -> list[Section]:
        """The appendix sections."""
        return [s for s in self.sections if s.appendix]


def text_of(content: Inline) -> str:
    """The inline content as one line of plain text (no markup)."""
    return plain("".join(s.text for s in spans(content)))


# --- HTML -------------------------------------------------------------------------------------


def _keep_edges(text: str, inner: str) -> str:
    """`inner` (cleaned text) with one space kept at each end where `text` had whitespace."""
    if not inner:
        return " " if text[:1].isspace() else ""
    return (" " if text[:1].isspace() else "") + inner + (" " if text[-1:].isspace() else "")


def esc(text: object) -> str:
    """HTML-escape any value, quotes included; control characters become spaces."""
    return html.escape(plain(str(text)), quote=True)


_HTML_STYLE = {
    "": ("", ""),
    "strong": ("<strong>", "</strong>"),
    "em": ('<span class="note">', "</span>"),
    "code": ("<code>", "</code>"),
    "flag": ('<span class="flag">', "</span>"),
}


def inline_html(content: Inline) -> str:
    """Inline content as escaped HTML; case text is isolated so bidi text cannot reorder it."""
    out = []
    for span in spans(content):
        start, end = _HTML_STYLE.get(span.style, ("", ""))
        inner = esc(span.text)
        if not inner:
            out.append(_keep_edges(span.text, ""))
            continue
        lead, tail = _keep_edges(span.text, "x").split("x")
        out.append(f"{lead}{start}<bdi>{inner}</bdi>{end}{tail}")
    return "".join(out)


def block_html(block: Block) -> str:
    """One block as HTML."""
    if isinstance(block, Heading):
        level = min(max(block.level, 3), 5)
        anchor = f' id="{esc(block.anchor)}"' if block.anchor else ""
        return f"<h{level}{anchor}>{esc(block.text)}</h{level}>"
    if isinstance(block, Para):
        if block.kind == "lead":
            return f'<div class="lead"><p>{inline_html(block.content)}</p></div>'
        kind = f' class="{esc(block.kind)}"' if block.kind else ""
        return f"<p{kind}>{inline_html(block.content)}</p>"
    if isinstance(block, Bullets):
        tag = "ol" if block.ordered else "ul"
        items = "".join(f"<li>{inline_html(item)}</li>" for item in block.items)
        return f"<{tag}>{items}</{tag}>"
    if isinstance(block, Table):
        return _table_html(block)
    return _figure_html(block)


def _table_html(table: Table) -> str:
    kind = f' class="{esc(table.kind)}"' if table.kind else ""
    out = [f"<table{kind}>"]
    if table.caption:
        out.append(f"<caption>{esc(table.caption)}</caption>")
    if table.widths:
        total = sum(table.widths) or 1.0
        out.append(
            "<colgroup>"
            + "".join(f'<col style="width:{100 * w / total:.1f}%">' for w in table.widths)
            + "</colgroup>"
        )
    out.append(
        "<thead><tr>" + "".join(f"<th>{esc(c)}</th>" for c in table.columns) + "</tr></thead><tbody>"
    )
    for r, row in enumerate(table.rows):
        cells = []
        for c, cell in enumerate(row):
            names = [table.classes.get((r, c), "")]
            if c in table.numeric:
                names.append("num")
            attr = " ".join(n for n in names if n)
            cls = f' class="{esc(attr)}"' if attr else ""
            cells.append(f"<td{cls}>{inline_html(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _figure_html(figure: Figure) -> str:
    if figure.svg is None:
        body = f'<p class="note">{esc(figure.note or "No diagram in this report.")}</p>'
        return body
    note = f'<p class="note">{esc(figure.note)}</p>' if figure.note else ""
    return f"<figure>{figure.svg}<figcaption>{esc(figure.caption)}</figcaption>{note}</figure>"


def section_html(section: Section, *, expand: bool = False) -> str:
    """A section as HTML; appendix sections are `<details>`, collapsed unless `expand`."""
    kind = f' class="{esc(section.kind)}"' if section.kind else ""
    body = "\n".join(block_html(b) for b in section.blocks)
    if section.appendix:
        return (
            f'<section id="{esc(section.id)}" class="appendix"><details{" open" if expand else ""}>'
            f"<summary><h2>{esc(section.title)}</h2></summary>\n{body}\n</details></section>"
        )
    return f'<section id="{esc(section.id)}"{kind}><h2>{esc(section.title)}</h2>\n{body}\n</section>'


#: The page's fixed security policy: no script, no request of its own.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"


def to_html(document: Document, css: str, *, expand: bool = False) -> str:
    """The document as one self-contained HTML page; `expand` opens the appendix (for print)."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(document.title)}</title>",
        f"<style>{css}</style></head><body>",
        f'<header><h1>{inline_html(document.title)}</h1><p class="meta">'
        + " · ".join(esc(m) for m in document.meta)
        + "</p></header>",
    ]
    main, appendix = document.main, document.appendix
    contents = "".join(f'<li><a href="#{esc(s.id)}">{esc(s.title)}</a></li>' for s in main)
    if appendix:
        contents += '<li><a href="#appendix">Appendix</a></li>'
    out.append(f'<nav aria-label="Contents"><ol>{contents}</ol></nav>')
    out.append("<main>")
    out.extend(section_html(s) for s in main)
    out.append("</main>")
    if appendix:
        out.append('<div id="appendix" class="appendix-part"><h2 class="part">Appendix</h2>')
        out.extend(section_html(s, expand=expand) for s in appendix)
        out.append("</div>")
    if document.footer:
        out.append(f'<footer class="note"><p>{esc(document.footer)}</p></footer>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --- Markdown ---------------------------------------------------------------------------------

_MD_STYLE = {"": ("", ""), "strong": ("**", "**"), "em": ("*", "*"), "code": ("", ""), "flag": ("**", "**")}


def inline_markdown(content: Inline) -> str:
    """Inline content as escaped Markdown."""
    out = []
    for span in spans(content):
        text = md_escape(span.text)
        lead, tail = _keep_edges(span.text, "x").split("x")
        if not text:
            out.append(lead)
            continue
        start, end = _MD_STYLE.get(span.style, ("", ""))
        out.append(f"{lead}{start}{text}{end}{tail}")
    return "".join(out)


def block_markdown(block: Block) -> str:
    """One block as Markdown."""
    if isinstance(block, Heading):
        return "#" * min(max(block.level, 3), 6) + " " + md_escape(block.text)
    if isinstance(block, Para):
        text = inline_markdown(block.content)
        return f"> {text}" if block.kind == "lead" else text
    if isinstance(block, Bullets):
        return "\n".join(
            (f"{i}. " if block.ordered else "- ") + inline_markdown(item)
            for i, item in enumerate(block.items, start=1)
        )
    if isinstance(block, Table):
        head = "| " + " | ".join(md_escape(c) for c in block.columns) + " |"
        rule = "|" + "|".join("---:" if i in block.numeric else "---" for i in range(len(block.columns))) + "|"
        rows = ["| " + " | ".join(inline_markdown(cell) or " " for cell in row) + " |" for row in block.rows]
        caption = [f"*{md_escape(block.caption)}*", ""] if block.caption else []
        return "\n".join([*caption, head, rule, *rows])
    if block.mermaid is None:
        return md_escape(block.note or "No diagram in this report.")
    note = f"\n\n{md_escape(block.note)}" if block.note else ""
    return f"```mermaid\n{block.mermaid.rstrip()}\n```\n\n*{md_escape(block.caption)}*{note}"


def to_markdown(document: Document) -> str:
    """The document as Markdown (GitHub flavour; the diagram as a Mermaid block)."""
    out = [f"# {md_escape(document.title)}", "", " · ".join(md_escape(m) for m in document.meta)]
    for index, section in enumerate(document.sections):
        if section.appendix and (index == 0 or not document.sections[index - 1].appendix):
            out += ["", "# Appendix"]
        out += ["", f"## {md_escape(section.title)}"]
        for block in section.blocks:
            out += ["", block_markdown(block)]
    if document.footer:
        out += ["", "---", "", md_escape(document.footer)]
    return "\n".join(out) + "\n"


__all__ = [
    "Block",
    "Bullets",
    "Document",
    "Figure",
    "Heading",
    "Inline",
    "Para",
    "Section",
    "Span",
    "Table",
    "esc",
    "inline_html",
    "spans",
    "text_of",
    "to_html",
    "to_markdown",
]
