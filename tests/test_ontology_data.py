"""Integrity of the SHIPPED ontology, record by record, against the published tables."""

from __future__ import annotations

import csv
import re

import pytest

from combmap import Ontology, load_ontology
from combmap.schema import ID_PATTERN, Kind, Relation, Status

from .conftest import SHARED

ONTO = load_ontology()
BCTTV1_CSV = SHARED / "reference" / "derived" / "bcttv1_93_from_hbcp.csv"

# Michie, van Stralen & West 2011, Table 2 (ontology-sources.md §d1), cell by cell.
MICHIE_2011_TABLE_2 = {
    "comb:physical-capability": {"if:training", "if:enablement"},
    "comb:psychological-capability": {"if:education", "if:training", "if:enablement"},
    "comb:reflective-motivation": {
        "if:education",
        "if:persuasion",
        "if:incentivisation",
        "if:coercion",
    },
    "comb:automatic-motivation": {
        "if:persuasion",
        "if:incentivisation",
        "if:coercion",
        "if:environmental-restructuring",
        "if:modelling",
        "if:enablement",
    },
    "comb:physical-opportunity": {
        "if:restriction",
        "if:environmental-restructuring",
        "if:enablement",
    },
    "comb:social-opportunity": {
        "if:restriction",
        "if:environmental-restructuring",
        "if:enablement",
    },
}

# TDF v2 → COM-B as reproduced in the BCW guide (ontology-sources.md §c).
TDF_TO_COMB = {
    "tdf:knowledge": {"comb:psychological-capability"},
    "tdf:skills": {"comb:psychological-capability", "comb:physical-capability"},
    "tdf:memory-attention-and-decision-processes": {"comb:psychological-capability"},
    "tdf:behavioural-regulation": {"comb:psychological-capability"},
    "tdf:social-influences": {"comb:social-opportunity"},
    "tdf:environmental-context-and-resources": {"comb:physical-opportunity"},
    "tdf:social-professional-role-and-identity": {
        "comb:reflective-motivation",
        "comb:automatic-motivation",
    },
    "tdf:beliefs-about-capabilities": {"comb:reflective-motivation"},
    "tdf:optimism": {"comb:reflective-motivation", "comb:automatic-motivation"},
    "tdf:beliefs-about-consequences": {"comb:reflective-motivation"},
    "tdf:intentions": {"comb:reflective-motivation"},
    "tdf:goals": {"comb:reflective-motivation"},
    "tdf:reinforcement": {"comb:automatic-motivation"},
    "tdf:emotion": {"comb:automatic-motivation"},
}


