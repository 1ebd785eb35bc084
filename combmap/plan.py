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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from combmap.case import Barrier, Case
from combmap.case import Exclusion as CaseExclusion
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
    model_config = ConfigDict(frozen=True, defer_build=True)


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
    unverified: bool = Field(
        description="True when the best route to one of its barriers uses an unverified link."
    )
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

    model_config = ConfigDict(frozen=True, populate_by_name=True, defer_build=True)

    def to_json(self) -> str:
        """Serialise to the documented JSON, byte-stable for the same input."""
        return self.model_dump_json(by_alias=True, indent=2) + "\n"

    def item(self, item_id: str) -> RankedItem | None:
        """Find a ranked or excluded item by id."""
        for item in (*self.functions, *self.policies, *self.techniques, *self.excluded):
            if item.id == item_id:
                return item
        return None


@dataclass(frozen=True, slots=True)
class _Route:
    """A best route to an item; `path` starts at the barrier's code (the barrier id is implied)."""

    strength: float
    path: tuple[str, ...]
    links: tuple[Link, ...]

    def better_than(self, other: _Route | None) -> bool:
        # Routes compared are always for the same barrier, so the implied prefix cannot matter.
        if other is None:
            return True
        return (-self.strength, len(self.path), self.path) < (
            -other.strength,
            len(other.path),
            other.path,
        )


@dataclass(frozen=True, slots=True)
class _Support:
    """Why a technique operationalises a function for one coding: evidence and its best link."""

    technique: str
    evidence: float
    link: Link


def _w(link: Link) -> float:
    return STATUS_WEIGHT[link.status]


def _round(value: float) -> float:
    return round(value, 6)


def _factor(barrier: Barrier, enabler_weight: float) -> float:
    return enabler_weight if barrier.kind == BarrierKind.ENABLER else 1.0


_Coding = tuple[tuple[str, ...], tuple[str, ...]]
#: Entries per cache before it is emptied: real cases use far fewer distinct codings, and the
#: bound keeps a long aggregate run's memory flat (tens of MB per worker when full).
_CACHE_LIMIT = 8192


