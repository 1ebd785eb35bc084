"""Integrity of the SHIPPED ontology, record by record, against the published tables."""

from __future__ import annotations

import csv
import re
from pathlib import Path

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
        "mode": Kind.MODE,
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


# --- Issue 11: link sets read from their sources ----------------------------------------------

# Michie, van Stralen & West 2011, Table 3 (policy category x intervention function), read in
# the primary table with its empty cells (shared/research/link-verification.md §A).
MICHIE_2011_TABLE_3 = {
    "policy:communication-marketing": "education persuasion incentivisation coercion modelling",
    "policy:guidelines": "education persuasion incentivisation coercion training restriction "
    "environmental-restructuring enablement",
    "policy:fiscal-measures": "incentivisation coercion training environmental-restructuring "
    "enablement",
    "policy:regulation": "education persuasion incentivisation coercion training restriction "
    "environmental-restructuring enablement",
    "policy:legislation": "education persuasion incentivisation coercion training restriction "
    "environmental-restructuring enablement",
    "policy:environmental-social-planning": "environmental-restructuring enablement",
    "policy:service-provision": "education persuasion incentivisation coercion training "
    "modelling enablement",
}
#: References whose authors have not been read yet; each is cited only as a reproduction whose
#: table was read. Fill their authors from the article record, then empty this set.
AUTHORS_NOT_READ = {"bmjopen2018-019400", "bmc-hsr-2020-05255"}
LINKS_SOURCES = SHARED / "reference" / "links-sources"
CACTIS_XLSX = (
    SHARED / "reference" / "unlocking-behaviour-change" / "CACTIS_v1_7_2_BCT_Reference v19.xlsx"
)
CROSSWALK = (
    Path(__file__).resolve().parent.parent / "tools" / "data" / "cactis-bcttv1-crosswalk.csv"
)
BCT_IDS = {e.id for e in ONTO.of_kind(Kind.TECHNIQUE)}


def test_function_policy_equals_michie_2011_table_3_cell_by_cell() -> None:
    expected = {
        (f"if:{function}", policy)
        for policy, functions in MICHIE_2011_TABLE_3.items()
        for function in functions.split()
    }
    assert len(expected) == 43
    link_set = ONTO.link_set("bcw-function-policy")
    assert {(link.source, link.target) for link in link_set.links} == expected
    assert all(link.status == Status.VERIFIED for link in link_set.links)
    assert all(link.ref == "michie2011" and link.locator == "Table 3" for link in link_set.links)
    for name in ONTO.manifest.profiles:
        got = {
            (link.source, link.target)
            for link in ONTO.profile(name).links
            if link.relation == Relation.FUNCTION_POLICY
        }
        assert got == expected, f"profile {name} must count exactly Michie 2011 Table 3"


def test_no_fiscal_cell_from_the_disputed_set() -> None:
    assert "bcw2014-function-policy-fiscal" not in ONTO.link_sets
    for link in ONTO.links:
        if link.relation == Relation.FUNCTION_POLICY:
            assert link.set == "bcw-function-policy", (
                f"{link}: function x policy has one source set"
            )
            assert (link.source, link.target) not in {
                ("if:education", "policy:fiscal-measures"),
                ("if:persuasion", "policy:fiscal-measures"),
            }


def test_every_link_source_resolves_to_a_reference_with_authors_and_title() -> None:
    for link in ONTO.links:
        assert link.sources, f"{link.set}: {link.source} -> {link.target} has no source"
        for source in link.sources:
            ref = ONTO.references.get(source.ref)
            assert ref is not None, f"{link.set}: unknown reference {source.ref!r}"
            assert ref.title.strip(), f"{source.ref}: give the title"
            if source.ref not in AUTHORS_NOT_READ:
                assert ref.authors, f"{source.ref}: give the authors ({link.set})"


def test_the_disputed_com_b_cell_is_outside_the_default_profile() -> None:
    cell = ("comb:physical-opportunity", "if:training")
    default = ONTO.profile()
    assert default.name == "bcw2014"
    assert cell not in {(link.source, link.target) for link in default.links}
    disputed = [
        link
        for link in ONTO.profile("bcw2014-disputed").links
        if (link.source, link.target) == cell
    ]
    assert len(disputed) == 1
    link = disputed[0]
    assert link.status == Status.UNVERIFIED and link.flag
    assert link.ref == "mabweazara2019" and len(link.disputed_by) == 2
    additions = ONTO.link_set("bcw2014-component-function-additions").links
    assert {(link.source, link.target) for link in additions} == {
        ("comb:automatic-motivation", "if:training"),
        ("comb:social-opportunity", "if:modelling"),
    }
    assert all(link.status == Status.SECONDARY for link in additions)


