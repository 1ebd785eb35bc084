"""Client reports: a self-contained HTML page that prints on A4, Markdown, and Word.

The content is built once as a `combmap.document.Document` (the order of issue 12: a one-page
summary, drafted interventions, the diagram, the per-barrier table, priorities, the APEASE
worksheet, a glossary of every term named, references; then an appendix with the rationale,
unverified links and raw tables), and written by the HTML, Markdown and Word writers.

The HTML page makes no request of its own: styles are inline, there is no script, no web font
and no remote image, and a Content-Security-Policy says so to the browser as well. Every string
from the case goes through `html.escape`; the diagram's SVG is sanitised (no script, no event
handler attributes, no link out of the page) before it is inlined, although DOT labels are
escaped already. Links to sources are printed as text, not as hyperlinks.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from combmap.document import (
    Bullets,
    Document,
    Figure,
    Heading,
    Inline,
    Para,
    Section,
    Span,
    Table,
    to_html,
    to_markdown,
)
from combmap.errors import RenderError
from combmap.glossary import GROUPS, glossary, plain_label, plain_title
from combmap.ontology import Ontology, sort_key
from combmap.plan import Plan, RankedFunction, RankedPolicy, RankedTechnique
from combmap.plan.models import ProposedMatch
from combmap.render import plain, reference_text
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


# --- print and screen styles ------------------------------------------------------------------

CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --warn: #8a3b00; --band: #f3f3f3; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 60rem; padding: 1.5rem 2rem 4rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 1.8rem 0 .5rem; border-bottom: 2px solid var(--ink); padding-bottom: .15rem; }
h3 { font-size: 1.02rem; margin: 1.1rem 0 .3rem; }
h4 { font-size: .95rem; margin: .8rem 0 .2rem; }
p { margin: .35rem 0; }
.meta, .note, figcaption, caption { color: var(--muted); font-size: .88rem; }
caption { text-align: left; caption-side: top; padding-bottom: .2rem; }
nav ol { columns: 2; font-size: .9rem; margin: .5rem 0 1rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .9rem; font-size: .86rem; }
th, td { border: 1px solid var(--rule); padding: .22rem .4rem; text-align: left; vertical-align: top; }
th { background: var(--band); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.flag { color: var(--warn); font-weight: 600; }
.lead { background: var(--band); border-left: 4px solid var(--ink); padding: .4rem .9rem; margin: .5rem 0; }
figure { margin: .6rem 0; border: 1px solid var(--rule); padding: .4rem; }
figure svg { width: 100%; height: auto; display: block; }
table.worksheet td.blank { min-width: 5.5rem; height: 1.8rem; }
td.pass { background: #e3f1ea; } td.unsure { background: #fdf6d8; } td.fail { background: #fbe3d6; }
table.glossary td:first-child { width: 24%; font-weight: 600; }
details > summary { cursor: pointer; list-style: revert; }
details > summary h2 { display: inline; border: none; }
.appendix-part > h2.part { margin-top: 2.5rem; }
bdi { unicode-bidi: isolate; }
@page { size: A4; margin: 14mm 13mm 15mm; }
@page diagram { size: A4 landscape; margin: 10mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; line-height: 1.3; overflow-wrap: break-word; }
  table { table-layout: fixed; font-size: 8.3pt; line-height: 1.22; }
  th, td { padding: 1.2pt 3pt; overflow-wrap: break-word; }
  nav { display: none; }
  h1, h2, h3, h4, caption { break-after: avoid-page; page-break-after: avoid; }
  h2, h3, h4 { break-inside: avoid; }
  p, li { orphans: 3; widows: 3; }
  section > p.note { break-after: avoid-page; }
  table { break-inside: auto; }
  thead { display: table-header-group; }
  tr, td, th { break-inside: avoid; page-break-inside: avoid; }
  section { break-before: auto; }
  section#summary { break-after: page; }
  section.diagram { page: diagram; break-before: page; break-after: page; }
  section.diagram h2 { margin-top: 0; }
  section.diagram figure { border: none; padding: 0; margin: 0; }
  section.diagram h2 { font-size: 12pt; margin: 0 0 2mm; }
  section.diagram figure svg { width: auto; height: auto; max-width: 271mm; max-height: 172mm; }
  section.diagram figcaption { font-size: 8pt; }
  .appendix-part { break-before: page; }
  details { display: block; }
  a { color: inherit; text-decoration: none; }
}
"""


