"""From a validated case to an intervention plan, the BCW way (docs/method.md).

* `chains`: per-barrier chains, barrier → domains → components → functions → techniques;
* `selection`: what the case's APEASE judgements leave in;
* `planner`: ranking by the load of barriers addressed, drafted interventions, robustness;
* `models`: the plan as data (JSON schema `combmap.plan/3`); `rules`: the rules it states.

`Scorer` is aggregate's fast path: the same numbers without the explanations.
"""

from __future__ import annotations

from dataclasses import dataclass

from combmap.case import Case
from combmap.ontology import Ontology, sort_key
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
from combmap.plan.planner import (
    PER_BARRIER,
    Outcome,
    conflicting,
    make_plan,
    outcome,
    priority_groups,
    unaddressed,
)
from combmap.schema import BarrierKind

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
    only the top ones): both come from the same `Outcome`.
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


class Scorer:
    """Scores many cases against one ontology, each profile's chains computed once per coding.

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
        result = outcome(case, self.ontology, profile=profile, explain=False)
        barriers = result.case.barriers
        return Coverage(
            case=case.id,
            profile=result.index.profile.name,
            barriers=sum(b.kind != BarrierKind.ENABLER for b in barriers),
            enablers=sum(b.kind == BarrierKind.ENABLER for b in barriers),
            functions=tuple(Tally(f.id, round(f.score, 6), len(f.barriers)) for f in result.functions),
            policies=tuple(Tally(p.id, round(p.score, 6), len(p.barriers)) for p in result.policies),
            techniques=tuple(
                Tally(t.id, round(t.score, 6), len(t.barriers)) for t in result.techniques
            ),
            selected=tuple(result.selected),
            uncovered=len(unaddressed(result)),
            excluded=tuple(result.chosen.excluded),
            domains=_tallies(result, domains=True),
            components=_tallies(result, domains=False),
        )


def _tallies(result: Outcome, *, domains: bool) -> tuple[PriorityTally, ...]:
    groups = priority_groups(result)[0 if domains else 1]
    out = []
    for entity_id, members in sorted(groups.items(), key=lambda kv: sort_key(kv[0])):
        frequency = barriers = enablers = 0
        load = 0.0
        for member in members:  # one pass: what `priority_key` and a plan's Priority count
            frequency += member.frequency or 1
            barriers += member.kind != BarrierKind.ENABLER
            enablers += member.kind != BarrierKind.BARRIER
            load += member.load
        out.append(
            PriorityTally(
                id=entity_id,
                frequency=frequency,
                barriers=barriers,
                enablers=enablers,
                conflicting=conflicting({b.kind for b in members}),
                load=round(load, 6),
            )
        )
    return tuple(out)
