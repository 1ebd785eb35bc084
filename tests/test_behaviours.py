"""Issue 16: several behaviours and actors, behaviour selection, outcomes, delivery, specification."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from combmap import Case, Ontology, load_case, make_plan
from combmap.behaviours import rank_candidates
from combmap.case import Barrier
from combmap.errors import CaseError
from combmap.report import plan_html
from combmap.schema import BarrierKind, BehaviourModel, CaseInfoModel, TargetBehaviourModel
from combmap.spec import bcio_json

from .conftest import run_cli
from .test_plan_properties import ONTOLOGIES, barriers

ROOT = Path(__file__).resolve().parent.parent
TWO = Path(__file__).parent / "data" / "cases" / "two-actors.yaml"
HEALTH = ROOT / "cases" / "health-champions-smi-volunteers-patients.yaml"
TREE = ROOT / "cases" / "tree-undated-volunteering-health-services.yaml"

MINIMAL = """\
case: {id: plain, title: Plain}
behaviour: {target: Staff run groups}
barriers:
  - {id: a, text: A, tdf: [knowledge]}
  - {id: b, text: B, tdf: [skills], kind: enabler}
"""


def _sub(case: Case, behaviour: str) -> Case:
    return dataclasses.replace(
        case, barriers=tuple(b for b in case.barriers if b.behaviour == behaviour)
    )


def test_a_case_without_behaviours_reads_as_before(tmp_path: Path, onto: Ontology) -> None:
    """No `behaviours`: no behaviour on any barrier, and none of the new plan sections."""
    path = tmp_path / "plain.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    case = load_case(path, onto)
    assert case.behaviours == () and {b.behaviour for b in case.barriers} == {None}
    data = json.loads(make_plan(case, onto).to_json())
    for key in ("behaviours", "shared", "outcomes", "proposed", "delivery"):
        assert key not in data
    assert all("behaviour" not in chain for chain in data["barriers"])
    assert all("delivery" not in i and "specification" not in i for i in data["interventions"])
    assert [r["id"] for r in data["rules"]][-1] == "enablers"  # no issue-16 rules added


def test_unknown_behaviour_is_a_located_error_with_a_hint(tmp_path: Path, onto: Ontology) -> None:
    text = TWO.read_text(encoding="utf-8").replace(
        "behaviour: professionals-review\n  tdf: [knowledge]", "behaviour: profesionals-review\n  tdf: [knowledge]"
    )
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseError) as caught:
        load_case(path, onto)
    (issue,) = caught.value.issues
    assert issue.path == "barriers[4].behaviour"
    assert "unknown behaviour 'profesionals-review'; did you mean 'professionals-review'?" in issue.message


def test_several_behaviours_need_each_barrier_to_name_one(tmp_path: Path, onto: Ontology) -> None:
    text = TWO.read_text(encoding="utf-8").replace("  behaviour: patients-take\n  tdf: [social-influences]\n", "  tdf: [social-influences]\n")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseError) as caught:
        load_case(path, onto)
    assert [i.path for i in caught.value.issues] == ["barriers[2].behaviour"]


def test_two_actor_fixture_plans_each_actor_and_summarises(onto: Ontology) -> None:
    case = load_case(TWO, onto)
    plan = make_plan(case, onto)
    assert plan.behaviours is not None
    by_id = {b.id: b for b in plan.behaviours}
    assert [b.actor for b in plan.behaviours] == ["Patients", "Professionals"]
    for behaviour_id, part in by_id.items():
        alone = make_plan(_sub(case, behaviour_id), onto)
        assert [(f.id, f.rank, f.score) for f in part.functions] == [
            (f.id, f.rank, f.score) for f in alone.functions
        ]
        assert [i.id for i in part.interventions] == [i.id for i in alone.interventions]
    assert "int:social-professional-role-and-identity" in {i.id for i in by_id["professionals-review"].interventions}
    assert "int:social-professional-role-and-identity" not in {i.id for i in by_id["patients-take"].interventions}
    assert plan.shared is not None
    assert [(s.id, s.behaviours) for s in plan.shared] == [
        ("int:knowledge", ["patients-take", "professionals-review"])
    ]
    # outcomes are listed, never scored, no chain
    assert plan.outcomes is not None and [o.id for o in plan.outcomes] == ["fewer-relapses"]
    assert "fewer-relapses" not in {c.id for c in plan.barriers}
    assert by_id["patients-take"].outcomes == ["fewer-relapses"]
    # APEASE judges modes: an excluded mode is never shown as chosen, and the case is warned
    knowledge = next(i for i in plan.interventions if i.id == "int:knowledge")
    assert knowledge.delivery is not None
    assert [m.id for m in knowledge.delivery] == ["mode:face-to-face", "mode:group"]
    assert plan.delivery is not None and "mode:mass-media" not in {m.id for m in plan.delivery}
    assert "mode:mass-media" in {e.id for e in plan.excluded}
    assert any("mode:mass-media" in w for w in plan.warnings)
    assert knowledge.specification is not None
    assert knowledge.specification.items["who_provides"] == "Community pharmacist"
    assert plan.proposed is not None and plan.proposed[0].policies[0].rank is not None
    assert {r.id for r in plan.rules} >= {"behaviours", "candidates", "outcomes", "delivery", "specification", "proposed"}


def test_bcio_export_carries_bcio_ids(onto: Ontology, capsys: pytest.CaptureFixture[str]) -> None:
    case = load_case(TWO, onto)
    data = json.loads(bcio_json(make_plan(case, onto), onto))
    knowledge = next(i for i in data["interventions"] if i["id"] == "int:knowledge")
    ids = {(a["role"], a["bcio"]) for a in knowledge["bcio"]}
    assert ("mode of delivery", "BCIO:011003") in ids
    assert ("TIDieR who_provides", "BCIO:010019") in ids
    assert ("intervention function", onto["if:education"].xrefs[0]) in ids
    assert knowledge["behaviours"] == ["patients-take", "professionals-review"]
    assert all(a["iri"].endswith(a["bcio"].split(":")[1]) for a in knowledge["bcio"])
    code, out, _ = run_cli(capsys, "plan", str(TWO), "--format", "bcio-json")
    assert code == 0 and json.loads(out)["schema"] == "combmap.bcio-spec/1"


def test_report_prints_the_new_sections(onto: Ontology) -> None:
    case = load_case(TWO, onto)
    html = plan_html(make_plan(case, onto), onto, case, svg=None)
    for anchor in ("behaviours", "selection", "outcomes", "proposed", "delivery"):
        assert f'<section id="{anchor}"' in html
        assert f'href="#{anchor}"' in html
    assert "Community pharmacist" in html and "BCIO:010019" in html


def test_candidates_rank_by_the_stated_rule(onto: Ontology, capsys: pytest.CaptureFixture[str]) -> None:
    result = rank_candidates(load_case(TWO, onto))
    assert [(c.id, c.rank, c.tie, c.total) for c in result.candidates] == [
        ("professionals-review", 1, False, 15),
        ("patients-take", 2, False, 13),
        ("families-remind", 3, False, 9),
        ("pharmacists-call", 4, False, 10),  # unacceptable on one criterion: last
    ]
    assert result.candidates[2].unjudged == ["measurement"]
    assert result.candidates[0].selected and not result.candidates[3].selected
    code, out, _ = run_cli(capsys, "behaviours", str(TWO))
    assert code == 0 and "4 (ruled out)" in out and "No funded time" in out
    code, out, _ = run_cli(capsys, "behaviours", str(TWO), "--format", "json")
    assert code == 0 and json.loads(out)["candidates"][0]["id"] == "professionals-review"


def test_candidates_that_tie_share_a_rank(onto: Ontology) -> None:
    case = load_case(TWO, onto)
    twin = case.candidates[0].model_copy(update={"id": "twin"})
    ranked = rank_candidates(dataclasses.replace(case, candidates=(*case.candidates, twin)))
    top = [(c.id, c.rank, c.tie) for c in ranked.candidates if c.rank == 2]
    assert top == [("patients-take", 2, True), ("twin", 2, True)]


def test_health_champions_is_split_and_plans_differ_per_behaviour(onto: Ontology) -> None:
    """The method review's split (issue 16): three behaviours, two actors, impacts as outcomes."""
    case = load_case(HEALTH, onto)
    plan = make_plan(case, onto)
    assert plan.behaviours is not None
    parts = {b.id: b for b in plan.behaviours}
    assert list(parts) == ["health", "engagement", "delivery"]
    assert {b.actor for b in plan.behaviours} == {
        "Patients with serious mental illness", "Volunteer Health Champions"
    }
    assert plan.outcomes is not None and len(plan.outcomes) == 7
    assert all(c.kind != "outcome" for c in plan.barriers)
    drafted = {k: {i.id for i in v.interventions} for k, v in parts.items()}
    # volunteers' delivery: role boundaries and wanting mental-health training (Table 5, Table 4)
    assert {"int:social-professional-role-and-identity", "int:knowledge"} <= drafted["delivery"]
    # patients' engagement: mental-health difficulties (Emotion), not the volunteers' role
    assert "int:emotion" in drafted["engagement"]
    assert "int:social-professional-role-and-identity" not in drafted["engagement"]
    assert "int:emotion" not in drafted["delivery"]
    assert len({frozenset(v) for v in drafted.values()}) == 3


