"""Draw a plan as a layered diagram: Graphviz DOT, Mermaid, and rendered SVG, PNG or PDF.

The diagram reads left to right, the way the Behaviour Change Wheel reasons: barriers and
enablers → TDF domains → COM-B components → intervention functions → techniques → policy
categories. It is built from *chains*: one per route the plan records (a barrier's best route
to each function, extended to the function's top techniques and its policy categories) and one
per code in the case (barrier → domain → component). Hiding a layer projects every chain onto
the layers left, so edges bridge the gap; focusing keeps only the chains through one node.

Case text is untrusted: every label is cleaned of control characters, truncated, wrapped and
escaped for its format here, so the renderers never see raw user text. Output is sorted and
carries no timestamp unless the caller gives a date, so the same plan gives the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from combmap.errors import RenderError, UnknownIdError
from combmap.ontology import Ontology, sort_key
from combmap.plan import Plan
from combmap.render import plain
from combmap.schema import Relation, Status

if TYPE_CHECKING:
    import graphviz

#: Layers in drawing order, with their column titles.
LAYERS: dict[str, str] = {
    "barriers": "Barriers and enablers",
    "domains": "TDF domains",
    "components": "COM-B components",
    "functions": "Intervention functions",
    "techniques": "Behaviour change techniques",
    "policies": "Policy categories",
}
#: Formats `render` produces.
RENDER_FORMATS = ("svg", "png", "pdf")
#: Renderers `render` can use: a system Graphviz `dot`, or the graphviz-pure wheel.
RENDERERS = ("system", "pure")
#: Environment variable that forces a renderer (`system` or `pure`), e.g. in tests.
RENDERER_ENV = "COMBMAP_RENDERER"
#: Seconds a renderer may take before it is stopped.
RENDER_TIMEOUT = 120
#: Characters per label line, and lines kept per label (barrier texts can be essays).
WRAP = 28
MAX_LINES = 4
TOOLTIP_CHARS = 400

# Okabe & Ito (2008) colour-blind-safe palette, one hue per COM-B component.
_BLUE, _SKY, _GREEN, _YELLOW = "#0072B2", "#56B4E9", "#009E73", "#F0E442"
_VERMILLION, _ORANGE, _PURPLE, _BLACK = "#D55E00", "#E69F00", "#CC79A7", "#000000"
COMPONENT_COLOURS: dict[str, str] = {
    "comb:psychological-capability": _BLUE,
    "comb:physical-capability": _SKY,
    "comb:social-opportunity": _GREEN,
    "comb:physical-opportunity": _YELLOW,
    "comb:reflective-motivation": _VERMILLION,
    "comb:automatic-motivation": _ORANGE,
}
_COMPONENT_ORDER = list(COMPONENT_COLOURS)
_INK = "#1A1A1A"
_EDGE = "#4D4D4D"
_UNVERIFIED = _PURPLE
_GREY_FILL, _GREY_LINE, _GREY_TEXT = "#EEEEEE", "#AAAAAA", "#666666"
_NEUTRAL_FILL, _NEUTRAL_LINE = "#F4F4F4", "#8C8C8C"
_FONT = "Helvetica"

#: How an edge is drawn, by the status of the link it rests on (a case's own code is solid).
EDGE_STYLES: dict[str, tuple[str, str]] = {
    "verified": ("solid", _EDGE),
    "secondary": ("dotted", _EDGE),
    "unverified": ("dashed", _UNVERIFIED),
    "excluded": ("dotted", _GREY_LINE),
}
_STATUS_ORDER = {"coded": 0, Status.VERIFIED.value: 0, Status.SECONDARY.value: 1, Status.UNVERIFIED.value: 2}
_STATUS_NAME = {0: "verified", 1: "secondary", 2: "unverified"}


# --- the model: nodes and chains ------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    key: str
    layer: str
    lines: tuple[str, ...]
    order: tuple[object, ...]
    kind: str = ""
    fill: str = "#FFFFFF"
    line: str = _NEUTRAL_LINE
    colours: tuple[str, ...] = ()
    excluded: bool = False
    tooltip: str = ""


@dataclass(frozen=True)
class _Chain:
    nodes: tuple[str, ...]
    hops: tuple[int, ...]  # status order of each hop: 0 verified, 1 secondary, 2 unverified
    barrier: str | None


@dataclass
class _Edge:
    status: int = 3
    barriers: set[str] = field(default_factory=set)


@dataclass
class DiagramModel:
    """What both writers draw: nodes by layer and edges with status and the barriers behind them."""

    nodes: dict[str, _Node]
    edges: dict[tuple[str, str], _Edge]
    loads: dict[str, float]
    title: str
    subtitle: str
    layers: tuple[str, ...]

    def ordered(self, layer: str) -> list[_Node]:
        """The nodes of one layer in drawing order (rank, component, then id)."""
        return sorted((n for n in self.nodes.values() if n.layer == layer), key=lambda n: n.order)

    @cached_property
    def _top_load(self) -> float:
        return max((self._load(e) for e in self.edges.values()), default=0.0) or 1.0

    def width(self, edge: _Edge) -> float:
        """Pen width from the weighted number of barriers flowing through the edge."""
        return round(0.7 + 2.8 * self._load(edge) / self._top_load, 2)

    def _load(self, edge: _Edge) -> float:
        return sum(self.loads.get(b, 0.0) for b in edge.barriers)


def barrier_key(barrier_id: str) -> str:
    """The diagram key of a case barrier (entities use their ontology id)."""
    return f"barrier:{barrier_id}"


def wrap(text: str, width: int = WRAP, max_lines: int = MAX_LINES) -> list[str]:
    """Wrap cleaned text into at most `max_lines` lines, marking a cut with an ellipsis."""
    lines = textwrap.wrap(plain(text), width, break_long_words=True, break_on_hyphens=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def _shorten(text: str, limit: int) -> str:
    flat = plain(text)
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _tint(colour: str, keep: float = 0.4) -> str:
    """Mix a #RRGGBB colour with white, keeping `keep` of it: a fill light enough for text."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * keep):02X}" for c in rgb)