class _Index:
    """A profile's adjacency with routes and technique support cached per coding.

    Barriers with the same codes reach the same functions by the same routes, so both are
    worked out once per distinct (components, domains) coding and reused, across the cases of
    an aggregate run too. A plan's cost is linear in barriers × links: no path is enumerated
    per barrier.
    """

    def __init__(self, ontology: Ontology, profile: Profile) -> None:
        self.ontology = ontology
        self.profile = profile
        self.functions = tuple(f.id for f in ontology.of_kind(Kind.FUNCTION))
        # Techniques that operationalise each function, by any function- or CACTIS link.
        self.function_techniques: dict[str, set[str]] = defaultdict(set)
        for link in profile.links:
            if link.relation == Relation.FUNCTION_TECHNIQUE:
                self.function_techniques[link.source].add(link.target)
            elif link.relation == Relation.COMPONENT_TECHNIQUE and link.via:
                self.function_techniques[link.via].add(link.target)
        # Technique links with their evidence, by function, (component, function) and domain.
        self._ft: dict[str, list[tuple[str, Link, float]]] = defaultdict(list)
        self._via: dict[tuple[str, str], list[tuple[str, Link, float]]] = defaultdict(list)
        self._dt: dict[str, list[tuple[str, Link, float]]] = defaultdict(list)
        for key, out in profile.outgoing.items():
            relation, source = key
            for link in out:
                entry = (link.target, link, _link_evidence(link))
                if relation == Relation.FUNCTION_TECHNIQUE:
                    self._ft[source].append(entry)
                elif relation == Relation.COMPONENT_TECHNIQUE and link.via:
                    self._via[(source, link.via)].append(entry)
                elif relation == Relation.DOMAIN_TECHNIQUE:
                    self._dt[source].append(entry)
        self._routes: dict[_Coding, dict[str, _Route]] = {}
        self._components: dict[_Coding, tuple[str, ...]] = {}
        self._support: dict[tuple[_Coding, str], dict[str, _Support]] = {}
        self._direct: dict[tuple[str, ...], tuple[tuple[Link, float], ...]] = {}
        self._best: dict[tuple[_Coding, frozenset[str]], dict[str, float]] = {}

    @staticmethod
    def _bounded(cache: dict[Any, Any]) -> None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()

    def routes(self, barrier: Barrier) -> dict[str, _Route]:
        """The best route from the barrier to each function it reaches."""
        key = (barrier.components, barrier.domains)
        found = self._routes.get(key)
        if found is None:
            self._bounded(self._routes)
            found = self._routes[key] = self._function_routes(*key)
        return found

    def _function_routes(
        self, components: tuple[str, ...], domains: tuple[str, ...]
    ) -> dict[str, _Route]:
        out: dict[str, _Route] = {}

        def offer(function: str, route: _Route) -> None:
            if route.better_than(out.get(function)):
                out[function] = route

        for component in components:
            for link in self.profile.out(Relation.COMPONENT_FUNCTION, component):
                offer(link.target, _Route(_w(link), (component, link.target), (link,)))
        for domain in domains:
            direct = self.profile.out(Relation.DOMAIN_FUNCTION, domain)
            for link in direct:
                offer(link.target, _Route(_w(link), (domain, link.target), (link,)))
            factor = INDIRECT_FACTOR if direct else 1.0
            for up in self.profile.out(Relation.DOMAIN_COMPONENT, domain):
                for link in self.profile.out(Relation.COMPONENT_FUNCTION, up.target):
                    strength = _w(up) * _w(link) * factor
                    offer(
                        link.target, _Route(strength, (domain, up.target, link.target), (up, link))
                    )
        return out

    def components_of(self, barrier: Barrier) -> tuple[str, ...]:
        """Components coded directly plus those its domains map to in this profile."""
        key = (barrier.components, barrier.domains)
        found = self._components.get(key)
        if found is None:
            codes = set(barrier.components)
            for domain in barrier.domains:
                codes.update(
                    link.target for link in self.profile.out(Relation.DOMAIN_COMPONENT, domain)
                )
            self._bounded(self._components)
            found = self._components[key] = tuple(sorted(codes))
        return found

    def support(self, barrier: Barrier, function: str) -> dict[str, _Support]:
        """Each technique's evidence for this barrier under this function, in link order.

        Sources: function → technique, (COM-B component, function) → technique (CACTIS), and
        TDF domain → technique for techniques that operationalise the function; they combine
        by noisy-or.
        """
        components = self.components_of(barrier)
        key = ((components, barrier.domains), function)
        found = self._support.get(key)
        if found is not None:
            return found
        links: dict[str, list[tuple[str, Link, float]]] = defaultdict(list)
        for entry in self._ft.get(function, ()):
            links[entry[0]].append(entry)
        for component in components:
            for entry in self._via.get((component, function), ()):
                links[entry[0]].append(entry)
        # Every technique found so far operationalises the function: no union needed.
        linked = self.function_techniques.get(function, set())
        for domain in barrier.domains:
            for entry in self._dt.get(domain, ()):
                if entry[0] in linked:
                    links[entry[0]].append(entry)
        found = {
            technique: _Support(
                technique,
                _noisy_or(evidence for _, _, evidence in held),
                min(held, key=_strongest_entry)[1],
            )
            for technique, held in links.items()
        }
        self._bounded(self._support)
        self._support[key] = found
        return found

    def best_values(self, barrier: Barrier, excluded: frozenset[str]) -> dict[str, float]:
        """Each technique's best value for the barrier: by a function not excluded, or direct.

        A technique's own exclusion is applied by the caller; the cache is per coding.
        """
        key = ((barrier.components, barrier.domains), excluded)
        found = self._best.get(key)
        if found is not None:
            return found
        found = {}
        for function, route in self.routes(barrier).items():
            if function in excluded:
                continue
            for technique, support in self.support(barrier, function).items():
                value = route.strength * support.evidence
                if value > found.get(technique, -1.0):
                    found[technique] = value
        for link, value in self.direct(barrier):
            if value > found.get(link.target, -1.0):
                found[link.target] = value
        self._bounded(self._best)
        self._best[key] = found
        return found

    def direct(self, barrier: Barrier) -> tuple[tuple[Link, float], ...]:
        """TDF → technique links from the barrier's domains, with their evidence."""
        found = self._direct.get(barrier.domains)
        if found is None:
            found = tuple(
                (link, evidence)
                for domain in barrier.domains
                for _, link, evidence in self._dt.get(domain, ())
            )
            self._bounded(self._direct)
            self._direct[barrier.domains] = found
        return found


