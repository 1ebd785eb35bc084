"""Turn plans and ontology records into text: Markdown, YAML, JSON and rich renderables.

Nothing here prints or writes files. Case text is untrusted, so every string that came from a
case is escaped for the format it lands in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

import yaml

from combmap.ontology import Entity, Link, Ontology
from combmap.plan import Chain, Intervention, Plan, RankedFunction, RankedPolicy, RankedTechnique
from combmap.plan.models import InterventionPolicy
from combmap.terminal import clean, markup

if TYPE_CHECKING:
    from rich.console import RenderableType

# What CommonMark/GFM interpret inside a line; with [ and ] escaped no link can form, and
# < > & become entities so no HTML passes through.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#!|<>&~$^])")


def plain(text: str) -> str:
    """Untrusted text on one line, with control and bidi-override characters removed."""
    return clean(text)


def md_escape(text: str) -> str:
    """Escape text for Markdown so it renders literally and carries no HTML."""
    flat = plain(text)
    return _MD_SPECIAL.sub(lambda m: "&amp;" if m.group(1) == "&" else _md_char(m.group(1)), flat)


def _md_char(char: str) -> str:
    if char == "<":
        return "&lt;"
    if char == ">":
        return "&gt;"
    return "\\" + char


def md_code(text: str, *, table: bool = False) -> str:
    """An inline code span that its content cannot close, on one line.

    The fence is one backtick longer than the longest run of backticks inside, and padded with
    spaces when the content starts or ends with a backtick, as CommonMark specifies; code spans
    show their content literally, so no HTML or link can form. In a GFM table a `|` would still
    end the cell, so `table=True` escapes it (the table parser removes the backslash).
    """
    flat = clean(text) or " "
    runs = [len(run) for run in re.findall("`+", flat)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    if table:
        flat = flat.replace("|", "\\|")
    return f"{fence}{pad}{flat}{pad}{fence}"


def to_yaml(data: Any) -> str:
    """Dump plain data as block YAML with keys in their given order."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def plan_yaml(plan: Plan) -> str:
    """The plan in YAML: the same content as the JSON."""
    return to_yaml(plan.to_data())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _fmt(value: float) -> str:
    return f"{value:g}"


def _rank(rank: int, tie: bool) -> str:
    return f"={rank}" if tie else str(rank)


def _name(plan: Plan, ontology: Ontology, entity_id: str) -> str:
    entity = ontology.entities.get(entity_id)
    return entity.label if entity else plan.labels.get(entity_id, entity_id)


def _label(ontology: Ontology, entity_id: str) -> str:
    entity = ontology.entities.get(entity_id)
    return entity.label if entity else entity_id


def _code(entity_id: str) -> str:
    return entity_id.removeprefix("bct:")


def policy_role(policy: RankedPolicy | InterventionPolicy) -> str:
    """A policy category's place against the selected functions: common lever or candidate."""
    if isinstance(policy, InterventionPolicy):
        return "common" if policy.common else "candidate"
    return "common" if policy.common else "candidate" if policy.candidate else ""


def intervention_rows(plan: Plan, ontology: Ontology) -> list[list[str]]:
    """The drafted interventions as rows of plain text (escape for the medium)."""
    rows = []
    for item in plan.interventions:
        rows.append(
            [
                _rank(item.rank, item.tie),
                plain(item.title),
                str(len(item.barriers)),
                ", ".join(_name(plan, ontology, f) for f in item.functions),
                "; ".join(f"{_code(t.id)} {t.label}" for t in item.techniques),
                ", ".join(
                    f"{p.label}{' (common)' if p.common else ''}" for p in item.policies
                ),
            ]
        )
    return rows


