"""Per-barrier chains: a barrier's codes → COM-B components → candidate functions → techniques.

This is the core of the method (docs/method.md, "Per-barrier chains"). Everything here depends
only on a barrier's codes and the profile's links, so it is worked out once per distinct
coding and reused: a plan costs one pass over the barriers.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import NamedTuple

from combmap.case import Barrier
from combmap.ontology import Link, Ontology, Profile, sort_key
from combmap.schema import Relation, Status

#: The guide's grades of a function → technique link, best first, then CACTIS's suggestion for
#: a COM-B target, then "linked only to the barrier's domains". Lower tier sorts first.
TIERS = {"most-frequent": 0, "less-frequent": 1, "listed": 2, "cactis": 3, None: 4}
#: Domain → technique grades that count as evidence for, and those that count against.
POSITIVE = frozenset({"link", "literature-link", None})
NEGATIVE = frozenset({"non-link"})
#: A domain → technique link whose source technique maps to the BCT only uncertainly.
UNCERTAIN = "uncertain"

#: Codings whose whole chains (about 20 KB each), and whose reaches (about 3 KB each), an
#: index keeps before it forgets everything it worked out (`Index._bound`): flat memory.
SKELETONS_KEPT = 10_000
REACHED_KEPT = 50_000

PHYSICAL = "comb:physical-capability"
PSYCHOLOGICAL = "comb:psychological-capability"
SKILLS = "tdf:skills"


@dataclass(frozen=True, slots=True)
class Coding:
    """What a chain depends on: the barrier's codes (and which Skills it means)."""

    domains: tuple[str, ...]
    components: tuple[str, ...]
    skills: str | None

    @classmethod
    def of(cls, barrier: Barrier) -> Coding:
        """The coding of a barrier."""
        return cls(barrier.domains, barrier.components, barrier.skills)


@dataclass(frozen=True, slots=True)
class Path:
    """A route to a function: via a TDF code or an uncovered COM-B code, and its link."""

    via: str
    code: str
    link: Link


_tuple_new = tuple.__new__


class Offer(NamedTuple):
    """A technique under a function for one coding, with what orders it.

    A named tuple, not a frozen dataclass: a large case makes hundreds of thousands, and a
    tuple is built three times faster.
    """

    technique: str
    grade: str | None
    lineages: tuple[str, ...]
    domains: tuple[str, ...]
    links: tuple[Link, ...]
    #: The order under a function: evidence for this barrier, then the list, then the code.
    #: Evidence is read as how many of the barrier's own domains the technique is linked to,
    #: then how many independent sources link it; then the guide's list for the function (most
    #: frequently used first); then the BCTTv1 code.
    key: tuple[object, ...]

    @classmethod
    def of(
        cls,
        technique: str,
        grade: str | None,
        lineages: tuple[str, ...],
        domains: tuple[str, ...],
        links: tuple[Link, ...],
    ) -> Offer:
        """An offer, with its `key`."""
        order = (-len(domains), -len(lineages), TIERS[grade], sort_key(technique))
        # tuple.__new__ directly: the named tuple's own __new__ is one more Python call, on
        # the path that builds every offer of every coding seen for the first time.
        return _tuple_new(cls, (technique, grade, lineages, domains, links, order))

    @property
    def evidence(self) -> int:
        """Independent sources linking it to the barrier's domains."""
        return len(self.lineages)


@dataclass(frozen=True, slots=True)
class Skeleton:
    """A coding's chain before APEASE: components, candidate functions and their techniques."""

    components: tuple[str, ...]
    notes: tuple[str, ...]
    routes: dict[str, tuple[Path, ...]]
    offers: dict[str, tuple[Offer, ...]]
    withheld: dict[str, tuple[tuple[str, str], ...]]
    domain_only: tuple[Offer, ...]
    #: Per technique, the candidate functions whose guide list (or CACTIS) holds it.
    homes: dict[str, frozenset[str]]

    def placed(self, function: str, allowed: Callable[[str], bool]) -> list[Offer]:
        """The offers under a function once APEASE has spoken.

        A technique reached only through the barrier's domain (grade None) stays under a
        function only while no selected candidate function lists it: the guide's list of the
        function it belongs to is where it is offered, not every function its domain reaches.
        """
        return [
            o
            for o in self.offers[function]
            if allowed(o.technique)
            and (o.grade is not None or not any(allowed(f) for f in self.homes.get(o.technique, ())))
        ]