@dataclass
class _FunctionScore:
    id: str
    score: float
    reached: list[str]
    barriers: list[str]
    enablers: list[str]


def _exclusions(case: Case, ontology: Ontology) -> dict[str, CaseExclusion]:
    """The case's exclusions plus every option its APEASE worksheet fails."""
    excluded = {e.id: e for e in case.exclusions}
    for option, judgements in case.apease:
        failed = [c for c, j in judgements if j == Judgement.FAIL]
        if failed and option not in excluded:
            names = ", ".join(ontology[c].label for c in failed)
            excluded[option] = CaseExclusion(option, f"fails APEASE: {names}", tuple(failed))
    return excluded


#: Recently used indexes, so that plans of many cases against one ontology share their caches.
_INDEXES: list[_Index] = []


def _index(ontology: Ontology, profile: Profile) -> _Index:
    for index in _INDEXES:
        if index.profile is profile and index.ontology is ontology:
            return index
    index = _Index(ontology, profile)
    _INDEXES.insert(0, index)
    del _INDEXES[4:]
    return index


class _Scores:
    """Every number of a plan, without the explanations: the one scoring implementation.

    `make_plan` explains these numbers; `coverage` (aggregate's fast path) only counts them.
    The loops keep the order in which floats are summed, so both give the same bytes.
    """

    def __init__(
        self, case: Case, index: _Index, excluded: Mapping[str, object], *, explain: bool
    ) -> None:
        self.case = case
        self.index = index
        self.excluded = excluded
        self.by_id = {b.id: b for b in case.barriers}
        self.kinds = {b.id: b.kind for b in case.barriers}
        self.loads = {b.id: b.load * _factor(b, case.enabler_weight) for b in case.barriers}
        self.routes = {b.id: index.routes(b) for b in case.barriers}
        self.functions = self._function_scores()
        self.ranked = sorted(
            (f for f in self.functions.values() if f.id not in excluded),
            key=lambda f: (-_round(f.score), -len(f.barriers), sort_key(f.id)),
        )
        #: Per function: each technique's score and the barriers behind it (explain only).
        self.per_function: dict[str, dict[str, float]] = {}
        self.per_function_hits: dict[str, dict[str, set[str]]] = {}
        self.technique_functions: dict[str, set[str]] = defaultdict(set)
        if explain:
            self._per_function()
        self.technique_scores: dict[str, float] = {}
        self.technique_barriers: dict[str, list[str]] = {}
        #: Barriers (not enablers) each technique addresses.
        self.technique_addressed: dict[str, int] = {}
        self._overall_techniques()

    def _function_scores(self) -> dict[str, _FunctionScore]:
        out = {}
        for function in self.index.functions:
            reached = [b.id for b in self.case.barriers if function in self.routes[b.id]]
            if not reached:
                continue
            score = sum(self.loads[b] * self.routes[b][function].strength for b in reached)
            out[function] = _FunctionScore(
                function,
                score,
                reached,
                sorted(b for b in reached if self.kinds[b] != BarrierKind.ENABLER),
                sorted(b for b in reached if self.kinds[b] == BarrierKind.ENABLER),
            )
        return out

    def _overall_techniques(self) -> None:
        """Score = Σ over barriers of load × the technique's best value for the barrier.

        Barriers are summed in the order the plan meets them (ranked functions in order, then
        direct TDF links), so the float sums are those the plan has always printed.
        """
        excluded = self.excluded
        excluded_functions = frozenset(f for f in self.functions if f in excluded)
        met: dict[str, set[str]] = {b.id: set() for b in self.case.barriers}
        order: dict[str, list[str]] = defaultdict(list)
        for function in self.ranked:
            for barrier_id in function.barriers + function.enablers:
                techniques = self.index.support(self.by_id[barrier_id], function.id).keys()
                seen = met[barrier_id]
                new = techniques - seen
                if new:
                    seen |= new
                    for technique in new:
                        order[technique].append(barrier_id)
        for barrier in self.case.barriers:
            seen = met[barrier.id]
            for link, _ in self.index.direct(barrier):
                if link.target not in seen:
                    seen.add(link.target)
                    order[link.target].append(barrier.id)
        best = {b.id: self.index.best_values(b, excluded_functions) for b in self.case.barriers}
        loads = self.loads
        enablers = {b for b, kind in self.kinds.items() if kind == BarrierKind.ENABLER}
        for technique in sorted(order):
            if technique in excluded:
                continue
            barriers = order[technique]
            total = 0.0
            for barrier_id in barriers:
                total += loads[barrier_id] * best[barrier_id][technique]
            self.technique_scores[technique] = total
            self.technique_barriers[technique] = barriers
            self.technique_addressed[technique] = len(barriers) - len(
                enablers.intersection(barriers)
            )

    def _per_function(self) -> None:
        """Each ranked function's techniques, scored over the barriers it reaches."""
        for function in self.ranked:
            scores: dict[str, float] = defaultdict(float)
            hits: dict[str, set[str]] = defaultdict(set)
            for barrier_id in function.barriers + function.enablers:
                strength = self.routes[barrier_id][function.id].strength
                load = self.loads[barrier_id]
                for technique, support in self.index.support(
                    self.by_id[barrier_id], function.id
                ).items():
                    if technique in self.excluded:
                        continue
                    scores[technique] += load * (strength * support.evidence)
                    hits[technique].add(barrier_id)
                    self.technique_functions[technique].add(function.id)
            self.per_function[function.id] = scores
            self.per_function_hits[function.id] = hits

    def technique_order(self, technique: str) -> tuple[float, int, tuple[object, ...]]:
        """Rank key of a technique overall: score, then barriers addressed, then id."""
        addressed = self.technique_addressed[technique]
        return (-_round(self.technique_scores[technique]), -addressed, sort_key(technique))

    def technique_route(self, technique: str, barrier_id: str) -> _Route:
        """The best route from a barrier to a technique, through a function or direct."""
        barrier = self.by_id[barrier_id]
        found: _Route | None = None
        for function in self.ranked:
            route = self.routes[barrier_id].get(function.id)
            support = self.index.support(barrier, function.id).get(technique)
            if route is None or support is None:
                continue
            candidate = _Route(
                route.strength * support.evidence,
                (*route.path, technique),
                (*route.links, support.link),
            )
            if candidate.better_than(found):
                found = candidate
        for link, value in self.index.direct(barrier):
            if link.target == technique:
                candidate = _Route(value, (link.source, link.target), (link,))
                if candidate.better_than(found):
                    found = candidate
        assert found is not None, (technique, barrier_id)
        return found

    def policies(self) -> dict[str, tuple[float, dict[str, Link]]]:
        """Each policy category linked to a ranked function: its score and the links."""
        linked: dict[str, dict[str, Link]] = defaultdict(dict)
        for function in self.ranked:
            for link in self.index.profile.out(Relation.FUNCTION_POLICY, function.id):
                linked[link.target][function.id] = link
        out = {}
        for policy, links in linked.items():
            score = 0.0
            for function in self.ranked:
                delivers = links.get(function.id)
                if delivers is not None:
                    score += _round(function.score) * _w(delivers)
            out[policy] = (score, links)
        return out

    def bundle(self) -> list[tuple[_FunctionScore, list[str]]]:
        """Greedy weighted cover: each step's function and the barriers it adds."""
        targets = {
            b.id
            for b in self.case.barriers
            if b.kind != BarrierKind.ENABLER and self.loads[b.id] > 0
        }
        uncovered = set(targets)
        steps = []
        pool = list(self.ranked)
        while uncovered:
            best = None
            best_key: tuple[float, float, tuple[object, ...]] | None = None
            for function in pool:
                gain = sum(self.loads[b] for b in function.barriers if b in uncovered)
                if gain <= 0:
                    continue
                key = (-_round(gain), -_round(function.score), sort_key(function.id))
                if best_key is None or key < best_key:
                    best, best_key = function, key
            if best is None:
                break
            adds = sorted(b for b in best.barriers if b in uncovered)
            uncovered -= set(adds)
            pool.remove(best)
            steps.append((best, adds))
        return steps

    def priority_groups(self) -> tuple[dict[str, list[Barrier]], dict[str, list[Barrier]]]:
        """Entries by TDF domain, and by COM-B component (coded or through a domain)."""
        domains: dict[str, list[Barrier]] = defaultdict(list)
        components: dict[str, list[Barrier]] = defaultdict(list)
        for barrier in self.case.barriers:
            for domain in barrier.domains:
                domains[domain].append(barrier)
            for component in self.index.components_of(barrier):
                components[component].append(barrier)
        return domains, components