# --- the report's content ---------------------------------------------------------------------

_JUDGEMENT_MARK = {"pass": "✓ pass", "unsure": "? not sure", "fail": "✗ fail"}
#: Drafted interventions shown in the one-page summary.
SUMMARY_INTERVENTIONS = 3
#: Techniques shown per barrier in the per-barrier table, and per intervention.
PER_BARRIER, PER_INTERVENTION = 2, 3


class _Builder:
    """Builds the report's `Document`, remembering every term it names for the glossary."""

    def __init__(self, plan: Plan, ontology: Ontology, case: Case) -> None:
        self.plan, self.ontology, self.case = plan, ontology, case
        self.named: set[str] = set()
        self.texts = {b.id: b.text for b in plan.barriers}

    def name(self, entity_id: str) -> str:
        """An entity's label, noted for the glossary."""
        self.named.add(entity_id)
        entity = self.ontology.entities.get(entity_id)
        return entity.label if entity else entity_id

    def names(self, ids: Iterable[str]) -> str:
        return ", ".join(self.name(i) for i in ids)

    def policies(self, policies: list[tuple[str, bool]]) -> str:
        """Policy categories of an intervention: those serving all its functions, then the rest."""
        common = [self.name(p) for p, every in policies if every]
        some = [self.name(p) for p, every in policies if not every]
        text = ", ".join(common)
        if some:
            text += ("; " if text else "") + "for some of its functions: " + ", ".join(some)
        return text or "none"

    def technique(self, entity_id: str) -> str:
        return f"{entity_id.removeprefix('bct:')} {self.name(entity_id)}"

    def interventions(self) -> list[dict[str, Any]]:
        """The plan's drafted interventions (Baxter & Fancourt 2020, Table 2), for the tables."""
        rows = []
        for item in self.plan.interventions:
            rows.append(
                {
                    "rank": f"={item.rank}" if item.tie else str(item.rank),
                    "title": item.title if not item.title_generated else plain_title(self.ontology, item.target, item.functions),
                    "name": item.title,
                    "barriers": item.barriers,
                    "functions": item.functions,
                    "techniques": [t.id for t in item.techniques[:PER_INTERVENTION]],
                    "policies": [(p.id, p.common) for p in item.policies],
                }
            )
        return rows

    def chains(self) -> list[dict[str, Any]]:
        """Per barrier: its domains, components, the functions that reach it and its techniques."""
        rows = []
        for chain in self.plan.barriers:
            if chain.kind == "enabler":
                continue
            rows.append(
                {
                    "id": chain.id,
                    "text": chain.text,
                    "domains": chain.domains,
                    "components": chain.components,
                    "functions": [f.id for f in chain.functions],
                    "unsure": {f.id for f in chain.functions if f.apease},
                    "techniques": chain.recommended[:PER_BARRIER],
                }
            )
        return rows

    def build(self, figure: Figure | None, date: str | None) -> Document:
        plan, ontology = self.plan, self.ontology
        profile = ontology.manifest.profiles.get(plan.profile)
        meta = [f"Case {plan.case['id']}", f"ontology {plan.ontology}", f"profile {plan.profile}" + (f" ({profile.title})" if profile else "")]
        if date:
            meta.append(date)
        doc = Document(f"Intervention plan: {plan.case['title']}", meta)
        doc.footer = (
            "Made with combmap. The method (COM-B, the Theoretical Domains Framework and the "
            "Behaviour Change Wheel) is described in combmap's documentation, method section."
        )
        interventions = self.interventions()
        self._summary(doc, interventions)
        self._interventions(doc, interventions)
        if figure is not None:
            doc.section("diagram", "The plan on one page", kind="diagram").add(figure)
        self._barriers(doc)
        self._bcw(doc)
        self._priorities(doc)
        self._worksheet(doc)
        main_named = set(self.named)
        appendix = Document("", [])
        self._rationale(appendix)
        self._unverified(appendix)
        self._raw(appendix)
        self._entries(appendix)
        self._glossary(doc.section("glossary", "Glossary"), main_named)
        self._references(doc)
        more = self.named - main_named
        if more:
            self._glossary(appendix.section("more-terms", "More terms", appendix=True), more)
        doc.sections.extend(appendix.sections)
        return doc

    def _summary(self, doc: Document, interventions: list[dict[str, Any]]) -> None:
        plan, case = self.plan, self.case
        section = doc.section("summary", "Summary")
        barriers = [b for b in plan.barriers if b.kind != "enabler"]
        enablers = [b for b in plan.barriers if b.kind != "barrier"]
        section.add(Para([Span("The behaviour: ", "strong"), case.behaviour.target], "lead"))
        problem = f"{len(barriers)} barriers and {len(enablers)} enablers were found."
        if plan.priorities.domains:
            top = [p.id for p in plan.priorities.domains if p.barriers][:3]
            problem += " They cluster in: " + "; ".join(
                f"{plain_label(self.ontology, d)} ({self.name(d)})" for d in top
            ) + "."
        section.add(Para(problem))
        if interventions:
            section.add(Heading("What could help: the top drafted interventions"))
            items: list[Inline] = []
            for row in interventions[:SUMMARY_INTERVENTIONS]:
                title = row["title"][:1].upper() + row["title"][1:]
                techniques = "; ".join(self.name(t) for t in row["techniques"][:2])
                items.append(
                    [Span(title, "strong"), f" ({self.names(row['functions'])}): addresses "
                     f"{len(row['barriers'])} barrier{'s' * (len(row['barriers']) != 1)}, for example through {techniques}."]
                )
            section.add(Bullets(items, ordered=True))
            first = interventions[0]
            texts = [self.texts[b] for b in first["barriers"][:2] if b in self.texts]
            section.add(Heading("What to do first"))
            section.add(
                Para(
                    [f"Start with intervention 1, {first['title']}: it reaches the most barriers, such as “", "”, “".join(_shorten(t, 120) for t in texts), "”. Check it against the APEASE worksheet below before committing money or staff."]
                )
            )
        excluded = list(plan.excluded)
        if excluded:
            section.add(Para(f"Left out after APEASE: {self.names(x.id for x in excluded)} (see the worksheet).", "note"))
        facts = [
            ("Organisation", case.info.organisation), ("Setting", case.info.setting),
            ("Source", case.info.source.citation if case.info.source else None), ("Coded by", case.info.coded_by),
        ]
        shown = [(k, v) for k, v in facts if v]
        if shown:
            section.add(Table(["About this case", ""], [[k, v] for k, v in shown], widths=(1, 4)))
        for warning in plan.warnings:
            section.add(Para([Span("Warning: ", "flag"), warning]))

    def _interventions(self, doc: Document, interventions: list[dict[str, Any]]) -> None:
        section = doc.section("interventions", "Drafted interventions")
        section.add(
            Para(
                "Each row is a strategy to develop with the people involved, in the manner of "
                "Baxter & Fancourt (2020), Table 2: the barriers it addresses, the intervention "
                "functions it serves, behaviour change techniques to build it from, and the policy "
                "categories that can deliver it. Titles are combmap's working titles; rename them "
                "in the case file.",
                "note",
            )
        )
        rows: list[list[Inline]] = []
        for row in interventions:
            rows.append(
                [
                    str(row["rank"]),
                    [Span(row["title"][:1].upper() + row["title"][1:], "strong")],
                    str(len(row["barriers"])),
                    self.names(row["functions"]),
                    "; ".join(self.technique(t) for t in row["techniques"]),
                    self.policies(row["policies"]),
                ]
            )
        section.add(
            Table(
                ["#", "Intervention", "Barriers", "Intervention type (functions)", "Behaviour change techniques", "Policy categories"],
                rows, numeric=frozenset({0, 2}), widths=(0.4, 2.2, 0.8, 1.5, 3.0, 2.2),
            )
        )

    def _barriers(self, doc: Document) -> None:
        section = doc.section("barriers", "Barriers and what could address them")
        section.add(Para("Each barrier through the method: its TDF domain(s) and COM-B component(s), the intervention functions that reach it, and its first techniques.", "note"))
        rows = []
        for row in self.chains():
            rows.append(
                [
                    _shorten(row["text"], 120),
                    self.names(row["domains"]) or "none",
                    self.names(row["components"]),
                    ", ".join(self.name(f) + (" (not sure)" if f in row["unsure"] else "") for f in row["functions"]) or "none reached",
                    "; ".join(self.technique(t) for t in row["techniques"]) or "none",
                ]
            )
        section.add(Table(["Barrier", "TDF domain", "COM-B component", "Functions", "First techniques"], rows, widths=(3.6, 1.5, 1.3, 1.5, 2.6)))

    def _bcw(self, doc: Document) -> None:
        """The whole-wheel sections (issue 16), each only when the case uses it."""
        plan, case = self.plan, self.case
        if plan.behaviours is not None:
            section = doc.section("behaviours", "Behaviours")
            section.add(Para("Each target behaviour planned on its own barriers (BCW steps 2–3), with the same rules as the whole case.", "note"))
            for beh in plan.behaviours:
                section.add(Heading(f"{beh.id}: {beh.target}"))
                facts = [f"Actor: {beh.actor}"] if beh.actor else []
                facts += [f"{k.replace('_', ' ').capitalize()}: {v}" for k, v in beh.specification.items()]
                if facts:
                    section.add(Bullets(facts))
                section.add(Para(f"{len(beh.barriers)} barriers, {len(beh.enablers)} enablers, {len(beh.outcomes)} outcomes. Functions after APEASE: {self.names(beh.selected) or 'none'}."))
                if beh.interventions:
                    rows = [[f"={i.rank}" if i.tie else str(i.rank), i.title, str(len(i.barriers)), self.names(i.functions), "; ".join(self.technique(t.id) for t in i.techniques)] for i in beh.interventions]
                    section.add(Table(["#", "Drafted intervention", "Barriers", "Functions", "Techniques"], rows, numeric=frozenset({0, 2})))
                for warning in beh.warnings:
                    section.add(Para(f"Warning: {warning}", "flag"))
            section.add(Heading("Across behaviours"))
            if plan.shared:
                section.add(Bullets([f"{s.title} serves " + ", ".join(f"{b} ({len(s.barriers[b])} barriers)" for b in s.behaviours) for s in plan.shared]))
            else:
                section.add(Para("No drafted intervention serves more than one behaviour."))
        if case.candidates:
            from combmap.behaviours import CRITERIA, rank_candidates

            result = rank_candidates(case)
            section = doc.section("selection", "Behaviour selection")
            section.add(Para("Candidate behaviours judged on the BCW guide's criteria (Michie, Atkins & West 2014, step 2): unacceptable, unpromising but worth considering, promising, very promising. " + result.rule, "note"))
            rows = []
            for row in result.candidates:
                rank = f"{row.rank}{'=' if row.tie else ''}" + (" (ruled out)" if row.ruled_out else "")
                cells = [(j.rating or "not judged") + (f" ({j.note})" if j.note else "") for j in row.judgements]
                rows.append([rank, row.behaviour, row.actor or "", *cells, str(row.total), "yes" if row.selected else ""])
            section.add(Table(["#", "Candidate", "Actor", *(name for _, name in CRITERIA), "Total", "Selected"], rows))
        if plan.outcomes is not None:
            section = doc.section("outcomes", "Outcomes (not scored)")
            section.add(Para("Outcomes and observed effects of the behaviour, not determinants of it: shown, never scored, no chain.", "note"))
            section.add(Bullets([f"{e.text}" + (f" ({', '.join(x for x in (e.behaviour, e.group) if x)})" if (e.behaviour or e.group) else "") for e in plan.outcomes]))
        if plan.proposed is not None:
            section = doc.section("proposed", "Interventions the source proposes")
            def ranks(matches: list[ProposedMatch]) -> str:
                return ", ".join(f"{self.name(m.id)} ({m.rank if m.rank is not None else 'not in plan'})" for m in matches) or "none coded"
            section.add(Table(["Proposed intervention", "Functions (rank in plan)", "Policy categories (rank in plan)", "Comparison"], [[prop.text, ranks(prop.functions), ranks(prop.policies), prop.note] for prop in plan.proposed]))
        if plan.delivery is not None:
            from combmap.render import TIDIER_ITEMS

            section = doc.section("delivery", "Mode of delivery and specification")
            modes = ", ".join(f"{m.label} ({', '.join(m.bcio)})" for m in plan.delivery)
            section.add(Para(f"BCW step 8. Candidate modes of delivery (BCIO Mode of Delivery Ontology, after APEASE): {modes}. Items follow TIDieR (Hoffmann et al. 2014).", "note"))
            for drafted in plan.interventions:
                if drafted.delivery is None and drafted.specification is None:
                    continue
                section.add(Heading(drafted.title))
                facts = []
                if drafted.delivery is not None:
                    facts.append("Mode of delivery: " + (", ".join(m.label + (" (not sure)" if m.apease else "") for m in drafted.delivery) or "none left after APEASE"))
                if drafted.specification is not None:
                    facts.extend(f"{TIDIER_ITEMS.get(k, k)}: {v}" for k, v in drafted.specification.items.items())
                    facts.extend(f"BCIO ({TIDIER_ITEMS.get(b.item, b.item)}): {b.id}" for b in drafted.specification.bcio)
                section.add(Bullets(facts))

    def _priorities(self, doc: Document) -> None:
        section = doc.section("priorities", "Priorities")
        section.add(Para('Ranked as the TDF guide judges importance: how often it was raised, how many distinct themes, and whether the evidence conflicts. "=" marks a tie.', "note"))
        for title, rows in (("TDF domains", self.plan.priorities.domains), ("COM-B components", self.plan.priorities.components)):
            body = [
                [f"={p.rank}" if p.tie else str(p.rank), self.name(p.id), plain_label(self.ontology, p.id),
                 str(p.frequency), str(p.elaboration), "yes" if p.conflicting else "", str(len(p.barriers)), str(len(p.enablers))]
                for p in rows
            ]
            section.add(Table(["#", title[:-1], "In plain words", "Times raised", "Themes", "Mixed", "Barriers", "Enablers"], body,
                              caption=title, numeric=frozenset({0, 3, 4, 6, 7}), widths=(0.4, 2.2, 2.6, 0.9, 0.8, 0.7, 0.8, 0.8)))

    def _worksheet(self, doc: Document) -> None:
        ontology, plan = self.ontology, self.plan
        criteria = ontology.of_kind(Kind.CRITERION)
        judged = {option: dict(judgements) for option, judgements in self.case.apease}
        options: list[tuple[str, str]] = []
        for row in self.interventions()[:SUMMARY_INTERVENTIONS + 1]:
            for function_id in row["functions"]:
                options.append((function_id, self.name(function_id)))
            for technique_id in row["techniques"][:2]:
                options.append((technique_id, "  " + self.technique(technique_id)))
        for policy in plan.policies[:3]:
            options.append((policy.id, self.name(policy.id)))
        for option_id in judged:
            if option_id not in {o for o, _ in options}:
                options.append((option_id, self.name(option_id)))
        seen: set[str] = set()
        rows: list[list[Inline]] = []
        classes: dict[tuple[int, int], str] = {}
        for option_id, label in options:
            if option_id in seen:
                continue
            seen.add(option_id)
            cells: list[Inline] = [label]
            for column, criterion in enumerate(criteria, start=1):
                value = judged.get(option_id, {}).get(criterion.id)
                if value is None:
                    cells.append("")
                    classes[(len(rows), column)] = "blank"
                else:
                    cells.append(_JUDGEMENT_MARK.get(value.value, value.value))
                    classes[(len(rows), column)] = value.value
            rows.append(cells)
        section = doc.section("worksheet", "APEASE worksheet")
        section.add(Para("Judge each option against the APEASE criteria (Michie, Atkins & West 2014): pass, not sure or fail. Judgements recorded in the case are filled in; options that fail are left out of the plan.", "note"))
        section.add(Table(["Option", *(c.label for c in criteria)], rows, kind="worksheet", classes=classes, widths=(1.5, *(1.0 for _ in criteria))))
        if plan.excluded:
            section.add(Heading("Left out after APEASE"))
            section.add(Bullets([[Span(self.name(x.id), "strong"), f": {x.reason}"] for x in plan.excluded]))

    def _glossary(self, section: Section, ids: set[str]) -> None:
        what = "this report names" if section.id == "glossary" else "only the appendix names (the Glossary has the rest)"
        section.add(Para(f"Every intervention function, policy category, behaviour change technique, COM-B component and TDF domain {what}, with its definition and source.", "note"))
        terms = glossary(self.ontology, ids)
        for kind, title in GROUPS.items():
            rows: list[list[Inline]] = []
            for term in (t for t in terms if t.kind == kind):
                label = term.label if term.kind != Kind.TECHNIQUE else f"{term.id.removeprefix('bct:')} {term.label}"
                words: list[str | Span] = []
                if term.plain:
                    words.append(Span(term.plain[:1].upper() + term.plain[1:] + ". ", "strong"))
                words.append(term.definition)
                words.append(Span(f" ({term.citation})", "em"))
                rows.append([label, words])
            if rows:
                section.add(Table(["Term", "Meaning"], rows, caption=title, kind="glossary", widths=(1.2, 4.0)))

    def sources(self, keys: Iterable[str]) -> str:
        """The sources of some links, as 'ref, locator [status]'."""
        parts = set()
        for key in keys:
            link = self.plan.links.get(key)
            if link is None:
                continue
            cites = "; ".join(f"{src.ref}{', ' + src.locator if src.locator else ''}" for src in link.sources)
            parts.add(f"{cites} [{link.status}]")
        return "; ".join(sorted(parts))

    def _rationale(self, doc: Document) -> None:
        section = doc.section("rationale", "Rationale", appendix=True)
        section.add(Para("For every barrier: each code's route to an intervention function, with the sources of each link, and the techniques offered under it (how the function's list grades it, and how many independent sources link it to the barrier's domains). The rules the plan applied follow.", "note"))
        for chain in self.plan.barriers:
            if not chain.functions:
                continue
            section.add(Heading(_shorten(chain.text, 150), level=4, anchor=_anchor("why", chain.id)))
            lines: list[Inline] = []
            for function in chain.functions:
                routes = "; ".join(f"{self.name(r.code)} → {self.name(function.id)} ({self.sources([r.link])})" for r in function.routes)
                unsure = [Span(" APEASE: not sure", "flag")] if function.apease else []
                lines.append([Span(self.name(function.id), "strong"), f": {routes}", *unsure])
                for t in function.techniques:
                    grade = t.grade or "linked to the barrier's domains"
                    lines.append(f"    {self.technique(t.id)}: {grade}; {t.evidence} independent source{'s' * (t.evidence != 1)} for its domains; {self.sources(t.links)}")
            for withheld in chain.withheld:
                lines.append(f"Not offered: {self.technique(withheld.id)} under {self.name(withheld.function)}: {withheld.reason}")
            for note in chain.notes:
                lines.append([Span("Note: ", "em"), note])
            section.add(Bullets(lines))
        section.add(Heading("Rules the plan applied"))
        section.add(Table(["Step", "Rule", "Whose"], [[r.step, r.text, "combmap's own" if r.own else "the BCW guide"] for r in self.plan.rules], widths=(1.2, 5, 1.2)))

    def _unverified(self, doc: Document) -> None:
        section = doc.section("unverified", "Unverified links", appendix=True)
        unverified = [link for link in self.plan.links.values() if link.status == "unverified"]
        section.add(Para(self.plan.robustness, "note"))
        if not unverified:
            section.add(Para("No recommendation rests on an unverified link.", "note"))
            return
        section.add(Para("Links the plan uses that could not be checked in a primary source. Each ranked option says below whether its place holds without them.", "note"))
        section.add(Table(["From", "To", "Source", "Link set"], [
            [self.name(link.source), self.name(link.target), self.sources([key]), link.set]
            for key, link in sorted(self.plan.links.items()) if link.status == "unverified"
        ]))

    def _raw(self, doc: Document) -> None:
        section = doc.section("tables", "Ranked options", appendix=True)
        section.add(Para('The plan\'s ranked lists: by the summed load (weight × frequency) of the barriers each addresses; "=" marks a tie. The last column says whether the place holds without unverified links.', "note"))
        ranked: tuple[tuple[str, list[RankedFunction] | list[RankedPolicy] | list[RankedTechnique]], ...] = (
            ("Intervention function", self.plan.functions), ("Policy category", self.plan.policies), ("Behaviour change technique", self.plan.techniques),
        )
        for title, items in ranked:
            rows: list[list[Inline]] = []
            for i in items:
                name = self.technique(i.id) if i.id.startswith("bct:") else self.name(i.id)
                rows.append([f"={i.rank}" if i.tie else str(i.rank), name, f"{i.score:g}", str(len(i.barriers)), i.robustness.note])
            section.add(Table(["#", title, "Load", "Barriers", "Without unverified links"], rows, caption=f"{title}s", numeric=frozenset({0, 2, 3}), widths=(0.4, 2.4, 0.6, 0.7, 3.4)))
        if self.plan.excluded:
            section.add(Table(["Left out", "Kind", "Why"], [[self.name(x.id), x.kind, x.reason] for x in self.plan.excluded], caption="Excluded after APEASE"))

    def _entries(self, doc: Document) -> None:
        section = doc.section("entries", "Barriers and enablers as coded", appendix=True)
        by_id = {b.id: b for b in self.case.barriers}
        groups = {g.id: g.label for g in self.case.groups}
        rows: list[list[Inline]] = []
        for barrier in self.plan.barriers:
            source = by_id.get(barrier.id)
            evidence = " / ".join(f"“{q}”" for q in (source.evidence if source else ()))
            notes = source.notes if source and source.notes else ""
            rows.append([barrier.id, barrier.text, barrier.kind, self.names([*barrier.domains, *barrier.components]),
                         f"{barrier.load:g}", groups.get(barrier.group, barrier.group) if barrier.group else "", " ".join(x for x in (evidence, notes) if x)])
        section.add(Table(["Id", "Barrier or enabler", "Kind", "Codes", "Load", "Group", "Evidence and notes"], rows, numeric=frozenset({4})))

    def _references(self, doc: Document) -> None:
        section = doc.section("references", "References")
        keys = set(cited_keys(self.plan))
        for entity_id in self.named:
            entity = self.ontology.entities.get(entity_id)
            if entity is not None:
                keys.add(getattr(entity, "definition_ref", None) or entity.ref)
        items: list[Inline] = []
        for key in sorted(keys, key=sort_key):
            ref = self.ontology.references.get(key)
            if ref is None:
                continue
            extra = f" {ref.url}" if ref.url and not ref.doi else ""
            items.append([Span(key, "strong"), f": {reference_text(ref)}{extra}"])
        section.add(Bullets(items))