def chain_rows(plan: Plan, ontology: Ontology) -> list[list[str]]:
    """Per barrier: its codes, components, selected functions and first techniques."""
    rows = []
    for chain in plan.barriers:
        if chain.kind == "enabler":
            continue
        rows.append(
            [
                chain.id,
                plain(chain.text),
                ", ".join(_name(plan, ontology, d) for d in chain.domains),
                ", ".join(_name(plan, ontology, c) for c in chain.components),
                ", ".join(_name(plan, ontology, f.id) for f in chain.functions),
                "; ".join(
                    f"{_code(t)} {_name(plan, ontology, t)}" for t in chain.recommended
                ),
            ]
        )
    return rows


def _read_note(read: str | None, agrees: bool) -> str:
    """How a source was read, when it is not the table itself or a reproduction of it."""
    notes = [] if read in (None, "primary", "reproduction") else [str(read)]
    if not agrees:
        notes.append("disagrees")
    return f" ({', '.join(notes)})" if notes else ""


def _sources(plan: Plan, keys: Iterable[str]) -> str:
    """Each link as 'from: source + source [status]', links joined by ' | '."""
    parts = []
    for key in keys:
        link = plan.links[key]
        cites = " + ".join(
            f"{s.ref}{', ' + s.locator if s.locator else ''}{_read_note(s.read, s.agrees)}"
            for s in link.sources
        )
        origin = plan.labels.get(link.source, link.source)
        if link.via:
            origin = f"{plan.labels.get(link.via, link.via)} for {origin}"
        parts.append(f"{origin}: {cites} [{link.status}]")
    return " | ".join(sorted(set(parts)))


def md_table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    """A Markdown table; every cell is escaped here, so rows carry plain text."""
    right = right or set()
    out = ["| " + " | ".join(header) + " |"]
    out.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    out.extend("| " + " | ".join(md_escape(cell) for cell in row) + " |" for row in rows)
    return out


