"""Diagrams: DOT and Mermaid content, escaping of hostile case text, both renderers, golden files."""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from combmap import Ontology, Plan, RenderError, UnknownIdError, load_case, make_plan
from combmap import diagram as dg
from combmap.plan import RankedFunction

from .conftest import CASES
from .conftest import run_cli as run
from .hostile import HOSTILE, TITLE, write_hostile_case

GOLDEN = Path(__file__).resolve().parent / "golden"
CASE_FILES = sorted(CASES.glob("*.yaml"))
BAXTER = CASES / "baxter-2020-cvso.yaml"
# In CI (.ci/run installs Graphviz) a missing renderer must fail, not skip.
IN_CI = bool(os.environ.get("CI"))
HAVE_SYSTEM = shutil.which("dot") is not None or IN_CI
HAVE_PURE = dg._pure_executable() is not None or IN_CI
RENDERERS = [
    pytest.param("system", marks=pytest.mark.skipif(not HAVE_SYSTEM, reason="system Graphviz `dot` is not installed here (CI installs it)")),
    pytest.param("pure", marks=pytest.mark.skipif(not HAVE_PURE, reason="graphviz-pure is not installed")),
]


@pytest.fixture(scope="module")
def baxter(onto: Ontology) -> Plan:
    return make_plan(load_case(BAXTER, onto), onto)


@pytest.fixture(scope="module")
def hostile(onto: Ontology, tmp_path_factory: pytest.TempPathFactory) -> Plan:
    path = write_hostile_case(tmp_path_factory.mktemp("hostile"))
    return make_plan(load_case(path, onto), onto)


def _svg_checks(svg: bytes) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    for element in root.iter():
        assert not element.tag.lower().endswith("script"), "script element in SVG"
        assert not element.tag.lower().endswith("foreignobject")
        for name in element.attrib:
            assert not name.rsplit("}", 1)[-1].lower().startswith("on"), f"event attribute {name}"
    return root


def _texts(root: ET.Element) -> str:
    return "\n".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))


# --- escaping ---------------------------------------------------------------------------------


def test_dot_escape_doubles_backslashes_then_quotes() -> None:
    assert dg.dot_escape('a\\nb "c"') == 'a\\\\nb \\"c\\"'
    assert dg.dot_escape("x\\") == "x\\\\"
    assert dg.dot_escape("one\ntwo\tthree\u202e") == "one two three"


def test_mermaid_escape_leaves_only_safe_characters() -> None:
    for text in HOSTILE:
        encoded = dg.mermaid_escape(text)
        assert re.fullmatch(r"(?:[^\W_]|[ .,()/]|#\d+;)*", encoded), encoded[:80]


def test_wrap_truncates_and_cleans() -> None:
    lines = dg.wrap("x " * 500)
    assert len(lines) == dg.MAX_LINES and lines[-1].endswith("…")
    assert all(len(line) <= dg.WRAP for line in lines)
    assert dg.wrap("a\nb\x1b") == ["a b"]


@pytest.mark.parametrize("renderer", RENDERERS)
def test_hostile_dot_renders_to_safe_svg(hostile: Plan, onto: Ontology, renderer: str) -> None:
    source = dg.plan_digraph(hostile, onto, date='2026-01-01 "\\N"').source
    root = _svg_checks(dg.render(source, "svg", renderer=renderer))
    text = _texts(root)
    # Escaped, not interpreted: the backslash sequences and markup print as written.
    assert "literal \\n newline," in text and "\\l left, \\r right," in text
    assert "&lt;" not in text and "<script>alert(1)</script>" in text
    assert "Hostile \"case\" <script>alert(1)</script>" in text
    assert "{} { curly } braces" in text and "node [shape=box]" in text
    assert "excluded (apease)" not in text.lower()  # excluded options are never drawn


