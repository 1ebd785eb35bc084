"""Compare cases, or the stakeholder groups inside one case: what is shared, what differs.

Each side (a case, or the entries of one group) is planned with `make_plan`, so every number
here is one a plan of that side would print. The comparison reports, per TDF domain, COM-B
component and theme (entries sharing a `theme` key, which coders use to pair one group's
entry with another's):

* where it appears: in every side (`common`), in one side only (`only`), or in some;
* whether it is `opposed`: raised as a barrier by one side (alone, or besides enablers) and
  only as an enabler by another;
* its frequency and entry counts per side;

and, per intervention function, policy category and technique, its rank in each side's plan,
listing the items in the top N (default 5) of at least one side: `common` when top in every
side, `only` when top in one. The result is plain data (JSON shape `combmap.compare/1`);
renderers below turn it into Markdown, rich tables, DOT and Mermaid.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from html import escape as html_escape
from typing import TYPE_CHECKING, Any

from combmap.errors import CombmapError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from combmap.case import Case
    from combmap.ontology import Ontology
    from combmap.plan import Priority, RankedFunction, RankedPolicy, RankedTechnique

    RankedItem = RankedFunction | RankedPolicy | RankedTechnique

#: Version of the comparison's JSON shape; bump on any incompatible change.
COMPARE_SCHEMA = "combmap.compare/1"
#: Ranks up to this count as "ranks high" in a side's plan.
TOP = 5


class CompareError(CombmapError):
    """The inputs cannot be compared (fewer than two sides, or two sides with one name)."""


@dataclass(frozen=True)
class Side:
    """One thing compared: a whole case, or the entries of one stakeholder group."""

    id: str
    label: str
    case: Case
    group: str | None = None


def sides_by_case(cases: Sequence[Case]) -> list[Side]:
    """One side per case, named by case id.

    Raises:
        CompareError: two cases have the same id.
    """
    seen: dict[str, str] = {}
    out = []
    for case in cases:
        if case.id in seen:
            raise CompareError(
                f"two cases have the id {case.id!r} ({seen[case.id]} and {case.file}); "
                "give each case its own id"
            )
        seen[case.id] = case.file
        out.append(Side(case.id, case.info.title, case))
    return out


def sides_by_group(cases: Sequence[Case]) -> tuple[list[Side], list[str]]:
    """One side per stakeholder group of each case; entries with no group are left out.

    Sides are named by group id, or `case-id/group-id` when several cases are split.

    Returns:
        The sides, and the entries (as `case-id/entry-id`) that have no group.
    """
    several = len(cases) > 1
    sides = []
    ungrouped = []
    for case in cases:
        for group in case.groups:
            entries = tuple(b for b in case.barriers if b.group == group.id)
            name = f"{case.id}/{group.id}" if several else group.id
            sides.append(Side(name, group.label, replace(case, barriers=entries), group.id))
        ungrouped += [f"{case.id}/{b.id}" for b in case.barriers if b.group is None]
    return sides, ungrouped


def compare(
    sides: Sequence[Side],
    ontology: Ontology,
    *,
    profile: str | None = None,
    top: int = TOP,
    by: str = "case",
    ungrouped: Sequence[str] = (),
) -> dict[str, Any]:
    """Plan every side and set the plans side by side.

    Args:
        sides: from `sides_by_case` or `sides_by_group`.
        ontology: the ontology the cases were resolved against.
        profile: link-set profile; default: each case's own, then the ontology's default.
        top: ranks up to this count "rank high" in a side's plan.
        by: `case` or `group`, recorded in the result.
        ungrouped: entries left out (from `sides_by_group`), recorded with a warning.

    Raises:
        CompareError: fewer than two sides.
        UnknownIdError: the profile does not exist.
    """
    from combmap.plan import make_plan
    from combmap.schema import Kind

    if len(sides) < 2:
        hint = (
            "the case defines fewer than two groups with entries"
            if by == "group"
            else "give two or more case files, or one case with groups and --by group"
        )
        raise CompareError(f"a comparison needs at least two sides; {hint}")
    every = len(ontology.of_kind(Kind.TECHNIQUE))
    plans = {side.id: make_plan(side.case, ontology, profile=profile, top=every) for side in sides}
    names = [side.id for side in sides]
    warnings = []
    for side in sides:
        if not side.case.barriers:
            warnings.append(f"{side.id!r} has no entries")
    if ungrouped:
        warnings.append(
            f"{len(ungrouped)} entr{'y has' if len(ungrouped) == 1 else 'ies have'} no group "
            f"and {'is' if len(ungrouped) == 1 else 'are'} left out: {', '.join(ungrouped)}"
        )
    first = plans[names[0]]
    return {
        "schema": COMPARE_SCHEMA,
        "by": by,
        "ontology": first.ontology,
        "profiles": sorted({plan.profile for plan in plans.values()}),
        "top": top,
        "sides": [
            {
                "id": side.id,
                "label": side.label,
                "case": side.case.id,
                "group": side.group,
                "barriers": sum(b.kind.value not in ("enabler", "outcome") for b in side.case.barriers),
                "enablers": sum(b.kind.value == "enabler" for b in side.case.barriers),
                "selected": list(plans[side.id].selected),
            }
            for side in sides
        ],
        "domains": _codes(names, {n: p.priorities.domains for n, p in plans.items()}),
        "components": _codes(names, {n: p.priorities.components for n, p in plans.items()}),
        "themes": _themes(sides),
        "functions": _items(names, {n: p.functions for n, p in plans.items()}, top),
        "policies": _items(names, {n: p.policies for n, p in plans.items()}, top),
        "techniques": _items(names, {n: p.techniques for n, p in plans.items()}, top),
        "ungrouped": list(ungrouped),
        "warnings": warnings,
    }


def _role(barriers: int, enablers: int) -> str:
    if barriers and not enablers:
        return "barrier"
    if enablers and not barriers:
        return "enabler"
    return "both"


def _presence(names: Sequence[str], present: Sequence[str]) -> str:
    if len(present) == len(names):
        return "common"
    return "only" if len(present) == 1 else "some"


def _opposed(roles: Sequence[str]) -> bool:
    """A barrier for one side (alone or with enablers), only an enabler for another."""
    return "enabler" in roles and ("barrier" in roles or "both" in roles)


def _label_of(rows: dict[str, dict[str, Any]]) -> str:
    return str(next(iter(rows.values()))["label"])


def _codes(names: Sequence[str], by_side: dict[str, list[Priority]]) -> list[dict[str, Any]]:
    """Each domain (or component) any side codes, with its counts and role per side."""
    from combmap.ontology import sort_key

    found: dict[str, dict[str, dict[str, Any]]] = {}
    for name in names:
        for p in by_side[name]:
            # Priority lists count `both` entries as barriers and as enablers.
            found.setdefault(p.id, {})[name] = {
                "label": p.label,
                "rank": p.rank,
                "frequency": p.frequency,
                "elaboration": p.elaboration,
                "barriers": len(p.barriers),
                "enablers": len(p.enablers),
                "conflicting": p.conflicting,
                "role": _role(len(p.barriers), len(p.enablers)),
            }
    out = []
    for entity_id in sorted(found, key=sort_key):
        rows = found[entity_id]
        present = [n for n in names if n in rows]
        out.append(
            {
                "id": entity_id,
                "label": _label_of(rows),
                "presence": _presence(names, present),
                "in": present,
                "opposed": _opposed([rows[n]["role"] for n in present]),
                "frequency": sum(r["frequency"] for r in rows.values()),
                "sides": {n: {k: v for k, v in rows[n].items() if k != "label"} for n in present},
            }
        )
    return out


def _themes(sides: Sequence[Side]) -> list[dict[str, Any]]:
    """Entries grouped by `theme` (or their own id), with kind and frequency per side."""
    names = [side.id for side in sides]
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for side in sides:
        for barrier in side.case.barriers:
            if barrier.kind.value == "outcome":  # not a determinant (issue 16)
                continue
            theme = barrier.theme or barrier.id
            row = found.setdefault(theme, {}).setdefault(
                side.id, {"entries": [], "barriers": 0, "enablers": 0, "frequency": 0}
            )
            row["entries"].append(barrier.id)
            row["barriers"] += barrier.kind.value != "enabler"
            row["enablers"] += barrier.kind.value != "barrier"
            row["frequency"] += barrier.frequency or 1
    out = []
    for theme in sorted(found):
        rows = found[theme]
        present = [n for n in names if n in rows]
        for row in rows.values():
            row["role"] = _role(row["barriers"], row["enablers"])
            row["entries"].sort()
        out.append(
            {
                "id": theme,
                "presence": _presence(names, present),
                "in": present,
                "opposed": _opposed([rows[n]["role"] for n in present]),
                "frequency": sum(r["frequency"] for r in rows.values()),
                "sides": {n: rows[n] for n in present},
            }
        )
    return out


def _items(
    names: Sequence[str], by_side: Mapping[str, Sequence[RankedItem]], top: int
) -> list[dict[str, Any]]:
    """Items in the top `top` of at least one side, with their rank and score in every side."""
    from combmap.ontology import sort_key

    found: dict[str, dict[str, dict[str, Any]]] = {}
    for name in names:
        for item in by_side[name]:
            found.setdefault(item.id, {})[name] = {
                "label": item.label,
                "rank": item.rank,
                "score": item.score,
                "barriers": len(item.barriers),
            }
    ordered: list[tuple[tuple[int, tuple[object, ...]], dict[str, Any]]] = []
    for item_id, rows in found.items():
        high = [n for n in names if n in rows and rows[n]["rank"] <= top]
        if not high:
            continue
        best = min(rows[n]["rank"] for n in high)
        sides = {n: {k: v for k, v in rows[n].items() if k != "label"} for n in names if n in rows}
        row = {
            "id": item_id,
            "label": _label_of(rows),
            "presence": _presence(names, high),
            "top_in": high,
            "sides": sides,
        }
        ordered.append(((best, sort_key(item_id)), row))
    ordered.sort(key=lambda pair: pair[0])
    return [row for _, row in ordered]


def to_json(data: dict[str, Any]) -> str:
    """The comparison as JSON, byte-stable for the same inputs."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- rendering ----------------------------------------------------------------------------------


