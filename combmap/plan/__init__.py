"""From a validated case to an intervention plan, the BCW way (docs/method.md).

* `chains`: per-barrier chains, barrier → domains → components → functions → techniques;
* `selection`: what the case's APEASE judgements leave in;
* `planner`: ranking by the load of barriers addressed, drafted interventions, robustness;
* `models`: the plan as data (JSON schema `combmap.plan/3`); `rules`: the rules it states.

`Scorer` is aggregate's fast path: the same numbers without the explanations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from combmap.case import Barrier, Case
from combmap.ontology import Ontology, sort_key
from combmap.plan.chains import Coding, Index, Reach
from combmap.plan.models import (
    PLAN_SCHEMA,
    Chain,
    ChainFunction,
    ChainParts,
    ChainTechnique,
    Excluded,
    Intervention,
    LinkRef,
    Plan,
    Priorities,
    Priority,
    RankedFunction,
    RankedPolicy,
    RankedTechnique,
    Robustness,
    Rule,
)
from combmap.plan.planner import PER_BARRIER, _wheel, conflicting, index_for, make_plan
from combmap.plan.selection import selection
from combmap.schema import BarrierKind, Relation

__all__ = [
    "PER_BARRIER",
    "PLAN_SCHEMA",
    "Chain",
    "ChainFunction",
    "ChainParts",
    "ChainTechnique",
    "Coverage",
    "Excluded",
    "Intervention",
    "LinkRef",
    "Plan",
    "Priorities",
    "Priority",
    "PriorityTally",
    "RankedFunction",
    "RankedPolicy",
    "RankedTechnique",
    "Robustness",
    "Rule",
    "Scorer",
    "Tally",
    "make_plan",
]


class Tally(NamedTuple):
    """One item of a case's plan: its score there and how many barriers it addresses.

    A named tuple: a case makes a hundred or so, and a frozen dataclass is slower to build.
    """

    id: str
    score: float
    barriers: int


class PriorityTally(NamedTuple):
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

    Scores, counts and orders equal those of `make_plan` for the same case (every technique,
    not only the top ones): tests/test_plan_properties.py checks them on random cases.
    """

    case: str
    profile: str
    barriers: int
    enablers: int
    functions: tuple[Tally, ...]
    policies: tuple[Tally, ...]
    techniques: tuple[Tally, ...]
    selected: tuple[str, ...]
    uncovered: int
    excluded: tuple[str, ...]
    domains: tuple[PriorityTally, ...]
    components: tuple[PriorityTally, ...]


_Codes = tuple[tuple[str, ...], tuple[str, ...], str | None]


#: Codings × selections whose `Reach` a Scorer keeps before it empties its memo (flat memory).
REACH_KEPT = 50_000