def plan_markdown(plan: Plan, ontology: Ontology) -> str:
    """The plan in Markdown: drafted interventions first, then per-barrier chains and ranks."""
    out: list[str] = []
    add = out.append
    add(f"# Intervention plan: {md_escape(plan.case['title'])}")
    add("")
    add(f"Case {md_code(plan.case['id'])} · ontology {md_escape(plan.ontology)} · profile {md_code(plan.profile)}")
    add("")
    barriers = [b for b in plan.barriers if b.kind != "enabler"]
    enablers = [b for b in plan.barriers if b.kind == "enabler"]
    add(f"{_count(len(barriers), 'barrier')} and {_count(len(enablers), 'enabler')}. {md_escape(plan.robustness)}")
    add("")
    add("## Drafted interventions")
    add("")
    add(
        "Barriers grouped by the domain (or COM-B component) through which they reach their "
        "functions, ranked by barriers addressed, as in Baxter & Fancourt 2020, Table 2. "
        "Rename one with `options.interventions` in the case file."
    )
    add("")
    out.extend(
        md_table(
            ["rank", "intervention", "barriers", "functions", "techniques", "policy categories"],
            intervention_rows(plan, ontology),
            {0, 2},
        )
    )
    add("")
    out.extend(bcw_sections_markdown(plan, ontology))
    add("## Barrier by barrier")
    add("")
    add("Each barrier's TDF domains → COM-B components → selected functions → first techniques.")
    add("")
    out.extend(
        md_table(
            ["id", "barrier", "domains", "components", "functions", "first techniques"],
            chain_rows(plan, ontology),
        )
    )
    add("")
    add("## Intervention functions")
    add("")
    out.extend(
        md_table(
            ["rank", "function", "barriers", "load", "first techniques", "without unverified links"],
            [
                [
                    _rank(f.rank, f.tie),
                    f.label + (" (APEASE: not sure)" if f.apease else ""),
                    str(len(f.barriers)),
                    _fmt(f.score),
                    ", ".join(_code(t) for t in f.techniques[:5]),
                    f.robustness.note,
                ]
                for f in plan.functions
            ],
            {0, 2, 3},
        )
    )
    add("")
    add("## Policy categories")
    add("")
    add("*Common*: can deliver every selected function; *candidate*: at least one (Michie, van Stralen & West 2011, Table 3).")
    add("")
    out.extend(
        md_table(
            ["rank", "policy category", "barriers", "delivers", "role", "without unverified links"],
            [
                [
                    _rank(p.rank, p.tie),
                    p.label,
                    str(len(p.barriers)),
                    ", ".join(_name(plan, ontology, f) for f in p.functions),
                    policy_role(p),
                    p.robustness.note,
                ]
                for p in plan.policies
            ],
            {0, 2},
        )
    )
    add("")
    add("## Behaviour change techniques")
    add("")
    add(f"Ranked by the barriers they are among the first {plan.settings.per_barrier} techniques for.")
    add("")
    out.extend(
        md_table(
            ["rank", "technique", "barriers", "with domain evidence", "functions", "without unverified links"],
            [
                [
                    _rank(t.rank, t.tie),
                    f"{_code(t.id)} {t.label}",
                    str(len(t.barriers)),
                    str(t.evidence),
                    ", ".join(_name(plan, ontology, f) for f in t.functions),
                    t.robustness.note,
                ]
                for t in plan.techniques
            ],
            {0, 2, 3},
        )
    )
    if plan.excluded:
        add("")
        add("## Excluded after APEASE")
        add("")
        for item in plan.excluded:
            add(f"- {md_escape(item.label)} ({md_code(item.id)}): {md_escape(item.reason)}")
    add("")
    add("## Priorities")
    add("")
    add("As the TDF guide judges importance: frequency, then elaboration, then conflicting evidence. `=` marks a tie.")
    for title, rows in (("TDF domains", plan.priorities.domains), ("COM-B components", plan.priorities.components)):
        add("")
        add(f"### {title}")
        add("")
        out.extend(
            md_table(
                ["rank", "", "frequency", "elaboration", "conflicting", "barriers", "enablers"],
                [
                    [_rank(p.rank, p.tie), p.label, str(p.frequency), str(p.elaboration), "yes" if p.conflicting else "", str(len(p.barriers)), str(len(p.enablers))]
                    for p in rows
                ],
                {0, 2, 3, 5, 6},
            )
        )
    add("")
    add("## Rationale")
    add("")
    add("Every barrier's routes to its functions, with the sources of each link. `combmap explain CASE ID` gives the same for any barrier, domain, function, policy, technique or intervention.")
    for chain in plan.barriers:
        add("")
        add(f"### {md_escape(chain.id)}")
        add("")
        add(md_escape(chain.text))
        add("")
        for line in chain_lines(chain, plan, ontology):
            add(f"- {md_escape(line)}")
    add("")
    add("## Rules applied")
    add("")
    for rule in plan.rules:
        mark = " *(combmap's own rule)*" if rule.own else ""
        add(f"- **{md_escape(rule.id)}** (BCW step {md_escape(rule.step)}){mark}: {md_escape(rule.text)}")
    if plan.warnings:
        add("")
        add("## Warnings")
        add("")
        for warning in plan.warnings:
            add(f"- {md_escape(warning)}")
    add("")
    add("## References")
    add("")
    for key in cited(plan):
        ref = ontology.references.get(key)
        if ref is not None:
            add(f"- **{md_escape(key)}**: {md_escape(reference_text(ref))}")
    add("")
    return "\n".join(out)


def chain_lines(chain: Chain, plan: Plan, ontology: Ontology) -> list[str]:
    """A barrier's chain in plain lines: routes with sources, techniques, withheld, notes."""
    lines = []
    for note in chain.notes:
        lines.append(f"Note: {note}")
    for function in chain.functions:
        routes = "; ".join(
            f"{_name(plan, ontology, r.code)} → {_name(plan, ontology, function.id)} ({_sources(plan, [r.link])})"
            for r in function.routes
        )
        unsure = " (APEASE: not sure)" if function.apease else ""
        lines.append(f"{_name(plan, ontology, function.id)}{unsure}: {routes}")
        for t in function.techniques:
            grade = t.grade or "linked to the barrier's domains"
            lines.append(
                f"  {_code(t.id)} {_name(plan, ontology, t.id)}: {grade}; {_count(t.evidence, 'independent source')} for its domains; {_sources(plan, t.links)}"
            )
    for other in chain.other_techniques:
        lines.append(
            f"Also linked to its domains, under no selected function: {_code(other.id)} {_name(plan, ontology, other.id)} ({_sources(plan, other.links)})"
        )
    for w in chain.withheld:
        lines.append(f"Not offered: {_code(w.id)} {_name(plan, ontology, w.id)} under {_name(plan, ontology, w.function)}: {w.reason}")
    return lines