def _priority_key(barriers: list[Barrier]) -> tuple[int, int, bool]:
    """The TDF guide's importance: frequency, elaboration, conflicting evidence."""
    kinds = {b.kind for b in barriers}
    conflicting = BarrierKind.BOTH in kinds or {BarrierKind.BARRIER, BarrierKind.ENABLER} <= kinds
    return (
        sum(b.frequency or 1 for b in barriers),
        len({b.theme or b.id for b in barriers}),
        conflicting,
    )


class _Planner:
    """Explains the numbers of `_Scores`: routes, links and sources behind every item."""

    def __init__(self, case: Case, ontology: Ontology, profile: Profile, top: int) -> None:
        self.case = case
        self.onto = ontology
        self.profile = profile
        self.top = top
        self.excluded = _exclusions(case, ontology)
        self.index = _index(ontology, profile)
        self.scores = _Scores(case, self.index, self.excluded, explain=True)
        self.loads = self.scores.loads
        self.routes = self.scores.routes

    def components_of(self, barrier: Barrier) -> tuple[str, ...]:
        """Components coded directly plus those its domains map to in this profile."""
        return self.index.components_of(barrier)

    # --- functions ----------------------------------------------------------------------------

    def function_items(self) -> list[RankedItem]:
        items = []
        for function in self.scores.functions.values():
            reasons = {b: self.routes[b][function.id] for b in function.reached}
            items.append(self._item(function.id, function.score, reasons))
        return items

    def _item(
        self, entity_id: str, score: float, reasons: dict[str, _Route], **extra: object
    ) -> RankedItem:
        entity = self.onto[entity_id]
        kinds = self.scores.kinds
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
            path=[barrier, *route.path],
            links=[_link_ref(link) for link in route.links],
            strength=_round(route.strength),
            unverified=any(link.status == Status.UNVERIFIED for link in route.links),
        )

    # --- techniques ---------------------------------------------------------------------------

    def technique_items(
        self, functions: list[RankedItem]
    ) -> tuple[list[RankedItem], dict[str, list[TechniqueScore]]]:
        scores = self.scores
        kinds = scores.kinds
        per_function: dict[str, list[TechniqueScore]] = {}
        for function in functions:
            totals = scores.per_function.get(function.id, {})
            hits = scores.per_function_hits.get(function.id, {})
            ranked = sorted(totals.items(), key=lambda kv: (-_round(kv[1]), sort_key(kv[0])))
            per_function[function.id] = [
                TechniqueScore(
                    id=t,
                    label=self.onto[t].label,
                    rank=0,
                    score=_round(s),
                    barriers=sorted(b for b in hits[t] if kinds[b] != BarrierKind.ENABLER),
                )
                for t, s in ranked
            ]
        # Explanations are costly to build: only for the techniques the plan keeps.
        kept = sorted(scores.technique_scores, key=scores.technique_order)[: self.top]
        items = [
            self._item(
                t,
                scores.technique_scores[t],
                {b: scores.technique_route(t, b) for b in scores.technique_barriers[t]},
                functions=sorted(scores.technique_functions[t], key=sort_key),
            )
            for t in kept
        ]
        return items, per_function

    # --- policies, bundle, priorities -----------------------------------------------------------

    def policy_items(self, functions: list[RankedItem], bundle: set[str]) -> list[RankedItem]:
        items = []
        for policy, (score, links) in self.scores.policies().items():
            reasons: dict[str, _Route] = {}
            for function in functions:
                delivers = links.get(function.id)
                if delivers is None:
                    continue
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
        steps = [
            BundleStep(
                id=function.id,
                label=self.onto[function.id].label,
                adds=adds,
                barriers=function.barriers,
                techniques=per_function.get(function.id, [])[:BUNDLE_TECHNIQUES],
            )
            for function, adds in self.scores.bundle()
        ]
        targets = {
            b.id
            for b in self.case.barriers
            if b.kind != BarrierKind.ENABLER and self.loads[b.id] > 0
        }
        covered = {b for step in steps for b in step.adds}
        return Bundle(functions=steps, covered=sorted(covered), uncovered=sorted(targets - covered))

    def priorities(self) -> Priorities:
        domains, components = self.scores.priority_groups()
        return Priorities(
            domains=self._rank_priorities(domains), components=self._rank_priorities(components)
        )

    def _rank_priorities(self, groups: dict[str, list[Barrier]]) -> list[Priority]:
        rows = [
            (*_priority_key(barriers), entity_id, barriers)
            for entity_id, barriers in groups.items()
        ]
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


