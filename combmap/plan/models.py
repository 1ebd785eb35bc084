"""The plan as data: what every renderer reads (JSON schema `combmap.plan/3`).

Links are stored once, in `Plan.links`, keyed by `LinkRef.key`; every route and technique
names the keys it rests on, so the JSON grows with the barriers, not barriers × items.
"""

# Annotations are evaluated here, not postponed (no `from __future__ import annotations`):
# pydantic would otherwise evaluate each one from its string as the classes are made, 2 ms.
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from pydantic_core import to_json

#: Version of the plan's JSON shape; bump on any incompatible change.
PLAN_SCHEMA = "combmap.plan/3"
#: Plans with more barriers than this are written as compact JSON.
COMPACT_ABOVE = 500


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True, extra="forbid")

    def _data(self) -> dict[str, Any]:
        """Its JSON data, as `model_dump(mode="json", by_alias=True)` gives it.

        Read from the fields directly: pydantic builds its serializer on first use, about
        6 ms for the plan's models, more than this takes on a whole plan.
        """
        values = self.__dict__
        return {
            key: _plain(values[name]) if nested else _copy(values[name])
            for key, name, nested in _layout(type(self))
        }


#: Per model class, its fields in order: JSON key, name, whether the value can hold models.
_LAYOUTS: dict[type[_Out], tuple[tuple[str, str, bool], ...]] = {}
_SCALARS = (str, int, float, bool, type(None))


def _layout(model: type[_Out]) -> tuple[tuple[str, str, bool], ...]:
    layout = _LAYOUTS.get(model)
    if layout is None:
        layout = _LAYOUTS[model] = tuple(
            (field.alias or name, name, not _flat(field.annotation))
            for name, field in model.model_fields.items()
        )
    return layout


def _flat(annotation: Any) -> bool:
    """A scalar, or a list, dict or union of scalars: its value needs no walking."""
    args = getattr(annotation, "__args__", None)
    if args is None:
        return annotation in _SCALARS
    return all(arg in _SCALARS for arg in args)


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, list | dict) else value


def _plain(value: Any) -> Any:
    if isinstance(value, _Out):
        return value._data()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


class _Omitting(_Out):
    """A model whose optional sections (issue 16) are left out of the JSON while unset.

    The sections are compatible additions to `combmap.plan/3`: a plan of a case that uses
    none of them keeps its bytes, and a reader that knows them finds them when present.
    """

    #: Fields written only when not None.
    omit_unset: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _without_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return self._omit(data)

    def _omit(self, data: dict[str, Any]) -> dict[str, Any]:
        for key in self.omit_unset:
            if key in data and data[key] is None:
                del data[key]
        return data

    def _data(self) -> dict[str, Any]:
        return self._omit(super()._data())


class SourceRef(_Out):
    """One source a link was read in."""

    ref: str = Field(description="Reference key in the ontology's references.")
    locator: str | None = Field(None, description="Table, row or page.")
    read: str | None = Field(None, description="What was read: primary, reproduction, ...")
    agrees: bool = Field(True, description="False for a source read that lacks the link.")


class LinkRef(_Out):
    """One published link, with its sources and how sure we are of the data."""

    key: str = Field(description="Its key in Plan.links (short; numbered as the plan meets it).")
    id: str = Field(description="Stable name: set:source>target (@function for CACTIS).")
    relation: str
    source: str
    target: str
    via: str | None = None
    grade: str | None = None
    status: str = Field(description="verified, secondary or unverified (data, not strength).")
    set: str
    lineage: list[str] = Field(description="The independent evidence bases of its set.")
    sources: list[SourceRef]


class Robustness(_Out):
    """Whether an item's place holds without the unverified links (shown, never scored)."""

    rank_without_unverified: int | None = Field(
        description="Its rank when unverified links are removed; null when it drops out."
    )
    keeps_rank: bool
    stays_in_top: bool = Field(description="Still within the plan's top N without them.")
    unverified_links: list[str] = Field(description="Keys of the unverified links it rests on.")
    note: str = Field(description="The same, in a sentence.")


class Route(_Out):
    """How a barrier reaches a function: one of its codes, then the published link."""

    via: str = Field(description="tdf (a TDF code) or comb (a COM-B code no TDF code covers).")
    code: str = Field(description="The barrier's code the route starts from.")
    link: str = Field(description="Key into Plan.links of the code → function link.")