def _text_on(colour: str) -> str:
    """Black or white, whichever reads better on a fill colour."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "#FFFFFF" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else "#000000"


def _component_rank(component: str) -> int:
    return _COMPONENT_ORDER.index(component) if component in _COMPONENT_ORDER else len(_COMPONENT_ORDER)


def _build(plan: Plan, ontology: Ontology, top: int) -> tuple[dict[str, _Node], list[_Chain], dict[str, float]]:
    profile = ontology.profile(plan.profile)
    nodes: dict[str, _Node] = {}
    chains: list[_Chain] = []
    loads = {barrier_key(b.id): b.load for b in plan.barriers}

    def label(entity_id: str) -> str:
        entity = ontology.entities.get(entity_id)
        return entity.label if entity else entity_id

    domain_rank = {p.id: p.rank for p in plan.priorities.domains}
    for barrier in plan.barriers:
        key = barrier_key(barrier.id)
        components = sorted(barrier.components, key=lambda c: (_component_rank(c), c))
        colours = tuple(COMPONENT_COLOURS.get(c, _NEUTRAL_LINE) for c in components) or (_NEUTRAL_LINE,)
        prefix = {"enabler": "Enabler: ", "both": "Barrier and enabler: "}.get(barrier.kind, "")
        nodes[key] = _Node(
            key,
            "barriers",
            tuple(wrap(prefix + barrier.text)),
            (_component_rank(components[0]) if components else 99, barrier.kind == "enabler", -barrier.load, barrier.id),
            kind=barrier.kind,
            fill=_tint(colours[0]),
            line=colours[0],
            colours=tuple(_tint(c) for c in colours),
            tooltip=_shorten(barrier.text, TOOLTIP_CHARS),
        )
        implied: set[str] = set()
        for domain in barrier.domains:
            chains.append(_Chain((key, domain), (0,), key))
            for link in profile.out(Relation.DOMAIN_COMPONENT, domain):
                implied.add(link.target)
                chains.append(_Chain((key, domain, link.target), (0, _STATUS_ORDER[link.status.value]), key))
        for component in barrier.components:
            if component not in implied:
                chains.append(_Chain((key, component), (0,), key))
    for entity_id in {n for c in chains for n in c.nodes if not n.startswith("barrier:")}:
        if entity_id.startswith("tdf:"):
            nodes[entity_id] = _Node(
                entity_id, "domains", tuple(wrap(label(entity_id))), (domain_rank.get(entity_id, 99), entity_id),
                fill=_NEUTRAL_FILL, line=_NEUTRAL_LINE,
            )
        else:
            colour = COMPONENT_COLOURS.get(entity_id, _NEUTRAL_LINE)
            nodes[entity_id] = _Node(
                entity_id, "components", tuple(wrap(label(entity_id))), (_component_rank(entity_id), entity_id),
                fill=colour, line=colour,
            )

    status = {key: _STATUS_ORDER[link.status] for key, link in plan.links.items()}
    technique_order: dict[str, tuple[int, int]] = {}
    top_under = {f.id: f.techniques[:top] for f in plan.functions}
    for function in plan.functions:
        lines = wrap(function.label)
        lines.append(f"#{function.rank} · {len(function.barriers)} barrier{'s' * (len(function.barriers) != 1)}")
        nodes[function.id] = _Node(
            function.id, "functions", tuple(lines), (False, function.rank, sort_key(function.id)),
            fill="#FFFFFF", line=_INK,
        )
        for position, technique in enumerate(top_under[function.id]):
            technique_order.setdefault(technique, (function.rank, position))
    policy_links = {p.id: p for p in plan.policies}
    for chain in plan.barriers:
        key = barrier_key(chain.id)
        for step in chain.functions:
            for route in step.routes:
                path = (key, route.code, step.id)
                hops = (0, status[route.link])
                chains.append(_Chain(path, hops, key))
                for offered in step.techniques:
                    if offered.id in top_under[step.id]:
                        best = min((status[k] for k in offered.links), default=3)
                        chains.append(_Chain((*path, offered.id), (*hops, best), key))
                for policy in plan.policies:
                    if step.id in policy.functions:
                        best = min((status[k] for k in policy.links if plan.links[k].source == step.id), default=3)
                        chains.append(_Chain((*path, policy.id), (*hops, best), key))
    for rank_key, technique_id in sorted((v, k) for k, v in technique_order.items()):
        nodes[technique_id] = _Node(
            technique_id, "techniques", tuple(wrap(f"{technique_id.removeprefix('bct:')} {label(technique_id)}")),
            (False, *rank_key, sort_key(technique_id)), fill=_NEUTRAL_FILL, line=_NEUTRAL_LINE,
        )
    for policy in policy_links.values():
        lines = wrap(policy.label)
        role = " · common lever" if policy.common else " · candidate"
        lines.append(f"#{policy.rank}{role}")
        nodes[policy.id] = _Node(
            policy.id, "policies", tuple(lines), (False, policy.rank, sort_key(policy.id)),
            fill="#FFFFFF", line=_INK,
        )
    return nodes, chains, loads


def _focus_key(focus: str, plan: Plan, ontology: Ontology, present: set[str]) -> str:
    barrier_ids = sorted(b.id for b in plan.barriers)
    if focus in barrier_ids:
        return barrier_key(focus)
    try:
        entity = ontology.resolve(focus)
    except UnknownIdError:
        entity = None
    if entity is not None and entity.id in present:
        return entity.id
    names = barrier_ids + sorted(k for k in present if not k.startswith("barrier:"))
    labels = {ontology.entities[k].label.casefold(): k for k in present if k in ontology.entities}
    close = get_close_matches(focus, names, n=1, cutoff=0.5)
    close_label = get_close_matches(focus.casefold(), list(labels), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else (f"; did you mean {labels[close_label[0]]!r}?" if close_label else "")
    what = f"{entity.label} ({entity.id}) is not in this diagram" if entity else f"unknown focus {focus!r}"
    raise UnknownIdError(f"{what}{hint} (give a barrier id, or an id, label or alias of a node in the diagram)")


def _layers(layers: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if not layers:
        return tuple(LAYERS)
    wanted = {part.strip().lower() for item in layers for part in item.split(",") if part.strip()}
    unknown = sorted(wanted - set(LAYERS))
    if unknown:
        close = get_close_matches(unknown[0], list(LAYERS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise RenderError(f"unknown layer {unknown[0]!r}{hint} (layers: {', '.join(LAYERS)})")
    return tuple(layer for layer in LAYERS if layer in wanted)


def diagram_model(
    plan: Plan,
    ontology: Ontology,
    *,
    top: int = 3,
    focus: str | None = None,
    layers: list[str] | tuple[str, ...] | None = None,
    date: str | None = None,
) -> DiagramModel:
    """Nodes and aggregated edges of the diagram, shared by the DOT and Mermaid writers.

    Raises:
        UnknownIdError: `focus` names nothing in the diagram.
        RenderError: `layers` names an unknown layer.
    """
    if top < 0:
        raise RenderError(f"--top must be 0 or more (got {top})")
    chosen = _layers(layers)
    nodes, chains, loads = _build(plan, ontology, top)
    if focus is not None:
        key = _focus_key(focus, plan, ontology, {n for c in chains for n in c.nodes})
        chains = [c for c in chains if key in c.nodes]
    edges: dict[tuple[str, str], _Edge] = defaultdict(_Edge)
    kept: set[str] = set()
    for chain in chains:
        visible = [i for i, n in enumerate(chain.nodes) if n in nodes and nodes[n].layer in chosen]
        kept.update(chain.nodes[i] for i in visible)
        for a, b in pairwise(visible):
            edge = edges[(chain.nodes[a], chain.nodes[b])]
            edge.status = min(edge.status, max(chain.hops[a:b]))
            if chain.barrier is not None:
                edge.barriers.add(chain.barrier)
    profile = ontology.manifest.profiles.get(plan.profile)
    parts = [f"Ontology {plan.ontology}", f"profile {plan.profile}" + (f" ({profile.title})" if profile else "")]
    if date:
        parts.append(plain(date))
    if focus is not None:
        parts.append(f"focus: {plain(focus)}")
    return DiagramModel(
        nodes={k: v for k, v in nodes.items() if k in kept},
        edges=dict(sorted(edges.items())),
        loads=loads,
        title=plan.case["title"],
        subtitle=" · ".join(parts),
        layers=chosen,
    )


# --- DOT --------------------------------------------------------------------------------------


def dot_id(key: str) -> str:
    """A DOT/Mermaid-safe node id for a key: `tdf:knowledge` → `tdf_knowledge` (injective).

    Every key has a colon, so every id has an underscore after a lower-case prefix; the
    diagram's own nodes (`headerPolicies`, `legend`, `legendNote0`, `caseTitle`) have none,
    or (`legend_comb_...`) an underscore no key can produce, so an overlay id cannot collide.
    """
    return key.replace(":", "_").replace("-", "H").replace(".", "D")


def dot_escape(text: str) -> str:
    r"""Escape one line of text for a quoted DOT string: backslashes first, then quotes.

    Graphviz gives `\\n`, `\\l`, `\\N`, `\\G` and friends a meaning inside labels, so every
    backslash from case text is doubled and can only ever print as a backslash.
    """
    return plain(text).replace("\\", "\\\\").replace('"', '\\"')


def _dot_label(lines: tuple[str, ...] | list[str], align: str = "\\n") -> graphviz.quoting.NoHtml:
    import graphviz

    body = align.join(dot_escape(line) for line in lines)
    return graphviz.nohtml(body + ("\\l" if align == "\\l" else ""))


def plan_digraph(
    plan: Plan,
    ontology: Ontology,
    *,
    top: int = 3,
    focus: str | None = None,
    layers: list[str] | tuple[str, ...] | None = None,
    date: str | None = None,
) -> graphviz.Digraph:
    """The plan as a layered left-to-right Graphviz digraph, ready for `render`.

    Args:
        plan: a plan from `make_plan`.
        ontology: the ontology the plan was made with (labels, links, profiles).
        top: techniques drawn under each function.
        focus: a barrier id, or an id, label or alias of a node: keep only what connects to it.
        layers: layers to draw (names from `LAYERS`; comma-separated items allowed).
        date: printed in the title block; none by default so the output is deterministic.

    Raises:
        UnknownIdError: `focus` names nothing in the diagram.
        RenderError: `layers` names an unknown layer.
    """
    import graphviz

    model = diagram_model(plan, ontology, top=top, focus=focus, layers=layers, date=date)
    dot = graphviz.Digraph(name="combmap", engine="dot")
    title = wrap(model.title, 90, 3)
    dot.attr(
        "graph",
        rankdir="LR",
        newrank="true",
        nodesep="0.12",
        ranksep="0.9",
        splines="true",
        fontname=_FONT,
        fontsize="16",
        labelloc="t",
        labeljust="l",
        label=_dot_label([*title, model.subtitle], "\\l"),
        pad="0.3",
        bgcolor="#FFFFFF",
    )
    dot.attr("node", shape="box", style="rounded,filled", fontname=_FONT, fontsize="10", margin="0.12,0.05", penwidth="1.2", color=_NEUTRAL_LINE, fontcolor=_INK)
    dot.attr("edge", arrowsize="0.6", color=_EDGE)
    headers: list[str] = []
    for layer in model.layers:
        members = model.ordered(layer)
        if not members:
            continue
        header = f"header{layer.capitalize()}"  # no "_": dot_id of an entity id always has one
        with dot.subgraph(name=f"layer_{layer}") as column:
            column.attr(rank="same")
            column.node(header, f"<<B>{LAYERS[layer]}</B>>", shape="plaintext", style="", fontsize="14", fontcolor=_INK)
            for node in members:
                name = dot_id(node.key)
                column.node(name, _dot_label(node.lines, "\\l" if layer == "barriers" else "\\n"), **_dot_node_attrs(node))
                # A flat invisible edge keeps the column title above every node of its column.
                column.edge(header, name, style="invis")
        headers.append(header)
    # Heavy invisible edges between titles line them up in one row along the top.
    headers.append("legend")
    dot.node("legend", _legend_table(), shape="plain", style="", fontsize="9")
    for tail, head in pairwise(headers):
        dot.edge(tail, head, style="invis", weight="100", **({"headport": "nw"} if head == "legend" else {}))
    for (tail, head), edge in model.edges.items():
        excluded = model.nodes[tail].excluded or model.nodes[head].excluded
        style, colour = EDGE_STYLES["excluded" if excluded else _STATUS_NAME[min(edge.status, 2)]]
        dot.edge(dot_id(tail), dot_id(head), style=style, color=colour, penwidth=f"{model.width(edge):.2f}")
    return dot


def _dot_node_attrs(node: _Node) -> dict[str, str]:
    attrs: dict[str, str] = {"fillcolor": node.fill, "color": node.line}
    if node.layer == "barriers":
        attrs["style"] = "rounded,filled"
        if len(node.colours) > 1:  # a left-to-right blend of its first two components
            attrs["fillcolor"] = ":".join(node.colours[:2])
            attrs["gradientangle"] = "0"
        attrs["penwidth"] = "1.5"
        if node.kind in {"enabler", "both"}:
            attrs["peripheries"] = "2"
        if node.tooltip:
            attrs["tooltip"] = _dot_label([node.tooltip])
    elif node.layer == "components":
        attrs["fontcolor"] = _text_on(node.fill)
        attrs["style"] = "filled"
        attrs["fontsize"] = "11"
    elif node.layer in {"domains", "techniques"}:
        attrs["style"] = "filled"
    if node.excluded:
        attrs.update(fontcolor=_GREY_TEXT, style="rounded,filled,dashed")
    return attrs


#: What each line style means, for the legends.
EDGE_MEANINGS = {
    "verified": "verified link, or the case's own code",
    "secondary": "link read in a secondary source",
    "unverified": "unverified link",
    "excluded": "to an option excluded after APEASE",
}
#: What the node styles mean, for the legends.
NODE_MEANINGS = (
    "Barrier fill: its COM-B component(s)",
    "Double border: enabler",
    "Grey, dashed border: excluded after APEASE",
    "Line width: weighted barriers flowing through it",
)


def _legend_table() -> str:
    """The legend as an HTML-like table of fixed text only (no case text ever goes in)."""
    rows = ['<TR><TD COLSPAN="3" ALIGN="LEFT"><B>Legend</B></TD></TR>']
    for component, colour in COMPONENT_COLOURS.items():
        name = component.removeprefix("comb:").replace("-", " ").capitalize()
        rows.append(
            f'<TR><TD BGCOLOR="{_tint(colour)}" WIDTH="16" HEIGHT="12"></TD>'
            f'<TD BGCOLOR="{colour}" WIDTH="10" HEIGHT="12"></TD><TD ALIGN="LEFT">{name}</TD></TR>'
        )
    for name, (style, colour) in EDGE_STYLES.items():
        rows.append(
            f'<TR><TD COLSPAN="2" SIDES="B" BORDER="2" STYLE="{style}" COLOR="{colour}"></TD>'
            f'<TD ALIGN="LEFT">{EDGE_MEANINGS[name]}</TD></TR>'
        )
    rows.extend(f'<TR><TD COLSPAN="3" ALIGN="LEFT">{text}</TD></TR>' for text in NODE_MEANINGS)
    return (
        '<<TABLE BORDER="1" COLOR="#BBBBBB" CELLBORDER="0" CELLSPACING="3" CELLPADDING="2" BGCOLOR="#FFFFFF">'
        + "".join(rows)
        + "</TABLE>>"
    )


# --- Mermaid ----------------------------------------------------------------------------------

_MERMAID_SAFE = re.compile(r"[^\W_]| |[.,()/]")


def mermaid_escape(text: str) -> str:
    """Encode everything but letters, digits, spaces and `.,()/` as Mermaid `#NNN;` codes."""
    return "".join(ch if _MERMAID_SAFE.fullmatch(ch) else f"#{ord(ch)};" for ch in plain(text))


def _mermaid_label(lines: tuple[str, ...] | list[str]) -> str:
    return '"' + "<br/>".join(mermaid_escape(line) for line in lines) + '"'


def plan_mermaid(
    plan: Plan,
    ontology: Ontology,
    *,
    top: int = 3,
    focus: str | None = None,
    layers: list[str] | tuple[str, ...] | None = None,
    date: str | None = None,
) -> str:
    """The same diagram as a Mermaid flowchart (for Markdown reports and wikis).

    Raises:
        UnknownIdError: `focus` names nothing in the diagram.
        RenderError: `layers` names an unknown layer.
    """
    model = diagram_model(plan, ontology, top=top, focus=focus, layers=layers, date=date)
    out = ["flowchart LR"]
    add = out.append
    add(f"  caseTitle[{_mermaid_label([*wrap(model.title, 60, 3), model.subtitle])}]:::title")
    classes: dict[str, str] = {
        "title": "fill:#FFFFFF,stroke:#FFFFFF,color:#000000,font-size:15px",
        "neutral": f"fill:{_NEUTRAL_FILL},stroke:{_NEUTRAL_LINE},color:#000000",
        "ranked": f"fill:#FFFFFF,stroke:{_INK},color:#000000",
        "excluded": f"fill:{_GREY_FILL},stroke:{_GREY_LINE},color:{_GREY_TEXT},stroke-dasharray:4 3",
    }
    for index, layer in enumerate(model.layers):
        members = model.ordered(layer)
        if not members:
            continue
        add(f"  subgraph layer{index}[{_mermaid_label([LAYERS[layer]])}]")
        for node in members:
            name = _mermaid_class(node, classes)
            add(f"    {dot_id(node.key)}[{_mermaid_label(node.lines)}]:::{name}")
        add("  end")
    styles = []
    for number, ((tail, head), edge) in enumerate(model.edges.items()):
        excluded = model.nodes[tail].excluded or model.nodes[head].excluded
        status = "excluded" if excluded else _STATUS_NAME[min(edge.status, 2)]
        arrow = "-.->" if status in {"unverified", "excluded"} else "-->"
        add(f"  {dot_id(tail)} {arrow} {dot_id(head)}")
        style, colour = EDGE_STYLES[status]
        dash = {"solid": "", "dotted": ",stroke-dasharray:2 3", "dashed": ",stroke-dasharray:6 4"}[style]
        styles.append(f"  linkStyle {number} stroke:{colour},stroke-width:{model.width(edge):.2f}px{dash}")
    add("  subgraph legend[\"Legend\"]")
    legend = [
        *(f"{c.removeprefix('comb:').replace('-', ' ').capitalize()}" for c in COMPONENT_COLOURS),
    ]
    for component, text in zip(COMPONENT_COLOURS, legend, strict=True):
        add(f"    legend_{dot_id(component)}[{_mermaid_label([text])}]:::c_{dot_id(component)}")
    notes = [
        "Double border: enabler",
        "Solid line: verified link or case code. Dotted: secondary source. Dashed, purple: unverified link",
        "Line width: weighted barriers through it",
    ]
    for index, text in enumerate(notes):
        add(f"    legendNote{index}[{_mermaid_label(wrap(text, 40))}]:::neutral")
    add("  end")
    for component, colour in COMPONENT_COLOURS.items():
        classes.setdefault(f"c_{dot_id(component)}", f"fill:{colour},stroke:{colour},color:{_text_on(colour)}")
    for name, style in sorted(classes.items()):
        add(f"  classDef {name} {style}")
    out.extend(styles)
    return "\n".join(out) + "\n"


def _mermaid_class(node: _Node, classes: dict[str, str]) -> str:
    if node.excluded:
        return "excluded"
    if node.layer == "barriers":
        name = f"b_{node.kind}_{node.line[1:]}_{node.fill[1:]}"
        width = "stroke-width:4px,stroke-dasharray:0" if node.kind != "barrier" else "stroke-width:1.5px"
        classes.setdefault(name, f"fill:{node.fill},stroke:{node.line},{width},color:#000000")
        return name
    if node.layer == "components":
        name = f"c_{dot_id(node.key)}"
        classes.setdefault(name, f"fill:{node.fill},stroke:{node.line},color:{_text_on(node.fill)}")
        return name
    if node.layer in {"functions", "policies"}:
        return "ranked"
    return "neutral"


# --- rendering --------------------------------------------------------------------------------


def _pure_executable() -> str | None:
    """The graphviz-pure binary: in this environment's scripts folder first, then on PATH."""
    names = ["graphviz-pure.exe", "graphviz-pure"] if os.name == "nt" else ["graphviz-pure"]
    folders = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    for folder in folders:
        for name in names:
            candidate = Path(folder) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return shutil.which("graphviz-pure")


