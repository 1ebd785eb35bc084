"""From a validated case to a plan: chains, selection, ranking, drafted interventions.

The numbers come from `Outcome`, computed twice: with every link of the profile and without
its unverified links. The first is the plan; the second only feeds the robustness notes, so
link status is shown and tested but never changes a score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from combmap.case import Barrier, Case
from combmap.ontology import Link, Ontology, Profile, sort_key
from combmap.plan.chains import Coding, Index, Offer, Path, Skeleton, best
from combmap.plan.models import (
    BcioAnnotation,
    BehaviourPlan,
    Chain,
    ChainFunction,
    ChainParts,
    ChainTechnique,
    DeliveryMode,
    DomainTechnique,
    Excluded,
    Intervention,
    InterventionPolicy,
    InterventionTechnique,
    LinkRef,
    OutcomeEntry,
    Plan,
    Priorities,
    Priority,
    ProposedComparison,
    ProposedMatch,
    RankedFunction,
    RankedPolicy,
    RankedTechnique,
    Robustness,
    Route,
    Settings,
    SharedIntervention,
    SourceRef,
    Specification,
    Withheld,
)
from combmap.plan.rules import EXTRA_RULES, RULES
from combmap.plan.selection import Selection, selection
from combmap.schema import BarrierKind, Kind, Relation, Status

#: Techniques per barrier that count as offered for it (combmap's cut-off, stated in the plan).
PER_BARRIER = 5
#: Techniques listed with each drafted intervention.
INTERVENTION_TECHNIQUES = 5
#: "Top" for the robustness of functions, policy categories and interventions.
ROBUST_TOP = 3
#: Modes of delivery listed first: face to face or at a distance, then who receives it.
MODE_ORDER = {
    m: i
    for i, m in enumerate(
        ("mode:face-to-face", "mode:distance", "mode:individual", "mode:pair", "mode:group")
    )
}
#: The wheel's order (Michie, van Stralen & West 2011, Table 1): the stated tie-break.
WHEEL = {
    f"if:{name}": i
    for i, name in enumerate(
        "education persuasion incentivisation coercion training restriction "
        "environmental-restructuring modelling enablement".split()
    )
}
POLICY_ORDER = {
    f"policy:{name}": i
    for i, name in enumerate(
        "communication-marketing guidelines fiscal-measures regulation legislation "
        "environmental-social-planning service-provision".split()
    )
}


def _wheel(entity_id: str) -> tuple[object, ...]:
    order = WHEEL.get(entity_id, POLICY_ORDER.get(entity_id))
    return (0, order) if order is not None else (1, sort_key(entity_id))


def intervention_id(code: str) -> str:
    """A drafted intervention's id from the code it targets: tdf:knowledge → int:knowledge."""
    return "int:" + code.split(":", 1)[-1]


def _round(value: float) -> float:
    return round(value, 6)


# --- the numbers -----------------------------------------------------------------------------


@dataclass
class _Ranked:
    id: str
    score: float
    barriers: list[str]
    enablers: list[str] = field(default_factory=list)
    rank: int = 0
    tie: bool = False


@dataclass
class _Tally:
    """A technique or intervention technique: barriers it serves and how."""

    score: float = 0.0
    barriers: list[str] = field(default_factory=list)
    functions: set[str] = field(default_factory=set)
    evidence: int = 0
    best: tuple[object, ...] = ()


def _by_load(item: _Ranked) -> tuple[float, float]:
    """Functions, policies, techniques: load of the barriers addressed, then their number."""
    return (-_round(item.score), -len(item.barriers))


def _by_barriers(item: _Ranked) -> tuple[float, float]:
    """Drafted interventions: barriers addressed, then load (Baxter & Fancourt 2020, Table 2)."""
    return (-len(item.barriers), -_round(item.score))


def _rank(
    items: list[_Ranked],
    tiebreak: Callable[[str], tuple[object, ...]],
    measure: Callable[[_Ranked], tuple[float, float]] = _by_load,
) -> list[_Ranked]:
    """Order by the measure; items equal on it tie (one rank), listed by the stated tiebreak."""
    keys = [(measure(i), tiebreak(i.id), n) for n, i in enumerate(items)]
    keys.sort()
    ordered = [items[n] for _, _, n in keys]
    for position, item in enumerate(ordered):
        if position and keys[position][0] == keys[position - 1][0]:
            item.rank = ordered[position - 1].rank
            item.tie = ordered[position - 1].tie = True
        else:
            item.rank = position + 1
    items[:] = ordered
    return items