def test_domain_function_rows_read_twice_are_verified() -> None:
    twice = {
        "tdf:knowledge",
        "tdf:optimism",
        "tdf:beliefs-about-consequences",
        "tdf:environmental-context-and-resources",
        "tdf:emotion",
        "tdf:behavioural-regulation",
    }
    links = ONTO.link_set("bcw2014-domain-function").links
    assert len(links) == 45
    assert sum(link.source in twice for link in links) == 21
    for link in links:
        assert link.ref == "kredo2018", "a cell read in Kredo 2018 cites Kredo 2018"
        if link.source in twice:
            assert link.status == Status.VERIFIED
        elif (link.source, link.target) == ("tdf:intentions", "if:enablement"):
            assert link.status == Status.UNVERIFIED and link.flag
        else:
            assert link.status == Status.SECONDARY
    assert not any(link.source == "tdf:goals" for link in links), "no Goals row was found"


@pytest.mark.parametrize(
    "set_id",
    [
        "tatt-domain-technique",
        "carey2019-domain-technique",
        "cane2015-domain-technique",
        "michie2008-domain-technique",
        "pmc7336619-domain-technique",
    ],
)
def test_technique_evidence_maps_to_the_93_bcts(set_id: str) -> None:
    link_set = ONTO.link_set(set_id)
    assert link_set.links
    for link in link_set.links:
        assert link.target in BCT_IDS
        assert link.grade in ("link", "non-link", "inconclusive", "literature-link")


@pytest.mark.skipif(
    not LINKS_SOURCES.exists(), reason="shared/reference is not beside the repository"
)
def test_every_tatt_and_cane_row_is_a_link_or_counted() -> None:
    with (LINKS_SOURCES / "tatt_bct_moa.csv").open(newline="", encoding="utf-8") as handle:
        tatt = list(csv.DictReader(handle))
    held = {
        (link.source, link.target)
        for s in ("tatt-domain-technique", "carey2019-domain-technique")
        for link in ONTO.link_set(s).links
    }
    for row in tatt:
        assert f"bct:{row['bct_code']}" in BCT_IDS, (
            f"TaTT row {row['bct_code']} is not a BCTTv1 code"
        )
        if row["tdf_domain"]:
            domain = ONTO.resolve(row["tdf_domain"], [Kind.DOMAIN]).id
            assert (domain, f"bct:{row['bct_code']}") in held
    with (LINKS_SOURCES / "cane2015_bct_tdf.csv").open(newline="", encoding="utf-8") as handle:
        cane = list(csv.DictReader(handle))
    cane_links = {
        (link.source, link.target) for link in ONTO.link_set("cane2015-domain-technique").links
    }
    left_out = [row for row in cane if not row["bct_code"]]
    for row in cane:
        if row["bct_code"]:
            assert f"bct:{row['bct_code']}" in BCT_IDS
            assert (
                ONTO.resolve(row["tdf_domain"], [Kind.DOMAIN]).id,
                f"bct:{row['bct_code']}",
            ) in cane_links
    note = ONTO.link_set("cane2015-domain-technique").note or ""
    assert all(row["label_as_printed"] in note for row in left_out), "count what is left out"


def _crosswalk() -> dict[str, dict[str, str]]:
    with CROSSWALK.open(newline="", encoding="utf-8") as handle:
        return {row["cactis_name"]: row for row in csv.DictReader(handle)}


def test_cactis_crosswalk_rows_have_a_match_type_and_bcttv1_codes() -> None:
    for name, row in _crosswalk().items():
        assert row["match"] in ("exact", "same", "narrower", "broader", "none"), name
        codes = [c for c in row["bcttv1_codes"].split(";") if c]
        assert (row["match"] == "none") == (not codes), name
        assert all(f"bct:{c}" in BCT_IDS for c in codes), name
        assert row["note"].strip(), f"{name}: say why"


def test_every_cactis_link_comes_through_the_crosswalk() -> None:
    crosswalk = _crosswalk()
    for link in ONTO.link_set("cactis-component-technique").links:
        names = re.findall(r": '(.+?)' \((exact|same|narrower|broader)\)", link.note or "")
        assert names, link
        for name, match in names:
            assert crosswalk[name]["match"] == match
            assert link.target.removeprefix("bct:") in crosswalk[name]["bcttv1_codes"].split(";")