@dataclass(frozen=True, slots=True)
class Reach:
    """What a barrier of one coding adds to a case's numbers under a selection (`Scorer`).

    Worked out once per coding and selection: the functions left in; each recommended
    technique with whether any evidence links it (the techniques a plan recommends for such a
    barrier; which of two equal offers of one technique is kept does not matter here); the
    policy categories its functions lead to, left in; and its COM-B components.
    """

    functions: tuple[str, ...]
    techniques: tuple[tuple[str, bool], ...]
    policies: tuple[str, ...]
    components: tuple[str, ...]


class Index:
    """A profile's links arranged for chains, optionally without some links (robustness)."""

    def __init__(
        self,
        ontology: Ontology,
        profile: Profile,
        keep: Callable[[Link], bool] | None = None,
    ) -> None:
        self.ontology = ontology
        self.profile = profile
        links = [link for link in profile.links if keep is None or keep(link)]
        #: Each link's place in the links' own order (Link.__lt__), by object: the ontology
        #: refuses two equal links, so sorting by object is sorting by value.
        self._order = {id(link): n for n, link in enumerate(sorted(links, key=Link._key))}
        by: dict[Relation, dict[str, list[Link]]] = defaultdict(lambda: defaultdict(list))
        self.cactis: dict[tuple[str, str], list[Link]] = defaultdict(list)
        for link in links:
            if link.relation == Relation.COMPONENT_TECHNIQUE:
                if link.via:
                    self.cactis[(link.source, link.via)].append(link)
                continue
            by[link.relation][link.source].append(link)
        self.by = by
        self.function_lists: dict[str, dict[str, list[Link]]] = defaultdict(lambda: defaultdict(list))
        for function, out in by[Relation.FUNCTION_TECHNIQUE].items():
            for link in out:
                self.function_lists[function][link.target].append(link)
        self._cache: dict[Coding, Skeleton] = {}
        self._listed: dict[str, dict[str, Offer]] = {}
        self._evidence: dict[tuple[str, ...], dict[str, _Evidence]] = {}
        self._suggestions: dict[tuple[str, tuple[str, ...]], _Grades] = {}
        self._bases: dict[Coding, tuple[tuple[str, ...], dict[str, tuple[Offer, ...]]]] = {}
        self._entries: dict[tuple[tuple[int, ...], tuple[int, ...]], _Evidence] = {}
        self._offers_made: dict[
            tuple[str, str | None, int, int], tuple[Offer, tuple[Link, ...], _Evidence]
        ] = {}
        self._offered: dict[
            tuple[str, tuple[str, ...], frozenset[str], tuple[str, ...]],
            tuple[tuple[Offer, ...], tuple[tuple[str, str], ...]],
        ] = {}

    def out(self, relation: Relation, source: str) -> list[Link]:
        """Links of a relation leaving an entity."""
        return self.by[relation].get(source, [])

    def sort_links(self, links: list[Link]) -> tuple[Link, ...]:
        """Links in their own order (callers never hold one link twice)."""
        if len(links) < 2:
            return tuple(links)
        order = self._order
        return tuple(sorted(links, key=lambda link: order[id(link)]))

    def lineages(self, link: Link) -> tuple[str, ...]:
        """The independent evidence bases a link's set derives from."""
        return link.lineage or (link.ref,)

    def skeleton(self, coding: Coding) -> Skeleton:
        """The chain of a coding, computed once."""
        found = self._cache.get(coding)
        if found is None:
            self._bound()
            found = self._cache[coding] = self._build(coding)
        return found

    def _bound(self) -> None:
        """Forget every chain worked out once SKELETONS_KEPT or REACHED_KEPT are kept.

        A long process meets ever new codings; the caches are emptied together, so none of
        them names (by id) an object another one has dropped.
        """
        if len(self._cache) < SKELETONS_KEPT and len(self._bases) < REACHED_KEPT:
            return
        self._cache.clear()
        self._bases.clear()
        self._listed.clear()
        self._evidence.clear()
        self._suggestions.clear()
        self._entries.clear()
        self._offers_made.clear()
        self._offered.clear()

    def reach(self, coding: Coding, excluded: frozenset[str], per_barrier: int) -> Reach:
        """What a coding reaches with some options excluded (`Scorer` keeps each one).

        The functions and offers of the coding's chain (`skeleton`), without building the
        rest of it (routes, withheld techniques, notes): only those are kept (`_reached`).
        """
        components, by_function = self._reached(coding)
        functions = tuple(f for f in by_function if f not in excluded)
        offers: list[Iterable[Offer]] = [by_function[f] for f in functions]
        if excluded:  # filtered lazily: `best` reads only the first few of each
            offers = [(o for o in found if o.technique not in excluded) for found in offers]
        policies = {
            link.target: None
            for f in functions
            for link in self.out(Relation.FUNCTION_POLICY, f)
            if link.target not in excluded
        }
        return Reach(
            functions,
            tuple((o.technique, o.evidence > 0) for o in best(offers, per_barrier)),
            tuple(policies),
            components,
        )

    def _reached(self, coding: Coding) -> tuple[tuple[str, ...], dict[str, tuple[Offer, ...]]]:
        """A coding's components and, per candidate function in the order found, its offers.

        Kept per coding: one coding comes again under other selections (`reach`).
        """
        found = self._bases.get(coding)
        if found is None:
            self._bound()
            components, _, routes = self._routes(coding)
            evidence = self._domain_evidence(coding.domains)
            offers = {
                f: self._offers(f, coding.domains, components, evidence, _tdf(paths))[0]
                for f, paths in routes.items()
            }
            found = self._bases[coding] = (components, offers)
        return found

    # --- components ----------------------------------------------------------------------------

    def components(self, coding: Coding) -> tuple[tuple[str, ...], tuple[str, ...], set[str]]:
        """Components (coded and through domains), notes on rules applied, those domains cover."""
        covered: set[str] = set()
        notes: list[str] = []
        for domain in coding.domains:
            targets = [link.target for link in self.out(Relation.DOMAIN_COMPONENT, domain)]
            if domain == SKILLS:
                targets, note = _skills(coding, targets)
                notes.append(note)
            covered.update(targets)
        return tuple(sorted(covered | set(coding.components))), tuple(notes), covered

    # --- the chain -------------------------------------------------------------------------------

    def _routes(
        self, coding: Coding
    ) -> tuple[tuple[str, ...], list[str], dict[str, list[tuple[str, str, Link]]]]:
        """Components, notes, and each candidate function's routes: (via, code, link).

        Functions come in the order found, which is the order a coding's functions keep.
        """
        components, skills_notes, covered = self.components(coding)
        notes = list(skills_notes)
        routes: dict[str, list[tuple[str, str, Link]]] = defaultdict(list)
        for domain in coding.domains:
            for link in self.out(Relation.DOMAIN_FUNCTION, domain):
                routes[link.target].append(("tdf", domain, link))
        uncovered = [c for c in coding.components if c not in covered]
        # A domain without a TDF → function row (e.g. a profile without that table) falls back
        # to its COM-B rows, so a TDF-coded barrier is never left with nothing to offer.
        rowless = [d for d in coding.domains if not self.out(Relation.DOMAIN_FUNCTION, d)]
        fallback = sorted(
            {
                link.target
                for d in rowless
                for link in self.out(Relation.DOMAIN_COMPONENT, d)
                if d != SKILLS or link.target in covered
            }
            - set(uncovered)
        )
        for component in [*uncovered, *fallback]:
            for link in self.out(Relation.COMPONENT_FUNCTION, component):
                routes[link.target].append(("comb", component, link))
        if fallback:
            notes.append(
                "no TDF → function row in this profile for "
                + ", ".join(self.ontology[d].label for d in rowless)
                + ": its COM-B components' functions are used"
            )
        return components, notes, routes

    def _build(self, coding: Coding) -> Skeleton:
        components, notes, found_routes = self._routes(coding)
        routes = {f: [Path(*route) for route in rs] for f, rs in found_routes.items()}
        evidence = self._domain_evidence(coding.domains)
        offers: dict[str, tuple[Offer, ...]] = {}
        withheld: dict[str, tuple[tuple[str, str], ...]] = {}
        listed_anywhere: set[str] = set()
        for function in sorted(routes, key=sort_key):
            found, held = self._offers(
                function, coding.domains, components, evidence, _tdf(found_routes[function])
            )
            offers[function] = found
            withheld[function] = held
            listed_anywhere.update(o.technique for o in found)
            listed_anywhere.update(t for t, _ in held)
        homes: dict[str, set[str]] = defaultdict(set)
        for function, found in offers.items():
            for offer in found:
                if offer.grade is not None:
                    homes[offer.technique].add(function)
        domain_only = tuple(
            sorted(
                (
                    Offer.of(t, None, lineages, doms, links)
                    for t, (lineages, doms, links, _) in evidence.items()
                    if lineages and t not in listed_anywhere
                ),
                key=offer_order,
            )
        )
        return Skeleton(
            components=components,
            notes=tuple(notes),
            routes={f: tuple(sorted(p, key=_path_key)) for f, p in routes.items()},
            offers=offers,
            withheld=withheld,
            domain_only=domain_only,
            homes={t: frozenset(f) for t, f in homes.items()},
        )

    def _domain_evidence(self, domains: tuple[str, ...]) -> dict[str, _Evidence]:
        """Per technique: independent lineages for, domains, positive links, and links against.

        Computed once per tuple of domains: many codings share their domains.
        """
        found = self._evidence.get(domains)
        if found is not None:
            return found
        positive: dict[str, list[Link]] = defaultdict(list)
        negative: dict[str, list[Link]] = defaultdict(list)
        for domain in domains:
            for link in self.out(Relation.DOMAIN_TECHNIQUE, domain):
                # A source technique mapped to this BCT with an uncertain code is not evidence
                # that the source meant this BCT (combmap's rule; the link is still shown).
                if link.mapping == UNCERTAIN:
                    continue
                if link.grade in POSITIVE:
                    positive[link.target].append(link)
                elif link.grade in NEGATIVE:
                    negative[link.target].append(link)
        out = {}
        for technique in sorted({*positive, *negative}, key=sort_key):
            links = self.sort_links(positive.get(technique, []))
            against = self.sort_links(negative.get(technique, []))
            # The same links make the same evidence whatever the coding's other domains: one
            # entry for all of them, so the offers made from it are made once (`_offer`).
            # Links are the ontology's own objects, alive as long as this index.
            key = (tuple(map(id, links)), tuple(map(id, against)))
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = (
                    _independent(self.lineages(link) for link in links),
                    tuple(sorted({link.source for link in links}, key=sort_key)),
                    links,
                    against,
                )
            out[technique] = entry
        self._evidence[domains] = out
        return out

    def listed(self, function: str) -> dict[str, Offer]:
        """The guide's techniques for a function as offers without domain evidence, once each."""
        found = self._listed.get(function)
        if found is None:
            found = self._listed[function] = {}
            for technique, links in self.function_lists.get(function, {}).items():
                best = min((link.grade or "listed" for link in links), key=lambda g: TIERS.get(g, 2))
                found[technique] = Offer.of(technique, best, (), (), self.sort_links(links))
        return found

    def _offers(
        self,
        function: str,
        domains: tuple[str, ...],
        components: tuple[str, ...],
        evidence: dict[str, _Evidence],
        tdf_domains: frozenset[str],
    ) -> tuple[tuple[Offer, ...], tuple[tuple[str, str], ...]]:
        """Techniques under a function for a coding, and those withheld with the reason.

        They depend only on the function, the coding's domains, those through which it reaches
        the function, and its components with a CACTIS suggestion under the function: many
        codings share these, so each is worked out once. A technique of the guide's list with
        no domain evidence and no CACTIS link is offered as listed (`listed`).
        """
        suggesting = tuple(c for c in components if (c, function) in self.cactis)
        key = (function, domains, tdf_domains, suggesting)
        found = self._offered.get(key)
        if found is None:
            found = self._offered[key] = self._work_out(function, suggesting, evidence, tdf_domains)
        return found

    def _suggested(self, function: str, components: tuple[str, ...]) -> _Grades:
        """Techniques CACTIS suggests under a function for some components, graded and linked.

        Listed ones keep the guide's grade, with both sets of links; the others are graded
        "cactis". The same few (function, components) pairs come for every coding, so each
        is worked out once.
        """
        key = (function, components)
        found = self._suggestions.get(key)
        if found is not None:
            return found
        listed = self.listed(function)
        cactis: dict[str, list[Link]] = {}
        for component in components:
            for link in self.cactis[(component, function)]:
                cactis.setdefault(link.target, []).append(link)
        found = self._suggestions[key] = {}
        for technique, more in cactis.items():
            plain = listed.get(technique)
            if plain is None:
                found[technique] = ("cactis", self.sort_links(more))
            else:
                found[technique] = (plain.grade, self.sort_links([*plain.links, *more]))
        return found

    def _offer(
        self, technique: str, grade: str | None, links: tuple[Link, ...], entry: _Evidence
    ) -> Offer:
        """A technique's offer with a grade and its links, and its evidence for a coding.

        Made once: the offers of all codings are a few thousand distinct ones, each made for
        dozens of (function, domains) pairs. `links` and `entry` are named by their ids, and
        kept alive with the offer, so an id cannot come back as another object's.
        """
        key = (technique, grade, id(links), id(entry))
        found = self._offers_made.get(key)
        if found is None:
            lineages, domains, for_links, _ = entry
            offer = Offer.of(technique, grade, lineages, domains, (*links, *for_links))
            found = self._offers_made[key] = (offer, links, entry)
        return found[0]

    def _work_out(
        self,
        function: str,
        components: tuple[str, ...],
        evidence: dict[str, _Evidence],
        tdf_domains: frozenset[str],
    ) -> tuple[tuple[Offer, ...], tuple[tuple[str, str], ...]]:
        listed = self.listed(function)
        # Order does not matter until the end: offers and held techniques are sorted there by
        # keys that differ for every technique.
        grades = dict(self._suggested(function, components))
        for technique in listed.keys() & evidence.keys():
            if technique not in grades:
                plain = listed[technique]
                grades[technique] = (plain.grade, plain.links)
        offers = [plain for t, plain in listed.items() if t not in grades]
        # Techniques linked to a domain through which this function was reached are offered
        # under it even when the guide's list for the function does not hold them.
        for technique in evidence.keys() - listed.keys() - grades.keys():
            lineages, doms, _, _ = evidence[technique]
            if lineages and not tdf_domains.isdisjoint(doms):
                offers.append(self._offer(technique, None, (), evidence[technique]))
        held = []
        for technique, (grade, links) in grades.items():
            entry = evidence.get(technique, _NO_EVIDENCE)
            if not entry[0] and entry[3]:
                held.append((technique, _against(entry[3], self)))
                continue
            offers.append(self._offer(technique, grade, links, entry))
        offers.sort(key=offer_order)
        held.sort(key=lambda h: sort_key(h[0]))
        return tuple(offers), tuple(held)


