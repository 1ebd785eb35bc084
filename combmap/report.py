"""Client reports: one self-contained HTML page, or Markdown with a Mermaid diagram.

The HTML page makes no request of its own: styles are inline, there is no script, no web font
and no remote image, and a Content-Security-Policy says so to the browser as well. Every string
from the case goes through `html.escape`; the diagram's SVG is sanitised (no script, no event
handler attributes, no link out of the page) before it is inlined, although DOT labels are
escaped already. Links to sources are printed as text, not as hyperlinks.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING

from combmap.errors import RenderError
from combmap.ontology import Ontology, sort_key
from combmap.plan import Plan, RankedFunction, RankedPolicy, RankedTechnique
from combmap.plan.models import ProposedMatch
from combmap.render import chain_lines, cited, plan_markdown, reference_text
from combmap.schema import Kind

if TYPE_CHECKING:
    from combmap.case import Case

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
#: Elements that can run code, load something or embed another document.
#: Attributes whose value is followed as a link or loaded; text attributes (a tooltip, a
#: title) may mention "javascript:" as words and are kept (issue 13 item 10).
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "from", "to", "values", "by", "style", "filter", "mask", "clip-path", "fill", "stroke", "marker-start", "marker-mid", "marker-end", "cursor"}
_UNSAFE_ELEMENTS = {
    "script", "foreignobject", "iframe", "object", "embed", "image", "use", "audio", "video",
    "style", "handler", "listener", "set", "animate", "animatemotion", "animatetransform",
}
_Add = Callable[[str], None]
_JUDGEMENT_MARK = {"pass": "✓ pass", "unsure": "? unsure", "fail": "✗ fail"}


def esc(text: object) -> str:
    """HTML-escape any value, quotes included."""
    return html.escape(str(text), quote=True)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def sanitize_svg(svg: str) -> str:
    """Return the SVG with scripts, event handlers and outside links removed.

    Raises:
        RenderError: the text is not well-formed SVG.
    """
    try:
        root = ET.fromstring(svg.encode("utf-8"))
    except ET.ParseError as error:
        raise RenderError(f"the diagram's SVG is not well-formed XML: {error}") from None
    if _local(root.tag) != "svg":
        raise RenderError("the diagram is not an SVG document")
    for parent in list(root.iter()):
        for child in list(parent):
            if not isinstance(child.tag, str) or _local(child.tag) in _UNSAFE_ELEMENTS:
                parent.remove(child)
    for element in root.iter():
        for name in list(element.attrib):
            local = _local(name)
            value = element.attrib[name].strip().lower()
            compact = "".join(value.split())  # "java script:" with a tab is still a URL scheme
            if (
                local.startswith("on")
                or (local == "href" and not value.startswith("#"))
                or ("url(" in compact and "url(#" not in compact)
                or (local in _URL_ATTRIBUTES and "javascript:" in compact)
            ):
                del element.attrib[name]
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(root, encoding="unicode")


# --- HTML -------------------------------------------------------------------------------------

_CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --warn: #8a3b00; --band: #f5f5f5; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 72rem; padding: 1.5rem 2rem 4rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 2px solid var(--ink); padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
.meta, .note, figcaption { color: var(--muted); font-size: .92rem; }
nav ol { columns: 2; font-size: .92rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid var(--rule); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--band); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.flag { color: var(--warn); font-weight: 600; }
.tag { display: inline-block; border: 1px solid var(--rule); border-radius: .6rem; padding: 0 .45rem;
  font-size: .8rem; white-space: nowrap; }
.summary { background: var(--band); border-left: 4px solid var(--ink); padding: .6rem 1rem; }
figure { margin: 1rem 0; overflow-x: auto; border: 1px solid var(--rule); padding: .5rem; }
figure svg { max-width: 100%; height: auto; display: block; }
.worksheet td.blank { min-width: 6.5rem; height: 2.2rem; }
.worksheet td.pass { background: #e3f1ea; } .worksheet td.unsure { background: #fdf6d8; }
.worksheet td.fail { background: #fbe3d6; }
ul.why li { margin-bottom: .3rem; }
bdi { unicode-bidi: isolate; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, figure, li { break-inside: avoid; page-break-inside: avoid; }
  figure { border: none; overflow: visible; }
  section.diagram, section.worksheet { break-before: page; page-break-before: always; }
  a { color: inherit; text-decoration: none; }
}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"


def _t(text: object) -> str:
    """Case text: escaped, and isolated so right-to-left text cannot reorder what follows."""
    return f"<bdi>{esc(text)}</bdi>"


def _label(ontology: Ontology, entity_id: str) -> str:
    entity = ontology.entities.get(entity_id)
    return entity.label if entity else entity_id


def _anchor(kind: str, key: str) -> str:
    return esc(f"{kind}-{key}".replace(":", "-"))


def plan_html(
    plan: Plan,
    ontology: Ontology,
    case: Case,
    *,
    svg: str | None,
    date: str | None = None,
    top: int = 3,
) -> str:
    """A complete, self-contained HTML report of the plan for a client.

    Args:
        plan: the plan, from `make_plan(case, ontology)`.
        ontology: its ontology (labels, criteria, references).
        case: the case (behaviour, groups, evidence, APEASE worksheet).
        svg: the diagram as SVG (from `render`), inlined after sanitising; None leaves it out.
        date: printed under the title; none by default so the page is deterministic.
        top: techniques per function in the APEASE worksheet.

    Raises:
        RenderError: `svg` is not well-formed SVG.
    """
    texts = {b.id: b.text for b in plan.barriers}
    groups = {g.id: g.label for g in case.groups}
    out: list[str] = []
    add = out.append
    title = plan.case["title"]
    add("<!DOCTYPE html>")
    add('<html lang="en"><head><meta charset="utf-8">')
    add(f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">')
    add('<meta name="referrer" content="no-referrer">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f"<title>Intervention plan: {esc(title)}</title>")
    add(f"<style>{_CSS}</style></head><body>")
    add("<header>")
    add(f"<h1>Intervention plan: {_t(title)}</h1>")
    profile = ontology.manifest.profiles.get(plan.profile)
    meta = [f"Case <code>{esc(plan.case['id'])}</code>", f"ontology {esc(plan.ontology)}", f"profile <code>{esc(plan.profile)}</code>" + (f" ({esc(profile.title)})" if profile else "")]
    if date:
        meta.append(esc(date))
    add(f'<p class="meta">{" · ".join(meta)}</p>')
    add("</header>")
    sections = [
        ("summary", "Summary"), ("behaviour", "Target behaviour"), ("diagram", "Diagram"),
        ("priorities", "Priorities"), ("interventions", "Drafted interventions"), ("functions", "Intervention functions"),
        ("policies", "Policy categories"), ("techniques", "Behaviour change techniques"),
        ("excluded", "Excluded after APEASE"), ("rationale", "Rationale"), ("unverified", "Unverified links"),
        ("worksheet", "APEASE worksheet"), ("barriers", "Barriers and enablers"), ("references", "References"),
    ]
    sections[2:2] = bcw_nav(plan, case)
    add('<nav aria-label="Contents"><ol>' + "".join(f'<li><a href="#{key}">{name}</a></li>' for key, name in sections) + "</ol></nav>")

    _summary(add, plan, case)
    _behaviour(add, case)
    bcw_sections_html(add, plan, ontology, case)
    add('<section id="diagram" class="diagram"><h2>Diagram</h2>')
    if svg is None:
        add('<p class="note">No diagram in this report.</p>')
    else:
        add(f'<figure>{sanitize_svg(svg)}<figcaption>Barriers and enablers (left) through TDF domains and COM-B components to intervention functions, their top techniques and policy categories. Line width: weighted number of barriers flowing through a line. Solid: verified link or the case\'s own code; dotted: secondary source; dashed: unverified link; grey: excluded after APEASE. Double border: enabler.</figcaption></figure>')
    add("</section>")
    _priorities(add, plan)
    _functions(add, plan)
    _interventions(add, plan, texts)
    _policies(add, plan, ontology)
    _techniques(add, plan, ontology)
    _excluded(add, plan)
    _rationale(add, plan, ontology, texts)
    _unverified(add, plan, ontology)
    _worksheet(add, plan, ontology, case, top)
    _barriers(add, plan, ontology, case, groups)
    _references(add, plan, ontology)
    add('<footer class="note"><p>Made with combmap. Scores and routes are explained in the Rationale; the method is documented in combmap\'s docs/method.md.</p></footer>')
    add("</body></html>")
    return "\n".join(out) + "\n"


def _summary(add: _Add, plan: Plan, case: Case) -> None:
    info = case.info
    add('<section id="summary"><h2>Summary</h2>')
    barriers = [b for b in plan.barriers if b.kind != "enabler"]
    enablers = [b for b in plan.barriers if b.kind == "enabler"]
    points = [f"{len(barriers)} barriers (of which {sum(b.kind == 'both' for b in barriers)} also enablers) and {len(enablers)} enablers were coded."]
    if plan.priorities.components:
        top_components = ", ".join(esc(p.label) for p in plan.priorities.components[:3])
        points.append(f"The COM-B components raised most: {top_components}.")
    if plan.interventions:
        first = plan.interventions[0]
        points.append(f"The drafted intervention addressing most barriers: <strong>{_t(first.title)}</strong> ({len(first.barriers)} barriers).")
    if plan.selected:
        names = ", ".join(esc(plan.labels.get(f, f)) for f in plan.selected)
        points.append(f"Functions left in after APEASE, by barriers addressed: {names}.")
    points.append(esc(plan.robustness))
    add('<div class="summary"><ul>' + "".join(f"<li>{p}</li>" for p in points) + "</ul></div>")
    facts = [
        ("Organisation", info.organisation), ("Sector", info.sector), ("Setting", info.setting),
        ("Date", info.date), ("Source", info.source.citation if info.source else None),
        ("DOI", info.source.doi if info.source else None), ("URL", info.source.url if info.source else None),
        ("Coded by", info.coded_by), ("Notes", info.notes),
    ]
    rows = "".join(f"<dt>{name}</dt><dd>{_t(value)}</dd>" for name, value in facts if value)
    if rows:
        add(f'<dl class="facts">{rows}</dl>')
    for warning in plan.warnings:
        add(f'<p class="flag">Warning: {_t(warning)}</p>')
    add("</section>")


def _behaviour(add: _Add, case: Case) -> None:
    behaviour = case.behaviour
    add('<section id="behaviour"><h2>Target behaviour</h2>')
    add(f"<p><strong>{_t(behaviour.target)}</strong></p>")
    facts = [
        ("Who", behaviour.who), ("What", behaviour.what), ("Where", behaviour.where),
        ("When", behaviour.when), ("How often", behaviour.how_often), ("With whom", behaviour.with_whom),
    ]
    rows = "".join(f"<dt>{name}</dt><dd>{_t(value) if value else '<span class=note>not specified</span>'}</dd>" for name, value in facts)
    add(f'<dl class="facts">{rows}</dl></section>')


def _priorities(add: _Add, plan: Plan) -> None:
    add('<section id="priorities"><h2>Priorities</h2>')
    add('<p class="note">Ranked as the TDF guide judges importance: frequency, then elaboration, then conflicting evidence. "=" marks a tie.</p>')
    for title, rows in (("COM-B components", plan.priorities.components), ("TDF domains", plan.priorities.domains)):
        add(f"<h3>{title}</h3><table><thead><tr><th>rank</th><th>{title[:-1]}</th><th>frequency</th><th>elaboration</th><th>conflicting</th><th>barriers</th><th>enablers</th></tr></thead><tbody>")
        for p in rows:
            rank = f"={p.rank}" if p.tie else str(p.rank)
            add(f'<tr><td class="num">{rank}</td><td>{esc(p.label)}</td><td class="num">{p.frequency}</td><td class="num">{p.elaboration}</td><td>{"yes" if p.conflicting else ""}</td><td class="num">{len(p.barriers)}</td><td class="num">{len(p.enablers)}</td></tr>')
        add("</tbody></table>")
    add("</section>")


def _flag(item: RankedFunction | RankedPolicy | RankedTechnique) -> str:
    return "" if item.robustness.keeps_rank else f' <span class="flag">{esc(item.robustness.note)}</span>'


def _functions(add: _Add, plan: Plan) -> None:
    add('<section id="functions"><h2>Intervention functions</h2>')
    add("<table><thead><tr><th>rank</th><th>function</th><th>barriers addressed</th><th>first techniques</th><th>without unverified links</th></tr></thead><tbody>")
    for f in plan.functions:
        techniques = "; ".join(f"{esc(t.removeprefix('bct:'))} {esc(plan.labels.get(t, t))}" for t in f.techniques[:5]) or "none linked"
        rank = f"={f.rank}" if f.tie else str(f.rank)
        add(f'<tr><td class="num">{rank}</td><td>{esc(f.label)}</td><td class="num">{len(f.barriers)}</td><td>{techniques}</td><td>{esc(f.robustness.note)}</td></tr>')
    add("</tbody></table></section>")


def _interventions(add: _Add, plan: Plan, texts: dict[str, str]) -> None:
    add('<section id="interventions"><h2>Drafted interventions</h2>')
    add('<p class="note">Barriers grouped by the domain through which they reach their functions, ranked by barriers addressed (as Baxter &amp; Fancourt 2020, Table 2).</p>')
    add("<table><thead><tr><th>rank</th><th>intervention</th><th>barriers</th><th>functions</th><th>techniques</th><th>policy categories</th></tr></thead><tbody>")
    for item in plan.interventions:
        functions = ", ".join(esc(plan.labels.get(f, f)) for f in item.functions)
        techniques = "; ".join(f"{esc(t.id.removeprefix('bct:'))} {esc(t.label)}" for t in item.techniques)
        policies = ", ".join(esc(p.label) + (" (common)" if p.common else "") for p in item.policies)
        addressed = "".join(f"<li>{_t(texts.get(b, b))}</li>" for b in item.barriers)
        rank = f"={item.rank}" if item.tie else str(item.rank)
        add(f'<tr><td class="num">{rank}</td><td><strong>{_t(item.title)}</strong><details><summary>{len(item.barriers)} barriers</summary><ul>{addressed}</ul></details></td><td class="num">{len(item.barriers)}</td><td>{functions}</td><td>{techniques}</td><td>{policies}</td></tr>')
    add("</tbody></table></section>")


def _policies(add: _Add, plan: Plan, ontology: Ontology) -> None:
    add('<section id="policies"><h2>Policy categories</h2>')
    add('<p class="note"><em>Common lever</em>: can deliver every selected function; <em>candidate</em>: at least one (Michie, van Stralen &amp; West 2011, Table 3).</p>')
    add("<table><thead><tr><th>rank</th><th>policy category</th><th>barriers</th><th>delivers</th><th>role</th><th></th></tr></thead><tbody>")
    for p in plan.policies:
        serves = ", ".join(esc(_label(ontology, f)) for f in p.functions)
        role = "common lever" if p.common else "candidate"
        rank = f"={p.rank}" if p.tie else str(p.rank)
        add(f'<tr><td class="num">{rank}</td><td>{esc(p.label)}</td><td class="num">{len(p.barriers)}</td><td>{serves}</td><td>{role}</td><td>{_flag(p)}</td></tr>')
    add("</tbody></table></section>")


def _techniques(add: _Add, plan: Plan, ontology: Ontology) -> None:
    add('<section id="techniques"><h2>Behaviour change techniques</h2>')
    add("<table><thead><tr><th>rank</th><th>technique</th><th>barriers</th><th>with domain evidence</th><th>functions</th><th></th></tr></thead><tbody>")
    for t in plan.techniques:
        functions = ", ".join(esc(_label(ontology, f)) for f in t.functions)
        rank = f"={t.rank}" if t.tie else str(t.rank)
        add(f'<tr><td class="num">{rank}</td><td>{esc(t.id.removeprefix("bct:"))} {esc(t.label)}</td><td class="num">{len(t.barriers)}</td><td class="num">{t.evidence}</td><td>{functions}</td><td>{_flag(t)}</td></tr>')
    add("</tbody></table></section>")


def _excluded(add: _Add, plan: Plan) -> None:
    add('<section id="excluded"><h2>Excluded after APEASE</h2>')
    if not plan.excluded:
        add('<p class="note">Nothing was excluded.</p></section>')
        return
    add("<table><thead><tr><th>option</th><th>kind</th><th>reason</th></tr></thead><tbody>")
    for item in plan.excluded:
        add(f'<tr><td>{esc(item.label)} (<code>{esc(item.id)}</code>)</td><td>{esc(item.kind)}</td><td>{_t(item.reason)}</td></tr>')
    add("</tbody></table></section>")


def _citation(link_ref: str, locator: str | None, status: str) -> str:
    where = f", {esc(locator)}" if locator else ""
    return f'<a href="#{_anchor("ref", link_ref)}">{esc(link_ref)}</a>{where} ({esc(status)})'


def _rationale(add: _Add, plan: Plan, ontology: Ontology, texts: dict[str, str]) -> None:
    add('<section id="rationale"><h2>Rationale</h2>')
    add('<p class="note">For every barrier, its routes to each selected function and the techniques under it, with the sources of each link.</p>')
    for chain in plan.barriers:
        routes = []
        for function in chain.functions:
            for route in function.routes:
                link = plan.links[route.link]
                cites = "; ".join(_citation(s.ref, s.locator, link.status) for s in link.sources)
                routes.append(f"<li>{esc(_label(ontology, route.code))} → {esc(_label(ontology, function.id))} [{cites}]</li>")
        lines = "".join(routes) + "".join(f"<li>{_t(line)}</li>" for line in chain_lines(chain, plan, ontology))
        add(f'<h4 id="{_anchor("why", chain.id)}">{_t(texts.get(chain.id, chain.id))} <code>{esc(chain.id)}</code></h4><ul class="why">{lines}</ul>')
    add("</section>")


def _unverified(add: _Add, plan: Plan, ontology: Ontology) -> None:
    add('<section id="unverified"><h2>Unverified links</h2>')
    weak = [link for link in plan.links.values() if link.status == "unverified"]
    if not weak:
        add('<p class="note">No recommendation rests on an unverified link.</p></section>')
        return
    add(f'<p class="note">{esc(plan.robustness)} Each ranked item says whether it keeps its rank without them.</p>')
    add("<table><thead><tr><th>from</th><th>to</th><th>source</th><th>link set</th></tr></thead><tbody>")
    for link in sorted(weak, key=lambda item: item.id):
        cites = "; ".join(_citation(s.ref, s.locator, link.status) for s in link.sources)
        add(f"<tr><td>{esc(_label(ontology, link.source))}</td><td>{esc(_label(ontology, link.target))}</td><td>{cites}</td><td><code>{esc(link.set)}</code></td></tr>")
    add("</tbody></table></section>")


def _worksheet(add: _Add, plan: Plan, ontology: Ontology, case: Case, top: int) -> None:
    criteria = ontology.of_kind(Kind.CRITERION)
    judged = {option: dict(judgements) for option, judgements in case.apease}
    options: list[tuple[str, str]] = []
    for function in plan.functions:
        options.append((function.id, function.label))
        for technique in function.techniques[:top]:
            options.append((technique, f"{technique.removeprefix('bct:')} {plan.labels.get(technique, technique)}"))
    options.extend((p.id, p.label) for p in plan.policies)
    seen: set[str] = set()
    add('<section id="worksheet" class="worksheet"><h2>APEASE worksheet</h2>')
    add('<p class="note">Judge every candidate function, its first techniques and every policy category against the APEASE criteria (Michie, Atkins &amp; West 2014): pass, unsure or fail, with a note. Judgements already recorded in the case are filled in.</p>')
    add("<table><thead><tr><th>option</th>" + "".join(f"<th>{esc(c.label)}</th>" for c in criteria) + "</tr></thead><tbody>")
    for option, name in options:
        if option in seen:
            continue
        seen.add(option)
        cells = []
        for criterion in criteria:
            value = judged.get(option, {}).get(criterion.id)
            if value is None:
                cells.append('<td class="blank"></td>')
            else:
                cells.append(f'<td class="{esc(value.value)}">{esc(_JUDGEMENT_MARK.get(value.value, value.value))}</td>')
        indent = "&nbsp;&nbsp;&nbsp;" if option.startswith("bct:") else ""
        add(f"<tr><td>{indent}{esc(name)}</td>{''.join(cells)}</tr>")
    add("</tbody></table></section>")


def _barriers(add: _Add, plan: Plan, ontology: Ontology, case: Case, groups: dict[str, str]) -> None:
    by_id = {b.id: b for b in case.barriers}
    add('<section id="barriers"><h2>Barriers and enablers</h2>')
    add("<table><thead><tr><th>id</th><th>barrier or enabler</th><th>kind</th><th>codes</th><th>load</th><th>group</th><th>evidence</th></tr></thead><tbody>")
    for barrier in plan.barriers:
        source = by_id.get(barrier.id)
        codes = ", ".join(esc(_label(ontology, c)) for c in (*barrier.domains, *barrier.components))
        group = _t(groups.get(barrier.group, barrier.group)) if barrier.group else ""
        evidence = "".join(f"<li>{_t(quote)}</li>" for quote in (source.evidence if source else ()))
        notes = f'<p class="note">{_t(source.notes)}</p>' if source and source.notes else ""
        add(f'<tr id="{_anchor("barrier", barrier.id)}"><td><code>{esc(barrier.id)}</code></td><td>{_t(barrier.text)}{notes}</td><td>{esc(barrier.kind)}</td><td>{codes}</td><td class="num">{barrier.load:g}</td><td>{group}</td><td>{"<ul>" + evidence + "</ul>" if evidence else ""}</td></tr>')
    add("</tbody></table></section>")


# --- issue 16: behaviours, selection worksheet, outcomes, proposed, delivery and specification ---


def bcw_nav(plan: Plan, case: Case) -> list[tuple[str, str]]:
    """Contents entries of the issue-16 sections this report has (none for a plain case)."""
    return [
        (key, name)
        for key, name, present in (
            ("behaviours", "Behaviours", plan.behaviours is not None),
            ("selection", "Behaviour selection", bool(case.candidates)),
            ("outcomes", "Outcomes (not scored)", plan.outcomes is not None),
            ("proposed", "Interventions the source proposes", plan.proposed is not None),
            ("delivery", "Mode of delivery and specification", plan.delivery is not None),
        )
        if present
    ]


def bcw_sections_html(add: _Add, plan: Plan, ontology: Ontology, case: Case) -> None:
    """The issue-16 sections, each only when the case uses it."""
    _behaviours_html(add, plan, ontology)
    _selection_html(add, case)
    _outcomes_html(add, plan)
    _proposed_html(add, plan)
    _delivery_html(add, plan)


def _behaviours_html(add: _Add, plan: Plan, ontology: Ontology) -> None:
    if plan.behaviours is None:
        return
    add('<section id="behaviours"><h2>Behaviours</h2>')
    add('<p class="note">Each target behaviour planned on its own barriers (BCW steps 2–3), with the same rules as the whole case.</p>')
    for item in plan.behaviours:
        add(f"<h3>{_t(item.id)}: {_t(item.target)}</h3>")
        facts = [("Actor", item.actor), *((k.replace("_", " ").capitalize(), v) for k, v in item.specification.items())]
        add('<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{_t(v)}</dd>" for k, v in facts) + "</dl>")
        selected = ", ".join(esc(_label(ontology, f)) for f in item.selected) or "none"
        add(f"<p>{len(item.barriers)} barriers, {len(item.enablers)} enablers, {len(item.outcomes)} outcomes. Functions after APEASE: {selected}.</p>")
        if item.interventions:
            add("<table><thead><tr><th>rank</th><th>drafted intervention</th><th>barriers</th><th>functions</th><th>techniques</th></tr></thead><tbody>")
            for i in item.interventions:
                functions = ", ".join(esc(_label(ontology, f)) for f in i.functions)
                techniques = ", ".join(esc(t.id.removeprefix("bct:") + " " + t.label) for t in i.techniques)
                add(f'<tr><td class="num">{i.rank}{"=" if i.tie else ""}</td><td>{_t(i.title)}</td><td class="num">{len(i.barriers)}</td><td>{functions}</td><td>{techniques}</td></tr>')
            add("</tbody></table>")
        for warning in item.warnings:
            add(f'<p class="flag">Warning: {_t(warning)}</p>')
    add("<h3>Across behaviours</h3>")
    if plan.shared:
        add("<ul>")
        for shared in plan.shared:
            serving = ", ".join(f"{_t(b)} ({len(shared.barriers[b])} barriers)" for b in shared.behaviours)
            add(f"<li><strong>{_t(shared.title)}</strong> serves {serving}.</li>")
        add("</ul>")
    else:
        add("<p>No drafted intervention serves more than one behaviour.</p>")
    add("</section>")


def _selection_html(add: _Add, case: Case) -> None:
    if not case.candidates:
        return
    from combmap.behaviours import CRITERIA, rank_candidates

    result = rank_candidates(case)
    add('<section id="selection" class="worksheet"><h2>Behaviour selection</h2>')
    add('<p class="note">Candidate behaviours judged on the BCW guide\'s criteria (Michie, Atkins &amp; West 2014, step 2): unacceptable, unpromising but worth considering, promising, very promising. ' + esc(result.rule) + "</p>")
    add("<table><thead><tr><th>rank</th><th>candidate</th><th>actor</th>" + "".join(f"<th>{esc(name)}</th>" for _, name in CRITERIA) + "<th>total</th><th>selected</th></tr></thead><tbody>")
    for row in result.candidates:
        cells = "".join(
            f"<td>{esc(j.rating or 'not judged')}" + (f'<p class="note">{_t(j.note)}</p>' if j.note else "") + "</td>"
            for j in row.judgements
        )
        rank = f"{row.rank}{'=' if row.tie else ''}" + (" (ruled out)" if row.ruled_out else "")
        add(f'<tr><td class="num">{esc(rank)}</td><td>{_t(row.behaviour)}</td><td>{_t(row.actor or "")}</td>{cells}<td class="num">{row.total}</td><td>{"yes" if row.selected else ""}</td></tr>')
    add("</tbody></table></section>")


def _outcomes_html(add: _Add, plan: Plan) -> None:
    if plan.outcomes is None:
        return
    add('<section id="outcomes"><h2>Outcomes (not scored)</h2>')
    add('<p class="note">Outcomes and observed effects of the behaviour, not determinants of it: shown, never scored, no chain.</p><ul>')
    for entry in plan.outcomes:
        where = ", ".join(x for x in (entry.behaviour, entry.group) if x)
        add(f"<li><code>{esc(entry.id)}</code>: {_t(entry.text)}" + (f" ({_t(where)})" if where else "") + "</li>")
    add("</ul></section>")


def _proposed_html(add: _Add, plan: Plan) -> None:
    if plan.proposed is None:
        return
    add('<section id="proposed"><h2>Interventions the source proposes</h2>')
    add("<table><thead><tr><th>proposed intervention</th><th>functions (rank in plan)</th><th>policy categories (rank in plan)</th><th>comparison</th></tr></thead><tbody>")
    for item in plan.proposed:
        def ranks(matches: list[ProposedMatch]) -> str:
            return ", ".join(f"{esc(m.label)} ({m.rank if m.rank is not None else 'not in plan'})" for m in matches) or "none coded"
        add(f"<tr><td>{_t(item.text)}</td><td>{ranks(item.functions)}</td><td>{ranks(item.policies)}</td><td>{esc(item.note)}</td></tr>")
    add("</tbody></table></section>")


def _delivery_html(add: _Add, plan: Plan) -> None:
    if plan.delivery is None:
        return
    from combmap.render import TIDIER_ITEMS

    add('<section id="delivery"><h2>Mode of delivery and specification</h2>')
    modes = ", ".join(f"{esc(m.label)} ({esc(', '.join(m.bcio))})" for m in plan.delivery)
    add(f'<p class="note">BCW step 8. Candidate modes of delivery (BCIO Mode of Delivery Ontology, after APEASE): {modes}. Items follow TIDieR (Hoffmann et al. 2014).</p>')
    for item in plan.interventions:
        if item.delivery is None and item.specification is None:
            continue
        add(f"<h3>{_t(item.title)}</h3>")
        facts: list[tuple[str, str]] = []
        if item.delivery is not None:
            facts.append(("Mode of delivery", ", ".join(esc(m.label) + (" (not sure)" if m.apease else "") for m in item.delivery) or "none left after APEASE"))
        if item.specification is not None:
            facts.extend((esc(TIDIER_ITEMS.get(k, k)), _t(v)) for k, v in item.specification.items.items())
            facts.extend((f"BCIO ({esc(TIDIER_ITEMS.get(b.item, b.item))})", f"<code>{esc(b.id)}</code>") for b in item.specification.bcio)
        add('<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>")
    add("</section>")


def cited_keys(plan: Plan) -> list[str]:
    """Reference keys of every link the plan rests on."""
    return sorted(cited(plan), key=sort_key)


def _references(add: _Add, plan: Plan, ontology: Ontology) -> None:
    add('<section id="references"><h2>References</h2><ol>')
    for key in cited_keys(plan):
        ref = ontology.references.get(key)
        if ref is None:
            continue
        extra = f" {esc(ref.url)}" if ref.url and not ref.doi else ""
        add(f'<li id="{_anchor("ref", key)}"><strong>{esc(key)}</strong>: {esc(reference_text(ref))}{extra}</li>')
    add("</ol></section>")


# --- Markdown -----------------------------------------------------------------------------------


def plan_report_markdown(
    plan: Plan,
    ontology: Ontology,
    *,
    top: int = 3,
    focus: str | None = None,
    layers: list[str] | tuple[str, ...] | None = None,
    date: str | None = None,
) -> str:
    """The Markdown plan report followed by the diagram as a Mermaid block.

    Raises:
        UnknownIdError: `focus` names nothing in the diagram.
        RenderError: `layers` names an unknown layer.
    """
    from combmap.diagram import plan_mermaid

    mermaid = plan_mermaid(plan, ontology, top=top, focus=focus, layers=layers, date=date)
    if "```" in mermaid:  # impossible: the Mermaid writer encodes backticks; refuse rather than break the fence
        raise RenderError("the Mermaid diagram would break its Markdown fence")
    body = plan_markdown(plan, ontology).rstrip("\n")
    return f"{body}\n\n## Diagram\n\n```mermaid\n{mermaid}```\n"


__all__ = ["cited_keys", "plan_html", "plan_report_markdown", "sanitize_svg"]
