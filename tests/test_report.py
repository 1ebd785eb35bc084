"""Reports: self-contained HTML (checked in a real browser), Markdown with Mermaid, the terminal."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from combmap import Case, Ontology, Plan, RenderError, load_case, make_plan
from combmap import diagram as dg
from combmap.report import plan_html, plan_report_markdown, sanitize_svg

from .conftest import CASES
from .conftest import run_cli as run
from .hostile import HOSTILE, LONG, TITLE, write_hostile_case

BAXTER = CASES / "baxter-2020-cvso.yaml"
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def hostile_case(onto: Ontology, tmp_path_factory: pytest.TempPathFactory) -> tuple[Case, Plan]:
    case = load_case(write_hostile_case(tmp_path_factory.mktemp("hostile")), onto)
    return case, make_plan(case, onto)


@pytest.fixture(scope="module")
def baxter(onto: Ontology) -> tuple[Case, Plan]:
    case = load_case(BAXTER, onto)
    return case, make_plan(case, onto)


def _svg(plan: Plan, onto: Ontology) -> str:
    renderer = "pure" if dg._pure_executable() else None
    return dg.render(dg.plan_digraph(plan, onto).source, "svg", renderer=renderer).decode("utf-8")


class _Audit(HTMLParser):
    """Collects what a browser would act on: tags, attributes, and the text it would show."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.in_style = tag == "style"
        self.attrs.extend((tag, name, value or "") for name, value in attrs)

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False

    def handle_data(self, data: str) -> None:
        if not self.in_style:
            self.text.append(data)


def _audit(page: str) -> _Audit:
    audit = _Audit()
    audit.feed(page)
    audit.close()
    return audit


def _assert_safe_html(page: str) -> _Audit:
    audit = _audit(page)
    assert "script" not in audit.tags
    assert not {"img", "iframe", "object", "embed", "link", "base", "form", "foreignobject"} & set(audit.tags)
    for tag, name, value in audit.attrs:
        assert not name.startswith("on"), (tag, name)
        assert name != "src", (tag, name, value)
        if name in {"href", "xlink:href"}:
            assert value.startswith("#"), (tag, name, value)
        if name not in {"xlink:title", "title"}:  # a tooltip may mention it as words (issue 13)
            assert "javascript:" not in value.lower(), (tag, name)
    assert not re.search(r"url\((?!#)", page.split("</style>", 1)[1])
    return audit


# --- HTML -----------------------------------------------------------------------------------


def test_hostile_html_escapes_everything(hostile_case: tuple[Case, Plan], onto: Ontology) -> None:
    case, plan = hostile_case
    page = plan_html(plan, onto, case, svg=_svg(plan, onto))
    audit = _assert_safe_html(page)
    shown = "".join(audit.text)
    # The hostile text is there, as text.
    assert "<script>alert(1)</script>" in shown
    assert "<img src=x onerror=alert(1)>" in shown
    assert "[a](javascript:alert(1))" in shown
    assert "&amp; &lt; &gt;" in shown  # entities in case text stay literal, not decoded
    assert TITLE in shown
    assert LONG in shown
    assert "<script>alert('group')</script>" in shown  # group labels
    assert "javascript:alert(1)" in shown  # the source URL, printed, not linked
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_html_sections_and_worksheet(baxter: tuple[Case, Plan], onto: Ontology) -> None:
    case, plan = baxter
    page = plan_html(plan, onto, case, svg=_svg(plan, onto), date="2031-05-06")
    _assert_safe_html(page)
    for anchor in ("summary", "interventions", "diagram", "barriers", "priorities", "worksheet",
                   "glossary", "references", "rationale", "unverified", "tables", "entries"):
        assert f'id="{anchor}"' in page
    assert "2031-05-06" in page and "@media print" in page and "<svg" in page
    worksheet = page.split('id="worksheet"', 1)[1].split("</section>", 1)[0]
    for criterion in ("Affordability", "Practicability", "Acceptability", "Equity"):
        assert criterion in worksheet
    assert "Enablement" in worksheet
    references = page.split('id="references"', 1)[1].split("</section>", 1)[0]
    assert "michie2011" in references and "Michie" in references
    main, appendix = page.split('id="appendix"', 1)
    assert "<details" not in main and appendix.count("<details>") >= 3  # the appendix is collapsed
    assert plan_html(plan, onto, case, svg=None) == plan_html(plan, onto, case, svg=None)


def test_worksheet_prefills_judgements(hostile_case: tuple[Case, Plan], onto: Ontology) -> None:
    case, plan = hostile_case
    assert "if:enablement" in plan.selected
    page = plan_html(plan, onto, case, svg=None)
    row = next(r for r in page.split('id="worksheet"', 1)[1].split("<tr>") if r.startswith("<td><bdi>Enablement"))
    assert "✓ pass" in row and "? not sure" in row