#: Techniques by id, each with its grade under a function and the links that grade it.
_Grades = dict[str, tuple[str | None, tuple[Link, ...]]]
#: A technique's evidence for a coding's domains: independent lineages for, the domains
#: linking it, the links for, and the links against.
_Evidence = tuple[tuple[str, ...], tuple[str, ...], tuple[Link, ...], tuple[Link, ...]]
_NO_EVIDENCE: _Evidence = ((), (), (), ())


def best(by_function: Iterable[Iterable[Offer]], per_barrier: int) -> list[Offer]:
    """A barrier's recommended techniques: each technique's best offer (the first of equals).

    Each function's offers are in order and name each technique once, so the best offer of
    each of the first `per_barrier` techniques is among the first `per_barrier` offers of its
    function (a later one would have that many different techniques before it). Only those
    heads are sorted: a coding's functions hold about 170 offers. The sort is stable, so of
    two equal offers of one technique the earlier function's comes first.
    """
    if per_barrier <= 0:
        return []
    heads = [offer for offers in by_function for offer in islice(offers, per_barrier)]
    heads.sort(key=offer_order)
    chosen: list[Offer] = []
    seen: set[str] = set()
    for offer in heads:
        if offer.technique not in seen:
            seen.add(offer.technique)
            chosen.append(offer)
            if len(chosen) == per_barrier:
                break
    return chosen