def _shorten(text: str, limit: int) -> str:
    flat = plain(text)
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _anchor(kind: str, key: str) -> str:
    return f"{kind}-{key}".replace(":", "-")


def build_report(
    plan: Plan, ontology: Ontology, case: Case, *, figure: Figure | None = None, date: str | None = None
) -> tuple[Document, set[str]]:
    """The report's content, and every ontology id it names (the glossary covers them all).

    The main part: a one-page summary, the drafted interventions, the diagram, the per-barrier
    table, priorities, the APEASE worksheet, a glossary and references. The appendix: the full
    rationale, unverified links, the ranked lists and the coded entries with their evidence.
    """
    builder = _Builder(plan, ontology, case)
    return builder.build(figure, date), builder.named


def plan_html(
    plan: Plan,
    ontology: Ontology,
    case: Case,
    *,
    svg: str | None,
    date: str | None = None,
    expand: bool = False,
) -> str:
    """A complete, self-contained HTML report of the plan for a client, ready to print on A4.

    Args:
        plan: the plan, from `make_plan(case, ontology)`.
        ontology: its ontology (labels, criteria, references).
        case: the case (behaviour, groups, evidence, APEASE worksheet).
        svg: the summary diagram as SVG, inlined after sanitising; None leaves it out.
        date: printed under the title; none by default so the page is deterministic.
        expand: open the appendix's collapsed sections (for printing to PDF).

    Raises:
        RenderError: `svg` is not well-formed SVG.
    """
    figure = None if svg is None else Figure(FIGURE_CAPTION, svg=sanitize_svg(svg))
    document, _ = build_report(plan, ontology, case, figure=figure, date=date)
    return to_html(document, CSS, expand=expand)