class ChainTechnique(_Out):
    """A technique offered for one barrier under one of its functions."""

    id: str
    grade: str | None = Field(
        description="How the function's list holds it: most-frequent, less-frequent, listed, "
        "cactis (for this COM-B target), or null (linked only to the barrier's domains)."
    )
    evidence: int = Field(
        description="Independent sources that link it to the barrier's own domains."
    )
    links: list[str] = Field(
        description="Keys into Plan.links of the function and domain links behind it."
    )


class ChainFunction(_Out):
    """A candidate function for one barrier, and the techniques under it."""

    id: str
    apease: str | None = Field(None, description="'unsure' when a judgement says not sure.")
    routes: list[Route]
    techniques: list[ChainTechnique] = Field(
        description="Its first techniques for this barrier (settings.per_barrier), in order."
    )


class Withheld(_Out):
    """A technique not offered for a barrier, and why."""

    id: str
    function: str
    reason: str


class DomainTechnique(_Out):
    """Linked to the barrier's domains, but under none of its selected functions: not offered."""

    id: str
    evidence: int
    links: list[str]


class ChainParts(_Out):
    """What a chain shares with every barrier of the same coding, stored once in `Plan.chains`."""

    components: list[str]
    functions: list[ChainFunction]
    recommended: list[str] = Field(
        description="Its first techniques across selected functions, in order (top per_barrier)."
    )
    other_techniques: list[DomainTechnique] = Field(default_factory=list)
    withheld: list[Withheld] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Rules applied to its codes.")


class Chain(_Omitting):
    """One barrier (or enabler) through the method: domains → components → functions → techniques.

    Barriers with the same codes share one chain: the JSON names it (`chain`, a key of
    `Plan.chains`); in memory its parts are also read here (`components`, `functions` ...).
    """

    omit_unset: ClassVar[frozenset[str]] = frozenset({"behaviour"})

    id: str
    text: str
    kind: str = Field(description="barrier, enabler or both.")
    load: float = Field(description="weight × frequency (enablers: × enabler_weight).")
    group: str | None
    domains: list[str]
    chain: str = Field(description="Its chain's key in `chains` (shared by barriers coded alike).")
    behaviour: str | None = Field(None, description="The target behaviour it bears on.")
    _parts: ChainParts = PrivateAttr()

    @classmethod
    def of(cls, parts: ChainParts, **fields: Any) -> "Chain":
        """A chain whose shared parts are `parts` (`fields`: its own)."""
        chain = cls.model_construct(**fields)
        chain._parts = parts
        return chain

    @property
    def parts(self) -> ChainParts:
        """Its shared parts, stored once per coding.

        Read from pydantic's store directly: `self._parts` goes through pydantic's attribute
        fallback, 20 times slower, and renderers read the parts often.
        """
        private = self.__pydantic_private__
        assert private is not None
        parts: ChainParts = private["_parts"]
        return parts

    @property
    def components(self) -> list[str]:
        """COM-B components, coded and through its domains."""
        return self.parts.components

    @property
    def functions(self) -> list[ChainFunction]:
        """Candidate functions and their first techniques."""
        return self.parts.functions

    @property
    def recommended(self) -> list[str]:
        """Its first techniques across selected functions (top per_barrier)."""
        return self.parts.recommended

    @property
    def other_techniques(self) -> list[DomainTechnique]:
        """Linked to its domains, under none of its selected functions."""
        return self.parts.other_techniques

    @property
    def withheld(self) -> list[Withheld]:
        """Techniques not offered, and why."""
        return self.parts.withheld

    @property
    def notes(self) -> list[str]:
        """Rules applied to its codes."""
        return self.parts.notes


class RankedFunction(_Out):
    """A candidate function, ranked by the load of the barriers it addresses."""

    id: str
    label: str
    rank: int
    tie: bool
    score: float = Field(description="Σ load of the barriers it addresses.")
    barriers: list[str]
    enablers: list[str]
    apease: str | None = None
    techniques: list[str] = Field(description="Its most-offered techniques, in order.")
    policies: list[str] = Field(description="Policy categories that can deliver it.")
    robustness: Robustness


class RankedPolicy(_Out):
    """A policy category over the selected functions."""

    id: str
    label: str
    rank: int
    tie: bool
    score: float = Field(description="Σ load of the barriers its selected functions address.")
    barriers: list[str]
    functions: list[str] = Field(description="Selected functions it can deliver.")
    common: bool = Field(description="Serves every selected function.")
    candidate: bool = Field(description="Serves at least one selected function.")
    apease: str | None = None
    links: list[str]
    robustness: Robustness