def _side_labels(data: dict[str, Any]) -> dict[str, str]:
    return {side["id"]: side["label"] for side in data["sides"]}


def _where(row: dict[str, Any], labels: dict[str, str]) -> str:
    if row["presence"] == "common":
        return "all"
    present = row["in"] if "in" in row else row["top_in"]
    return ", ".join(labels[n] for n in present)


def _cell(row: dict[str, Any], name: str) -> str:
    side = row["sides"].get(name)
    if side is None:
        return ""
    if "role" in side:
        word = {"barrier": "B", "enabler": "E", "both": "B+E"}[side["role"]]
        return f"{word} {side['frequency']}"
    return f"#{side['rank']} ({side['score']:.2f})"


_SECTIONS = (
    ("TDF domains", "domains"),
    ("COM-B components", "components"),
    ("Themes", "themes"),
)
_PLANS = (
    ("Intervention functions", "functions"),
    ("Policy categories", "policies"),
    ("Behaviour change techniques", "techniques"),
)


def to_markdown(data: dict[str, Any]) -> str:
    """A report: shared and differing codes and themes, then how the plans differ."""
    from combmap.render import md_code, md_escape

    labels = _side_labels(data)
    names = [side["id"] for side in data["sides"]]
    out: list[str] = []
    add = out.append
    add(f"# Comparison by {data['by']}: " + " vs ".join(md_escape(labels[n]) for n in names))
    add("")
    add(
        f"Ontology {md_escape(data['ontology'])} · profile {', '.join(md_code(p) for p in data['profiles'])}"
        f" · top {data['top']}"
    )
    add("")
    add("| side | id | barriers | enablers | selected functions |")
    add("|---|---|---:|---:|---|")
    for side in data["sides"]:
        add(
            f"| {md_escape(side['label'])} | {md_code(side['id'], table=True)} | {side['barriers']} | "
            f"{side['enablers']} | {', '.join(md_code(f, table=True) for f in side['selected'])} |"
        )
    add("")
    add(
        "Cells: **B** raised as a barrier, **E** as an enabler, **B+E** both; the number is the "
        "frequency (participants or sources; 1 per entry without a count). *Opposed*: a barrier "
        "for one side, only an enabler for another."
    )
    header = "| | where | opposed | " + " | ".join(md_escape(labels[n]) for n in names) + " |"
    rule = "|---|---|---|" + "---|" * len(names)
    for title, key in _SECTIONS:
        rows = data[key]
        for part, wanted in (("in common", "common"), ("in one side only", "only")):
            chosen = [r for r in rows if r["presence"] == wanted]
            add("")
            add(f"## {title} {part}")
            add("")
            if not chosen:
                add("None.")
                continue
            add(header)
            add(rule)
            for r in sorted(chosen, key=lambda r: -r["frequency"]):
                name = md_escape(r.get("label", r["id"]))
                cells = " | ".join(_cell(r, n) for n in names)
                add(
                    f"| {name} | {md_escape(_where(r, labels))} | "
                    f"{'yes' if r['opposed'] else ''} | {cells} |"
                )
        some = [r for r in rows if r["presence"] == "some"]
        opposed = [r for r in rows if r["opposed"]]
        if some:
            add("")
            add(
                f"{title} in some sides: "
                + ", ".join(md_escape(r.get("label", r["id"])) for r in some)
            )
        if opposed:
            add("")
            add(
                f"{title} raised as a barrier by one side and as an enabler by another: "
                + ", ".join(md_escape(r.get("label", r["id"])) for r in opposed)
            )
    for title, key in _PLANS:
        add("")
        add(f"## {title}: ranked in the top {data['top']}")
        add("")
        rows = data[key]
        if not rows:
            add("None.")
            continue
        add("| | top in | " + " | ".join(md_escape(labels[n]) for n in names) + " |")
        add("|---|---|" + "---|" * len(names))
        for r in rows:
            cells = " | ".join(_cell(r, n) for n in names)
            add(
                f"| {md_escape(r['label'])} ({md_code(r['id'], table=True)}) | {md_escape(_where(r, labels))} | {cells} |"
            )
    if data["warnings"]:
        add("")
        add("## Warnings")
        add("")
        for warning in data["warnings"]:
            add(f"- {md_escape(warning)}")
    return "\n".join(out) + "\n"