#: What the report's diagram shows.
FIGURE_CAPTION = (
    "Barriers grouped by TDF domain (left), the intervention functions that reach them in rank "
    "order (middle), and their first techniques (right); the policy categories that can deliver "
    "them are listed below the barriers. Line width: weighted number of barriers."
)


def plan_report_markdown(
    plan: Plan,
    ontology: Ontology,
    case: Case,
    *,
    mermaid: str | None = None,
    date: str | None = None,
) -> str:
    """The report as Markdown: the same sections, the diagram as a Mermaid block.

    Raises:
        RenderError: the Mermaid text would break its Markdown fence.
    """
    if mermaid is not None and "```" in mermaid:  # the Mermaid writer encodes backticks
        raise RenderError("the Mermaid diagram would break its Markdown fence")
    figure = None if mermaid is None else Figure(FIGURE_CAPTION, mermaid=mermaid)
    document, _ = build_report(plan, ontology, case, figure=figure, date=date)
    return to_markdown(document)


def plan_docx(plan: Plan, ontology: Ontology, case: Case, *, png: bytes | None, date: str | None = None) -> bytes:
    """The report as a Word document (.docx), with the diagram as a PNG on a landscape page.

    Raises:
        RenderError: python-docx is missing.
    """
    from combmap.word import to_docx

    figure = None if png is None else Figure(FIGURE_CAPTION, png=png)
    document, _ = build_report(plan, ontology, case, figure=figure, date=date)
    return to_docx(document)