class Scorer:
    """Scores many cases against one ontology, each profile's chains computed once per coding.

    What a coding adds to a case (functions, techniques, policy categories, components) is
    worked out once per selection (`Index.reach`), so a case costs a few dictionary additions
    per barrier: the numbers of the plan's `Outcome`, added in the same order (the same
    floating-point sums), without its per-barrier lists.

    Example:
        >>> from combmap import load_ontology, load_case
        >>> onto = load_ontology()
        >>> scorer = Scorer(onto)
        >>> scorer.coverage(load_case("cases/baxter-2020-cvso.yaml", onto)).functions[0].id
        'if:enablement'
    """

    def __init__(self, ontology: Ontology) -> None:
        self.ontology = ontology
        #: Per index and excluded options, each coding's `Reach` by its codes: plain tuples
        #: hash and compare faster than `Coding`s. Emptied past REACH_KEPT (flat memory).
        self._reach: dict[tuple[Index, frozenset[str]], dict[_Codes, Reach]] = {}
        self._kept = 0

    def coverage(self, case: Case, *, profile: str | None = None) -> Coverage:
        """Count what the plan of `case` addresses, as `make_plan` would score it.

        Raises:
            UnknownIdError: the profile does not exist.
        """
        index = index_for(self.ontology, self.ontology.profile(profile or case.profile))
        chosen = selection(case, self.ontology)
        excluded = frozenset(chosen.excluded)
        memo = self._reach.get((index, excluded))
        if memo is None:
            memo = self._reach[(index, excluded)] = {}
        enabler_weight = case.enabler_weight
        functions: dict[str, list[Any]] = {}  # [load, barriers]
        policies: dict[str, list[Any]] = {}
        techniques: dict[str, list[Any]] = {}  # [load, barriers, with evidence]
        domains: dict[str, list[Any]] = {}  # [frequency, barriers, enablers, load, kinds]
        components: dict[str, list[Any]] = {}
        barriers = enablers = uncovered = 0
        for barrier in sorted(case.barriers, key=_by_id):
            kind = barrier.kind
            if kind == BarrierKind.OUTCOME:
                continue  # outcomes are not determinants: never scored (issue 16)
            codes = (barrier.domains, barrier.components, barrier.skills)
            reach = memo.get(codes)
            if reach is None:
                if self._kept >= REACH_KEPT:
                    self._reach = {(index, excluded): (memo := {})}
                    self._kept = 0
                reach = memo[codes] = index.reach(Coding.of(barrier), excluded, PER_BARRIER)
                self._kept += 1
            enabler = kind == BarrierKind.ENABLER
            counted = 0 if enabler else 1
            enablers += enabler
            barriers += counted
            uncovered += counted and not reach.functions
            own = barrier.load
            load = own * enabler_weight if enabler else own * 1.0
            for table, ids in ((functions, reach.functions), (policies, reach.policies)):
                for item in ids:
                    row = table.get(item)
                    if row is None:
                        table[item] = [0.0 + load, counted]
                    else:
                        row[0] += load
                        row[1] += counted
            for technique, evidence in reach.techniques:
                row = techniques.get(technique)
                if row is None:
                    row = techniques[technique] = [0.0, 0, 0]
                row[0] += load
                if counted:
                    row[1] += 1
                    row[2] += evidence
            frequency = barrier.frequency or 1
            mentions = kind != BarrierKind.BARRIER
            for table, ids in ((domains, barrier.domains), (components, reach.components)):
                for item in ids:
                    row = table.get(item)
                    if row is None:
                        row = table[item] = [0, 0, 0, 0.0, set()]
                    row[0] += frequency
                    row[1] += counted
                    row[2] += mentions
                    row[3] += own
                    row[4].add(kind)
        selected = _ranked(functions, _wheel)
        # The plan lists policy categories as its ranked functions lead to them: the same
        # order here, so that items equal on score and tiebreak keep the plan's order.
        led = {
            link.target: None
            for function in selected
            for link in index.out(Relation.FUNCTION_POLICY, function)
            if link.target in policies
        }
        served = {t: row for t, row in techniques.items() if row[1] or row[0]}
        return Coverage(
            case=case.id,
            profile=index.profile.name,
            barriers=barriers,
            enablers=enablers,
            functions=_tallies(selected, functions),
            policies=_tallies(_ranked({p: policies[p] for p in led}, _wheel), policies),
            techniques=_tallies(
                _ranked(served, lambda t: (-served[t][2], sort_key(t))), techniques
            ),
            selected=tuple(selected),
            uncovered=uncovered,
            excluded=tuple(chosen.excluded),
            domains=_priorities(domains),
            components=_priorities(components),
        )


def _by_id(barrier: Barrier) -> str:
    return barrier.id


def _ranked(
    rows: dict[str, list[Any]], tiebreak: Callable[[str], tuple[object, ...]]
) -> list[str]:
    """Ids as the planner's `_rank` orders them: load, then barriers, then the tiebreak."""
    ids = list(rows)
    keys = [((-round(row[0], 6), -row[1]), tiebreak(item), n) for n, (item, row) in enumerate(rows.items())]
    keys.sort()
    return [ids[n] for _, _, n in keys]


def _tallies(ids: list[str], rows: dict[str, list[Any]]) -> tuple[Tally, ...]:
    return tuple(Tally(item, round(rows[item][0], 6), rows[item][1]) for item in ids)


def _priorities(rows: dict[str, list[Any]]) -> tuple[PriorityTally, ...]:
    """One per domain or component, in id order, as a plan's priorities count them."""
    return tuple(
        PriorityTally(item, row[0], row[1], row[2], conflicting(row[4]), round(row[3], 6))
        for item, row in sorted(rows.items(), key=lambda kv: sort_key(kv[0]))
    )
