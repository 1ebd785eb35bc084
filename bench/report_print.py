"""Print a case's HTML report to A4 with headless Chromium and measure it (issue 12).

Reports: the number of pages before the appendix, blank pages, pages that hold only headings,
and the smallest text on the diagram's page (in points, as printed). Needs Chromium and pypdf
(a dev dependency).

    .venv/bin/python bench/report_print.py cases/baxter-2020-cvso.yaml [--pdf out.pdf] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class PrintMeasure:
    """What a printed report looks like."""

    pages: int
    main_pages: int
    blank_pages: list[int] = field(default_factory=list)
    heading_only_pages: list[int] = field(default_factory=list)
    diagram_page: int | None = None
    diagram_smallest_pt: float | None = None
    diagram_page_size_pt: tuple[float, float] | None = None


def report_pdf(case_file: Path) -> tuple[bytes, set[str]]:
    """The PDF of a case's report (appendix open, as `report -o x.pdf` writes it), and its headings."""
    from combmap import load_case, load_ontology, make_plan
    from combmap.diagram import REPORT_BOX, render, summary_digraph, summary_model
    from combmap.document import Figure
    from combmap.pdf import html_to_pdf
    from combmap.report import build_report, plan_html

    onto = load_ontology()
    case = load_case(case_file, onto)
    plan = make_plan(case, onto)
    svg = render(summary_digraph(summary_model(plan, onto), box=REPORT_BOX).source, "svg").decode("utf-8")
    page = plan_html(plan, onto, case, svg=svg, expand=True)
    document, _ = build_report(plan, onto, case, figure=Figure("", svg=svg))
    headings = {"Appendix", document.title}
    for section in document.sections:
        headings.add(section.title)
        headings.update(getattr(b, "text", "") for b in section.blocks if type(b).__name__ == "Heading")
        headings.update(getattr(b, "caption", None) or "" for b in section.blocks)
    return html_to_pdf(page), {h for h in headings if h}


def measure(pdf: bytes, headings: set[str]) -> PrintMeasure:
    """Page counts, blank and heading-only pages, and the diagram page's smallest text."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    result = PrintMeasure(pages=len(reader.pages), main_pages=len(reader.pages))
    flat_headings = {" ".join(h.split()) for h in headings}
    for number, page in enumerate(reader.pages, start=1):
        sizes: list[float] = []

        def visit(text: str, cm: Any, tm: Any, font: Any, size: float, sizes: list[float] = sizes) -> None:
            if text.strip():
                scale = (abs(tm[0] * cm[0] + tm[1] * cm[2]) ** 2 + abs(tm[0] * cm[1] + tm[1] * cm[3]) ** 2) ** 0.5
                sizes.append(size * scale)

        text = page.extract_text(visitor_text=visit) or ""
        lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        if lines and lines[0] == "Appendix" and result.main_pages == len(reader.pages):
            result.main_pages = number - 1
        has_image = bool(page.images) if hasattr(page, "images") else False
        if not lines and not has_image:
            result.blank_pages.append(number)
        elif lines and all(line in flat_headings for line in lines) and number != len(reader.pages):
            result.heading_only_pages.append(number)
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        if width > height and result.diagram_page is None:
            result.diagram_page = number
            result.diagram_smallest_pt = round(min(sizes), 2) if sizes else None
            result.diagram_page_size_pt = (round(width), round(height))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", type=Path)
    parser.add_argument("--pdf", type=Path, help="also keep the PDF here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pdf, headings = report_pdf(args.case)
    if args.pdf:
        args.pdf.write_bytes(pdf)
    result = measure(pdf, headings)
    if args.json:
        print(json.dumps(asdict(result), indent=2))
        return
    print(f"{args.case.name}: {result.pages} A4 pages, {result.main_pages} before the appendix")
    print(f"  blank pages: {result.blank_pages or 'none'}; heading-only pages: {result.heading_only_pages or 'none'}")
    print(f"  diagram on page {result.diagram_page} ({result.diagram_page_size_pt} pt): smallest text {result.diagram_smallest_pt} pt")


if __name__ == "__main__":
    main()