#: Sort key of offers: their `key` (evidence, list, code). An attrgetter, called from C: the
#: sorts and merges of offers call it for every offer.
offer_order: Callable[[Offer], tuple[object, ...]] = operator.attrgetter("key")


def _skills(coding: Coding, targets: list[str]) -> tuple[list[str], str]:
    """Skills means physical or psychological capability by the barrier's code or construct."""
    coded = [c for c in coding.components if c in (PHYSICAL, PSYCHOLOGICAL)]
    if coded:
        return [c for c in targets if c in coded] or coded, (
            "Skills read as " + " and ".join(_CAPABILITY[c] for c in coded) + " (the barrier's COM-B code)"
        )
    if coding.skills == "physical":
        return [PHYSICAL], "Skills read as physical capability (coded as physical skills)"
    if coding.skills == "cognitive":
        return [PSYCHOLOGICAL], (
            "Skills read as psychological capability (coded as cognitive and interpersonal skills)"
        )
    return [PSYCHOLOGICAL], (
        "Skills read as psychological capability (cognitive and interpersonal skills): combmap's "
        "default when neither a COM-B code nor the construct says which; code "
        "physical-capability for physical skills"
    )


_CAPABILITY = {PHYSICAL: "physical capability", PSYCHOLOGICAL: "psychological capability"}