def test_sanitize_svg_strips_active_content() -> None:
    evil = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">'
        "<script>alert(2)</script><g onclick='alert(3)'><a xlink:href='https://example.invalid/x' href='javascript:alert(4)'>"
        "<text>ok</text></a><a href='#local'><text>in</text></a></g>"
        "<foreignObject><div xmlns='http://www.w3.org/1999/xhtml'>x</div></foreignObject>"
        "<image href='https://example.invalid/i.png'/><rect style='fill:url(https://example.invalid/p)'/></svg>"
    )
    clean = sanitize_svg(evil)
    for bad in ("script", "onload", "onclick", "example.invalid", "javascript", "foreignObject", "<image"):
        assert bad not in clean, bad
    assert "ok" in clean and 'href="#local"' in clean
    with pytest.raises(RenderError):
        sanitize_svg("<svg><unclosed></svg>")


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_report_has_the_sections_and_the_summary_diagram(baxter: tuple[Case, Plan], onto: Ontology) -> None:
    case, plan = baxter
    mermaid = dg.summary_mermaid(dg.summary_model(plan, onto))
    text = plan_report_markdown(plan, onto, case, mermaid=mermaid)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    for title in ("## Summary", "## Drafted interventions", "## The plan on one page", "## Barriers and what could address them",
                  "## Priorities", "## APEASE worksheet", "## Glossary", "## References", "# Appendix", "## Rationale"):
        assert title in headings, title
    assert headings.index("# Appendix") > headings.index("## References")
    block = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block == mermaid


def test_hostile_markdown_has_no_raw_markup(hostile_case: tuple[Case, Plan], onto: Ontology) -> None:
    case, plan = hostile_case
    text = plan_report_markdown(plan, onto, case, mermaid=dg.summary_mermaid(dg.summary_model(plan, onto)))
    for raw in ("<script", "<img", "**x**", "| table | breaker |", "[bold red]x[/]"):
        assert raw not in text, raw
    assert not re.search(r"(?<!\\)\]\(javascript:", text)  # no link can form
    assert text.count("```") == 2  # nothing in the case can open or close a fence
    mermaid = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert '"] end' not in mermaid and "%% comment" not in mermaid
    assert "\u202e" not in text and "\x1b" not in text  # no reordering, no terminal escapes


def test_explain_prints_hostile_text_inert(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_hostile_case(tmp_path)
    code, out, err = run(capsys, "explain", str(path), "enablement")
    assert code == 0, err
    assert "\u202e" not in out and "\x1b" not in out


# --- terminal ---------------------------------------------------------------------------------




def test_terminal_table_shows_markup_literally(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setenv("NO_COLOR", "1")
    path = write_hostile_case(tmp_path)
    code, out, err = run(capsys, "plan", str(path), "--format", "table")
    assert code == 0, err
    assert TITLE in out  # rich markup, HTML and backslashes printed as written
    assert "\x1b" not in out


# --- command line -----------------------------------------------------------------------------


def test_cli_report_html_and_markdown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    html_file, md_file = tmp_path / "r.html", tmp_path / "r.md"
    code, _, err = run(capsys, "report", str(BAXTER), "-o", str(html_file), "--top", "2")
    assert code == 0, err
    _assert_safe_html(html_file.read_text(encoding="utf-8"))
    code, _, err = run(capsys, "report", str(BAXTER), "-o", str(md_file))
    assert code == 0, err
    assert "```mermaid" in md_file.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.md"]


# --- a real browser ---------------------------------------------------------------------------


def _open_in_browser(page_file: Path, shot: Path) -> tuple[list[str], list[str], list[str]]:
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 2000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: _record_dialog(dialogs, d))
            page.goto(page_file.as_uri(), wait_until="load")
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    return errors, requests, dialogs


def _record_dialog(dialogs: list[str], dialog: Any) -> None:
    dialogs.append(dialog.message)
    dialog.dismiss()


def _distinct_colours(png: Path) -> int:
    try:
        from PIL import Image
    except ImportError:
        return 1000 if png.stat().st_size > 30_000 else 0
    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    return len(colours or [])


@pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"), reason="/usr/bin/chromium is missing (apt-get install chromium; CI installs it)")
@pytest.mark.parametrize("which", ["baxter", "hostile"])
def test_report_in_a_real_browser(which: str, baxter: tuple[Case, Plan], hostile_case: tuple[Case, Plan], onto: Ontology, tmp_path: Path) -> None:
    case, plan = baxter if which == "baxter" else hostile_case
    page_file = tmp_path / "report.html"
    page_file.write_text(plan_html(plan, onto, case, svg=_svg(plan, onto)), encoding="utf-8")
    shot = tmp_path / "shot.png"
    errors, requests, dialogs = _open_in_browser(page_file, shot)
    assert errors == []
    assert requests == [page_file.as_uri()]  # nothing but the file itself
    assert dialogs == []  # no alert() ran
    assert _distinct_colours(shot) > 50, "the screenshot looks blank"


def test_hostile_strings_cover_the_brief() -> None:
    joined = "\n".join(HOSTILE)
    for needle in ('"', "\\n", "\\l", "<script>", "onerror", "{}", "->", "digraph", "subgraph", "node [shape=box]",
                   "&amp;", "&lt;", "\n", "\t", "😀", "\u202e", "**x**", "javascript:", "|", "[bold red]", '"]', "end", "-->"):
        assert needle in joined, needle
    assert any(len(s) == 5000 for s in HOSTILE)