def tables(data: dict[str, Any]) -> list[RenderableType]:
    """The comparison as rich tables; every label escaped for rich markup."""
    from rich.table import Table
    from rich.text import Text

    from combmap.terminal import clean, markup



    labels = _side_labels(data)
    names = [side["id"] for side in data["sides"]]
    out: list[RenderableType] = [
        Text.assemble(
            (f"Comparison by {data['by']}: ", "bold"),
            (" vs ".join(clean(labels[n]) for n in names), "bold"),
            f"\nontology {clean(data['ontology'])} · top {data['top']} · B barrier, E enabler",
        )
    ]

    def table(title: str, rows: list[dict[str, Any]], flag: bool) -> Table:
        result = Table(title=title, title_justify="left")
        result.add_column("")
        result.add_column("where")
        if flag:
            result.add_column("opposed")
        for name in names:
            result.add_column(markup(labels[name]))
        for r in rows:
            cells = [markup(r.get("label", r["id"])), markup(_where(r, labels))]
            if flag:
                cells.append("yes" if r["opposed"] else "")
            result.add_row(*cells, *(_cell(r, n) for n in names))
        return result

    for title, key in _SECTIONS:
        rows = sorted(
            data[key],
            key=lambda r: ({"common": 0, "only": 1, "some": 2}[r["presence"]], -r["frequency"]),
        )
        out.append(table(title, rows, True))
    for title, key in _PLANS:
        out.append(table(f"{title} in the top {data['top']}", data[key], False))
    for warning in data["warnings"]:
        out.append(Text(f"Warning: {clean(warning)}", style="yellow"))
    return out


