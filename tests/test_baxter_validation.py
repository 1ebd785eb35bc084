"""combmap's plan for Baxter & Fancourt (2020) against the paper's Table 2 (docs/validation.md)."""

from __future__ import annotations

import pytest

from combmap import Ontology, load_case, make_plan

from .conftest import CASES

#: Intervention functions used in Table 2.
TABLE_2_FUNCTIONS = {
    "if:enablement",
    "if:environmental-restructuring",
    "if:incentivisation",
    "if:training",
    "if:modelling",
}
#: Table 2's techniques as BCTTv1 codes; where the paper does not say behaviour or outcome,
#: either code counts (docs/validation-coding.md).
TABLE_2_TECHNIQUES = [
    ("3.1",),
    ("12.2",),
    ("12.1",),
    ("10.2",),
    ("4.1",),
    ("6.1",),
    ("8.1",),
    ("2.3",),
    ("1.1", "1.3"),
    ("1.5", "1.7"),
    ("15.1",),
    ("6.3",),
]
#: Recall of Table 2's techniques in the top N of the default profile's ranking, as measured
#: when docs/validation.md was written. A change that lowers them must be argued for there.
#: Issue 11 (technique evidence per domain: Michie 2008, Cane 2015 and Carey 2019 sets added)
#: moved them from 6 and 7 to 5 and 9: 1.2 Problem solving, which Michie 2008 links to several
#: domains, entered the top 10 and pushed 1.1 Goal setting to 12 (see docs/validation.md).
RECALL_FLOOR = {10: 5, 20: 9}


@pytest.fixture(scope="module")
def plan(onto: Ontology):  # type: ignore[no-untyped-def]
    return make_plan(load_case(CASES / "baxter-2020-cvso.yaml", onto), onto, top=93)


def test_enablement_ranks_first_and_addresses_the_most_barriers(plan) -> None:  # type: ignore[no-untyped-def]
    first = plan.functions[0]
    assert first.id == "if:enablement"
    assert len(first.barriers) == max(len(f.barriers) for f in plan.functions)


def test_every_table_2_function_is_a_candidate(plan) -> None:  # type: ignore[no-untyped-def]
    assert TABLE_2_FUNCTIONS <= {f.id for f in plan.functions}


def test_bundle_starts_with_enablement(plan) -> None:  # type: ignore[no-untyped-def]
    assert plan.bundle.functions[0].id == "if:enablement"


@pytest.mark.parametrize("top", sorted(RECALL_FLOOR))
def test_recall_of_table_2_techniques(plan, top: int) -> None:  # type: ignore[no-untyped-def]
    ranks = {t.id.removeprefix("bct:"): t.rank for t in plan.techniques}
    hits = [alts for alts in TABLE_2_TECHNIQUES if min(ranks.get(a, 10**6) for a in alts) <= top]
    print(f"recall@{top}: {len(hits)}/{len(TABLE_2_TECHNIQUES)}")
    assert len(hits) >= RECALL_FLOOR[top]