@dataclass
class Outcome:
    """Every number of a plan, for one index (all links, or without the unverified ones).

    aggregate counts the same numbers without building this (`plan.Scorer`).
    """

    case: Case
    index: Index
    chosen: Selection
    per_barrier: int
    kinds: dict[str, BarrierKind] = field(init=False)
    loads: dict[str, float] = field(init=False)
    skeletons: dict[str, Skeleton] = field(init=False)
    functions: list[_Ranked] = field(init=False)
    order: dict[str, int] = field(init=False)
    offered: dict[str, dict[str, list[Offer]]] = field(init=False)
    recommended: dict[str, list[Offer]] = field(init=False)
    techniques: list[_Ranked] = field(init=False)
    tallies: dict[str, _Tally] = field(init=False)
    policies: list[_Ranked] = field(init=False)
    policy_links: dict[str, dict[str, Link]] = field(init=False)
    interventions: list[_Ranked] = field(init=False)
    groups: dict[str, _Group] = field(init=False)

    def __post_init__(self) -> None:
        case = self.case
        self.kinds = {b.id: b.kind for b in case.barriers}
        self.loads = {
            b.id: b.load * (case.enabler_weight if b.kind == BarrierKind.ENABLER else 1.0)
            for b in case.barriers
        }
        codings = {b.id: Coding.of(b) for b in case.barriers}
        # One skeleton per coding in this plan (its chain is stored once, by identity), even
        # when the index forgets its chains between two barriers coded alike (`Index._bound`).
        once: dict[Coding, Skeleton] = {}
        for coding in codings.values():
            if coding not in once:
                once[coding] = self.index.skeleton(coding)
        self.skeletons = {b: once[coding] for b, coding in codings.items()}
        self.offered = {}
        self.recommended = {}
        self._functions(
            {
                b: tuple(f for f in skeleton.routes if self.chosen.allows(f))
                for b, skeleton in self.skeletons.items()
            }
        )
        self._shared: dict[int, tuple[dict[str, list[Offer]], list[Offer]]] = {}
        for barrier in case.barriers:
            self._offer(barrier)
        self._techniques()
        self._policies()
        self._interventions()

    @property
    def selected(self) -> list[str]:
        """Candidate functions left in by APEASE, by rank."""
        return [f.id for f in self.functions]

    def _functions(self, allowed: dict[str, tuple[str, ...]]) -> None:
        reached: dict[str, _Ranked] = {}
        for barrier in self.case.barriers:
            load = self.loads[barrier.id]
            enabler = barrier.kind == BarrierKind.ENABLER
            for function in allowed[barrier.id]:
                item = reached.get(function)
                if item is None:
                    item = reached[function] = _Ranked(function, 0.0, [], [])
                item.score += load
                (item.enablers if enabler else item.barriers).append(barrier.id)
        self.functions = _rank(list(reached.values()), _wheel)
        self.order = {f.id: position for position, f in enumerate(self.functions)}

    def _offer(self, barrier: Barrier) -> None:
        skeleton = self.skeletons[barrier.id]
        # Barriers with the same coding share a skeleton, hence their offers (one selection).
        shared = self._shared.get(id(skeleton))
        if shared is not None:
            self.offered[barrier.id], self.recommended[barrier.id] = shared
            return
        by_function: dict[str, list[Offer]] = {}
        for function in sorted(
            (f for f in skeleton.routes if f in self.order), key=self.order.__getitem__
        ):
            by_function[function] = skeleton.placed(function, self.chosen.allows)
        self.offered[barrier.id] = by_function
        self.recommended[barrier.id] = best(by_function.values(), self.per_barrier)
        self._shared[id(skeleton)] = (by_function, self.recommended[barrier.id])

    def _techniques(self) -> None:
        tallies: dict[str, _Tally] = {}
        for barrier in self.case.barriers:
            load = self.loads[barrier.id]
            enabler = barrier.kind == BarrierKind.ENABLER
            for offer in self.recommended[barrier.id]:
                tally = tallies.get(offer.technique)
                if tally is None:
                    tally = tallies[offer.technique] = _Tally()
                tally.score += load
                if not enabler:
                    tally.barriers.append(barrier.id)
                    tally.evidence += offer.evidence > 0
                tally.functions.update(
                    f
                    for f, offers in self.offered[barrier.id].items()
                    if any(o.technique == offer.technique for o in offers)
                )
        self.tallies = tallies
        self.techniques = _rank(
            [
                _Ranked(t, tally.score, tally.barriers)
                for t, tally in tallies.items()
                if tally.barriers or tally.score
            ],
            lambda t: (-self.tallies[t].evidence, sort_key(t)),
        )

    def _policies(self) -> None:
        links: dict[str, dict[str, Link]] = defaultdict(dict)
        for function in self.functions:
            for link in self.index.out(Relation.FUNCTION_POLICY, function.id):
                if self.chosen.allows(link.target):
                    links[link.target][function.id] = link
        served: dict[str, set[str]] = {}
        for function in self.functions:
            served[function.id] = set(function.barriers) | set(function.enablers)
        items = []
        for policy, by_function in links.items():
            barriers = set().union(*(served[f] for f in by_function))
            items.append(
                _Ranked(
                    policy,
                    sum(self.loads[b] for b in sorted(barriers)),
                    sorted(b for b in barriers if self.kinds[b] != BarrierKind.ENABLER),
                )
            )
        self.policy_links = dict(links)
        self.policies = _rank(items, _wheel)

    def _interventions(self) -> None:
        groups: dict[str, _Group] = {}
        for barrier in self.case.barriers:
            skeleton = self.skeletons[barrier.id]
            for function, paths in skeleton.routes.items():
                if function not in self.order:
                    continue
                for path in paths:
                    group = groups.setdefault(path.code, _Group(path.code))
                    group.functions.add(function)
                    group.paths.append(path)
                    if barrier.kind == BarrierKind.ENABLER:
                        group.enablers.add(barrier.id)
                    else:
                        group.barriers.add(barrier.id)
        for group in groups.values():
            for barrier_id in sorted(group.barriers):
                for function in sorted(group.functions, key=sort_key):
                    for offer in self.offered[barrier_id].get(function, [])[: self.per_barrier]:
                        tally = group.techniques.setdefault((offer.technique, function), _Tally())
                        tally.barriers.append(barrier_id)
                        tally.evidence += offer.evidence > 0
                        tally.best = min(tally.best or offer.key, offer.key)
        self.groups = {code: g for code, g in groups.items() if g.barriers}
        self.interventions = _rank(
            [
                _Ranked(
                    code,
                    sum(self.loads[b] for b in sorted(g.barriers)),
                    sorted(g.barriers),
                    sorted(g.enablers),
                )
                for code, g in self.groups.items()
            ],
            sort_key,
            _by_barriers,
        )