def test_hostile_dot_has_no_raw_case_text(hostile: Plan, onto: Ontology) -> None:
    source = dg.plan_digraph(hostile, onto).source
    for line in source.splitlines():
        # Every quoted string is closed on its own line: no newline from case text leaks out.
        unescaped_quotes = re.sub(r"\\.", "", line).count('"')
        assert unescaped_quotes % 2 == 0, line[:120]
    assert "=<<B>html" not in source and '"<<B>html label</B>>\\l"' in source  # quoted, never HTML-like
    assert "\x1b" not in source and "\u202e" not in source


def test_hostile_mermaid_lines_follow_the_grammar(hostile: Plan, onto: Ontology) -> None:
    text = dg.plan_mermaid(hostile, onto)
    label = r'"(?:(?:[^\W_]|[ .,()/]|#\d+;)|<br/>)*"'
    grammar = re.compile(
        rf"flowchart LR|  \w+\[{label}\]:::\w+|    \w+\[{label}\]:::\w+|  subgraph \w+\[{label}\]|  end"
        r"|  \w+ (?:-->|-\.->) \w+|  classDef \w+ [\w:#,. -]+|  linkStyle \d+ [\w:#,. -]+"
    )
    for line in text.splitlines():
        assert grammar.fullmatch(line), line[:160]
    assert TITLE not in text


# --- content --------------------------------------------------------------------------------


def test_layers_titles_legend_and_styles(baxter: Plan, onto: Ontology) -> None:
    source = dg.plan_digraph(baxter, onto).source
    for title in dg.LAYERS.values():
        assert title in source
    assert "rankdir=LR" in source and "rank=same" in source and "Legend" in source
    assert "style=dashed" in source and dg._UNVERIFIED in source  # unverified links drawn dashed
    assert "peripheries=2" in source  # enablers
    assert "#" + "1 · " in source
    colours = set(re.findall(r"#[0-9A-Fa-f]{3,8}\b", source))
    assert all(len(c) == 7 for c in colours), colours  # 6-digit hex only
    assert set(dg.COMPONENT_COLOURS.values()) <= colours


def test_top_limits_techniques_per_function(baxter: Plan, onto: Ontology) -> None:
    model = dg.diagram_model(baxter, onto, top=1)
    for function in baxter.functions:
        techniques = [h for (t, h) in model.edges if t == function.id and h.startswith("bct:")]
        assert len(techniques) <= 1


def test_excluded_options_are_not_drawn(hostile: Plan, onto: Ontology) -> None:
    assert any(e.id == "if:coercion" for e in hostile.excluded)
    source = dg.plan_digraph(hostile, onto).source
    assert not any(line.strip().startswith("if_coercion [") for line in source.splitlines())
    assert "if:coercion" not in dg.plan_mermaid(hostile, onto)


def test_focus_on_a_function_keeps_only_what_connects(baxter: Plan, onto: Ontology) -> None:
    model = dg.diagram_model(baxter, onto, focus="Enablement")
    functions = {k for k, n in model.nodes.items() if n.layer == "functions"}
    assert functions == {"if:enablement"}
    enablement = baxter.item("if:enablement")
    assert isinstance(enablement, RankedFunction)
    barriers = {k.removeprefix("barrier:") for k, n in model.nodes.items() if n.layer == "barriers"}
    assert barriers == set(enablement.barriers) | set(enablement.enablers)


def test_focus_on_a_barrier(baxter: Plan, onto: Ontology) -> None:
    barrier = baxter.barriers[0]
    model = dg.diagram_model(baxter, onto, focus=barrier.id)
    assert [k for k, n in model.nodes.items() if n.layer == "barriers"] == [f"barrier:{barrier.id}"]
    reached = {f.id for f in baxter.functions if barrier.id in f.barriers + f.enablers}
    assert {k for k, n in model.nodes.items() if n.layer == "functions"} == reached


def test_unknown_focus_suggests(baxter: Plan, onto: Ontology) -> None:
    with pytest.raises(UnknownIdError, match="did you mean 'if:enablement'"):
        dg.diagram_model(baxter, onto, focus="enablment")