def cited(plan: Plan) -> list[str]:
    """Reference keys of every link the plan names."""
    return sorted({s.ref for link in plan.links.values() for s in link.sources})


def reference_text(ref: Any) -> str:
    """A reference as one line: authors (year) title. venue. doi."""
    authors = ", ".join(ref.authors)
    text = f"{authors} ({ref.year}). {ref.title}."
    if ref.venue:
        text += f" {ref.venue}."
    if ref.doi:
        text += f" doi:{ref.doi}"
    return text


def plan_tables(plan: Plan, ontology: Ontology) -> list[RenderableType]:
    """The plan as rich tables for a terminal; untrusted text is filtered and escaped."""
    from rich.table import Table
    from rich.text import Text

    def table(title: str, header: list[str], rows: list[list[str]], right: set[int]) -> Table:
        out = Table(title=title, title_justify="left")
        for index, column in enumerate(header):
            out.add_column(column, justify="right" if index in right else "left")
        for row in rows:
            out.add_row(*(markup(cell) for cell in row))
        return out

    parts: list[RenderableType] = [
        Text.assemble(
            ("Intervention plan: ", "bold"),
            (plain(plan.case["title"]), "bold"),
            f"\nprofile {plain(plan.profile)} · ontology {plain(plan.ontology)}",
        )
    ]
    parts.append(
        table(
            "Drafted interventions (rank by barriers addressed)",
            ["rank", "intervention", "barriers", "functions", "techniques"],
            [row[:5] for row in intervention_rows(plan, ontology)],
            {0, 2},
        )
    )
    parts.append(
        table(
            "Barrier by barrier",
            ["barrier", "domains", "functions", "first techniques"],
            [[row[0], row[2], row[4], row[5]] for row in chain_rows(plan, ontology)],
            set(),
        )
    )
    parts.append(
        table(
            "Intervention functions",
            ["rank", "function", "barriers", "without unverified links"],
            [
                [_rank(f.rank, f.tie), f.label + (" (not sure)" if f.apease else ""), str(len(f.barriers)), f.robustness.note]
                for f in plan.functions
            ],
            {0, 2},
        )
    )
    parts.append(
        table(
            "Policy categories",
            ["rank", "policy category", "barriers", "role"],
            [[_rank(p.rank, p.tie), p.label, str(len(p.barriers)), policy_role(p)] for p in plan.policies],
            {0, 2},
        )
    )
    parts.append(
        table(
            "Behaviour change techniques",
            ["rank", "technique", "barriers", "with domain evidence"],
            [[_rank(t.rank, t.tie), f"{_code(t.id)} {t.label}", str(len(t.barriers)), str(t.evidence)] for t in plan.techniques],
            {0, 2, 3},
        )
    )
    for item in plan.excluded:
        parts.append(Text(f"Excluded: {plain(item.label)} ({item.id}): {plain(item.reason)}", style="yellow"))
    parts.append(Text(plain(plan.robustness), style="dim"))
    for warning in plan.warnings:
        parts.append(Text(f"Warning: {plain(warning)}", style="yellow"))
    return parts


