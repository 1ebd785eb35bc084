"""The plan's writer builds its models without validating them (issue 14, start-up).

What validation would have checked is checked here instead: validating a plan's own JSON
gives the same values of the same types (`repr` tells 1 from 1.0 and a str from a StrEnum).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given

from combmap import Case, Ontology, load_case, make_plan
from combmap.plan import Plan

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