def test_layers_bridge_hidden_columns(baxter: Plan, onto: Ontology) -> None:
    model = dg.diagram_model(baxter, onto, layers=["barriers,functions"])
    assert {n.layer for n in model.nodes.values()} == {"barriers", "functions"}
    assert model.edges and all(t.startswith("barrier:") and h.startswith("if:") for t, h in model.edges)
    with pytest.raises(RenderError, match="did you mean 'policies'"):
        dg.diagram_model(baxter, onto, layers=["policy"])


def test_output_is_deterministic(baxter: Plan, onto: Ontology) -> None:
    assert dg.plan_digraph(baxter, onto).source == dg.plan_digraph(baxter, onto).source
    assert dg.plan_mermaid(baxter, onto) == dg.plan_mermaid(baxter, onto)
    assert "2031-05-06" not in dg.plan_digraph(baxter, onto).source
    assert "2031-05-06" in dg.plan_digraph(baxter, onto, date="2031-05-06").source


@pytest.mark.parametrize("case_file", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_golden_dot_and_mermaid(case_file: Path, onto: Ontology, update_golden: bool) -> None:
    plan = make_plan(load_case(case_file, onto), onto)
    written = []
    for suffix, text in ((".dot", dg.plan_digraph(plan, onto).source), (".mmd", dg.plan_mermaid(plan, onto))):
        path = GOLDEN / f"{case_file.stem}{suffix}"
        if update_golden or not path.exists():
            path.write_text(text, encoding="utf-8")
            written.append(path.name)
        assert text == path.read_text(encoding="utf-8"), f"{path.name} changed; review, then run pytest --update-golden"
    if written and not update_golden:
        pytest.fail(f"{', '.join(written)} missing and now written; review them and rerun the tests")


# --- rendering ------------------------------------------------------------------------------


@pytest.mark.parametrize("renderer", RENDERERS)
def test_svg_and_png_render(baxter: Plan, onto: Ontology, renderer: str) -> None:
    source = dg.plan_digraph(baxter, onto).source
    root = _svg_checks(dg.render(source, "svg", renderer=renderer))
    assert "Enablement" in _texts(root)
    png = dg.render(source, "png", renderer=renderer)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 50_000


@pytest.mark.parametrize("renderer", RENDERERS)
def test_renderer_forced_by_environment(monkeypatch: pytest.MonkeyPatch, renderer: str) -> None:
    monkeypatch.setenv(dg.RENDERER_ENV, renderer)
    svg = dg.render("digraph { a -> b }", "svg")
    marker = b"graphviz-pure" if renderer == "pure" else b"Generated by graphviz"
    assert marker in svg
    assert (renderer == "pure") == (b"graphviz-pure" in svg)


def test_pdf_through_system_graphviz() -> None:
    if not HAVE_SYSTEM:
        pytest.skip("system Graphviz `dot` is not installed here (CI installs it)")
    assert dg.render("digraph { a -> b }", "pdf", renderer="system").startswith(b"%PDF")


def test_pdf_through_graphviz_pure_and_svglib() -> None:
    pytest.importorskip("svglib")
    assert dg.render("digraph { a -> b }", "pdf", renderer="pure").startswith(b"%PDF")


def test_pdf_without_a_route_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dg, "_svg_to_pdf", lambda svg: None)
    with pytest.raises(RenderError, match=r"combmap\[pdf\]"):
        dg.render("digraph { a }", "pdf", renderer="pure")


def test_render_errors_are_render_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="cannot render 'gif'"):
        dg.render("digraph { a }", "gif")
    with pytest.raises(RenderError, match="unknown renderer"):
        dg.render("digraph { a }", "svg", renderer="cairo")
    if HAVE_PURE:
        with pytest.raises(RenderError, match="could not render svg"):
            dg.render("digraph { a -> ", "svg", renderer="pure")
    monkeypatch.setattr(dg, "_system_executable", lambda: None)
    with pytest.raises(RenderError, match="not on PATH"):
        dg.render("digraph { a }", "svg", renderer="system")
    monkeypatch.setattr(dg, "_pure_executable", lambda: None)
    with pytest.raises(RenderError, match="no Graphviz renderer found"):
        dg.render("digraph { a }", "svg")


