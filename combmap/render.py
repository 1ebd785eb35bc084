"""Turn plans and ontology records into text: Markdown, YAML, JSON and rich renderables.

Nothing here prints or writes files. Case text is untrusted, so every string that came from a
case is escaped for the format it lands in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import yaml

from combmap.ontology import Entity, Link, Ontology
from combmap.plan import Plan, RankedItem, Reason

if TYPE_CHECKING:
    from rich.console import RenderableType

# What CommonMark/GFM interpret inside a line; with [ and ] escaped no link can form, and
# < > & become entities so no HTML passes through.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#!|<>&~$^])")


# Characters that never belong in rendered text: C0/C1 controls (terminal escape sequences)
# and bidirectional overrides, which could reorder what a reader sees (U+202E).
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def plain(text: str) -> str:
    """Untrusted text on one line, with control and bidi-override characters removed."""
    return " ".join(_INVISIBLE.sub(" ", text).split())


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


def to_yaml(data: Any) -> str:
    """Dump plain data as block YAML with keys in their given order."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def plan_yaml(plan: Plan) -> str:
    """The plan in YAML: the same content as the JSON."""
    return to_yaml(plan.model_dump(mode="json", by_alias=True))


def policy_role(policy: RankedItem) -> str:
    """A policy category's place against the bundle: common lever, candidate, or neither."""
    return "common" if policy.common else "candidate" if policy.candidate else ""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _fmt(value: float) -> str:
    return f"{value:.2f}"


def _label(ontology: Ontology, entity_id: str) -> str:
    entity = ontology.entities.get(entity_id)
    return entity.label if entity else entity_id


def reason_text(reason: Reason, ontology: Ontology, barrier_text: str) -> str:
    """One route in words: barrier → domain → component → function, with citations."""
    steps = [f"“{barrier_text}”", *(_label(ontology, part) for part in reason.path[1:])]
    cites = sorted(
        {
            f"{link.ref}{', ' + link.locator if link.locator else ''} ({link.status})"
            for link in reason.links
        }
    )
    return f"{' → '.join(steps)} [{'; '.join(cites)}]"