@dataclass
class _Group:
    code: str
    functions: set[str] = field(default_factory=set)
    barriers: set[str] = field(default_factory=set)
    enablers: set[str] = field(default_factory=set)
    paths: list[Path] = field(default_factory=list)
    techniques: dict[tuple[str, str], _Tally] = field(default_factory=dict)


# --- indexes, cached per ontology and profile -----------------------------------------------

_INDEXES: list[tuple[Ontology, Profile, bool, Index]] = []


def index_for(ontology: Ontology, profile: Profile, *, verified_only: bool = False) -> Index:
    """The chain index of a profile (without its unverified links when asked), reused."""
    for onto, prof, strict, index in _INDEXES:
        if onto is ontology and prof is profile and strict == verified_only:
            return index
    keep = (lambda link: link.status != Status.UNVERIFIED) if verified_only else None
    index = Index(ontology, profile, keep)
    _INDEXES.insert(0, (ontology, profile, verified_only, index))
    del _INDEXES[8:]
    return index


def outcome(
    case: Case,
    ontology: Ontology,
    *,
    profile: str | None = None,
    per_barrier: int = PER_BARRIER,
    verified_only: bool = False,
) -> Outcome:
    """The numbers of a case's plan."""
    chosen = ontology.profile(profile or case.profile)
    # Outcomes are not determinants: never scored, no chain (issue 16).
    case = replace(
        case,
        barriers=tuple(
            sorted(
                (b for b in case.barriers if b.kind != BarrierKind.OUTCOME), key=lambda b: b.id
            )
        ),
    )
    index = index_for(ontology, chosen, verified_only=verified_only)
    return Outcome(case, index, selection(case, ontology), per_barrier)


# --- the plan --------------------------------------------------------------------------------


def make_plan(
    case: Case,
    ontology: Ontology,
    *,
    profile: str | None = None,
    top: int = 10,
    per_barrier: int = PER_BARRIER,
) -> Plan:
    """Per-barrier chains, drafted interventions and ranked options for a case, with reasons.

    Args:
        case: a case from `load_case`.
        ontology: the ontology the case was resolved against.
        profile: link-set profile; defaults to the case's, then the ontology's default.
        top: techniques kept overall and under each function.
        per_barrier: techniques per barrier that count as offered for it.

    Raises:
        UnknownIdError: the profile does not exist.
    """
    main = outcome(case, ontology, profile=profile, per_barrier=per_barrier)
    strict = outcome(
        case, ontology, profile=profile, per_barrier=per_barrier, verified_only=True
    )
    return _Writer(main, strict, ontology, top, case).plan()