@pytest.mark.skipif(
    not CACTIS_XLSX.exists(), reason="shared/reference is not beside the repository"
)
def test_every_cactis_row_is_in_the_crosswalk() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(CACTIS_XLSX, read_only=True, data_only=True)
    names = {
        str(values[5]).strip()
        for values in book["BCT Reference List"].iter_rows(values_only=True)
        if values and str(values[0]).strip().isdigit()
    }
    book.close()
    assert len(names) == 117
    assert names <= set(_crosswalk())


@pytest.mark.parametrize(
    "entity_id",
    sorted(
        e.id
        for e in ONTO.entities.values()
        if e.kind in (Kind.DOMAIN, Kind.COMPONENT, Kind.FUNCTION, Kind.POLICY, Kind.TECHNIQUE)
    ),
)
def test_packaged_entity_has_plain_wording_and_definition_ref(entity_id: str) -> None:
    entity = ONTO[entity_id]
    assert entity.plain and "For example" in entity.plain, f"{entity_id}: add a plain wording"
    assert entity.definition_ref in ONTO.references
    assert entity.plain.strip() != entity.definition.strip()


def test_every_packaged_set_names_its_lineage() -> None:
    expected = {
        "tatt-domain-technique": ("tatt",),
        "carey2019-domain-technique": ("tatt",),
        "cane2015-domain-technique": ("cane2015",),
        "michie2008-domain-technique": ("michie2008",),
        "pmc7336619-domain-technique": ("michie2008", "cane2015"),
        "bcw2014-function-technique": ("bcw-guide-table-3.3",),
        "cactis-component-technique": ("cactis",),
    }
    for set_id, link_set in ONTO.link_sets.items():
        assert link_set.lineage and link_set.lineage != (set_id,), f"{set_id}: name its lineage"
        assert all(link.lineage == link_set.lineage for link in link_set.links)
        if set_id in expected:
            assert link_set.lineage == expected[set_id]


def test_table_3_3_flags_and_grades() -> None:
    links = {
        (link.source, link.target): link
        for link in ONTO.link_set("bcw2014-function-technique").links
    }
    assert links[("if:incentivisation", "bct:14.3")].flag
    assert {link.grade for link in links.values()} <= {"most-frequent", "less-frequent", "listed"}
    assert not any(link.source == "if:restriction" for link in links.values())
    assert (
        links[("if:education", "bct:5.3")].status == Status.SECONDARY
    )  # Chen 2022 + transcription


def test_status_follows_from_the_sources() -> None:
    from combmap.ontology import LinkSource, derive_status
    from combmap.schema import Read

    def src(ref: str, read: Read, agrees: bool = True) -> LinkSource:
        return LinkSource(ref, None, read, agrees)

    assert derive_status([src("a", Read.PRIMARY)]) == Status.VERIFIED
    assert (
        derive_status([src("a", Read.REPRODUCTION), src("b", Read.REPRODUCTION)]) == Status.VERIFIED
    )
    assert (
        derive_status([src("a", Read.REPRODUCTION), src("a", Read.REPRODUCTION)])
        == Status.SECONDARY
    )
    assert (
        derive_status([src("a", Read.REPRODUCTION), src("b", Read.TRANSCRIPTION)])
        == Status.SECONDARY
    )
    assert (
        derive_status([src("a", Read.TRANSCRIPTION), src("b", Read.TRANSCRIPTION)])
        == Status.SECONDARY
    )
    assert derive_status([src("a", Read.TRANSCRIPTION), src("m", Read.ORIGIN)]) == Status.UNVERIFIED
    assert derive_status([src("a", Read.MENTION), src("b", Read.RECOLLECTION)]) == Status.UNVERIFIED
    disputed = [src("a", Read.REPRODUCTION), src("b", Read.TRANSCRIPTION, agrees=False)]
    assert derive_status(disputed) == Status.UNVERIFIED
    assert derive_status([src("a", Read.PRIMARY)], cap=Status.SECONDARY) == Status.SECONDARY
    assert derive_status([src("a", Read.RECOLLECTION)], cap=Status.VERIFIED) == Status.UNVERIFIED


def test_links_sort_and_hash_with_and_without_via_or_grade() -> None:
    """Tuples holding None and str must never be compared (an earlier bug)."""
    from combmap.ontology import Link

    a = Link(Relation.DOMAIN_TECHNIQUE, "tdf:goals", "bct:1.1", None, None, "x")
    b = Link(Relation.DOMAIN_TECHNIQUE, "tdf:goals", "bct:1.1", None, "link", "x")
    c = Link(Relation.DOMAIN_TECHNIQUE, "tdf:goals", "bct:1.1", "if:education", None, "x")
    assert sorted([c, b, a]) == [a, b, c]
    assert len({a, b, c, a}) == 3
    assert sorted(ONTO.links) == list(ONTO.links)