def explain_lines(item_id: str, plan: Plan, ontology: Ontology) -> list[str]:
    """Why the plan holds an id: a barrier's chain, or what flows through an item.

    Raises:
        UnknownIdError: the id names nothing the plan or the ontology knows.
    """
    chain = plan.barrier(item_id)
    if chain is not None:
        return [f"{chain.id} ({chain.kind}): {plain(chain.text)}", f"domains: {', '.join(_name(plan, ontology, d) for d in chain.domains) or 'none'}; components: {', '.join(_name(plan, ontology, c) for c in chain.components)}", "", *(plain(line) for line in chain_lines(chain, plan, ontology))]
    for excluded in plan.excluded:
        if excluded.id == item_id:
            return [f"{plain(excluded.label)} ({excluded.id}), {excluded.kind}", f"EXCLUDED: {plain(excluded.reason)}"]
    item = plan.item(item_id)
    if isinstance(item, Intervention):
        lines = [f"{plain(item.title)} ({item.id}), drafted intervention, rank {_rank(item.rank, item.tie)}", f"targets {_name(plan, ontology, item.target)}; addresses {_count(len(item.barriers), 'barrier')}", f"functions: {', '.join(_name(plan, ontology, f) for f in item.functions)}", "techniques: " + "; ".join(f"{_code(t.id)} {t.label} ({t.barriers} barriers)" for t in item.techniques), "policy categories: " + ", ".join(f"{p.label} ({policy_role(p)})" for p in item.policies), item.robustness.note, ""]
        lines.extend(f"{b}: {plain(_text(plan, b))}" for b in item.barriers)
        if item.enablers:
            lines.append("builds on enablers: " + ", ".join(item.enablers))
        return lines
    if isinstance(item, (RankedFunction, RankedPolicy, RankedTechnique)):
        kind = ontology[item.id].kind.value
        lines = [f"{plain(item.label)} ({item.id}), {kind}", f"rank {_rank(item.rank, item.tie)}, addresses {_count(len(item.barriers), 'barrier')} (load {_fmt(item.score)})", item.robustness.note]
        if isinstance(item, RankedPolicy):
            lines.append(f"{policy_role(item)}: delivers {', '.join(_name(plan, ontology, f) for f in item.functions)} ({_sources(plan, item.links)})")
        for barrier_id in item.barriers:
            chain = plan.barrier(barrier_id)
            assert chain is not None
            lines.append("")
            lines.append(f"{barrier_id}: {plain(chain.text)}")
            for function in chain.functions:
                if isinstance(item, RankedFunction) and function.id != item.id:
                    continue
                if isinstance(item, RankedPolicy) and function.id not in item.functions:
                    continue
                for route in function.routes:
                    lines.append(f"  {_name(plan, ontology, route.code)} → {_name(plan, ontology, function.id)}  ({_sources(plan, [route.link])})")
                if isinstance(item, RankedTechnique):
                    for t in function.techniques:
                        if t.id == item.id:
                            lines.append(f"    {_code(t.id)} {t.grade or 'domain evidence'}: {_sources(plan, t.links)}")
        return lines
    return _explain_entity(item_id, plan, ontology)


def _text(plan: Plan, barrier_id: str) -> str:
    chain = plan.barrier(barrier_id)
    return chain.text if chain else barrier_id


def _explain_entity(item_id: str, plan: Plan, ontology: Ontology) -> list[str]:
    """A domain or component (what flows through it), or an option the plan does not rank."""
    from combmap.errors import UnknownIdError

    try:
        entity = ontology.resolve(item_id)
    except UnknownIdError:
        ids = [b.id for b in plan.barriers] + [i.id for i in plan.interventions]
        close = get_close_matches(item_id, ids, n=1)
        if close:
            raise UnknownIdError(f"{item_id!r} is not in this plan; did you mean {close[0]!r}?") from None
        raise
    known = plan.item(entity.id) is not None or any(e.id == entity.id for e in plan.excluded)
    if entity.id != item_id and known:
        return explain_lines(entity.id, plan, ontology)
    kind = entity.kind.value
    lines = [f"{plain(entity.label)} ({entity.id}), {kind}"]
    through = [
        c for c in plan.barriers
        if entity.id in c.domains or entity.id in c.components
    ]
    if through:
        lines.append(f"{len(through)} entr{'y' if len(through) == 1 else 'ies'} coded to it or reaching it:")
        for chain in through:
            functions = ", ".join(
                _name(plan, ontology, f.id) for f in chain.functions if any(r.code == entity.id for r in f.routes)
            )
            lines.append(f"  {chain.id}: {plain(chain.text)}" + (f" → {functions}" if functions else ""))
    else:
        lines.append(f"this plan neither ranks nor reaches this {kind}")
    return lines