class _Writer:
    """Turns the numbers into the plan model, with routes, links and robustness notes.

    Its models are built with `model_construct`, unvalidated: what it passes already has the
    fields' types (tests/test_plan_models.py checks), and validating would first build
    pydantic's validators for the plan's models, which a one-plan command pays in full.
    """

    def __init__(
        self, main: Outcome, strict: Outcome, ontology: Ontology, top: int, full: Case
    ) -> None:
        self.main = main
        self.strict = strict
        self.onto = ontology
        self.top = top
        self.case = main.case
        #: The case as given, outcomes included (`case` holds only what is scored).
        self.full = full
        self.links: dict[str, LinkRef] = {}
        self.numbers: dict[Link, str] = {}
        #: `numbers` by the link object's id (the ontology keeps every link alive).
        self._seen: dict[int, str] = {}
        #: Per skeleton (one per coding): its key in Plan.chains and the shared parts.
        self._chains: dict[int, tuple[str, ChainParts]] = {}

    def label(self, entity_id: str) -> str:
        return self.onto[entity_id].label

    def key(self, link: Link) -> str:
        """The link's key in Plan.links, registering it.

        Looked up by the link object first (the ontology holds each link once, and hashing a
        link's fields costs more than the rest of this), then by value.
        """
        key = self._seen.get(id(link))
        if key is None:
            key = self.numbers.get(link)
            if key is None:
                key = self.numbers[link] = f"L{len(self.numbers) + 1}"
                self.links[key] = _link_ref(key, link, self.main.index.lineages(link))
            self._seen[id(link)] = key
        return key

    def keys(self, links: Iterable[Link]) -> list[str]:
        return sorted({self.key(link) for link in links})

    def robustness(
        self, item_id: str, rank: int, alternative: list[_Ranked], top: int, links: Iterable[Link]
    ) -> Robustness:
        alt = next((i.rank for i in alternative if i.id == item_id), None)
        weak = sorted({self.key(link) for link in links if link.status == Status.UNVERIFIED})
        keeps = alt == rank
        stays = alt is not None and alt <= top
        if alt is None:
            note = "drops out without the unverified links"
        elif keeps:
            note = f"keeps rank {rank} without the unverified links"
        else:
            note = f"rank {rank} → {alt} without the unverified links"
        if weak:
            note += f"; rests on {len(weak)} unverified link{'s' * (len(weak) != 1)}"
        return Robustness.model_construct(
            rank_without_unverified=alt,
            keeps_rank=keeps,
            stays_in_top=stays,
            unverified_links=weak,
            note=note,
        )

    # --- sections ------------------------------------------------------------------------------

    def plan(self) -> Plan:
        main = self.main
        chains = [self.chain(b) for b in self.case.barriers]
        functions = [self.function(f) for f in main.functions]
        policies = [self.policy(p) for p in main.policies]
        techniques = [self.technique(t) for t in main.techniques[: self.top]]
        interventions = [self.intervention(i) for i in main.interventions]
        excluded = [
            Excluded.model_construct(
                id=option,
                label=self.label(option),
                kind=self.onto[option].kind.value,
                reason=exclusion.reason,
                criteria=list(exclusion.criteria),
            )
            for option, exclusion in main.chosen.excluded.items()
        ]
        full = self.full
        behaviours = self.behaviour_plans() if full.behaviours else None
        used = [
            ("behaviours", bool(full.behaviours)),
            ("candidates", bool(full.candidates)),
            ("outcomes", any(b.kind == BarrierKind.OUTCOME for b in full.barriers)),
            ("delivery", bool(full.delivery)),
            ("specification", bool(full.specifications)),
            ("proposed", bool(full.proposed)),
        ]
        return Plan.model_construct(
            behaviours=behaviours,
            shared=self.shared(behaviours) if behaviours is not None else None,
            outcomes=self.outcomes(),
            proposed=self.proposed(functions, policies, behaviours) if full.proposed else None,
            delivery=self.modes() if full.delivery or full.specifications else None,
            case={"id": self.case.id, "title": self.case.info.title},
            ontology=self.onto.version,
            profile=main.index.profile.name,
            settings=Settings.model_construct(
                enabler_weight=self.case.enabler_weight,
                top=self.top,
                per_barrier=main.per_barrier,
            ),
            rules=[*RULES, *(EXTRA_RULES[name] for name, on in used if on)],
            interventions=interventions,
            barriers=chains,
            chains=dict(self._chains.values()),
            selected=main.selected,
            functions=functions,
            policies=policies,
            techniques=techniques,
            priorities=self.priorities(),
            excluded=excluded,
            links=self.links,
            labels=self.labels(chains, excluded),
            robustness=self.summary(functions, interventions, techniques),
            warnings=self.warnings(),
        )

    def chain(self, barrier: Barrier) -> Chain:
        main = self.main
        skeleton = main.skeletons[barrier.id]
        found = self._chains.get(id(skeleton))
        if found is None:
            found = self._chains[id(skeleton)] = (
                f"C{len(self._chains) + 1}",
                self._chain_parts(barrier.id, skeleton),
            )
        key, parts = found
        return Chain.of(
            parts,
            id=barrier.id,
            text=barrier.text,
            kind=barrier.kind.value,
            load=_round(main.loads[barrier.id]),
            group=barrier.group,
            domains=list(barrier.domains),
            chain=key,
            behaviour=barrier.behaviour,
        )

    def _chain_parts(self, barrier_id: str, skeleton: Skeleton) -> ChainParts:
        """What a chain shares with every barrier of the same coding (built once per coding)."""
        main = self.main
        functions = []
        for function, offers in main.offered[barrier_id].items():
            techniques = [
                ChainTechnique.model_construct(
                    id=o.technique, grade=o.grade, evidence=o.evidence, links=self.keys(o.links)
                )
                for o in offers[: main.per_barrier]
            ]
            functions.append(
                ChainFunction.model_construct(
                    id=function,
                    apease=main.chosen.mark(function),
                    routes=[
                        Route.model_construct(via=p.via, code=p.code, link=self.key(p.link))
                        for p in skeleton.routes[function]
                    ],
                    techniques=techniques,
                )
            )
        listed = {o.technique for offers in main.offered[barrier_id].values() for o in offers}
        withheld = [
            Withheld.model_construct(id=t, function=f, reason=reason)
            for f in main.offered[barrier_id]
            for t, reason in skeleton.withheld.get(f, ())
            if main.chosen.allows(t)
        ]
        other = [
            DomainTechnique.model_construct(
                id=o.technique, evidence=o.evidence, links=self.keys(o.links)
            )
            for o in skeleton.domain_only
            if o.technique not in listed and main.chosen.allows(o.technique)
        ]
        return ChainParts.model_construct(
            components=list(skeleton.components),
            functions=functions,
            recommended=[o.technique for o in main.recommended[barrier_id]],
            other_techniques=other,
            withheld=withheld,
            notes=list(skeleton.notes),
        )

    def _route_links(self, function: str, barriers: Iterable[str]) -> list[Link]:
        return [
            p.link
            for b in barriers
            for p in self.main.skeletons[b].routes.get(function, ())
        ]

    def function(self, item: _Ranked) -> RankedFunction:
        main = self.main
        totals: dict[str, float] = defaultdict(float)
        for barrier_id in item.barriers + item.enablers:
            for offer in main.offered[barrier_id].get(item.id, [])[: main.per_barrier]:
                totals[offer.technique] += main.loads[barrier_id] or 0.0
        ordered = sorted(totals, key=lambda t: (-_round(totals[t]), sort_key(t)))
        return RankedFunction.model_construct(
            **self.head(item),
            enablers=item.enablers,
            apease=main.chosen.mark(item.id),
            techniques=ordered[: self.top],
            policies=sorted(
                (p for p, by in main.policy_links.items() if item.id in by), key=_wheel
            ),
            robustness=self.robustness(
                item.id,
                item.rank,
                self.strict.functions,
                ROBUST_TOP,
                self._route_links(item.id, item.barriers + item.enablers),
            ),
        )

    def head(self, item: _Ranked) -> dict[str, Any]:
        """What every ranked function, policy category and technique says first."""
        return {
            "id": item.id,
            "label": self.label(item.id),
            "rank": item.rank,
            "tie": item.tie,
            "score": _round(item.score),
            "barriers": item.barriers,
        }

    def policy(self, item: _Ranked) -> RankedPolicy:
        by_function = self.main.policy_links[item.id]
        selected = set(self.main.selected)
        links = list(by_function.values())
        return RankedPolicy.model_construct(
            **self.head(item),
            functions=sorted(by_function, key=self.main.order.__getitem__),
            common=set(by_function) == selected,
            candidate=True,
            apease=self.main.chosen.mark(item.id),
            links=self.keys(links),
            robustness=self.robustness(
                item.id, item.rank, self.strict.policies, ROBUST_TOP, links
            ),
        )

    def technique(self, item: _Ranked) -> RankedTechnique:
        main = self.main
        tally = main.tallies[item.id]
        links = [
            link
            for b in tally.barriers
            for o in main.recommended[b]
            if o.technique == item.id
            for link in o.links
        ]
        return RankedTechnique.model_construct(
            **self.head(item),
            functions=sorted(tally.functions, key=lambda f: main.order.get(f, 99)),
            evidence=tally.evidence,
            apease=main.chosen.mark(item.id),
            robustness=self.robustness(
                item.id, item.rank, self.strict.techniques, self.top, links
            ),
        )

    def intervention(self, item: _Ranked) -> Intervention:
        main = self.main
        group = main.groups[item.id]
        functions = sorted(group.functions, key=main.order.__getitem__)
        ranked = sorted(
            group.techniques.items(),
            key=lambda kv: (-len(kv[1].barriers), -kv[1].evidence, kv[1].best),
        )
        techniques = []
        seen: set[str] = set()
        for (technique, function), tally in ranked:
            if technique in seen:
                continue
            seen.add(technique)
            techniques.append(
                InterventionTechnique.model_construct(
                    id=technique,
                    label=self.label(technique),
                    function=function,
                    barriers=len(tally.barriers),
                    evidence=tally.evidence,
                )
            )
        by_policy: dict[str, set[str]] = defaultdict(set)
        for policy, links in main.policy_links.items():
            by_policy[policy].update(f for f in links if f in group.functions)
        policies = [
            InterventionPolicy.model_construct(
                id=p, label=self.label(p), common=by_policy[p] == set(functions)
            )
            for p in sorted(by_policy, key=_wheel)
            if by_policy[p]
        ]
        titles = dict(self.case.titles)
        drafted_id = intervention_id(item.id)
        title = titles.get(drafted_id)
        route_links = [p.link for p in group.paths]
        return Intervention.model_construct(
            id=drafted_id,
            title=title or self.title(item.id, functions),
            title_generated=title is None,
            rank=item.rank,
            tie=item.tie,
            target=item.id,
            barriers=item.barriers,
            enablers=item.enablers,
            score=_round(item.score),
            functions=functions,
            techniques=techniques[:INTERVENTION_TECHNIQUES],
            policies=policies,
            links=self.keys(route_links),
            robustness=self.robustness(
                item.id, item.rank, self.strict.interventions, ROBUST_TOP, route_links
            ),
            delivery=self.delivery(drafted_id),
            specification=self.specification(drafted_id),
        )

    # --- issue 16: behaviours, outcomes, proposed interventions, delivery, specification -----

    def behaviour_plans(self) -> list[BehaviourPlan]:
        """Each target behaviour planned on its own barriers, with the same `Outcome`."""
        main = self.main
        profile = main.index.profile.name
        out = []
        for target in self.full.behaviours:
            sub = replace(
                self.full, barriers=tuple(b for b in self.full.barriers if b.behaviour == target.id)
            )
            numbers = [
                outcome(
                    sub,
                    self.onto,
                    profile=profile,
                    per_barrier=main.per_barrier,
                    verified_only=strict,
                )
                for strict in (False, True)
            ]
            writer = _Writer(numbers[0], numbers[1], self.onto, self.top, sub)
            writer.links, writer.numbers = self.links, self.numbers  # one link registry
            writer._seen = self._seen
            scored = numbers[0]
            spec = target.model_dump(exclude={"id", "target", "actor", "notes"}, exclude_none=True)
            out.append(
                BehaviourPlan.model_construct(
                    id=target.id,
                    target=target.target,
                    actor=target.actor,
                    specification=spec,
                    barriers=[b.id for b in scored.case.barriers if b.kind != BarrierKind.ENABLER],
                    enablers=[b.id for b in scored.case.barriers if b.kind == BarrierKind.ENABLER],
                    outcomes=sorted(b.id for b in sub.barriers if b.kind == BarrierKind.OUTCOME),
                    selected=scored.selected,
                    functions=[writer.function(f) for f in scored.functions],
                    policies=[writer.policy(p) for p in scored.policies],
                    techniques=[writer.technique(t) for t in scored.techniques[: self.top]],
                    interventions=[writer.intervention(i) for i in scored.interventions],
                    priorities=writer.priorities(),
                    warnings=[
                        f"barrier {b!r} is addressed by no selected intervention function"
                        for b in unaddressed(scored)
                    ],
                )
            )
        return out

    def shared(self, behaviours: list[BehaviourPlan]) -> list[SharedIntervention]:
        """Drafted interventions that serve more than one behaviour, in the main plan's order."""
        drafted: dict[str, list[tuple[str, Intervention]]] = defaultdict(list)
        for plan in behaviours:
            for item in plan.interventions:
                drafted[item.id].append((plan.id, item))
        order = {intervention_id(i.id): n for n, i in enumerate(self.main.interventions)}
        out = []
        for drafted_id in sorted(drafted, key=lambda i: (order.get(i, 1 << 30), i)):
            serving = drafted[drafted_id]
            if len(serving) < 2:
                continue
            common = set.intersection(*(set(item.functions) for _, item in serving))
            out.append(
                SharedIntervention.model_construct(
                    id=drafted_id,
                    title=serving[0][1].title,
                    behaviours=[b for b, _ in serving],
                    barriers={b: item.barriers for b, item in serving},
                    functions=[f for f in serving[0][1].functions if f in common],
                )
            )
        return out

    def outcomes(self) -> list[OutcomeEntry] | None:
        found = [b for b in self.full.barriers if b.kind == BarrierKind.OUTCOME]
        if not found:
            return None
        return [
            OutcomeEntry.model_construct(
                id=b.id,
                text=b.text,
                group=b.group,
                behaviour=b.behaviour,
                domains=list(b.domains),
                components=list(b.components),
            )
            for b in sorted(found, key=lambda b: b.id)
        ]

    def proposed(
        self,
        functions: list[RankedFunction],
        policies: list[RankedPolicy],
        behaviours: list[BehaviourPlan] | None,
    ) -> list[ProposedComparison]:
        """The source's proposed interventions, each function and category looked up."""
        by_behaviour = {b.id: b for b in behaviours or []}
        out = []
        for item in self.full.proposed:
            scope = by_behaviour.get(item.behaviour or "")
            ranked_f = {f.id: f.rank for f in (scope.functions if scope else functions)}
            ranked_p = {p.id: p.rank for p in (scope.policies if scope else policies)}
            f_matches = [ProposedMatch.model_construct(id=f, label=self.label(f), rank=ranked_f.get(f))
                for f in item.functions]
            p_matches = [ProposedMatch.model_construct(id=p, label=self.label(p), rank=ranked_p.get(p))
                for p in item.policies]
            missing = [m.label for m in f_matches + p_matches if m.rank is None]
            coded = f_matches + p_matches
            if not coded:
                note = "not coded to functions or policy categories; nothing to compare"
            elif not missing:
                note = "the plan recommends every function and policy category it uses"
            else:
                note = "the plan does not recommend " + ", ".join(missing)
            out.append(
                ProposedComparison.model_construct(
                    id=item.id,
                    text=item.text,
                    behaviour=item.behaviour,
                    functions=f_matches,
                    policies=p_matches,
                    note=note,
                )
            )
        return out

    def mode(self, mode_id: str) -> DeliveryMode:
        entity = self.onto[mode_id]
        return DeliveryMode.model_construct(
            id=mode_id,
            label=entity.label,
            bcio=[x for x in entity.xrefs if x.startswith("BCIO:")],
            apease=self.main.chosen.mark(mode_id),
        )

    def modes(self) -> list[DeliveryMode]:
        """Every mode of delivery APEASE leaves in: the guide's two distinctions first."""
        found = [e.id for e in self.onto.of_kind(Kind.MODE) if self.main.chosen.allows(e.id)]
        found.sort(key=lambda m: (MODE_ORDER.get(m, len(MODE_ORDER)), sort_key(m)))
        return [self.mode(m) for m in found]

    def delivery(self, drafted_id: str) -> list[DeliveryMode] | None:
        chosen = dict(self.full.delivery).get(drafted_id)
        if chosen is None:
            return None
        return [self.mode(m) for m in chosen if self.main.chosen.allows(m)]

    def specification(self, drafted_id: str) -> Specification | None:
        given = dict(self.full.specifications).get(drafted_id)
        if given is None:
            return None
        items = given.model_dump(exclude={"bcio"}, exclude_none=True)
        return Specification.model_construct(
            items=items,
            bcio=[
                BcioAnnotation.model_construct(item=item.value, id=bcio)
                for item, ids in given.bcio.items()
                for bcio in ids
            ],
        )

    def title(self, target: str, functions: list[str]) -> str:
        names = [self.label(f) for f in functions]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"{joined} for {self.label(target).lower()}"

    def labels(self, chains: list[Chain], excluded: list[Excluded]) -> dict[str, str]:
        """Every entity the plan names, with its label, in id order."""
        named: set[str] = {e.id for e in excluded}
        for chain in chains:
            named.update(chain.domains, chain.components, chain.recommended)
            for function in chain.functions:
                named.add(function.id)
                named.update(t.id for t in function.techniques)
            named.update(t.id for t in chain.other_techniques)
            named.update(t.id for t in chain.withheld)
        for link in self.links.values():
            named.update(e for e in (link.source, link.target, link.via) if e)
        return {e: self.label(e) for e in sorted(named, key=sort_key)}

    def priorities(self) -> Priorities:
        domains, components = priority_groups(self.main)
        return Priorities.model_construct(
            domains=self._priorities(domains), components=self._priorities(components)
        )

    def _priorities(self, groups: dict[str, list[Barrier]]) -> list[Priority]:
        rows = [(*priority_key(bs), entity, bs) for entity, bs in groups.items()]
        rows.sort(key=lambda r: (-r[0], -r[1], -int(r[2]), sort_key(r[3])))
        keys = [(r[0], r[1], r[2]) for r in rows]
        first: dict[tuple[int, int, bool], int] = {}
        for position, key in enumerate(keys):
            first.setdefault(key, position + 1)
        counts: dict[tuple[int, int, bool], int] = defaultdict(int)
        for key in keys:
            counts[key] += 1
        return [
            Priority.model_construct(
                id=entity,
                label=self.label(entity),
                rank=first[(frequency, elaboration, conflicting)],
                tie=counts[(frequency, elaboration, conflicting)] > 1,
                frequency=frequency,
                elaboration=elaboration,
                conflicting=conflicting,
                barriers=sorted(b.id for b in bs if b.kind != BarrierKind.ENABLER),
                enablers=sorted(b.id for b in bs if b.kind != BarrierKind.BARRIER),
                load=_round(sum(b.load for b in bs)),
            )
            for frequency, elaboration, conflicting, entity, bs in rows
        ]

    def summary(
        self,
        functions: list[RankedFunction],
        interventions: list[Intervention],
        techniques: list[RankedTechnique],
    ) -> str:
        weak = sum(1 for link in self.links.values() if link.status == Status.UNVERIFIED.value)
        if not weak:
            return "No item rests on an unverified link."
        moved = [
            *(f.label for f in functions if not f.robustness.keeps_rank),
            *(i.title for i in interventions if not i.robustness.keeps_rank),
            *(t.label for t in techniques if not t.robustness.keeps_rank),
        ]
        head = f"{weak} unverified link{'s' * (weak != 1)} behind this plan"
        if not moved:
            return f"{head}; without them every function, intervention and top technique keeps its rank."
        shown = ", ".join(moved[:5]) + (f" and {len(moved) - 5} more" if len(moved) > 5 else "")
        return f"{head}; without them these change rank: {shown}."

    def warnings(self) -> list[str]:
        out = [
            f"barrier {b!r} is addressed by no selected intervention function "
            f"in profile {self.main.index.profile.name!r} (after APEASE)"
            for b in unaddressed(self.main)
        ]
        known = {intervention_id(code) for code in self.main.groups}
        for behaviour in self.full.behaviours:  # drafted for one behaviour only
            sub = [b for b in self.case.barriers if b.behaviour == behaviour.id]
            known.update(
                intervention_id(p.code)
                for b in sub
                for paths in self.main.skeletons[b.id].routes.values()
                for p in paths
            )
        drafted = ", ".join(sorted(known)) or "none"

        def undrafted(where: str, key: str) -> None:
            if key not in known:
                out.append(f"{where} names {key!r}, which this plan does not draft (drafted: {drafted})")

        for key, chosen in self.full.delivery:
            undrafted("options.delivery", key)
            for mode in chosen:
                if not self.main.chosen.allows(mode):
                    out.append(
                        f"options.delivery chooses {mode!r} for {key!r}, but APEASE excludes "
                        "it; it is left out"
                    )
        for key, _ in self.full.specifications:
            undrafted("specifications", key)
        for key, _ in self.case.titles:
            undrafted("options.interventions", key)
        return out