def _independent(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """Count overlapping sources once.

    A set derived from several lineages counts only when none of them is already counted, and
    then as one.
    """
    singles: set[str] = set()
    multiples: list[tuple[str, ...]] = []
    for group in groups:
        if len(group) == 1:
            singles.add(group[0])
        elif group:
            multiples.append(tuple(sorted(group)))
    counted = sorted(singles)
    seen = set(singles)
    for group in sorted(set(multiples)):
        if seen.isdisjoint(group):
            counted.append("+".join(group))
            seen.update(group)
    return tuple(counted)


def _against(links: tuple[Link, ...], index: Index) -> str:
    parts = sorted(
        {
            f"{'TaTT' if 'tatt' in index.lineages(link) else link.ref} finds no link between "
            f"{index.ontology[link.source].label} and this technique"
            for link in links
        }
    )
    return "; ".join(parts)


def _tdf(routes: list[tuple[str, str, Link]]) -> frozenset[str]:
    """The TDF domains through which a coding reaches a function."""
    return frozenset(code for via, code, _ in routes if via == "tdf")


def _path_key(path: Path) -> tuple[object, ...]:
    return (path.via != "tdf", sort_key(path.code), path.link)


def unverified(links: Iterable[Link]) -> bool:
    """True when one of the links is unverified."""
    return any(link.status == Status.UNVERIFIED for link in links)