def plan_markdown(plan: Plan, ontology: Ontology) -> str:
    """A complete Markdown report of the plan: priorities, rankings, bundle, rationale."""
    texts = {b.id: b.text for b in plan.barriers}
    out: list[str] = []
    add = out.append
    add(f"# Intervention plan: {md_escape(plan.case['title'])}")
    add("")
    add(f"Case `{plan.case['id']}` · ontology {plan.ontology} · profile `{plan.profile}`")
    add("")
    barriers = [b for b in plan.barriers if b.kind != "enabler"]
    enablers = [b for b in plan.barriers if b.kind == "enabler"]
    both = sum(b.kind == "both" for b in barriers)
    add(
        f"{_count(len(barriers), 'barrier')} (of which {both} also {'an enabler' if both == 1 else 'enablers'}) and {_count(len(enablers), 'enabler')}."
    )
    add("")
    add("## Priorities")
    add("")
    add(
        "Ranked as the TDF guide judges importance: frequency, then elaboration, then conflicting evidence. `=` marks a tie."
    )
    for title, rows in (
        ("TDF domains", plan.priorities.domains),
        ("COM-B components", plan.priorities.components),
    ):
        add("")
        add(f"### {title}")
        add("")
        add("| rank | | frequency | elaboration | conflicting | barriers | enablers |")
        add("|---:|---|---:|---:|---|---|---|")
        for p in rows:
            rank = f"={p.rank}" if p.tie else str(p.rank)
            add(
                f"| {rank} | {md_escape(p.label)} | {p.frequency} | {p.elaboration} | {'yes' if p.conflicting else ''} | {len(p.barriers)} | {len(p.enablers)} |"
            )
    add("")
    add("## Intervention functions")
    add("")
    add("| rank | function | score | barriers addressed | unverified route |")
    add("|---:|---|---:|---:|---|")
    for f in plan.functions:
        add(
            f"| {f.rank} | {md_escape(f.label)} | {_fmt(f.score)} | {len(f.barriers)} | {'yes' if f.unverified else ''} |"
        )
    add("")
    add("## Minimal bundle")
    add("")
    add(
        "The fewest functions that together address every barrier they can (greedy by weighted coverage)."
    )
    add("")
    for index, step in enumerate(plan.bundle.functions, 1):
        techniques = (
            ", ".join(f"{md_escape(t.label)} ({t.id})" for t in step.techniques) or "none linked"
        )
        add(
            f"{index}. **{md_escape(step.label)}**: adds {len(step.adds)} barrier(s), addresses {len(step.barriers)}; techniques: {techniques}"
        )
    if plan.bundle.uncovered:
        add("")
        add(
            "Not addressed by any available function: "
            + ", ".join(f"`{b}`" for b in plan.bundle.uncovered)
        )
    add("")
    add("## Policy categories")
    add("")
    add(
        "Scored by the weight of the ranked functions each can deliver. *Candidate*: serves a function of the bundle; *common*: serves every one."
    )
    add("")
    add("| rank | policy category | score | delivers | bundle |")
    add("|---:|---|---:|---|---|")
    for policy in plan.policies:
        serves = ", ".join(md_escape(_label(ontology, f)) for f in policy.functions)
        add(
            f"| {policy.rank} | {md_escape(policy.label)} | {_fmt(policy.score)} | {serves} | {policy_role(policy)} |"
        )
    add("")
    add("## Behaviour change techniques")
    add("")
    add("| rank | technique | score | barriers | functions |")
    add("|---:|---|---:|---:|---|")
    for t in plan.techniques:
        functions = ", ".join(md_escape(_label(ontology, f)) for f in t.functions)
        add(
            f"| {t.rank} | {md_escape(t.label)} ({t.id}) | {_fmt(t.score)} | {len(t.barriers)} | {functions} |"
        )
    add("")
    add("### Techniques by function")
    for f in plan.functions:
        add("")
        add(
            f"**{md_escape(f.label)}**: "
            + (
                "; ".join(f"{md_escape(t.label)} ({t.id}, {_fmt(t.score)})" for t in f.techniques)
                or "no technique linked"
            )
        )
    if plan.excluded:
        add("")
        add("## Excluded after APEASE")
        add("")
        for item in plan.excluded:
            why = item.excluded.reason if item.excluded else ""
            add(f"- {md_escape(item.label)} (`{item.id}`): {md_escape(why)}")
    add("")
    add("## Rationale")
    add("")
    add(
        "Every route from a barrier to a function, with the sources of its links. `combmap explain` gives the same for any item."
    )
    for item in plan.functions:
        add("")
        add(f"### {md_escape(item.label)} (`{item.id}`)")
        add("")
        if item.unverified:
            add("*Rests in part on unverified links.*")
            add("")
        for reason in item.why:
            if reason.barrier in item.barriers:
                add(f"- {md_escape(reason_text(reason, ontology, texts[reason.barrier]))}")
        if item.enablers:
            add(f"- Builds on enablers: {', '.join(f'`{e}`' for e in item.enablers)}")
    for title, items in (("Policy categories", plan.policies), ("Techniques", plan.techniques)):
        add("")
        add(f"### {title}: the links they rest on")
        add("")
        for item in items:
            cites = "; ".join(
                md_escape(_last_link_text(link, ontology)) for link in _last_links(item)
            )
            flag = " *(unverified)*" if item.unverified else ""
            add(
                f"- **{md_escape(item.label)}** (`{item.id}`), {len(item.barriers)} barriers{flag}: {cites}"
            )
    if plan.unverified_links:
        add("")
        add("## Unverified links used")
        add("")
        for link in plan.unverified_links:
            add(
                f"- {md_escape(_label(ontology, link.source))} → {md_escape(_label(ontology, link.target))} ({link.ref}{', ' + md_escape(link.locator) if link.locator else ''}; set `{link.set}`)"
            )
    if plan.warnings:
        add("")
        add("## Warnings")
        add("")
        for warning in plan.warnings:
            add(f"- {md_escape(warning)}")
    add("")
    add("## References")
    add("")
    for key in _cited(plan):
        ref = ontology.references.get(key)
        if ref is not None:
            add(f"- **{key}**: {md_escape(reference_text(ref))}")
    add("")
    return "\n".join(out)


def _last_links(item: RankedItem) -> list[Any]:
    """The distinct links that connect an item to the route (the item's own evidence)."""
    seen = {}
    for reason in item.why:
        link = reason.links[-1]
        seen[(link.set, link.source, link.target)] = link
    return [seen[key] for key in sorted(seen)]


def _last_link_text(link: Any, ontology: Ontology) -> str:
    where = f"{link.ref}, {link.locator}" if link.locator else link.ref
    return f"{_label(ontology, link.source)} → {_label(ontology, link.target)} ({where}; {link.status})"