def test_tree_recommended_actions_are_proposed_interventions(onto: Ontology) -> None:
    case = load_case(TREE, onto)
    assert not [b for b in case.barriers if b.kind == BarrierKind.ENABLER]
    assert len(case.proposed) == 8
    plan = make_plan(case, onto)
    assert plan.proposed is not None
    invest = next(p for p in plan.proposed if p.id == "invest-in-local-infrastructure")
    assert {m.id for m in invest.policies} == {"policy:fiscal-measures", "policy:service-provision"}
    assert plan.behaviours is not None and [b.id for b in plan.behaviours] == ["mainstreaming", "volunteering"]


@st.composite
def multi(draw: st.DrawFn) -> tuple[Ontology, Case]:
    onto = ONTOLOGIES[draw(st.sampled_from(sorted(ONTOLOGIES)))]
    names = ["b-one", "b-two", "b-three"][: draw(st.integers(2, 3))]
    items: list[Barrier] = []
    for index in range(draw(st.integers(1, 12))):
        barrier = draw(barriers(onto, index))
        items.append(dataclasses.replace(barrier, behaviour=draw(st.sampled_from(names))))
    case = Case(
        info=CaseInfoModel(id="generated", title="Generated"),
        behaviour=BehaviourModel(target="A problem"),
        behaviours=tuple(TargetBehaviourModel(id=n, target=n, actor=n) for n in names),
        groups=(),
        barriers=tuple(items),
        enabler_weight=draw(st.sampled_from([0.0, 0.5])),
    )
    return onto, case


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(multi())
def test_each_behaviour_plans_as_its_barriers_alone(pair: tuple[Ontology, Case]) -> None:
    """Hypothesis: a behaviour's functions equal those of a plan of just its barriers."""
    onto, case = pair
    plan = make_plan(case, onto)
    assert plan.behaviours is not None
    for part in plan.behaviours:
        alone = make_plan(_sub(case, part.id), onto)
        keyless = {"robustness": {"unverified_links"}}  # link keys are numbered plan-wide
        assert [f.model_dump(exclude=keyless) for f in part.functions] == [
            f.model_dump(exclude=keyless) for f in alone.functions
        ]
        assert part.selected == alone.selected
        assert [t.id for t in part.techniques] == [t.id for t in alone.techniques]