def test_pure_binary_is_found_beside_the_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    if not HAVE_PURE:
        pytest.skip("graphviz-pure is not installed")
    monkeypatch.setenv("PATH", "/nonexistent")
    found = dg._pure_executable()
    assert found is not None and os.access(found, os.X_OK)


# --- command line ---------------------------------------------------------------------------




def test_cli_diagram_formats(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "diagram", str(BAXTER))
    assert code == 0, err
    assert out.startswith("digraph combmap_summary {")
    code, out, err = run(capsys, "diagram", str(BAXTER), "--detail", "full")
    assert code == 0, err
    assert out.startswith("digraph combmap {")
    code, out, _ = run(capsys, "diagram", str(BAXTER), "--format", "mermaid", "--top", "1", "--layers", "functions", "--layers", "policies")
    assert code == 0 and out.startswith("flowchart LR") and "tdf_" not in out
    target = tmp_path / "d.svg"
    code, _, err = run(capsys, "diagram", str(BAXTER), "-o", str(target), "--focus", "if:training")
    assert code == 0, err
    _svg_checks(target.read_bytes())
    assert [p.name for p in tmp_path.iterdir()] == ["d.svg"]


def test_cli_diagram_png(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "d.png"
    code, _, err = run(capsys, "diagram", str(BAXTER), "-o", str(target), "--renderer", "pure" if HAVE_PURE else "auto")
    assert code == 0, err
    assert target.read_bytes().startswith(b"\x89PNG")


def test_cli_unknown_focus(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "diagram", str(BAXTER), "--focus", "enablment")
    assert code == 1
    assert "did you mean 'if:enablement'" in err and "Traceback" not in err


def test_cli_png_needs_an_output_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "diagram", str(BAXTER), "--format", "png")
    assert code == 1 and out == ""
    assert "binary" in err and "-o" in err


@pytest.mark.parametrize("where", ["missing-folder", "file-as-folder"])
def test_cli_unwritable_output(capsys: pytest.CaptureFixture[str], tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    folder = tmp_path / "nope" if where == "missing-folder" else blocker
    for command, name in (("diagram", "d.svg"), ("report", "r.html")):
        code, _, err = run(capsys, command, str(BAXTER), "-o", str(folder / name))
        assert code == 1, err
        assert "cannot write" in err and "Traceback" not in err


def test_cli_unknown_suffix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "diagram", str(BAXTER), "-o", str(tmp_path / "d.gif"))
    assert code == 1 and "--format" in err


# --- the summary view (issue 12) ----------------------------------------------------------------


def _summary_source(onto: Ontology, case_file: Path, size: str = "a4-landscape") -> str:
    plan = make_plan(load_case(case_file, onto), onto)
    return str(dg.summary_digraph(dg.summary_model(plan, onto), size=size).source)


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: p.stem)
def test_summary_golden(case_file: Path, onto: Ontology, update_golden: bool) -> None:
    plan = make_plan(load_case(case_file, onto), onto)
    model = dg.summary_model(plan, onto)
    for suffix, text in ((".summary.dot", dg.summary_digraph(model).source), (".summary.mmd", dg.summary_mermaid(model))):
        path = GOLDEN / f"{case_file.stem}{suffix}"
        if update_golden or not path.exists():
            path.write_text(text, encoding="utf-8")
        assert path.read_text(encoding="utf-8") == text, f"{path.name} changed; review, then run pytest --update-golden"


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: p.stem)
def test_summary_every_node_but_the_last_column_has_a_line_out(case_file: Path, onto: Ontology) -> None:
    plan = make_plan(load_case(case_file, onto), onto)
    model = dg.summary_model(plan, onto)
    tails = {a for a, _ in model.edges} | {f for item in model.finals for f in item.sources}
    assert {g.id for g in model.groups} <= tails
    assert {f.id for f in model.functions} <= tails
    heads = {b for _, b in model.edges}
    assert {f.id for f in model.functions} <= heads
    assert all(item.sources for item in model.finals)
    ranks = [int(f.lines[0].split()[0].lstrip("#=")) for f in model.functions]
    assert ranks == sorted(ranks), "functions are drawn in rank order"