def _strongest_entry(entry: tuple[str, Link, float]) -> tuple[float, int, Link]:
    """Order (id, link, evidence) entries strongest first: evidence, status, then the link."""
    return (-entry[2], _ORDER[entry[1].status], entry[1])


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


# --- counting without explaining: the fast path of `combmap aggregate` -------------------------


@dataclass(frozen=True)
class Tally:
    """One item of a case's plan: its score there and how many barriers it addresses."""

    id: str
    score: float
    barriers: int


@dataclass(frozen=True)
class PriorityTally:
    """One TDF domain or COM-B component of a case, counted as the plan's priorities count it."""

    id: str
    frequency: int
    barriers: int
    enablers: int
    conflicting: bool
    load: float


@dataclass(frozen=True)
class Coverage:
    """The numbers of one case's plan without its explanations (what aggregate adds up).

    Scores and counts equal those of `make_plan` for the same case (every technique, not
    only the top ones): both come from the same scoring code.
    """

    case: str
    profile: str
    barriers: int
    enablers: int
    functions: tuple[Tally, ...]
    policies: tuple[Tally, ...]
    techniques: tuple[Tally, ...]
    bundle: tuple[str, ...]
    uncovered: int
    excluded: tuple[str, ...]
    domains: tuple[PriorityTally, ...]
    components: tuple[PriorityTally, ...]