#: Line colours and styles of the comparison diagram, by what a line means (Okabe & Ito).
_LINE = {
    "barrier": ("#D55E00", "solid", "raised as a barrier"),
    "enabler": ("#009E73", "dashed", "raised as an enabler"),
    "both": ("#CC79A7", "bold", "raised as both"),
    "rank": ("#0072B2", "solid", "#n: the function's rank in that side's plan"),
}


def _graph(
    data: dict[str, Any],
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str, str]]]:
    """Nodes (key, layer, label) and edges (from, to, label, style) of the comparison diagram.

    The sides stand in the middle column: the TDF domains they raise on the left (a line per
    side, styled by role, labelled with the frequency), the functions in their top N on the
    right (labelled with the rank), so no line crosses a column. Domains are in the order the
    comparison lists them (shared first); functions by their best rank.
    """
    labels = _side_labels(data)
    nodes = [(f"side:{side['id']}", "side", labels[side["id"]]) for side in data["sides"]]
    edges = []
    for row in data["domains"]:
        mark = "in every side" if row["presence"] == "common" else "only " + ", ".join(
            labels.get(n, n) for n in row["in"]
        )
        if len(row["in"]) > 1 and row["presence"] != "common":
            mark = "in " + ", ".join(labels.get(n, n) for n in row["in"])
        nodes.append((row["id"], "domain", f"{row['label']} ({mark})"))
        for name, side in row["sides"].items():
            edges.append((row["id"], f"side:{name}", str(side["frequency"]), side["role"]))
    for row in data["functions"]:
        nodes.append((row["id"], "function", row["label"]))
        for name in row["top_in"]:
            edges.append((f"side:{name}", row["id"], f"#{row['sides'][name]['rank']}", "rank"))
    return nodes, edges