@pytest.mark.skipif(not HAVE_SYSTEM, reason="system Graphviz `dot` is not installed here (CI installs it)")
@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: p.stem)
def test_summary_fits_a4_landscape_with_legible_text(case_file: Path, onto: Ontology) -> None:
    """Drawn for A4 landscape (277 × 190 mm of text block), its smallest text stays ≥ 7 pt."""
    svg = dg.render(_summary_source(onto, case_file), "svg", renderer="system").decode()
    width, height = (float(v) for v in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())  # type: ignore[union-attr]
    assert width <= 10.9 * 72 + 1 and height <= 7.5 * 72 + 1
    scale = float(re.search(r"scale\(([\d.]+)", svg).group(1))  # type: ignore[union-attr]
    sizes = [float(v) for v in re.findall(r'font-size="([\d.]+)"', svg)]
    assert min(sizes) * scale >= 7.0, f"smallest text {min(sizes) * scale:.2f} pt"


def test_summary_sizes_and_dpi(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for size, box in (("slide", "13,7"), ("a4", "7.5,10.9")):
        code, out, err = run(capsys, "diagram", str(BAXTER), "--size", size)
        assert code == 0, err
        assert f'size="{box}"' in out
    code, out, _ = run(capsys, "diagram", str(BAXTER), "--size", "poster", "--dpi", "200")
    assert code == 0 and " size=" not in out.split("\n", 2)[1] and "dpi=200" in out
    from PIL import Image

    widths = []
    for dpi in ("72", "144"):
        target = tmp_path / f"s{dpi}.png"
        code, _, err = run(capsys, "diagram", str(BAXTER), "-o", str(target), "--dpi", dpi)
        assert code == 0, err
        with Image.open(target) as image:
            widths.append(image.size[0])
    assert abs(widths[1] / widths[0] - 2) < 0.05, widths


def test_summary_escapes_hostile_text(hostile: Plan, onto: Ontology) -> None:
    model = dg.summary_model(hostile, onto)
    source = dg.summary_digraph(model).source
    html_labels = [line for line in source.splitlines() if "label=<<" in line]
    assert html_labels and all("<script" not in line.lower() for line in html_labels)
    assert "<script" not in dg.summary_mermaid(model).lower()
    if HAVE_SYSTEM:
        _svg_checks(dg.render(source, "svg", renderer="system"))


def test_long_mermaid_is_replaced_by_the_summary(baxter: Plan, onto: Ontology) -> None:
    model = dg.summary_model(baxter, onto)
    text, replaced = dg.mermaid_or_summary("x" * (dg.MERMAID_MAX_TEXT + 1), model)
    assert replaced and text.startswith("flowchart LR") and "summary_note" in text and "longer" in text
    same, replaced = dg.mermaid_or_summary("flowchart LR\n", model)
    assert not replaced and same == "flowchart LR\n"


def test_pure_pdf_draws_latin_extended_in_the_shipped_font(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 15 item 9: Welsh and Polish letters survive the pure-Python PDF (not Helvetica's
    Latin-1), drawn in the DejaVu Sans that ships in the package."""
    pytest.importorskip("svglib")
    pypdf = pytest.importorskip("pypdf")
    words = "Tŷ Dŵr, Łódź and źródło"
    case = tmp_path / "welsh.yaml"
    case.write_text(
        f'case: {{id: welsh, title: "{words}"}}\nbehaviour: {{target: Run sessions}}\n'
        f'barriers:\n  - {{id: b1, text: "Dŵr a thŷ; Łódź źle", tdf: [tdf:knowledge]}}\n',
        encoding="utf-8",
    )
    target = tmp_path / "welsh.pdf"
    code, _, err = run(capsys, "diagram", str(case), "-o", str(target), "--renderer", "pure")
    assert code == 0, err
    reader = pypdf.PdfReader(target)
    text = reader.pages[0].extract_text()
    assert words in text and "Dŵr a thŷ; Łódź źle" in text
    fonts = {str(font.get_object()["/BaseFont"]).split("+")[-1] for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= fonts