class Scorer:
    """Scores many cases against one ontology, each profile's routes computed once.

    Example:
        >>> from combmap import load_ontology, load_case
        >>> onto = load_ontology()
        >>> scorer = Scorer(onto)
        >>> scorer.coverage(load_case("cases/baxter-2020-cvso.yaml", onto)).functions[0].id
        'if:enablement'
    """

    def __init__(self, ontology: Ontology) -> None:
        self.ontology = ontology

    def coverage(self, case: Case, *, profile: str | None = None) -> Coverage:
        """Count what the plan of `case` addresses, as `make_plan` would score it.

        Raises:
            UnknownIdError: the profile does not exist.
        """
        chosen = self.ontology.profile(profile or case.profile)
        case = replace(case, barriers=tuple(sorted(case.barriers, key=lambda b: b.id)))
        excluded = _exclusions(case, self.ontology)
        scores = _Scores(case, _index(self.ontology, chosen), excluded, explain=False)
        functions = tuple(Tally(f.id, _round(f.score), len(f.barriers)) for f in scores.ranked)
        policies = []
        for policy, (score, links) in scores.policies().items():
            if policy in excluded:
                continue
            addressed = {b for f in scores.ranked if f.id in links for b in f.barriers}
            policies.append(Tally(policy, _round(score), len(addressed)))
        techniques = tuple(
            Tally(t, _round(total), scores.technique_addressed[t])
            for t, total in scores.technique_scores.items()
        )
        bundle = scores.bundle()
        addressed = {b for f in scores.ranked for b in f.barriers}
        domains, components = scores.priority_groups()
        return Coverage(
            case=case.id,
            profile=chosen.name,
            barriers=sum(b.kind != BarrierKind.ENABLER for b in case.barriers),
            enablers=sum(b.kind == BarrierKind.ENABLER for b in case.barriers),
            functions=functions,
            policies=tuple(policies),
            techniques=techniques,
            bundle=tuple(f.id for f, _ in bundle),
            uncovered=sum(
                b.kind != BarrierKind.ENABLER and b.id not in addressed for b in case.barriers
            ),
            excluded=tuple(sorted(excluded, key=sort_key)),
            domains=_priority_tallies(domains),
            components=_priority_tallies(components),
        )


def _priority_tallies(groups: dict[str, list[Barrier]]) -> tuple[PriorityTally, ...]:
    out = []
    for entity_id, barriers in sorted(groups.items(), key=lambda kv: sort_key(kv[0])):
        frequency, _, conflicting = _priority_key(barriers)
        out.append(
            PriorityTally(
                id=entity_id,
                frequency=frequency,
                barriers=sum(b.kind != BarrierKind.ENABLER for b in barriers),
                enablers=sum(b.kind != BarrierKind.BARRIER for b in barriers),
                conflicting=conflicting,
                load=_round(sum(b.load for b in barriers)),
            )
        )
    return tuple(out)