def _system_executable() -> str | None:
    return shutil.which("dot")


def available_renderers() -> list[str]:
    """The renderers found here, in the order `render` prefers them."""
    found = {"system": _system_executable(), "pure": _pure_executable()}
    return [name for name in RENDERERS if found[name]]


#: The font of PDFs made in pure Python: DejaVu Sans, shipped in combmap/fonts. ReportLab's
#: built-in Helvetica covers only Latin-1, so ŵ, ŷ (Welsh), Ł, ź (Polish) would be lost.
PDF_FONT = "CombmapSans"


def _register_pdf_font() -> None:
    """Register the shipped DejaVu Sans (regular, bold) with svglib, once per process."""
    from reportlab.pdfbase import pdfmetrics
    from svglib.fonts import register_font

    from combmap.resources import packaged_font

    if PDF_FONT in pdfmetrics.getRegisteredFontNames():
        return
    register_font(PDF_FONT, str(packaged_font("DejaVuSans.ttf")), rlgFontName=PDF_FONT)
    register_font(PDF_FONT, str(packaged_font("DejaVuSans-Bold.ttf")), weight="bold", rlgFontName=f"{PDF_FONT}-Bold")


def _svg_to_pdf(svg: bytes) -> bytes | None:
    """Convert SVG to PDF in pure Python with svglib + reportlab, if they are installed."""
    try:
        import io

        from reportlab.graphics import renderPDF
        from svglib.svglib import svg2rlg
    except ImportError:
        return None
    import tempfile

    _register_pdf_font()
    svg = re.sub(rb'font-family="[^"]*"', b'font-family="' + PDF_FONT.encode() + b'"', svg)
    with tempfile.TemporaryDirectory(prefix="combmap-") as folder:
        source = Path(folder) / "diagram.svg"
        source.write_bytes(svg)
        drawing = svg2rlg(str(source))
        if drawing is None:
            raise RenderError("the SVG could not be converted to PDF (svglib read nothing)")
        buffer = io.BytesIO()
        renderPDF.drawToFile(drawing, buffer)
        return buffer.getvalue()