class RankedTechnique(_Out):
    """A technique over the selected functions, ranked by the barriers it is offered for."""

    id: str
    label: str
    rank: int
    tie: bool
    score: float = Field(description="Σ load of the barriers that have it among their first.")
    barriers: list[str]
    functions: list[str]
    evidence: int = Field(description="Barriers where domain evidence supports it.")
    apease: str | None = None
    robustness: Robustness


class InterventionTechnique(_Out):
    """A technique of a drafted intervention and how many of its barriers it serves."""

    id: str
    label: str
    function: str
    barriers: int
    evidence: int


class InterventionPolicy(_Out):
    """A policy category that can deliver a drafted intervention's functions."""

    id: str
    label: str
    common: bool = Field(description="Serves every function of the intervention.")


class DeliveryMode(_Out):
    """A mode of delivery (BCW step 8), with its BCIO Mode of Delivery Ontology class."""

    id: str
    label: str
    bcio: list[str] = Field(description="BCIO ids of the mode (xrefs).")
    apease: str | None = None


class BcioAnnotation(_Out):
    """A BCIO class given for one TIDieR item of a specification."""

    item: str = Field(description="The TIDieR item: who_provides, where, how, ...")
    id: str = Field(description="BCIO id, as the case file gives it.")


class Specification(_Out):
    """A drafted intervention specified along the TIDieR items (Hoffmann et al. 2014)."""

    items: dict[str, str] = Field(description="TIDieR item → the case file's text.")
    bcio: list[BcioAnnotation] = Field(description="BCIO classes per item.")


class Intervention(_Omitting):
    """A drafted intervention strategy, like a row of Baxter & Fancourt 2020 Table 2."""

    omit_unset: ClassVar[frozenset[str]] = frozenset({"delivery", "specification"})

    id: str
    title: str
    title_generated: bool = Field(description="False when the case file renamed it.")
    rank: int
    tie: bool
    target: str = Field(description="The TDF domain (or COM-B component) it targets.")
    barriers: list[str]
    enablers: list[str] = Field(description="Enablers in the same domain, to build on.")
    score: float = Field(description="Σ load of its barriers.")
    functions: list[str]
    techniques: list[InterventionTechnique]
    policies: list[InterventionPolicy]
    links: list[str] = Field(description="Keys of the links on its routes.")
    robustness: Robustness
    delivery: list[DeliveryMode] | None = Field(
        None, description="Modes of delivery the case file chose for it, after APEASE."
    )
    specification: Specification | None = Field(
        None, description="Its TIDieR specification from the case file."
    )


class Excluded(_Out):
    """An option the case's APEASE judgements rule out: shown once, never recommended."""

    id: str
    label: str
    kind: str
    reason: str
    criteria: list[str]


class Priority(_Out):
    """A TDF domain or COM-B component ranked as the TDF guide judges importance."""

    id: str
    label: str
    rank: int
    tie: bool
    frequency: int = Field(description="Times raised: Σ frequency (1 per entry without counts).")
    elaboration: int = Field(description="Distinct themes (or entries) behind it.")
    conflicting: bool = Field(description="Raised both as a barrier and as an enabler.")
    barriers: list[str]
    enablers: list[str]
    load: float


class Priorities(_Out):
    """Domains and components in order of importance."""

    domains: list[Priority]
    components: list[Priority]


class Rule(_Out):
    """A rule the plan applied: the BCW step it implements, or combmap's own."""

    id: str
    step: str = Field(description="BCW step (Michie, Atkins & West 2014), or 'combmap'.")
    text: str
    own: bool = Field(description="True for a rule combmap adds (a tie-break, a cut-off).")


class OutcomeEntry(_Out):
    """An outcome or observed effect the case records: shown, never scored, no chain."""

    id: str
    text: str
    group: str | None
    behaviour: str | None
    domains: list[str] = Field(description="TDF codes given, for the record (not scored).")
    components: list[str] = Field(description="COM-B codes given, for the record.")


class BehaviourPlan(_Out):
    """One target behaviour's plan: the same numbers as a plan of its barriers alone."""

    id: str
    target: str
    actor: str
    specification: dict[str, str] = Field(description="who, what, where, when, ... as given.")
    barriers: list[str]
    enablers: list[str]
    outcomes: list[str]
    selected: list[str] = Field(description="Its candidate functions APEASE leaves in, by rank.")
    functions: list[RankedFunction]
    policies: list[RankedPolicy]
    techniques: list[RankedTechnique]
    interventions: list[Intervention]
    priorities: Priorities
    warnings: list[str]