def _links(onto: Ontology, set_id: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for link in onto.link_sets[set_id].links:
        out.setdefault(link.source, set()).add(link.target)
    return out


@pytest.mark.parametrize(
    ("kind", "count"),
    [
        (Kind.COMPONENT, 9),
        (Kind.DOMAIN, 14),
        (Kind.FUNCTION, 9),
        (Kind.POLICY, 7),
        (Kind.TECHNIQUE, 93),
        (Kind.GROUP, 16),
        (Kind.CRITERION, 6),
    ],
)
def test_counts(kind: Kind, count: int) -> None:
    assert len(ONTO.of_kind(kind)) == count


def test_six_components_under_three_sources() -> None:
    components = [e for e in ONTO.of_kind(Kind.COMPONENT) if e.parent]
    assert len(components) == 6
    assert {e.parent for e in components} == {
        "comb:capability",
        "comb:opportunity",
        "comb:motivation",
    }


def test_84_constructs() -> None:
    assert sum(len(e.constructs) for e in ONTO.of_kind(Kind.DOMAIN)) == 84


def test_group_sizes() -> None:
    sizes = [
        sum(1 for t in ONTO.of_kind(Kind.TECHNIQUE) if t.parent == g.id)
        for g in ONTO.of_kind(Kind.GROUP)
    ]
    assert sizes == [9, 7, 3, 4, 6, 3, 8, 7, 3, 11, 4, 6, 5, 10, 4, 3]


def test_advise_to_change_behaviour_is_not_a_bcttv1_technique() -> None:
    assert "bct:4.5" not in ONTO
    assert not [e for e in ONTO.search("advise to change") if e.kind == Kind.TECHNIQUE]


@pytest.mark.parametrize("entity_id", sorted(ONTO.entities))
def test_entity_record(entity_id: str) -> None:
    entity = ONTO[entity_id]
    assert re.match(ID_PATTERN, entity.id), f"{entity.id}: ids look like 'prefix:local'"
    assert entity.ref in ONTO.references, f"{entity.id}: cite a key from references.yaml"
    assert entity.definition.strip(), f"{entity.id}: write a definition in our own words"
    prefix = entity.id.split(":")[0]
    expected = {
        "comb": Kind.COMPONENT,
        "tdf": Kind.DOMAIN,
        "if": Kind.FUNCTION,
        "policy": Kind.POLICY,
        "bct": Kind.TECHNIQUE,
        "bctg": Kind.GROUP,
        "apease": Kind.CRITERION,
    }
    assert expected[prefix] == entity.kind, f"{entity.id}: prefix does not match kind"


def test_every_link_is_sourced_and_typed() -> None:
    for link in ONTO.links:
        assert link.ref in ONTO.references
        assert link.status in set(Status)
        assert ONTO[link.source].kind.value == link.relation.value.split("-")[0]
        assert ONTO[link.target].kind.value == link.relation.value.split("-")[1]


def test_michie_2011_table_2_cell_by_cell() -> None:
    assert _links(ONTO, "michie2011-component-function") == MICHIE_2011_TABLE_2
    assert all(
        link.status == Status.VERIFIED
        for link in ONTO.link_sets["michie2011-component-function"].links
    )


def test_bcw2011_profile_uses_exactly_table_2_for_com_b() -> None:
    profile = ONTO.profile("bcw2011")
    got: dict[str, set[str]] = {}
    for link in profile.links:
        if link.relation == Relation.COMPONENT_FUNCTION:
            got.setdefault(link.source, set()).add(link.target)
    assert got == MICHIE_2011_TABLE_2


def test_tdf_to_com_b_equals_the_verified_mapping() -> None:
    got: dict[str, set[str]] = {}
    for link in ONTO.links:
        if link.relation == Relation.DOMAIN_COMPONENT:
            got.setdefault(link.source, set()).add(link.target)
    assert got == TDF_TO_COMB


@pytest.mark.skipif(not BCTTV1_CSV.exists(), reason="shared/reference is not beside the repository")
def test_93_labels_equal_the_bcttv1_list() -> None:
    with BCTTV1_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 93
    # Known differences from the HBCP file: its typo in 13.4, and 6.1 where we keep the BCTTv1
    # wording that BCTO's cross-reference also uses.
    fixes = {
        "Valued self-identify": "Valued self-identity",
        "Demonstration of behavior": "Demonstration of the behavior",
    }

    def us(text: str) -> str:
        # The HBCP file mixes British and US spellings; BCTTv1 itself uses US spelling.
        return text.casefold().replace("behaviour", "behavior")

    for row in rows:
        label = row["label_hbcp_entitymapping"].strip()
        assert us(ONTO[f"bct:{row['bct_id']}"].label) == us(fixes.get(label, label)), row["bct_id"]
        assert ONTO[f"bct:{row['bct_id']}"].parent == f"bctg:{row['group_no']}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Knowledge", "tdf:knowledge"),
        ("C-Ps", "comb:psychological-capability"),
        ("psychological capability", "comb:psychological-capability"),
        ("Goal setting (behavior)", "bct:1.1"),
        ("goal setting (behaviour)", "bct:1.1"),
        ("1.1", "bct:1.1"),
        ("ENABLEMENT", "if:enablement"),
        ("Rule-making", "if:restriction"),
    ],
)
def test_lookup_by_label_and_alias(text: str, expected: str) -> None:
    assert ONTO.resolve(text).id == expected


def test_files_are_packaged_with_the_default_profile() -> None:
    assert ONTO.default_profile in ONTO.manifest.profiles
    assert {"bcw2011", "bcw2014"} <= set(ONTO.manifest.profiles)
