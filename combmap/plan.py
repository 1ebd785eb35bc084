"""From a validated case to a ranked, explained intervention plan.

The scoring is documented in docs/method.md; in short:

* a barrier's load is weight × frequency (enablers count `enabler_weight` of that);
* a function's strength for a barrier is its best route through the profile's links
  (COM-B code → function, TDF code → function, or TDF → COM-B → function), each link counting
  by its status, and the TDF → COM-B route halved where the domain has its own TDF links;
* a function scores the sum over barriers of load × strength;
* a technique under a function combines every link source that supports it (noisy-or);
* the bundle is a greedy weighted cover of the barriers by functions.

Every number comes with the barriers behind it and the links on the best route to each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from combmap.case import Barrier, Case
from combmap.ontology import Link, Ontology, Profile, sort_key
from combmap.schema import BarrierKind, Judgement, Kind, Relation, Status

#: What a link counts for, by status: read in the source, in a reproduction, or neither.
STATUS_WEIGHT = {Status.VERIFIED: 1.0, Status.SECONDARY: 0.8, Status.UNVERIFIED: 0.5}
#: Factor on the TDF → COM-B → function route when the domain has direct TDF → function links.
INDIRECT_FACTOR = 0.5
#: What a technique link counts for, by grade.
GRADE_WEIGHT = {"most-frequent": 1.0, "less-frequent": 0.5, "inconclusive": 0.5}
#: Techniques listed with each function of the bundle.
BUNDLE_TECHNIQUES = 3
#: Version of the plan's JSON shape; bump on any incompatible change.
PLAN_SCHEMA = "combmap.plan/1"

_ORDER = {Status.VERIFIED: 0, Status.SECONDARY: 1, Status.UNVERIFIED: 2}


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class LinkRef(_Out):
    """One link on a route, with its source and status."""

    source: str
    target: str
    relation: str
    ref: str
    locator: str | None
    status: str
    set: str


class Reason(_Out):
    """Why an item addresses one barrier: the route and the links it rests on."""

    barrier: str
    path: list[str] = Field(description="barrier → domain → component → function → technique")
    links: list[LinkRef]
    strength: float
    unverified: bool = Field(description="True when a link on this route is unverified.")


class Exclusion(_Out):
    """Why an option was ruled out (APEASE)."""

    reason: str
    criteria: list[str]


class TechniqueScore(_Out):
    """A technique under one function."""

    id: str
    label: str
    rank: int
    score: float
    barriers: list[str]


class RankedItem(_Out):
    """A ranked function, policy category or technique, with its reasoning."""

    id: str
    label: str
    kind: str
    rank: int
    score: float
    barriers: list[str] = Field(description="Ids of the barriers it addresses.")
    enablers: list[str] = Field(default_factory=list, description="Enablers it builds on.")
    why: list[Reason]
    unverified: bool = Field(description="True when every route to some barrier is unverified.")
    functions: list[str] = Field(default_factory=list, description="Functions it serves.")
    techniques: list[TechniqueScore] = Field(default_factory=list)
    candidate: bool | None = Field(
        None, description="Policies: linked to at least one function of the bundle."
    )
    common: bool | None = Field(
        None, description="Policies: linked to every function of the bundle."
    )
    excluded: Exclusion | None = None


class Priority(_Out):
    """A TDF domain or COM-B component ranked as the TDF guide judges importance."""

    id: str
    label: str
    rank: int
    tie: bool
    frequency: int
    elaboration: int
    conflicting: bool
    barriers: list[str]
    enablers: list[str]
    load: float


class Priorities(_Out):
    """Domains and components in order of importance."""

    domains: list[Priority]
    components: list[Priority]


class BundleStep(_Out):
    """One function of the minimal bundle and what it adds."""

    id: str
    label: str
    adds: list[str]
    barriers: list[str]
    techniques: list[TechniqueScore]


class Bundle(_Out):
    """The fewest functions (greedy) that together address every barrier they can."""

    functions: list[BundleStep]
    covered: list[str]
    uncovered: list[str]


class BarrierOut(_Out):
    """A barrier as the plan read it."""

    id: str
    text: str
    kind: str
    load: float
    domains: list[str]
    components: list[str]
    group: str | None


class Settings(_Out):
    """The constants and options the scores depend on."""

    status_weight: dict[str, float]
    grade_weight: dict[str, float]
    indirect_factor: float
    enabler_weight: float
    top: int


class Plan(_Out):
    """A ranked, explained intervention plan (JSON schema `combmap.plan/1`)."""

    schema_: str = Field(PLAN_SCHEMA, alias="schema")
    case: dict[str, str]
    ontology: str
    profile: str
    settings: Settings
    barriers: list[BarrierOut]
    priorities: Priorities
    functions: list[RankedItem]
    policies: list[RankedItem]
    techniques: list[RankedItem]
    bundle: Bundle
    excluded: list[RankedItem]
    unverified_links: list[LinkRef]
    warnings: list[str]

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    def to_json(self) -> str:
        """Serialise to the documented JSON, byte-stable for the same input."""
        return self.model_dump_json(by_alias=True, indent=2) + "\n"

    def item(self, item_id: str) -> RankedItem | None:
        """Find a ranked or excluded item by id."""
        for item in (*self.functions, *self.policies, *self.techniques, *self.excluded):
            if item.id == item_id:
                return item
        return None


@dataclass(frozen=True)
class _Route:
    strength: float
    path: tuple[str, ...]
    links: tuple[Link, ...]

    def better_than(self, other: _Route | None) -> bool:
        if other is None:
            return True
        return (-self.strength, len(self.path), self.path) < (
            -other.strength,
            len(other.path),
            other.path,
        )


def _w(link: Link) -> float:
    return STATUS_WEIGHT[link.status]


def _round(value: float) -> float:
    return round(value, 6)


def _factor(barrier: Barrier, enabler_weight: float) -> float:
    return enabler_weight if barrier.kind == BarrierKind.ENABLER else 1.0


class _Planner:
    def __init__(self, case: Case, ontology: Ontology, profile: Profile, top: int) -> None:
        self.case = case
        self.onto = ontology
        self.profile = profile
        self.top = top
        self.excluded = {e.id: e for e in case.exclusions}
        for option, judgements in case.apease:
            failed = [c for c, j in judgements if j == Judgement.FAIL]
            if failed and option not in self.excluded:
                names = ", ".join(ontology[c].label for c in failed)
                from combmap.case import Exclusion as CaseExclusion

                self.excluded[option] = CaseExclusion(
                    option, f"fails APEASE: {names}", tuple(failed)
                )
        self.loads = {b.id: b.load * _factor(b, case.enabler_weight) for b in case.barriers}
        # Techniques that operationalise each function, by any function- or CACTIS link.
        self.function_techniques: dict[str, set[str]] = defaultdict(set)
        for link in profile.links:
            if link.relation == Relation.FUNCTION_TECHNIQUE:
                self.function_techniques[link.source].add(link.target)
            elif link.relation == Relation.COMPONENT_TECHNIQUE and link.via:
                self.function_techniques[link.via].add(link.target)
        self.routes = {b.id: self._function_routes(b) for b in case.barriers}

    # --- routes from a barrier to functions ---------------------------------------------------

    def _function_routes(self, barrier: Barrier) -> dict[str, _Route]:
        out: dict[str, _Route] = {}

        def offer(function: str, route: _Route) -> None:
            if route.better_than(out.get(function)):
                out[function] = route

        for component in barrier.components:
            for link in self.profile.out(Relation.COMPONENT_FUNCTION, component):
                offer(link.target, _Route(_w(link), (barrier.id, component, link.target), (link,)))
        for domain in barrier.domains:
            direct = self.profile.out(Relation.DOMAIN_FUNCTION, domain)
            for link in direct:
                offer(link.target, _Route(_w(link), (barrier.id, domain, link.target), (link,)))
            factor = INDIRECT_FACTOR if direct else 1.0
            for up in self.profile.out(Relation.DOMAIN_COMPONENT, domain):
                for link in self.profile.out(Relation.COMPONENT_FUNCTION, up.target):
                    strength = _w(up) * _w(link) * factor
                    path = (barrier.id, domain, up.target, link.target)
                    offer(link.target, _Route(strength, path, (up, link)))
        return out

    def components_of(self, barrier: Barrier) -> tuple[str, ...]:
        """Components coded directly plus those its domains map to in this profile."""
        found = set(barrier.components)
        for domain in barrier.domains:
            found.update(
                link.target for link in self.profile.out(Relation.DOMAIN_COMPONENT, domain)
            )
        return tuple(sorted(found))

    # --- functions ----------------------------------------------------------------------------

    def function_items(self) -> list[RankedItem]:
        items = []
        for function in self.onto.of_kind(Kind.FUNCTION):
            reasons = {
                b.id: self.routes[b.id][function.id]
                for b in self.case.barriers
                if function.id in self.routes[b.id]
            }
            if not reasons:
                continue
            score = sum(self.loads[b] * r.strength for b, r in reasons.items())
            items.append(self._item(function.id, score, reasons))
        return items

    def _item(
        self, entity_id: str, score: float, reasons: dict[str, _Route], **extra: object
    ) -> RankedItem:
        entity = self.onto[entity_id]
        kinds = {b.id: b.kind for b in self.case.barriers}
        barriers = sorted(b for b in reasons if kinds[b] != BarrierKind.ENABLER)
        enablers = sorted(b for b in reasons if kinds[b] == BarrierKind.ENABLER)
        why = [self._reason(b, reasons[b]) for b in sorted(reasons)]
        exclusion = self.excluded.get(entity_id)
        return RankedItem(
            id=entity_id,
            label=entity.label,
            kind=entity.kind.value,
            rank=0,
            score=_round(score),
            barriers=barriers,
            enablers=enablers,
            why=why,
            unverified=any(r.unverified for r in why if r.barrier in barriers),
            excluded=Exclusion(reason=exclusion.reason, criteria=list(exclusion.criteria))
            if exclusion
            else None,
            **extra,
        )

    def _reason(self, barrier: str, route: _Route) -> Reason:
        return Reason(
            barrier=barrier,
            path=list(route.path),
            links=[_link_ref(link) for link in route.links],
            strength=_round(route.strength),
            unverified=any(link.status == Status.UNVERIFIED for link in route.links),
        )

    # --- techniques ---------------------------------------------------------------------------

    def technique_support(self, barrier: Barrier, function: str) -> dict[str, list[Link]]:
        """Links that support each technique for this barrier under this function."""
        support: dict[str, list[Link]] = defaultdict(list)
        for link in self.profile.out(Relation.FUNCTION_TECHNIQUE, function):
            support[link.target].append(link)
        for component in self.components_of(barrier):
            for link in self.profile.out(Relation.COMPONENT_TECHNIQUE, component):
                if link.via == function:
                    support[link.target].append(link)
        linked = set(support) | self.function_techniques.get(function, set())
        for domain in barrier.domains:
            for link in self.profile.out(Relation.DOMAIN_TECHNIQUE, domain):
                if link.target in linked:
                    support[link.target].append(link)
        return support

    def technique_items(
        self, functions: list[RankedItem]
    ) -> tuple[list[RankedItem], dict[str, list[TechniqueScore]]]:
        per_function: dict[str, list[TechniqueScore]] = {}
        overall_score: dict[str, float] = defaultdict(float)
        overall_best: dict[str, dict[str, _Route]] = defaultdict(dict)
        overall_functions: dict[str, set[str]] = defaultdict(set)
        best_for: dict[tuple[str, str], tuple[float, _Route]] = {}
        by_id = {b.id: b for b in self.case.barriers}
        for function in functions:
            scores: dict[str, float] = defaultdict(float)
            hits: dict[str, set[str]] = defaultdict(set)
            for barrier_id in function.barriers + function.enablers:
                barrier = by_id[barrier_id]
                route = self.routes[barrier_id][function.id]
                for technique, links in self.technique_support(barrier, function.id).items():
                    if technique in self.excluded:
                        continue
                    evidence = _noisy_or(_link_evidence(link) for link in links)
                    value = route.strength * evidence
                    scores[technique] += self.loads[barrier_id] * value
                    hits[technique].add(barrier_id)
                    overall_functions[technique].add(function.id)
                    best_links = tuple(sorted(links, key=_strongest))
                    candidate = _Route(
                        value, (*route.path, technique), (*route.links, best_links[0])
                    )
                    held = best_for.get((technique, barrier_id))
                    if held is None or candidate.better_than(held[1]):
                        best_for[(technique, barrier_id)] = (value, candidate)
            ranked = sorted(scores.items(), key=lambda kv: (-_round(kv[1]), sort_key(kv[0])))
            per_function[function.id] = [
                TechniqueScore(
                    id=t,
                    label=self.onto[t].label,
                    rank=0,
                    score=_round(s),
                    barriers=sorted(b for b in hits[t] if by_id[b].kind != BarrierKind.ENABLER),
                )
                for t, s in ranked
            ]
        for barrier in self.case.barriers:
            for link in (
                link
                for domain in barrier.domains
                for link in self.profile.out(Relation.DOMAIN_TECHNIQUE, domain)
            ):
                if link.target in self.excluded:
                    continue
                value = _link_evidence(link)
                candidate = _Route(value, (barrier.id, link.source, link.target), (link,))
                held = best_for.get((link.target, barrier.id))
                if held is None or candidate.better_than(held[1]):
                    best_for[(link.target, barrier.id)] = (value, candidate)
        for (technique, barrier_id), (value, route) in best_for.items():
            overall_score[technique] += self.loads[barrier_id] * value
            overall_best[technique][barrier_id] = route
        kinds = {b.id: b.kind for b in self.case.barriers}

        def order(technique: str) -> tuple[float, int, tuple[object, ...]]:
            addressed = sum(kinds[b] != BarrierKind.ENABLER for b in overall_best[technique])
            return (-_round(overall_score[technique]), -addressed, sort_key(technique))

        # Explanations are costly to build: only for the techniques the plan keeps.
        kept = sorted(overall_score, key=order)[: self.top]
        items = [
            self._item(
                t,
                overall_score[t],
                overall_best[t],
                functions=sorted(overall_functions[t], key=sort_key),
            )
            for t in kept
        ]
        return items, per_function

    # --- policies, bundle, priorities -----------------------------------------------------------

    def policy_items(self, functions: list[RankedItem], bundle: set[str]) -> list[RankedItem]:
        linked: dict[str, dict[str, Link]] = defaultdict(dict)
        for function in functions:
            for link in self.profile.out(Relation.FUNCTION_POLICY, function.id):
                linked[link.target][function.id] = link
        items = []
        for policy, links in linked.items():
            reasons: dict[str, _Route] = {}
            score = 0.0
            for function in functions:
                delivers = links.get(function.id)
                if delivers is None:
                    continue
                score += function.score * _w(delivers)
                for barrier_id in function.barriers + function.enablers:
                    route = self.routes[barrier_id][function.id]
                    candidate = _Route(
                        route.strength * _w(delivers),
                        (*route.path, policy),
                        (*route.links, delivers),
                    )
                    if candidate.better_than(reasons.get(barrier_id)):
                        reasons[barrier_id] = candidate
            serves = set(links) & bundle
            items.append(
                self._item(
                    policy,
                    score,
                    reasons,
                    functions=sorted(links, key=sort_key),
                    candidate=bool(serves),
                    common=bool(bundle) and serves == bundle,
                )
            )
        return items

    def bundle(
        self, functions: list[RankedItem], per_function: dict[str, list[TechniqueScore]]
    ) -> Bundle:
        targets = {
            b.id
            for b in self.case.barriers
            if b.kind != BarrierKind.ENABLER and self.loads[b.id] > 0
        }
        uncovered = set(targets)
        steps = []
        pool = [f for f in functions if f.excluded is None]
        while uncovered:
            best = None
            best_key: tuple[float, float, tuple[object, ...]] | None = None
            for function in pool:
                gain = sum(self.loads[b] for b in function.barriers if b in uncovered)
                if gain <= 0:
                    continue
                key = (-_round(gain), -function.score, sort_key(function.id))
                if best_key is None or key < best_key:
                    best, best_key = function, key
            if best is None:
                break
            adds = sorted(b for b in best.barriers if b in uncovered)
            uncovered -= set(adds)
            pool.remove(best)
            steps.append(
                BundleStep(
                    id=best.id,
                    label=best.label,
                    adds=adds,
                    barriers=best.barriers,
                    techniques=per_function.get(best.id, [])[:BUNDLE_TECHNIQUES],
                )
            )
        covered = sorted(targets - uncovered)
        return Bundle(functions=steps, covered=covered, uncovered=sorted(uncovered))

    def priorities(self) -> Priorities:
        domains: dict[str, list[Barrier]] = defaultdict(list)
        components: dict[str, list[Barrier]] = defaultdict(list)
        for barrier in self.case.barriers:
            for domain in barrier.domains:
                domains[domain].append(barrier)
            for component in self.components_of(barrier):
                components[component].append(barrier)
        return Priorities(
            domains=self._rank_priorities(domains), components=self._rank_priorities(components)
        )

    def _rank_priorities(self, groups: dict[str, list[Barrier]]) -> list[Priority]:
        rows = []
        for entity_id, barriers in groups.items():
            kinds = {b.kind for b in barriers}
            conflicting = (
                BarrierKind.BOTH in kinds or {BarrierKind.BARRIER, BarrierKind.ENABLER} <= kinds
            )
            rows.append(
                (
                    sum(b.frequency or 1 for b in barriers),
                    len({b.theme or b.id for b in barriers}),
                    conflicting,
                    entity_id,
                    barriers,
                )
            )
        rows.sort(key=lambda r: (-r[0], -r[1], -int(r[2]), sort_key(r[3])))
        keys = [(r[0], r[1], r[2]) for r in rows]
        out = []
        for frequency, elaboration, conflicting, entity_id, barriers in rows:
            rank = keys.index((frequency, elaboration, conflicting)) + 1
            out.append(
                Priority(
                    id=entity_id,
                    label=self.onto[entity_id].label,
                    rank=rank,
                    tie=keys.count((frequency, elaboration, conflicting)) > 1,
                    frequency=frequency,
                    elaboration=elaboration,
                    conflicting=conflicting,
                    barriers=sorted(b.id for b in barriers if b.kind != BarrierKind.ENABLER),
                    enablers=sorted(b.id for b in barriers if b.kind != BarrierKind.BARRIER),
                    load=_round(sum(b.load for b in barriers)),
                )
            )
        return out


@lru_cache(maxsize=4096)
def _link_ref(link: Link) -> LinkRef:
    return LinkRef(
        source=link.via
        if link.relation == Relation.COMPONENT_TECHNIQUE and link.via
        else link.source,
        target=link.target,
        relation=link.relation.value,
        ref=link.ref,
        locator=link.locator,
        status=link.status.value,
        set=link.set,
    )


def _link_evidence(link: Link) -> float:
    return _w(link) * GRADE_WEIGHT.get(link.grade or "", 1.0)


def _strongest(link: Link) -> tuple[float, int, Link]:
    return (-_link_evidence(link), _ORDER[link.status], link)


def _noisy_or(values: Iterable[float]) -> float:
    missing = 1.0
    for value in values:
        missing *= 1.0 - value
    return 1.0 - missing


def _ranked(items: list[RankedItem]) -> list[RankedItem]:
    """Sort by score (then barriers addressed, then id) and give tied scores one rank."""
    ordered = sorted(items, key=lambda i: (-i.score, -len(i.barriers), sort_key(i.id)))
    out: list[RankedItem] = []
    for index, item in enumerate(ordered):
        rank = index + 1
        if out and out[-1].score == item.score:
            rank = out[-1].rank
        techniques = [
            t.model_copy(update={"rank": position + 1})
            for position, t in enumerate(item.techniques)
        ]
        out.append(item.model_copy(update={"rank": rank, "techniques": techniques}))
    return out


def make_plan(case: Case, ontology: Ontology, *, profile: str | None = None, top: int = 10) -> Plan:
    """Rank functions, policy categories and techniques for a case, with the reasons.

    Args:
        case: a case from `load_case`.
        ontology: the ontology the case was resolved against.
        profile: link-set profile; defaults to the case's, then the ontology's default.
        top: how many techniques to keep overall and under each function.

    Raises:
        UnknownIdError: the profile does not exist.
    """
    chosen_profile = ontology.profile(profile or case.profile)
    # Sums of floats depend on their order: fix it, so the file's barrier order cannot matter.
    case = replace(case, barriers=tuple(sorted(case.barriers, key=lambda b: b.id)))
    planner = _Planner(case, ontology, chosen_profile, top)
    all_functions = planner.function_items()
    functions = _ranked([f for f in all_functions if f.excluded is None])
    excluded_functions = [f for f in all_functions if f.excluded is not None]
    techniques, per_function = planner.technique_items(functions)
    functions = _ranked(
        [f.model_copy(update={"techniques": per_function.get(f.id, [])[:top]}) for f in functions]
    )
    bundle = planner.bundle(functions, per_function)
    policies_all = planner.policy_items(functions, {step.id for step in bundle.functions})
    policies = _ranked([p for p in policies_all if p.excluded is None])
    techniques_ranked = _ranked(techniques)
    excluded = sorted(
        [*excluded_functions, *(p for p in policies_all if p.excluded is not None)],
        key=lambda i: sort_key(i.id),
    )
    excluded += [
        _excluded_stub(ontology, exclusion_id, planner)
        for exclusion_id in sorted(planner.excluded, key=sort_key)
        if exclusion_id not in {i.id for i in excluded}
    ]
    used = {
        link
        for item in (*functions, *policies, *techniques_ranked)
        for reason in item.why
        for link in reason.links
        if link.status == Status.UNVERIFIED.value
    }
    warnings = []
    addressed = {b for f in functions for b in f.barriers}
    for barrier in case.barriers:
        if barrier.kind != BarrierKind.ENABLER and barrier.id not in addressed:
            warnings.append(
                f"barrier {barrier.id!r} is addressed by no intervention function in profile "
                f"{chosen_profile.name!r} (after exclusions)"
            )
    return Plan(
        case={"id": case.id, "title": case.info.title},
        ontology=ontology.version,
        profile=chosen_profile.name,
        settings=Settings(
            status_weight={k.value: v for k, v in STATUS_WEIGHT.items()},
            grade_weight=dict(GRADE_WEIGHT),
            indirect_factor=INDIRECT_FACTOR,
            enabler_weight=case.enabler_weight,
            top=top,
        ),
        barriers=[
            BarrierOut(
                id=b.id,
                text=b.text,
                kind=b.kind.value,
                load=_round(planner.loads[b.id]),
                domains=list(b.domains),
                components=list(planner.components_of(b)),
                group=b.group,
            )
            for b in case.barriers
        ],
        priorities=planner.priorities(),
        functions=functions,
        policies=policies,
        techniques=techniques_ranked,
        bundle=bundle,
        excluded=excluded,
        unverified_links=sorted(used, key=lambda link: (link.set, link.source, link.target)),
        warnings=warnings,
    )


def _excluded_stub(ontology: Ontology, option: str, planner: _Planner) -> RankedItem:
    exclusion = planner.excluded[option]
    entity = ontology[option]
    return RankedItem(
        id=option,
        label=entity.label,
        kind=entity.kind.value,
        rank=0,
        score=0.0,
        barriers=[],
        why=[],
        unverified=False,
        excluded=Exclusion(reason=exclusion.reason, criteria=list(exclusion.criteria)),
    )
