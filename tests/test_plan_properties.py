"""Hypothesis properties of the planner, over the shipped ontology and the tiny one."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from combmap import Case, Ontology, load_ontology, make_plan
from combmap.case import Barrier
from combmap.schema import BarrierKind, BehaviourModel, CaseInfoModel, Kind

from .conftest import TINY

ONTOLOGIES = {"shipped": load_ontology(), "tiny": load_ontology(base=TINY)}


def _codes(onto: Ontology) -> tuple[list[str], list[str]]:
    domains = [e.id for e in onto.of_kind(Kind.DOMAIN)]
    components = [e.id for e in onto.of_kind(Kind.COMPONENT) if e.parent]
    return domains, components


@st.composite
def barriers(draw: st.DrawFn, onto: Ontology, index: int) -> Barrier:
    domains, components = _codes(onto)
    tdf = draw(st.lists(st.sampled_from(domains), max_size=2, unique=True))
    comb = draw(
        st.lists(st.sampled_from(components), min_size=0 if tdf else 1, max_size=2, unique=True)
    )
    return Barrier(
        id=f"b{index:03d}",
        text=draw(st.text(min_size=1, max_size=30)),
        kind=draw(st.sampled_from(list(BarrierKind))),
        domains=tuple(sorted(tdf)),
        components=tuple(sorted(comb)),
        weight=draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])),
        frequency=draw(st.none() | st.integers(1, 20)),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[Ontology, Case]:
    onto = ONTOLOGIES[draw(st.sampled_from(sorted(ONTOLOGIES)))]
    count = draw(st.integers(1, 12))
    items = tuple(draw(barriers(onto, i)) for i in range(count))
    case = Case(
        info=CaseInfoModel(id="generated", title="Generated case"),
        behaviour=BehaviourModel(target="A behaviour"),
        groups=(),
        barriers=tuple(sorted(items, key=lambda b: b.id)),
        enabler_weight=draw(st.sampled_from([0.0, 0.5])),
    )
    return onto, case


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(cases())
def test_same_input_same_bytes(pair: tuple[Ontology, Case]) -> None:
    onto, case = pair
    assert make_plan(case, onto).to_json() == make_plan(case, onto).to_json()


@FAST
@given(cases(), st.randoms())
def test_barrier_order_does_not_matter(pair: tuple[Ontology, Case], rnd: object) -> None:
    onto, case = pair
    shuffled = list(case.barriers)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    other = dataclasses.replace(case, barriers=tuple(shuffled))
    assert make_plan(other, onto).to_json() == make_plan(case, onto).to_json()


@FAST
@given(cases(), st.data())
def test_adding_a_barrier_never_lowers_a_function_score(
    pair: tuple[Ontology, Case], data: st.DataObject
) -> None:
    onto, case = pair
    extra = data.draw(barriers(onto, 999))
    bigger = dataclasses.replace(case, barriers=(*case.barriers, extra))
    before = {f.id: f.score for f in make_plan(case, onto).functions}
    after = {f.id: f.score for f in make_plan(bigger, onto).functions}
    for function, score in before.items():
        assert after[function] >= score


@FAST
@given(cases())
def test_every_recommendation_traces_to_a_barrier(pair: tuple[Ontology, Case]) -> None:
    onto, case = pair
    plan = make_plan(case, onto)
    ids = {b.id for b in case.barriers}
    for item in (*plan.functions, *plan.policies, *plan.techniques):
        assert item.barriers or item.enablers
        assert item.why
        for reason in item.why:
            assert reason.barrier in ids
            assert reason.path[0] == reason.barrier
            assert reason.path[-1] == item.id
            assert reason.links
    for step in plan.bundle.functions:
        assert step.adds


@FAST
@given(cases())
def test_scores_never_increase_down_a_ranking(pair: tuple[Ontology, Case]) -> None:
    onto, case = pair
    plan = make_plan(case, onto)
    for ranking in (plan.functions, plan.policies, plan.techniques):
        scores = [item.score for item in ranking]
        assert scores == sorted(scores, reverse=True)
        ranks = [item.rank for item in ranking]
        assert ranks == sorted(ranks)
    for function in plan.functions:
        scores = [t.score for t in function.techniques]
        assert scores == sorted(scores, reverse=True)


@FAST
@given(cases())
def test_bundle_covers_every_barrier_some_function_addresses(pair: tuple[Ontology, Case]) -> None:
    onto, case = pair
    plan = make_plan(case, onto)
    addressable = {b for f in plan.functions for b in f.barriers}
    loaded = {b.id for b in plan.barriers if b.kind != "enabler" and b.load > 0}
    assert set(plan.bundle.covered) == addressable & loaded
    assert len({s.id for s in plan.bundle.functions}) == len(plan.bundle.functions)