def _cited(plan: Plan) -> list[str]:
    keys = {
        link.ref
        for item in (*plan.functions, *plan.policies, *plan.techniques)
        for reason in item.why
        for link in reason.links
    }
    return sorted(keys)


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
    """The plan as rich tables for a terminal; case text is escaped for rich markup."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    out: list[RenderableType] = []
    out.append(
        Text.assemble(
            ("Intervention plan: ", "bold"),
            (plan.case["title"], "bold"),
            f"\nprofile {plan.profile} · ontology {plan.ontology}",
        )
    )
    table = Table(title="Priorities: COM-B components", title_justify="left")
    for column in ("rank", "component", "freq", "elab", "conflict"):
        table.add_column(column, justify="right" if column in {"rank", "freq", "elab"} else "left")
    for p in plan.priorities.components:
        table.add_row(
            f"={p.rank}" if p.tie else str(p.rank),
            escape(p.label),
            str(p.frequency),
            str(p.elaboration),
            "yes" if p.conflicting else "",
        )
    out.append(table)
    table = Table(title="Intervention functions", title_justify="left")
    for column in ("rank", "function", "score", "barriers", "top techniques"):
        table.add_column(
            column, justify="right" if column in {"rank", "score", "barriers"} else "left"
        )
    for f in plan.functions:
        techniques = ", ".join(t.id.removeprefix("bct:") for t in f.techniques[:5])
        flag = " [dim](unverified)[/dim]" if f.unverified else ""
        table.add_row(
            str(f.rank), escape(f.label) + flag, _fmt(f.score), str(len(f.barriers)), techniques
        )
    out.append(table)
    table = Table(title="Minimal bundle", title_justify="left")
    for column in ("#", "function", "adds", "techniques"):
        table.add_column(column)
    for index, step in enumerate(plan.bundle.functions, 1):
        table.add_row(
            str(index),
            escape(step.label),
            str(len(step.adds)),
            escape("; ".join(f"{t.id.removeprefix('bct:')} {t.label}" for t in step.techniques)),
        )
    out.append(table)
    table = Table(title="Policy categories", title_justify="left")
    for column in ("rank", "policy", "score", "functions", "bundle"):
        table.add_column(column)
    for policy in plan.policies:
        table.add_row(
            str(policy.rank),
            escape(policy.label),
            _fmt(policy.score),
            str(len(policy.functions)),
            policy_role(policy),
        )
    out.append(table)
    table = Table(title="Behaviour change techniques", title_justify="left")
    for column in ("rank", "technique", "score", "barriers"):
        table.add_column(column, justify="right" if column != "technique" else "left")
    for t in plan.techniques:
        table.add_row(
            str(t.rank),
            escape(f"{t.id.removeprefix('bct:')} {t.label}"),
            _fmt(t.score),
            str(len(t.barriers)),
        )
    out.append(table)
    notes = []
    for item in plan.excluded:
        why = item.excluded.reason if item.excluded else ""
        notes.append(Text(f"Excluded: {item.label} ({item.id}): {why}", style="yellow"))
    if plan.unverified_links:
        notes.append(
            Text(
                f"{len(plan.unverified_links)} unverified link(s) used; see `combmap explain` or --format markdown.",
                style="dim",
            )
        )
    for warning in plan.warnings:
        notes.append(Text(f"Warning: {warning}", style="yellow"))
    out.extend(notes)
    return out


def explain_lines(item: RankedItem, plan: Plan, ontology: Ontology) -> list[str]:
    """One item's reasoning as plain lines (the caller escapes for its medium)."""
    texts = {b.id: plain(b.text) for b in plan.barriers}
    lines = [f"{plain(item.label)} ({item.id}), {item.kind}"]
    if item.excluded is not None:
        lines.append(f"EXCLUDED: {plain(item.excluded.reason)}")
    lines.append(
        f"rank {item.rank}, score {_fmt(item.score)}, addresses {len(item.barriers)} barrier(s)"
    )
    if item.unverified:
        lines.append("Rests in part on unverified links.")
    for reason in item.why:
        if reason.barrier not in item.barriers:
            continue
        lines.append("")
        lines.append(f"{reason.barrier}: {texts[reason.barrier]}")
        lines.append(
            "  "
            + " → ".join(_label(ontology, p) for p in reason.path[1:])
            + f"  (strength {_fmt(reason.strength)})"
        )
        for link in reason.links:
            where = f"{link.ref}, {link.locator}" if link.locator else link.ref
            lines.append(
                f"    {link.source} → {link.target}: {where} [{link.status}; set {link.set}]"
            )
    if item.enablers:
        lines.append("")
        lines.append("Builds on enablers: " + ", ".join(item.enablers))
    if item.techniques:
        lines.append("")
        lines.append(
            "Top techniques: "
            + "; ".join(f"{t.id} {t.label} ({_fmt(t.score)})" for t in item.techniques)
        )
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
    """A link's numeric weight for graph tools: the planner's status × grade weights."""
    from combmap.plan import GRADE_WEIGHT, STATUS_WEIGHT

    return round(STATUS_WEIGHT[link.status] * GRADE_WEIGHT.get(link.grade or "", 1.0), 4)


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