def _dot_legend() -> str:
    rows = ['<TR><TD COLSPAN="2" ALIGN="LEFT"><B>Legend</B></TD></TR>']
    for colour, style, meaning in _LINE.values():
        rows.append(
            f'<TR><TD WIDTH="28" HEIGHT="10" SIDES="B" BORDER="2" STYLE="{"dashed" if style == "dashed" else "solid"}" '
            f'COLOR="{colour}"></TD><TD ALIGN="LEFT">{html_escape(meaning)}</TD></TR>'
        )
    rows.append('<TR><TD COLSPAN="2" ALIGN="LEFT">Numbers on domain lines: how often that side raised it</TD></TR>')
    return (
        '<<TABLE BORDER="1" COLOR="#BBBBBB" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">'
        + "".join(rows)
        + "</TABLE>>"
    )


def to_dot(data: dict[str, Any]) -> str:
    """The comparison as Graphviz DOT: domains raised ← sides → their top functions."""
    from combmap.diagram import dot_escape, dot_id

    nodes, edges = _graph(data)
    shapes = {
        "side": 'shape=box, style="bold,filled", fillcolor="#F4F4F4", fontsize=13',
        "domain": 'shape=box, style="rounded", fontsize=11',
        "function": 'shape=box, style="rounded,filled", fillcolor="#FFFFFF", fontsize=11',
    }
    title = f"Comparison by {data['by']}: TDF domains each side raises (left) and the functions in its top {data['top']} (right)"
    lines = [
        "digraph compare {",
        '  graph [rankdir=LR, newrank=true, nodesep=0.15, ranksep=1.4, fontname="Helvetica", '
        f'fontsize=14, labelloc=t, labeljust=l, label="{dot_escape(title)}"];',
        '  node [fontname="Helvetica", margin="0.12,0.05"];',
        '  edge [fontname="Helvetica", fontsize=10, arrowsize=0.6];',
    ]
    for layer in ("domain", "side", "function"):
        members = [n for n in nodes if n[1] == layer]
        if not members:
            continue
        lines.append(f"  subgraph column_{layer} {{ rank=same;")
        for key, _, label in members:
            lines.append(f'    {dot_id(key)} [label="{dot_escape(label)}", {shapes[layer]}];')
        lines.append("  }")
    for source, target, label, style in edges:
        colour, line, _ = _LINE[style]
        # A rank label rides on its own line (dot gives it a place in the line's path); a
        # frequency sits at the domain's end of its line. Neither floats free of its line.
        where = "label" if style == "rank" else "taillabel"
        lines.append(
            f'  {dot_id(source)} -> {dot_id(target)} [{where}="{dot_escape(label)}", '
            f'labeldistance=1.8, labelangle=-25, fontcolor="{colour}", labelfontcolor="{colour}", '
            f'color="{colour}", style={line}];'
        )
    lines.append(f"  legend [shape=plain, fontname=\"Helvetica\", fontsize=10, label={_dot_legend()}];")
    first = next((n[0] for n in nodes if n[1] == "function"), None)
    if first is not None:
        lines.append(f"  {dot_id(first)} -> legend [style=invis];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(data: dict[str, Any]) -> str:
    """The comparison as a Mermaid flowchart: sides → domains raised, sides → top functions."""
    from combmap.diagram import dot_id, mermaid_escape

    nodes, edges = _graph(data)
    lines = ["flowchart LR"]
    titles = {"side": "Sides", "domain": "TDF domains raised", "function": f"Functions in the top {data['top']}"}
    for layer in ("side", "domain", "function"):
        members = [n for n in nodes if n[1] == layer]
        if not members:
            continue
        lines.append(f'  subgraph column_{layer}["{mermaid_escape(titles[layer])}"]')
        for key, _, label in members:
            lines.append(f'    {dot_id(key)}["{mermaid_escape(label)}"]')
        lines.append("  end")
    arrows = {"barrier": "-->", "enabler": "-.->", "both": "==>", "rank": "-->"}
    styles = []
    for number, (source, target, label, style) in enumerate(edges):
        if style != "rank":  # drawn from the side, so every side's lines start in one column
            source, target = target, source
        text = label if style == "rank" else f"{style} {label}"
        lines.append(f'  {dot_id(source)} {arrows[style]}|"{mermaid_escape(text)}"| {dot_id(target)}')
        styles.append(f"  linkStyle {number} stroke:{_LINE[style][0]}")
    lines.append('  subgraph legend["Legend"]')
    for index, (colour, _, meaning) in enumerate(_LINE.values()):
        lines.append(f'    legend{index}["{mermaid_escape(meaning)}"]')
        lines.append(f"    style legend{index} stroke:{colour},stroke-width:3px")
    lines.append("  end")
    lines.extend(styles)
    return "\n".join(lines) + "\n"