# --- ontology views ---------------------------------------------------------------------------


def entity_record(entity: Entity, ontology: Ontology) -> dict[str, Any]:
    """An entity with its links, as plain data for show/export."""
    return {
        "id": entity.id,
        "kind": entity.kind.value,
        "label": entity.label,
        "definition": entity.definition,
        "aliases": list(entity.aliases),
        "parent": entity.parent,
        "xrefs": list(entity.xrefs),
        "ref": entity.ref,
        "locator": entity.locator,
        "status": entity.status.value,
        **({"example": entity.example} if entity.example else {}),
        **(
            {
                "constructs": [
                    {"label": c.label, "status": c.status.value} for c in entity.constructs
                ]
            }
            if entity.constructs
            else {}
        ),
        "links": [link_record(link) for link in ontology.links_of(entity.id)],
    }


def link_record(link: Link) -> dict[str, Any]:
    """A link as plain data, in the export's shape."""
    record: dict[str, Any] = {
        "source": link.source,
        "target": link.target,
        "relation": link.relation.value,
        "ref": link.ref,
        "status": link.status.value,
    }
    for key in ("via", "grade", "locator"):
        value = getattr(link, key)
        if value is not None:
            record[key] = value
    record["set"] = link.set
    return record


def export_json(ontology: Ontology) -> str:
    """The whole ontology as networkx node-link JSON (`networkx.node_link_graph(data)` reads it).

    The keys are networkx's defaults: `directed`, `multigraph`, `graph`, `nodes`, and the
    edges (each with a `key`, its link set) under both `edges` (networkx 3.6's default) and
    `links` (the default before), so every networkx from 3.2 on reads it without arguments;
    `references` is extra and ignored there.
    """
    nodes = []
    for entity in sorted(ontology.entities.values(), key=lambda e: e.id):
        node: dict[str, Any] = {"id": entity.id, "kind": entity.kind.value, "label": entity.label}
        node.update(
            {
                "definition": entity.definition,
                "parent": entity.parent,
                "aliases": list(entity.aliases),
                "xrefs": list(entity.xrefs),
                "ref": entity.ref,
                "status": entity.status.value,
            }
        )
        nodes.append(node)
    edges = []
    for link in ontology.links:
        record = link_record(link)
        record["key"] = f"{link.set}:{link.via}" if link.via else link.set
        record["weight"] = _link_weight(link)
        edges.append(record)
    references = [
        ref.model_dump(mode="json", exclude={"replaces"}) for ref in ontology.references.values()
    ]
    payload = {
        "directed": True,
        "multigraph": True,
        "graph": {"name": ontology.manifest.name, "version": ontology.version},
        "version": ontology.version,
        "nodes": nodes,
        "edges": edges,
        "links": edges,
        "references": references,
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _link_weight(link: Link) -> float:
    """A link's numeric weight for graph tools: how many sources read it (at least 1).

    A count of agreeing sources, not a strength of recommendation; status is its own column.
    """
    return float(max(1, sum(1 for s in link.sources if s.agrees)))


def export_csv(ontology: Ontology) -> str:
    """The links as CSV, one row per link, labels alongside ids (formula-safe cells)."""
    from combmap.tabular import csv_text

    rows: list[list[object]] = [
        [
            "source",
            "source_label",
            "relation",
            "target",
            "target_label",
            "via",
            "grade",
            "ref",
            "locator",
            "status",
            "set",
        ]
    ]
    for link in ontology.links:
        rows.append(
            [
                link.source,
                _label(ontology, link.source),
                link.relation.value,
                link.target,
                _label(ontology, link.target),
                link.via or "",
                link.grade or "",
                link.ref,
                link.locator or "",
                link.status.value,
                link.set,
            ]
        )
    return csv_text(rows)


def export_graphml(ontology: Ontology) -> str:
    """The ontology graph as GraphML for Gephi, Cytoscape, igraph and networkx.

    Nodes carry kind, label, definition, status, ref, parent, xrefs (joined by `|`) and their
    IRI; edges carry relation, ref, locator, status, via, grade, link set and a numeric
    weight. Control characters, which XML 1.0 cannot hold, are dropped from every value.
    """
    import networkx as nx

    from combmap.rdf import entity_iris

    iris = entity_iris(ontology)
    graph = nx.MultiDiGraph(name=_xml_safe(ontology.manifest.name), version=_xml_safe(ontology.version))
    for entity in sorted(ontology.entities.values(), key=lambda e: e.id):
        graph.add_node(
            entity.id,
            kind=entity.kind.value,
            label=_xml_safe(entity.label),
            definition=_xml_safe(entity.definition),
            status=entity.status.value,
            ref=_xml_safe(entity.ref),
            parent=entity.parent or "",
            xrefs="|".join(entity.xrefs),
            iri=iris[entity.id],
        )
    for entity in sorted(ontology.entities.values(), key=lambda e: e.id):
        if entity.parent:
            graph.add_edge(entity.id, entity.parent, key="part-of", relation="part-of", weight=1.0)
    for link in ontology.links:
        key = f"{link.set}:{link.via}" if link.via else link.set
        graph.add_edge(
            link.source,
            link.target,
            key=_xml_safe(key),
            relation=link.relation.value,
            ref=_xml_safe(link.ref),
            locator=_xml_safe(link.locator or ""),
            status=link.status.value,
            via=link.via or "",
            grade=_xml_safe(link.grade or ""),
            set=_xml_safe(link.set),
            weight=_link_weight(link),
        )
    body = "\n".join(nx.generate_graphml(graph, prettyprint=True))
    if not body.startswith("<?xml"):
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + body
    return body + "\n"


_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """Text that XML 1.0 can hold: control characters other than tab and newline dropped."""
    return _XML_ILLEGAL.sub("", text)


def bullet(lines: Iterable[str]) -> str:
    """Join lines as a simple bullet list."""
    return "\n".join(f"- {line}" for line in lines)


# --- issue 16: behaviours, outcomes, proposed interventions, delivery and specification -------


def bcw_sections_markdown(plan: Plan, ontology: Ontology) -> list[str]:
    """The plan's issue-16 sections in Markdown; none when the case uses none of them.

    Behaviours (each planned on its own barriers) and the cross-behaviour summary, outcomes
    (never scored), the source's proposed interventions compared with the plan, and the mode
    of delivery and TIDieR specification of each drafted intervention.
    """
    out: list[str] = []
    add = out.append
    if plan.behaviours is not None:
        add("## Behaviours")
        add("")
        add("Each target behaviour planned on its own barriers (BCW steps 2–3), with the same rules.")
        for item in plan.behaviours:
            add("")
            add(f"### {md_escape(item.id)}: {md_escape(item.target)}")
            add("")
            given = "; ".join(f"{k.replace('_', ' ')}: {md_escape(v)}" for k, v in item.specification.items())
            add(f"Actor: {md_escape(item.actor)}." + (f" {given}." if given else ""))
            add("")
            add(
                f"{_count(len(item.barriers), 'barrier')}, {_count(len(item.enablers), 'enabler')}"
                f", {_count(len(item.outcomes), 'outcome')}. Functions after APEASE: "
                + (", ".join(md_escape(_label(ontology, f)) for f in item.selected) or "none")
                + "."
            )
            if item.interventions:
                add("")
                out.extend(
                    md_table(
                        ["rank", "intervention", "barriers", "functions", "techniques"],
                        [
                            [
                                _rank(i.rank, i.tie),
                                i.title,
                                str(len(i.barriers)),
                                ", ".join(_label(ontology, f) for f in i.functions),
                                ", ".join(_code(t.id) for t in i.techniques),
                            ]
                            for i in item.interventions
                        ],
                        {0, 2},
                    )
                )
            for warning in item.warnings:
                add("")
                add(f"- {md_escape(warning)}")
        add("")
        add("### Across behaviours")
        add("")
        if plan.shared:
            add("Drafted interventions that serve more than one behaviour:")
            add("")
            for shared in plan.shared:
                serving = ", ".join(
                    f"{md_escape(b)} ({_count(len(shared.barriers[b]), 'barrier')})" for b in shared.behaviours
                )
                functions = ", ".join(md_escape(_label(ontology, f)) for f in shared.functions)
                add(f"- {md_escape(shared.title)} ({md_code(shared.id)}): {serving}; functions in all: {functions or 'none'}")
        else:
            add("No drafted intervention serves more than one behaviour.")
        add("")
    if plan.outcomes is not None:
        add("## Outcomes (not scored)")
        add("")
        add("Outcomes and observed effects of the behaviour, not determinants of it: shown, never scored, no chain.")
        add("")
        for entry in plan.outcomes:
            where = ", ".join(x for x in (entry.behaviour, entry.group) if x)
            add(f"- {md_code(entry.id)}: {md_escape(entry.text)}" + (f" ({md_escape(where)})" if where else ""))
        add("")
    if plan.proposed is not None:
        add("## Interventions the source proposes")
        add("")
        add("Each proposed intervention's functions and policy categories (as coded) and their rank in this plan.")
        add("")

        # Table cells are escaped by _md_table, so the rows carry plain text.
        def ranks(matches: list[Any]) -> str:
            return ", ".join(
                f"{m.label} ({'rank ' + str(m.rank) if m.rank is not None else 'not in plan'})"
                for m in matches
            ) or "none coded"

        out.extend(
            md_table(
                ["id", "proposed intervention", "functions", "policy categories", "comparison"],
                [
                    [p.id, p.text, ranks(p.functions), ranks(p.policies), p.note]
                    for p in plan.proposed
                ],
            )
        )
        add("")
    if plan.delivery is not None:
        add("## Mode of delivery and specification")
        add("")
        add(
            "BCW step 8. Candidate modes (BCIO Mode of Delivery Ontology, after APEASE): "
            + ", ".join(f"{md_escape(m.label)} ({md_escape(', '.join(m.bcio))})" for m in plan.delivery)
            + "."
        )
        for drafted in plan.interventions:
            spec = drafted.specification
            if drafted.delivery is None and spec is None:
                continue
            add("")
            add(f"### {md_escape(drafted.title)} ({md_code(drafted.id)})")
            add("")
            if drafted.delivery is not None:
                modes = ", ".join(
                    md_escape(m.label) + (" (APEASE: not sure)" if m.apease else "") for m in drafted.delivery
                )
                add(f"- Mode of delivery: {modes or 'none left after APEASE'}")
            if spec is not None:
                for key, text in spec.items.items():
                    add(f"- {md_escape(TIDIER_ITEMS.get(key, key))}: {md_escape(text)}")
                for annotation in spec.bcio:
                    name = TIDIER_ITEMS.get(annotation.item, annotation.item)
                    add(f"- BCIO ({md_escape(name)}): {md_code(annotation.id)}")
        add("")
    return out


#: TIDieR items 3–9 (Hoffmann et al. 2014) as outputs name them.
TIDIER_ITEMS = {
    "what_materials": "What (materials)",
    "what_procedures": "What (procedures)",
    "who_provides": "Who provides",
    "how": "How",
    "where": "Where",
    "when_how_much": "When and how much",
    "tailoring": "Tailoring",
}