def test_proposed_table_escapes_each_cell_once(tmp_path: Path, onto: Ontology) -> None:
    from combmap.render import plan_markdown

    text = TWO.read_text(encoding="utf-8").replace(
        "Add a side-effect review section", "Add a review & <b>side-effect</b> section"
    )
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    markdown = plan_markdown(make_plan(load_case(path, onto), onto), onto)
    row = next(line for line in markdown.splitlines() if line.startswith("| review-template"))
    assert "review &amp; &lt;b&gt;side-effect&lt;/b&gt; section" in row
    assert "&amp;amp;" not in markdown and "&amp;lt;" not in markdown


def test_candidate_worksheet_keeps_a_pipe_inside_its_cell(tmp_path: Path, onto: Ontology) -> None:
    from combmap.behaviours import candidates_markdown

    text = TWO.read_text(encoding="utf-8").replace(
        "actor: Patients\n  impact", "actor: Patients | carers\n  impact", 1
    )
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    markdown = candidates_markdown(rank_candidates(load_case(path, onto)))
    row = next(line for line in markdown.splitlines() if "Patients" in line and line.startswith("|"))
    header = next(line for line in markdown.splitlines() if line.startswith("| rank"))
    # Only escaped pipes inside cells: the row has exactly as many separators as the header.
    assert row.replace("\\|", "").count("|") == header.count("|")
    assert "Patients \\| carers" in row
