"""`diagram` and `report`: a plan drawn and written up for clients."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from combmap.cli.common import (
    CaseArgument,
    OntologyOption,
    OutputOption,
    ProfileOption,
    _by_suffix,
    _case,
    _emit,
    _note,
    app,
)

# --- diagram and report (issue 4) ------------------------------------------------------------


class DiagramFormat(StrEnum):
    """Output formats of `combmap diagram`."""

    SVG = "svg"
    PNG = "png"
    PDF = "pdf"
    DOT = "dot"
    MERMAID = "mermaid"


class ReportFormat(StrEnum):
    """Output formats of `combmap report`."""

    HTML = "html"
    MARKDOWN = "markdown"
    DOCX = "docx"
    PDF = "pdf"


_DIAGRAM_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}
_REPORT_SUFFIXES = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown", ".docx": "docx", ".pdf": "pdf"}
#: Resolution of the diagram in a Word report: sharp when printed at A4 landscape width.
_DOCX_DPI = 200

RendererOption = Annotated[
    str | None,
    typer.Option("--renderer", metavar="RENDERER", help="auto (system Graphviz if on PATH, else the bundled graphviz-pure), system or pure.", show_default=False),
]
DateOption = Annotated[
    str | None, typer.Option("--date", metavar="DATE", help="Date printed in the title block (none by default, so output is reproducible).", show_default=False)
]
DiagramTopOption = Annotated[int, typer.Option("--top", min=0, max=93, metavar="N", help="Techniques drawn under each function.")]


class Detail(StrEnum):
    """How much `combmap diagram` draws."""

    SUMMARY = "summary"
    FULL = "full"


class Size(StrEnum):
    """Page sizes `combmap diagram` lays out for."""

    A4_LANDSCAPE = "a4-landscape"
    A4 = "a4"
    SLIDE = "slide"
    POSTER = "poster"




@app.command()
def diagram(
    case: CaseArgument,
    output: OutputOption = None,
    format: Annotated[
        DiagramFormat | None,
        typer.Option("--format", "-f", metavar="FORMAT", help="svg, png, pdf, dot or mermaid; default from the -o suffix, else dot.", show_default=False),
    ] = None,
    top: DiagramTopOption = 3,
    focus: Annotated[str | None, typer.Option("--focus", metavar="ID", help="Draw only what connects to this barrier id or entity (id, label or alias).", show_default=False)] = None,
    layers: Annotated[
        list[str] | None,
        typer.Option("--layers", metavar="LAYER", help="Layers to draw, comma-separated or repeated: barriers, domains, components, functions, techniques, policies.", show_default=False),
    ] = None,
    detail: Annotated[
        Detail | None,
        typer.Option("--detail", metavar="DETAIL", help="summary (one page: barriers by domain → functions → what to do) or full (every layer: a poster). --focus and --layers imply full.", show_default=False),
    ] = None,
    size: Annotated[
        Size, typer.Option("--size", metavar="SIZE", help="Page the summary is laid out for: a4-landscape, a4, slide (16:9) or poster (no limit).")
    ] = Size.A4_LANDSCAPE,
    dpi: Annotated[int | None, typer.Option("--dpi", min=36, max=1200, metavar="N", help="Resolution of a PNG, in dots per inch (default 96).", show_default=False)] = None,
    profile: ProfileOption = None,
    ontology: OntologyOption = None,
    renderer: RendererOption = None,
    date: DateOption = None,
) -> None:
    """Draw the plan: by default a one-page summary; --detail full draws every layer.

    Example: combmap diagram cases/baxter-2020-cvso.yaml -o baxter.svg --size slide
    """
    from combmap.errors import OutputError

    chosen = format.value if format else _by_suffix(output, _DIAGRAM_SUFFIXES, "dot", "diagram")
    if chosen in {"png", "pdf"} and output is None:
        raise OutputError(f"{chosen.upper()} is binary; give a file with -o, e.g. -o diagram.{chosen}")
    from combmap.diagram import (
        mermaid_or_summary,
        plan_digraph,
        plan_mermaid,
        render,
        summary_digraph,
        summary_mermaid,
        summary_model,
    )
    from combmap.plan import make_plan

    onto, loaded = _case(case, ontology)
    result = make_plan(loaded, onto, profile=profile)
    full = detail == Detail.FULL or (detail is None and (focus is not None or bool(layers)))
    summary = summary_model(result, onto, date=date)
    if chosen == "mermaid":
        if not full:
            _emit(summary_mermaid(summary), output)
            return
        text, replaced = mermaid_or_summary(plan_mermaid(result, onto, top=top, focus=focus, layers=layers, date=date), summary)
        if replaced:
            _note("the full diagram is longer than Mermaid draws by default; wrote the summary instead (use -o diagram.svg for the full one)")
        _emit(text, output)
        return
    if full:
        graph = plan_digraph(result, onto, top=top, focus=focus, layers=layers, date=date)
        if dpi:
            graph.attr("graph", dpi=str(dpi))
        source = graph.source
    else:
        source = summary_digraph(summary, size=size.value, dpi=dpi).source
    if chosen == "dot":
        _emit(source, output)
        return
    _emit(render(source, chosen, renderer=renderer), output)


@app.command()
def report(
    case: CaseArgument,
    output: OutputOption = None,
    format: Annotated[
        ReportFormat | None,
        typer.Option("--format", "-f", metavar="FORMAT", help="html, markdown, docx (Word) or pdf (printed by Chromium); default from the -o suffix, else html.", show_default=False),
    ] = None,
    top: Annotated[
        int,
        typer.Option(
            "--top", min=0, max=93, metavar="N", hidden=True,
            help="No effect: the report's lists have fixed lengths (accepted so older commands run).",
        ),
    ] = 3,
    profile: ProfileOption = None,
    ontology: OntologyOption = None,
    renderer: RendererOption = None,
    date: DateOption = None,
) -> None:
    """Write a client report: HTML that prints on A4, Markdown, Word (.docx) or PDF.

    Example: combmap report cases/baxter-2020-cvso.yaml -o baxter-report.docx
    """
    from combmap.errors import OutputError

    del top  # accepted and ignored, as its (hidden) help says
    chosen = format.value if format else _by_suffix(output, _REPORT_SUFFIXES, "html", "report")
    if chosen in {"docx", "pdf"} and output is None:
        raise OutputError(f"{chosen.upper()} is binary; give a file with -o, e.g. -o report.{chosen}")
    from combmap.diagram import REPORT_BOX, render, summary_digraph, summary_mermaid, summary_model
    from combmap.plan import make_plan
    from combmap.report import plan_docx, plan_html, plan_report_markdown

    onto, loaded = _case(case, ontology)
    result = make_plan(loaded, onto, profile=profile)
    summary = summary_model(result, onto, date=date)
    if chosen == "markdown":
        _emit(plan_report_markdown(result, onto, loaded, mermaid=summary_mermaid(summary), date=date), output)
        return
    if chosen == "docx":
        png = render(summary_digraph(summary, dpi=_DOCX_DPI).source, "png", renderer=renderer)
        data = plan_docx(result, onto, loaded, png=png, date=date)
    else:
        svg = render(summary_digraph(summary, box=REPORT_BOX).source, "svg", renderer=renderer).decode("utf-8")
        page = plan_html(result, onto, loaded, svg=svg, date=date, expand=chosen == "pdf")
        if chosen == "html":
            _emit(page, output)
            return
        from combmap.pdf import html_to_pdf

        data = html_to_pdf(page)
    _emit(data, output)