def _run(executable: str, dot_source: str, fmt: str, name: str) -> bytes:
    try:
        done = subprocess.run(
            [executable, f"-T{fmt}"],
            input=dot_source.encode("utf-8"),
            capture_output=True,
            timeout=RENDER_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(f"{name} took longer than {RENDER_TIMEOUT} s to lay out the diagram; try --focus or fewer --layers") from None
    except OSError as error:
        raise RenderError(f"{name} ({executable}) could not be run: {error.strerror or error}") from None
    if done.returncode != 0 or not done.stdout:
        detail = " ".join(done.stderr.decode("utf-8", "replace").split())[:400] or f"exit status {done.returncode}"
        raise RenderError(f"{name} could not render {fmt}: {detail}")
    return done.stdout


def render(dot_source: str, fmt: str, *, renderer: str | None = None) -> bytes:
    """Lay out DOT source and return SVG, PNG or PDF bytes.

    The renderer is `renderer`, else the `COMBMAP_RENDERER` environment variable, else the
    system Graphviz `dot` when it is on PATH, else the graphviz-pure binary installed with
    combmap. PDF comes from system Graphviz, or from graphviz-pure's SVG through svglib when
    `combmap[pdf]` is installed.

    Raises:
        RenderError: unknown format or renderer, no renderer available, or the renderer failed.
    """
    if fmt not in RENDER_FORMATS:
        raise RenderError(f"cannot render {fmt!r}; choose one of {', '.join(RENDER_FORMATS)}")
    wanted = (renderer or os.environ.get(RENDERER_ENV) or "auto").strip().lower()
    if wanted not in {"auto", *RENDERERS}:
        raise RenderError(f"unknown renderer {wanted!r}; choose auto, {' or '.join(RENDERERS)}")
    system, pure = _system_executable(), _pure_executable()
    if wanted in {"auto", "system"} and system:
        return _run(system, dot_source, fmt, "Graphviz dot")
    if wanted == "system":
        raise RenderError("the system Graphviz `dot` is not on PATH; install Graphviz (apt-get install graphviz, brew install graphviz) or use --renderer pure")
    if pure is None:
        raise RenderError(
            "no Graphviz renderer found: install Graphviz (apt-get install graphviz, brew install graphviz) "
            "or reinstall combmap so that its graphviz-pure dependency is present (pip install graphviz-pure)"
        )
    if fmt != "pdf":
        return _run(pure, dot_source, fmt, "graphviz-pure")
    pdf = _svg_to_pdf(_run(pure, dot_source, "svg", "graphviz-pure"))
    if pdf is None:
        raise RenderError(
            "PDF needs system Graphviz (apt-get install graphviz, brew install graphviz) or the "
            "pure-Python converter: pip install 'combmap[pdf]' (svglib); or write SVG or PNG instead"
        )
    return pdf


# --- the summary view (issue 12) ----------------------------------------------------------------

#: Detail levels of `combmap diagram`: the one-page summary, or the full layered poster.
DETAILS = ("summary", "full")
#: Target sizes: the drawing area in inches (width, height) and the base font size in points.
#: The layout is scaled down to fit the area, never up; the poster has no limit.
SIZES: dict[str, tuple[float, float, float] | None] = {
    "a4-landscape": (10.9, 7.5, 9.0),
    "a4": (7.5, 10.9, 8.5),
    "slide": (13.0, 7.0, 11.0),
    "poster": None,
}
#: Characters of a barrier's text kept on its one line in the summary.
SUMMARY_CHARS = 44
#: What the summary's marks mean (fixed text: no case text goes in).
SUMMARY_LEGEND = (
    "Box colour: the domain's COM-B component. Line width: weighted barriers behind it. "
    "#: the function's rank. Full diagram: combmap diagram --detail full"
)
#: Barriers listed under a domain before "and N more".
SUMMARY_BARRIERS = 6


@dataclass(frozen=True)
class SummaryGroup:
    """A domain (or COM-B component) and the barriers filed under it."""

    id: str
    label: str
    colour: str
    barriers: tuple[str, ...]
    more: int
    enablers: int


@dataclass(frozen=True)
class SummaryItem:
    """A function, a drafted intervention or technique, or a policy category in the summary."""

    id: str
    lines: tuple[str, ...]
    sources: tuple[str, ...] = ()
    note: str = ""


@dataclass
class SummaryModel:
    """The summary diagram: barrier groups → selected functions in rank order → final items."""

    title: str
    subtitle: str
    groups: list[SummaryGroup]
    functions: list[SummaryItem]
    finals: list[SummaryItem]
    final_title: str
    policies: list[SummaryItem]
    edges: dict[tuple[str, str], float]
    omitted: list[str]


def _group_of(domains: list[str], components: list[str], order: dict[str, int]) -> str | None:
    if domains:
        return min(domains, key=lambda d: (order.get(d, 99), d))
    if components:
        return min(components, key=lambda c: (_component_rank(c), c))
    return None


def summary_model(plan: Plan, ontology: Ontology, *, top: int = 1, date: str | None = None) -> SummaryModel:
    """The one-page summary of a plan, for a report, an A4 page or a slide.

    Barriers are filed under their most important domain (the plan's priority order), each
    group linked to the functions its barriers reach; functions come in rank order, then the
    plan's drafted interventions (the top techniques of each function when there are none);
    policy categories are a compact note without lines. A function or group with nothing to
    link to is left out and named in the subtitle.
    """
    from combmap.glossary import plain_label, plain_title

    def label(entity_id: str) -> str:
        entity = ontology.entities.get(entity_id)
        return entity.label if entity else entity_id

    order = {p.id: p.rank for p in plan.priorities.domains}
    order.update({p.id: p.rank for p in plan.priorities.components})
    group_of: dict[str, str] = {}
    members: dict[str, list[tuple[float, str, str]]] = defaultdict(list)
    enablers: dict[str, int] = defaultdict(int)
    loads = {b.id: b.load for b in plan.barriers}
    for barrier in plan.barriers:
        group = _group_of(barrier.domains, barrier.components, order)
        if group is None:
            continue
        group_of[barrier.id] = group
        if barrier.kind == "enabler":
            enablers[group] += 1
        else:
            members[group].append((-barrier.load, barrier.id, barrier.text))
    reach: dict[str, list[str]] = defaultdict(list)  # function → barriers it reaches here
    for chain in plan.barriers:
        if chain.kind != "enabler" and group_of.get(chain.id) in members:
            for offered in chain.functions:
                reach[offered.id].append(chain.id)
    finals: list[SummaryItem] = []
    final_title = "Drafted interventions"
    functions_with_final: set[str] = set()
    for item in plan.interventions:
        sources = tuple(f for f in item.functions if reach.get(f))
        if not sources:
            continue
        rank = f"={item.rank}" if item.tie else f"{item.rank}"
        title = item.title if not item.title_generated else plain_title(ontology, item.target, item.functions)
        count = len(item.barriers)
        finals.append(SummaryItem(item.id, tuple(wrap(f"{rank}. ({count} barrier{'s' * (count != 1)}) {title}", 42, 2)), sources=sources))
        functions_with_final.update(sources)
    if not finals:  # no drafted intervention: the top techniques of each function instead
        final_title = "Top techniques"
        found: dict[str, list[str]] = defaultdict(list)
        for ranked in plan.functions:
            for technique_id in ranked.techniques[:top]:
                found[technique_id].append(ranked.id)
        for technique_id, serving in found.items():
            finals.append(SummaryItem(technique_id, tuple(wrap(f"{technique_id.removeprefix('bct:')} {label(technique_id)}", 26, 2)), sources=tuple(serving)))
            functions_with_final.update(serving)
    edges: dict[tuple[str, str], float] = defaultdict(float)
    functions: list[SummaryItem] = []
    omitted: list[str] = []
    for function in plan.functions:
        reached = reach.get(function.id, [])
        if not reached or function.id not in functions_with_final:
            omitted.append(f"{function.label} ({'no barrier' if not reached else 'in no drafted intervention'})")
            continue
        rank = f"={function.rank}" if function.tie else f"#{function.rank}"
        unsure = " (APEASE: not sure)" if function.apease else ""
        count = len(function.barriers)
        functions.append(
            SummaryItem(
                function.id,
                (f"{rank} {function.label} · {count} barrier{'s' * (count != 1)}", *wrap(plain_label(ontology, function.id) + unsure, 36, 1)),
            )
        )
        for barrier_id in reached:
            edges[(group_of[barrier_id], function.id)] += loads.get(barrier_id, 0.0)
    drawn_groups = {g for g, _ in edges}
    groups = []
    for group_id in sorted(members, key=lambda g: (order.get(g, 99), g)):
        if group_id not in drawn_groups:
            omitted.append(f"{label(group_id)} (no function reached)")
            continue
        rows = sorted(members[group_id])
        colour = COMPONENT_COLOURS.get(group_id) or _domain_colour(group_id, ontology)
        groups.append(
            SummaryGroup(
                group_id,
                label(group_id),
                colour,
                tuple(_shorten(text, SUMMARY_CHARS) for _, _, text in rows[:SUMMARY_BARRIERS]),
                max(0, len(rows) - SUMMARY_BARRIERS),
                enablers.get(group_id, 0),
            )
        )
    drawn = {f.id for f in functions}
    finals = [f for f in finals if set(f.sources) & drawn]
    finals = [SummaryItem(f.id, f.lines, sources=tuple(s for s in f.sources if s in drawn)) for f in finals]
    policies = []
    for policy in plan.policies:
        serves = [f for f in policy.functions if f in drawn]
        if not serves:
            continue
        every = set(serves) == drawn
        policies.append(SummaryItem(policy.id, (policy.label,), sources=tuple(serves), note="all functions" if every else ", ".join(label(f) for f in serves)))
    parts = [f"Ontology {plan.ontology}", f"profile {plan.profile}"]
    if date:
        parts.append(plain(date))
    return SummaryModel(
        title=plan.case["title"],
        subtitle=" · ".join(parts),
        groups=groups,
        functions=functions,
        finals=finals,
        final_title=final_title,
        policies=policies,
        edges=dict(sorted(edges.items())),
        omitted=omitted,
    )


def _domain_colour(domain: str, ontology: Ontology) -> str:
    """A TDF domain's colour: that of the first COM-B component it maps to."""
    for profile_name in ontology.manifest.profiles:
        for link in ontology.profile(profile_name).out(Relation.DOMAIN_COMPONENT, domain):
            return COMPONENT_COLOURS.get(link.target, _NEUTRAL_LINE)
    return _NEUTRAL_LINE


def _html(text: str) -> str:
    """Text for a Graphviz HTML-like label: cleaned and entity-escaped (no markup survives)."""
    import html

    return html.escape(plain(text), quote=True)


#: The drawing area of the diagram page in a printed report: A4 landscape less its margins,
#: the page's heading and the caption (inches).
REPORT_BOX = (10.9, 6.6)


def summary_digraph(
    model: SummaryModel,
    *,
    size: str = "a4-landscape",
    dpi: int | None = None,
    box: tuple[float, float] | None = None,
) -> graphviz.Digraph:
    """The summary as a Graphviz digraph, laid out for a page size from `SIZES`.

    `box` (width, height in inches) overrides the size's drawing area, keeping its fonts.

    Raises:
        RenderError: an unknown size.
    """
    import graphviz

    if size not in SIZES:
        raise RenderError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    target = SIZES[size]
    if target is not None and box is not None:
        target = (box[0], box[1], target[2])
    base = target[2] if target else 10.0
    small = float(int(base))  # Graphviz rounds the POINT-SIZE of HTML-like labels to whole points
    dot = graphviz.Digraph(name="combmap_summary", engine="dot")
    notes = [f"{model.subtitle}. {SUMMARY_LEGEND}"]
    if model.omitted:
        notes.append("Not drawn: " + "; ".join(model.omitted))
    graph: dict[str, str] = {
        "rankdir": "LR", "newrank": "true", "nodesep": "0.06", "ranksep": "0.4", "splines": "true",
        "fontname": _FONT, "fontsize": f"{base + 2:g}", "labelloc": "t", "labeljust": "l", "pad": "0.15",
        "label": _dot_label([*wrap(model.title, 100, 2), *(line for note in notes for line in wrap(note, 120, 3))], "\\l"),
        "bgcolor": "#FFFFFF",
    }
    if target:
        graph["size"] = f"{target[0]:g},{target[1]:g}"
        graph["ratio"] = "compress" if size != "poster" else "auto"
    if dpi:
        graph["dpi"] = str(dpi)
    dot.attr("graph", **graph)
    dot.attr("node", shape="box", style="rounded,filled", fillcolor="#FFFFFF", fontname=_FONT, fontsize=f"{base:g}", margin="0.08,0.03", color=_NEUTRAL_LINE, fontcolor=_INK)
    dot.attr("edge", arrowsize="0.5", color=_EDGE)
    top_load = max(model.edges.values(), default=1.0) or 1.0

    def column(name: str, title: str, keys: list[str], tail: str | None = None) -> None:
        if tail is not None:
            keys = [*keys, tail]
        with dot.subgraph(name=f"summary_{name}") as col:
            col.attr(rank="same")
            header = f"head_{name}"
            col.node(header, f"<<B>{_html(title)}</B>>", shape="plaintext", style="", fontsize=f"{base + 1:g}")
            previous = header
            for key in keys:  # flat invisible edges keep the column in this order, top to bottom
                col.edge(previous, key, style="invis")
                previous = key

    for group in model.groups:
        rows = [
            f'<TR><TD ALIGN="LEFT" BGCOLOR="{_tint(group.colour)}"><B>{_html(group.label)}</B>'
            f'<FONT POINT-SIZE="{small:g}"> · {len(group.barriers) + group.more} barrier{"s" * (len(group.barriers) + group.more != 1)}'
            + (f", {group.enablers} enabler{'s' * (group.enablers != 1)}" if group.enablers else "")
            + "</FONT></TD></TR>"
        ]
        rows += [f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{small:g}">{_html(text)}</FONT></TD></TR>' for text in group.barriers]
        if group.more:
            rows.append(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{small:g}"><I>and {group.more} more</I></FONT></TD></TR>')
        table = f'<<TABLE BORDER="1" COLOR="{group.colour}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{"".join(rows)}</TABLE>>'
        dot.node(dot_id(group.id), table, shape="plain", style="")
    for item in model.functions:
        dot.node(dot_id(item.id), _dot_label([*item.lines, *([item.note] if item.note else [])]), penwidth="1.6", color=_INK)
    column("functions", "Intervention functions, in rank order", [dot_id(f.id) for f in model.functions])
    for item in model.finals:
        dot.node(dot_id(f"final:{item.id}"), _dot_label(item.lines), fillcolor=_NEUTRAL_FILL)
    for (group_id, function_id), load in model.edges.items():
        dot.edge(dot_id(group_id), dot_id(function_id), penwidth=f"{0.6 + 2.4 * load / top_load:.2f}")
    for item in model.finals:
        for function_id in item.sources:
            dot.edge(dot_id(function_id), dot_id(f"final:{item.id}"), penwidth="0.9")
    policies: str | None = None
    if model.policies:  # a compact note under the last column: no lines, so nothing crosses
        total = len(model.functions)
        every = [p.lines[0] for p in model.policies if len(p.sources) == total]
        some = [f"{p.lines[0]} ({len(p.sources)} of {total})" for p in model.policies if len(p.sources) != total]
        text = "Policy categories that can deliver the functions: " + "; ".join(
            ([f"all of them: {', '.join(every)}"] if every else []) + some
        )
        lines = "".join(f'{_html(line)}<BR ALIGN="LEFT"/>' for line in wrap(text, 40, 7))
        dot.node("policies", f'<<TABLE BORDER="1" COLOR="#BBBBBB" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3"><TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{small:g}">{lines}</FONT></TD></TR></TABLE>>', shape="plain", style="")
        policies = "policies"
    column("groups", "Barriers, by TDF domain", [dot_id(g.id) for g in model.groups])
    column("finals", model.final_title, [*(dot_id(f"final:{f.id}") for f in model.finals), *([policies] if policies else [])])
    return dot


def summary_mermaid(model: SummaryModel, note: str | None = None) -> str:
    """The summary as a Mermaid flowchart: one node per domain group, then functions, then items."""
    out = ["flowchart LR"]
    add = out.append
    add(f"  summary_title[{_mermaid_label([*wrap(model.title, 60, 3), model.subtitle])}]:::title")
    if note:
        add(f"  summary_note[{_mermaid_label(wrap(note, 60, 4))}]:::title")
    add(f'  subgraph s_groups[{_mermaid_label(["Barriers, by TDF domain"])}]')
    for group in model.groups:
        lines = [group.label, *group.barriers] + ([f"and {group.more} more"] if group.more else [])
        add(f"    {dot_id(group.id)}[{_mermaid_label(lines)}]:::g_{group.colour[1:]}")
    add("  end")
    add(f'  subgraph s_functions[{_mermaid_label(["Intervention functions, in rank order"])}]')
    for item in model.functions:
        add(f"    {dot_id(item.id)}[{_mermaid_label([*item.lines, *([item.note] if item.note else [])])}]:::ranked")
    add("  end")
    add(f"  subgraph s_finals[{_mermaid_label([model.final_title])}]")
    for item in model.finals:
        add(f"    {dot_id('final:' + item.id)}[{_mermaid_label(item.lines)}]:::neutral")
    add("  end")
    for group_id, function_id in model.edges:
        add(f"  {dot_id(group_id)} --> {dot_id(function_id)}")
    for item in model.finals:
        for function_id in item.sources:
            add(f"  {dot_id(function_id)} --> {dot_id('final:' + item.id)}")
    add("  classDef title fill:#FFFFFF,stroke:#FFFFFF,color:#000000")
    add(f"  classDef ranked fill:#FFFFFF,stroke:{_INK},color:#000000")
    add(f"  classDef neutral fill:{_NEUTRAL_FILL},stroke:{_NEUTRAL_LINE},color:#000000")
    for colour in sorted({g.colour for g in model.groups}):
        add(f"  classDef g_{colour[1:]} fill:{_tint(colour)},stroke:{colour},color:#000000")
    return "\n".join(out) + "\n"


#: Mermaid's default `maxTextSize`: a longer diagram is not drawn at all.
MERMAID_MAX_TEXT = 50_000


def mermaid_or_summary(full: str, model: SummaryModel) -> tuple[str, bool]:
    """The full Mermaid text when Mermaid will draw it, else the summary with a note."""
    if len(full) <= MERMAID_MAX_TEXT:
        return full, False
    note = (
        f"The full diagram ({len(full):,} characters) is longer than Mermaid draws by default "
        f"({MERMAID_MAX_TEXT:,}); this is the summary. For the full diagram: combmap diagram --detail full -o diagram.svg"
    )
    return summary_mermaid(model, note), True