def cited_keys(plan: Plan) -> list[str]:
    """Reference keys of every link the plan uses."""
    return sorted({src.ref for link in plan.links.values() for src in link.sources}, key=sort_key)


__all__ = ["CSS", "build_report", "cited_keys", "plan_docx", "plan_html", "plan_report_markdown", "sanitize_svg"]


def plain_plan_lines(plan: Plan, ontology: Ontology, *, count: int = 5) -> list[str]:
    """The plan in plain words, for an organisation lead at the terminal (`plan --plain`).

    Technical names stay in brackets; options the case's APEASE judgements rule out are
    counted, not named (they are not recommended); options judged 'not sure' are marked.
    """
    lines = ["What could help, in plain words:"]
    for item in plan.interventions[:count]:
        title = item.title if not item.title_generated else plain_title(ontology, item.target, item.functions)
        rank = f"={item.rank}" if item.tie else str(item.rank)
        examples = "; ".join(t.label for t in item.techniques[:2])
        lines.append(f"{rank}. {title} ({len(item.barriers)} barrier{'s' * (len(item.barriers) != 1)})")
        if examples:
            lines.append(f"   For example: {examples}.")
    unsure = [f for f in plan.functions if f.apease] + [p for p in plan.policies if p.apease]
    lines.append("")
    lines.append("Kinds of help, most useful first:")
    for function in plan.functions:
        mark = " (you were not sure about this)" if function.apease else ""
        words = plain_label(ontology, function.id)
        lines.append(f"  - {words[:1].upper()}{words[1:]} ({function.label}){mark}")
    if unsure:
        lines.append("")
        lines.append("Not sure: " + ", ".join(f"{plain_label(ontology, u.id)} ({u.label})" for u in unsure) + ". Talk these through before you rely on them.")
    if plan.excluded:
        lines.append("")
        lines.append(f"You ruled out {len(plan.excluded)} option{'s' * (len(plan.excluded) != 1)}; the plan leaves {'them' if len(plan.excluded) != 1 else 'it'} out.")
    lines.append("")
    lines.append("The full plan, with the method's terms: combmap plan FILE --technical")
    return [plain(line) if line.strip() else "" for line in lines]