class SharedIntervention(_Out):
    """A drafted intervention that serves several behaviours (the cross-behaviour summary)."""

    id: str
    title: str
    behaviours: list[str] = Field(description="Behaviour ids it is drafted for, in case order.")
    barriers: dict[str, list[str]] = Field(description="Behaviour id → its barriers it addresses.")
    functions: list[str] = Field(description="Functions it has in every one of them.")


class ProposedMatch(_Out):
    """A function or policy category an author-proposed intervention uses, found in the plan or not."""

    id: str
    label: str
    rank: int | None = Field(description="Its rank in the plan; null when the plan lacks it.")


class ProposedComparison(_Out):
    """An intervention the source's authors propose, compared with combmap's plan."""

    id: str
    text: str
    behaviour: str | None
    functions: list[ProposedMatch]
    policies: list[ProposedMatch]
    note: str = Field(description="The comparison in a sentence.")


class Settings(_Out):
    """The options the plan depends on."""

    enabler_weight: float
    top: int
    per_barrier: int


class Plan(_Omitting):
    """An intervention plan: per-barrier chains, drafted interventions, ranked options."""

    omit_unset: ClassVar[frozenset[str]] = frozenset(
        {"behaviours", "shared", "outcomes", "proposed", "delivery"}
    )

    schema_: str = Field(PLAN_SCHEMA, alias="schema")
    case: dict[str, str]
    ontology: str
    profile: str
    settings: Settings
    rules: list[Rule]
    interventions: list[Intervention]
    barriers: list[Chain]
    chains: dict[str, ChainParts] = Field(
        description="Each distinct chain once, by key (C1, C2 ... in barrier order): barriers "
        "coded alike have the same components, functions and techniques."
    )
    selected: list[str] = Field(description="Candidate functions APEASE leaves in, by rank.")
    functions: list[RankedFunction]
    policies: list[RankedPolicy]
    techniques: list[RankedTechnique]
    priorities: Priorities
    excluded: list[Excluded]
    links: dict[str, LinkRef]
    labels: dict[str, str] = Field(description="Label of every entity the plan names.")
    robustness: str = Field(description="What the unverified links change, in a sentence.")
    warnings: list[str]
    behaviours: list[BehaviourPlan] | None = Field(
        None, description="Per target behaviour, when the case defines several (issue 16)."
    )
    shared: list[SharedIntervention] | None = Field(
        None, description="Drafted interventions that serve several behaviours."
    )
    outcomes: list[OutcomeEntry] | None = Field(
        None, description="Outcomes and observed effects: shown, never scored."
    )
    proposed: list[ProposedComparison] | None = Field(
        None, description="The source's own proposed interventions, compared with the plan."
    )
    delivery: list[DeliveryMode] | None = Field(
        None, description="Candidate modes of delivery APEASE leaves in (BCW step 8)."
    )

    model_config = ConfigDict(
        frozen=True, populate_by_name=True, defer_build=True, extra="forbid"
    )

    def to_json(self) -> str:
        """Serialise to the documented JSON, byte-stable for the same input.

        Indented up to `COMPACT_ABOVE` barriers; larger plans are written without indentation,
        which keeps a big plan's file about a third of the size.
        """
        indent = None if len(self.barriers) > COMPACT_ABOVE else 2
        return to_json(self._data(), indent=indent).decode() + "\n"

    def to_data(self) -> dict[str, Any]:
        """The plan as plain data (dicts, lists, str, numbers): what `to_json` writes."""
        return self._data()

    def item(
        self, item_id: str
    ) -> RankedFunction | RankedPolicy | RankedTechnique | Intervention | Chain | None:
        """Find a ranked function, policy, technique, drafted intervention or barrier by id."""
        items: tuple[
            RankedFunction | RankedPolicy | RankedTechnique | Intervention | Chain, ...
        ] = (
            *self.functions,
            *self.policies,
            *self.techniques,
            *self.interventions,
            *self.barriers,
        )
        for item in items:
            if item.id == item_id:
                return item
        return None

    def barrier(self, barrier_id: str) -> Chain | None:
        """A barrier's chain by id."""
        for chain in self.barriers:
            if chain.id == barrier_id:
                return chain
        return None
