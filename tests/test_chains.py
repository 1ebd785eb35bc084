"""The per-barrier chain rules of docs/method.md, one case each (shipped ontology + overlays)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from combmap import Case, Ontology, load_ontology, make_plan
from combmap.case import Barrier, load_case
from combmap.plan import Chain
from combmap.plan.chains import _independent
from combmap.schema import BarrierKind, BehaviourModel, CaseInfoModel

from .conftest import CASES


def _case(*barriers: Barrier, **options: object) -> Case:
    return Case(
        info=CaseInfoModel(id="rules", title="Rules"),
        behaviour=BehaviourModel(target="A behaviour"),
        groups=(),
        barriers=barriers,
        **options,  # type: ignore[arg-type]
    )


def _barrier(domains: tuple[str, ...] = (), components: tuple[str, ...] = (), **extra: object) -> Barrier:
    return Barrier(
        id="b",
        text="a barrier",
        kind=BarrierKind.BARRIER,
        domains=domains,
        components=components,
        **extra,  # type: ignore[arg-type]
    )


def _chain(onto: Ontology, barrier: Barrier) -> Chain:
    return make_plan(_case(barrier), onto, per_barrier=93).barriers[0]


def test_skills_follows_the_barriers_own_capability_code(onto: Ontology) -> None:
    chain = _chain(onto, _barrier(("tdf:skills",), ("comb:psychological-capability",)))
    assert chain.components == ["comb:psychological-capability"]
    physical = _chain(onto, _barrier(("tdf:skills",), ("comb:physical-capability",)))
    assert physical.components == ["comb:physical-capability"]


def test_skills_follows_the_construct_then_the_stated_default(onto: Ontology) -> None:
    named = _chain(onto, _barrier(("tdf:skills",), skills="physical"))
    assert named.components == ["comb:physical-capability"]
    bare = _chain(onto, _barrier(("tdf:skills",)))
    assert bare.components == ["comb:psychological-capability"]
    assert any("combmap's default" in note for note in bare.notes)


def test_a_covered_comb_code_does_not_readmit_functions_the_tdf_row_leaves_out(
    onto: Ontology,
) -> None:
    # Social/professional role and identity maps to reflective motivation, whose COM-B row has
    # Coercion; the TDF row (Education, Persuasion, Modelling) does not.
    chain = _chain(
        onto,
        _barrier(("tdf:social-professional-role-and-identity",), ("comb:reflective-motivation",)),
    )
    functions = {f.id for f in chain.functions}
    assert "if:coercion" not in functions and "if:enablement" not in functions
    assert all(r.via == "tdf" for f in chain.functions for r in f.routes)


def test_an_uncovered_comb_code_adds_its_row(onto: Ontology) -> None:
    chain = _chain(onto, _barrier(("tdf:knowledge",), ("comb:physical-opportunity",)))
    vias = {(r.via, r.code) for f in chain.functions for r in f.routes}
    assert ("comb", "comb:physical-opportunity") in vias
    assert ("tdf", "tdf:knowledge") in vias


def test_independent_sources_count_overlapping_ones_once() -> None:
    groups = [("tatt",), ("tatt",), ("cane2015", "michie2008"), ("cane2015",)]
    assert _independent(groups) == ("cane2015", "tatt")
    assert _independent([("cane2015", "michie2008"), ("tatt",)]) == ("tatt", "cane2015+michie2008")


def _overlay(tmp_path: Path, links: str) -> Ontology:
    (tmp_path / "links").mkdir()
    (tmp_path / "references.yaml").write_text(
        "references:\n  - {key: tatt-test, authors: [Doe J], year: 2021, title: A TaTT reading, venue: J 1:1}\n"
    )
    (tmp_path / "links" / "test.yaml").write_text(
        "set: test-tatt\nrelation: domain-technique\ntitle: test\nlineage: [tatt]\n"
        "sources: [{ref: tatt-test, locator: Table 9, read: primary}]\n"
        f"profiles: [bcw2011, bcw2014]\nlinks:\n{links}"
    )
    return load_ontology(tmp_path)


def test_a_tatt_non_link_withholds_the_technique_with_the_reason(tmp_path: Path) -> None:
    onto = _overlay(tmp_path, "  - {from: tdf:knowledge, to: bct:7.1, grade: non-link}\n")
    chain = _chain(onto, _barrier(("tdf:knowledge",)))
    offered = {t.id for f in chain.functions for t in f.techniques}
    assert "bct:7.1" not in offered and "bct:7.1" not in chain.recommended
    (withheld,) = [w for w in chain.withheld if w.id == "bct:7.1"]
    assert withheld.reason == "TaTT finds no link between Knowledge and this technique"
    baseline = _chain(load_ontology(), _barrier(("tdf:knowledge",)))
    assert any(t.id == "bct:7.1" for f in baseline.functions for t in f.techniques)


def test_domain_evidence_orders_the_functions_list(tmp_path: Path) -> None:
    # 4.3 is a less-frequently-used Education technique; linking it to Knowledge lifts it.
    plain = _chain(load_ontology(), _barrier(("tdf:knowledge",)))
    onto = _overlay(tmp_path, "  - {from: tdf:knowledge, to: bct:4.3, grade: link}\n")
    lifted = _chain(onto, _barrier(("tdf:knowledge",)))
    def position(chain: Chain) -> int:
        (education,) = [f for f in chain.functions if f.id == "if:education"]
        ids = [t.id for t in education.techniques]
        return ids.index("bct:4.3") if "bct:4.3" in ids else len(ids)
    assert position(lifted) < position(plain)


def test_interventions_take_the_case_files_titles(onto: Ontology) -> None:
    case = load_case(CASES / "baxter-2020-cvso.yaml", onto)
    renamed = dataclasses.replace(
        case, titles=(("int:skills", "Business-skills training"), ("int:nowhere", "x"))
    )
    plan = make_plan(renamed, onto)
    skills = next(i for i in plan.interventions if i.id == "int:skills")
    assert skills.title == "Business-skills training" and not skills.title_generated
    assert any("int:nowhere" in w for w in plan.warnings)
    assert all(i.title_generated for i in plan.interventions if i.id != "int:skills")


@pytest.mark.parametrize(
    ("item", "first"),
    [
        ("ds-business-skills", "ds-business-skills (barrier)"),
        ("knowledge", "Knowledge (tdf:knowledge), domain"),
        ("int:skills", "Training for skills (int:skills), drafted intervention"),
        ("Enablement", "Enablement (if:enablement), function"),
        ("guidelines", "Guidelines (policy:guidelines), policy"),
        ("3.1", "Social support (unspecified) (bct:3.1), technique"),
    ],
)
def test_explain_takes_any_id(onto: Ontology, item: str, first: str) -> None:
    from combmap.render import explain_lines

    plan = make_plan(load_case(CASES / "baxter-2020-cvso.yaml", onto), onto, top=93)
    assert explain_lines(item, plan, onto)[0].startswith(first)


def test_an_index_that_forgets_its_chains_gives_the_same_plans(
    onto: Ontology, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays flat in a long process: past its bounds an index forgets every chain
    (all caches together, so no memo names a dropped object by id), and works them out again."""
    from combmap.plan import Scorer, chains, planner

    case = load_case(CASES / "baxter-2020-cvso.yaml", onto)
    expected = make_plan(case, onto).to_json()
    counted = Scorer(onto).coverage(case)
    monkeypatch.setattr(chains, "SKELETONS_KEPT", 3)
    monkeypatch.setattr(chains, "REACHED_KEPT", 3)
    monkeypatch.setattr(planner, "_INDEXES", [])  # indexes new to the bounds
    assert make_plan(case, onto).to_json() == expected
    assert Scorer(onto).coverage(case) == counted
    index = planner.index_for(onto, onto.profile(case.profile))
    assert len(index._cache) <= 3 and 0 < len(index._bases) <= 3
