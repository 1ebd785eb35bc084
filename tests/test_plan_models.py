"""The plan's writer builds its models without validating them, and writes their JSON itself.

Both save pydantic's first-use build of the plan's models at start-up (issue 14). What
validation would have checked is checked here instead: validating a plan's own JSON gives the
same values of the same types (`repr` tells 1 from 1.0 and a str from a StrEnum); and the JSON
is pydantic's, byte for byte.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given

from combmap import Case, Ontology, load_case, make_plan
from combmap.plan import Plan
from combmap.plan.models import COMPACT_ABOVE

from .conftest import CASES, DATA
from .test_plan_properties import FAST, cases

PLANNED = [*sorted(CASES.glob("*.yaml")), DATA / "cases" / "two-actors.yaml"]


def _validated_alike(plan: Plan) -> None:
    again = Plan.model_validate_json(plan.to_json())
    assert repr(again) == repr(plan)
    for chain in plan.barriers:
        assert chain.parts is plan.chains[chain.chain]


@pytest.mark.parametrize("case_file", PLANNED, ids=[p.stem for p in PLANNED])
def test_a_case_files_plan_is_what_validation_builds(case_file: Path, onto: Ontology) -> None:
    _validated_alike(make_plan(load_case(case_file, onto), onto))


@FAST
@given(cases())
def test_a_generated_plan_is_what_validation_builds(pair: tuple[Ontology, Case]) -> None:
    onto, case = pair
    _validated_alike(make_plan(case, onto))


@pytest.mark.parametrize("case_file", PLANNED, ids=[p.stem for p in PLANNED])
def test_the_plans_json_is_pydantics_byte_for_byte(case_file: Path, onto: Ontology) -> None:
    plan = make_plan(load_case(case_file, onto), onto)
    assert plan.to_json() == plan.model_dump_json(by_alias=True, indent=2) + "\n"
    assert plan.to_data() == plan.model_dump(mode="json", by_alias=True)


@FAST
@given(cases())
def test_a_generated_plans_json_is_pydantics_byte_for_byte(pair: tuple[Ontology, Case]) -> None:
    onto, case = pair
    plan = make_plan(case, onto)
    assert plan.to_json() == plan.model_dump_json(by_alias=True, indent=2) + "\n"


def test_a_large_plans_compact_json_is_pydantics(onto: Ontology) -> None:
    case = load_case(CASES / "baxter-2020-cvso.yaml", onto)
    many = tuple(
        dataclasses.replace(b, id=f"{b.id}-{n}") for n in range(13) for b in case.barriers
    )
    assert len(many) > COMPACT_ABOVE
    plan = make_plan(dataclasses.replace(case, barriers=many), onto)
    assert plan.to_json() == plan.model_dump_json(by_alias=True) + "\n"