def unaddressed(result: Outcome) -> list[str]:
    """Barriers (not enablers) that no selected function reaches, in id order."""
    addressed = {b for f in result.functions for b in f.barriers}
    return [
        b.id for b in result.case.barriers if b.kind != BarrierKind.ENABLER and b.id not in addressed
    ]


def priority_groups(result: Outcome) -> tuple[dict[str, list[Barrier]], dict[str, list[Barrier]]]:
    """Entries by TDF domain, and by COM-B component (coded, or through a domain)."""
    domains: dict[str, list[Barrier]] = defaultdict(list)
    components: dict[str, list[Barrier]] = defaultdict(list)
    for barrier in result.case.barriers:
        for domain in barrier.domains:
            domains[domain].append(barrier)
        for component in result.skeletons[barrier.id].components:
            components[component].append(barrier)
    return domains, components


def priority_key(barriers: list[Barrier]) -> tuple[int, int, bool]:
    """The TDF guide's importance: frequency, elaboration, conflicting evidence."""
    return (
        sum(b.frequency or 1 for b in barriers),
        len({b.theme or b.id for b in barriers}),
        conflicting({b.kind for b in barriers}),
    )


def conflicting(kinds: set[BarrierKind]) -> bool:
    """Evidence conflicts when an entry is both, or entries are barriers and enablers."""
    return BarrierKind.BOTH in kinds or {BarrierKind.BARRIER, BarrierKind.ENABLER} <= kinds


def _link_ref(key: str, link: Link, lineage: tuple[str, ...]) -> LinkRef:
    refs = [
        SourceRef.model_construct(ref=s.ref, locator=s.locator, read=s.read.value, agrees=s.agrees)
        for s in link.sources
    ] or [SourceRef.model_construct(ref=link.ref, locator=link.locator)]
    via = f"@{link.via}" if link.via and link.relation == Relation.COMPONENT_TECHNIQUE else ""
    return LinkRef.model_construct(
        key=key,
        id=f"{link.set}:{link.source}{via}>{link.target}",
        lineage=list(lineage),
        relation=link.relation.value,
        source=link.source,
        target=link.target,
        via=link.via,
        grade=link.grade,
        status=link.status.value,
        set=link.set,
        sources=refs,
    )
