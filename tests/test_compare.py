"""Comparing stakeholder groups and cases: the studies' commonalities and differences appear."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from combmap import Ontology, load_case
from combmap.cli import main
from combmap.compare import (
    CompareError,
    compare,
    sides_by_case,
    sides_by_group,
    to_dot,
    to_markdown,
    to_mermaid,
)

from .conftest import CASES

HEALTH_CHAMPIONS = CASES / "health-champions-smi-volunteers-patients.yaml"
PROFESSIONALS = CASES / "uk-mh-professionals-volunteers.yaml"
BAXTER = CASES / "baxter-2020-cvso.yaml"


def by_group(onto: Ontology, path: Any) -> dict[str, Any]:
    sides, ungrouped = sides_by_group([load_case(path, onto)])
    return compare(sides, onto, by="group", ungrouped=ungrouped)


def row(data: dict[str, Any], section: str, key: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [r for r in data[section] if r["id"] == key]
    assert found, f"{key} not in {section}"
    return found[0]


@pytest.fixture(scope="module")
def champions(onto: Ontology) -> dict[str, Any]:
    return by_group(onto, HEALTH_CHAMPIONS)


@pytest.fixture(scope="module")
def professionals(onto: Ontology) -> dict[str, Any]:
    return by_group(onto, PROFESSIONALS)


def test_health_champions_shared_challenges_are_common(champions: dict[str, Any]) -> None:
    # Seed 001: "both groups shared some views on the challenges with scheduling and a lack of
    # face-to-face contact during the COVID-19 pandemic".
    assert [s["id"] for s in champions["sides"]] == ["volunteers", "patients"]
    for theme in ("volunteer-availability", "no-face-to-face-covid", "health-setbacks"):
        r = row(champions, "themes", theme)
        assert r["presence"] == "common"
        assert {s["role"] for s in r["sides"].values()} == {"barrier"}
    availability = row(champions, "themes", "volunteer-availability")["sides"]
    assert (availability["volunteers"]["frequency"], availability["patients"]["frequency"]) == (
        10,
        5,
    )
    environment = row(champions, "domains", "tdf:environmental-context-and-resources")
    assert environment["presence"] == "common"
    assert {s["role"] for s in environment["sides"].values()} == {"barrier"}


def test_health_champions_differences_are_one_sided(champions: dict[str, Any]) -> None:
    # Patients found the journal difficult; volunteers found it useful.
    journal = row(champions, "themes", "journal-difficult")
    assert (journal["presence"], journal["in"]) == ("only", ["patients"])
    assert journal["sides"]["patients"]["role"] == "barrier"
    useful = row(champions, "themes", "journal-useful")
    assert (useful["in"], useful["sides"]["volunteers"]["role"]) == (["volunteers"], "enabler")
    # Volunteers unsure of progress; patients aware of theirs: behavioural regulation is a
    # barrier for volunteers only, an enabler for patients.
    assert row(champions, "themes", "uncertain-goal-progress")["in"] == ["volunteers"]
    assert row(champions, "themes", "aware-of-progress")["in"] == ["patients"]
    regulation = row(champions, "domains", "tdf:behavioural-regulation")
    assert regulation["opposed"]
    assert regulation["sides"]["patients"]["role"] == "enabler"
    assert regulation["sides"]["volunteers"]["barriers"] == 1
    assert row(champions, "domains", "tdf:intentions")["in"] == ["patients"]
    assert row(champions, "domains", "tdf:social-professional-role-and-identity")["in"] == [
        "volunteers"
    ]


def test_health_champions_plans(champions: dict[str, Any]) -> None:
    enablement = row(champions, "functions", "if:enablement")
    assert enablement["presence"] == "common"
    assert {s["rank"] for s in enablement["sides"].values()} == {1}
    techniques = champions["techniques"]
    assert all(r["top_in"] for r in techniques)
    one_sided = [r for r in techniques if r["presence"] == "only"]
    assert one_sided, "some technique ranks high for one group only"
    for r in one_sided:
        (high,) = r["top_in"]
        assert r["sides"][high]["rank"] <= 5
        # The other group's plan ranks it lower, or does not offer it at all.
        for other, side in r["sides"].items():
            if other != high:
                assert side["rank"] is None or side["rank"] > 5


def test_professionals_and_volunteers(professionals: dict[str, Any]) -> None:
    # Seed 000: both groups saw a mental health knowledge gap and excessive responsibility;
    # professionals alone worried about volunteers undermining their work and their workload,
    # volunteers alone about over-dependence and confidentiality.
    for theme in ("mh-knowledge-gap", "excessive-responsibility", "tech-impersonal"):
        r = row(professionals, "themes", theme)
        assert r["presence"] == "common", theme
        assert {s["role"] for s in r["sides"].values()} == {"barrier"}
    for theme, group in (
        ("undermining-clinical-work", "professionals"),
        ("professional-workload", "professionals"),
        ("boundary-crossing", "professionals"),
        ("over-dependence", "volunteers"),
        ("confidentiality-conflict", "volunteers"),
    ):
        assert row(professionals, "themes", theme)["in"] == [group], theme
    # "Divergent views emerged particularly concerning the impact of volunteering on broader
    # mental health care": a barrier for professionals, an enabler for volunteers.
    impact = row(professionals, "themes", "impact-on-services")
    assert impact["presence"] == "common" and impact["opposed"]
    assert impact["sides"]["professionals"]["role"] == "barrier"
    assert impact["sides"]["volunteers"]["role"] == "enabler"


def test_entries_without_group_are_left_out_with_a_warning(
    professionals: dict[str, Any], onto: Ontology
) -> None:
    case = load_case(PROFESSIONALS, onto)
    loose = sorted(f"{case.id}/{b.id}" for b in case.barriers if b.group is None)
    assert loose and sorted(professionals["ungrouped"]) == loose
    assert any("no group" in w for w in professionals["warnings"])
    counted = sum(s["barriers"] + s["enablers"] for s in professionals["sides"])
    assert counted == len(case.barriers) - len(loose)


def test_compare_cases(onto: Ontology) -> None:
    cases = [load_case(p, onto) for p in (BAXTER, HEALTH_CHAMPIONS)]
    data = compare(sides_by_case(cases), onto)
    assert [s["id"] for s in data["sides"]] == [c.id for c in cases]
    for r in data["domains"]:
        assert r["presence"] == ("common" if len(r["in"]) == 2 else "only")
    with pytest.raises(CompareError, match="two cases have the id"):
        sides_by_case([cases[0], cases[0]])
    with pytest.raises(CompareError, match="at least two sides"):
        compare(sides_by_case(cases[:1]), onto)


def test_output_is_deterministic_and_escaped(onto: Ontology, champions: dict[str, Any]) -> None:
    again = by_group(onto, HEALTH_CHAMPIONS)
    assert json.dumps(again) == json.dumps(champions)
    hostile = json.loads(json.dumps(champions))
    hostile["sides"][0]["label"] = "<script>*evil*</script> | \x1b[31m"
    markdown = to_markdown(hostile)
    assert "<script>" not in markdown and "\x1b" not in markdown
    dot = to_dot(hostile)
    assert '"<script>*evil*</script> | ' in dot and "\x1b" not in dot
    assert "<script>" not in to_mermaid(hostile)


@pytest.mark.parametrize("fmt", ["json", "markdown", "table", "dot", "mermaid"])
def test_cli_formats(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    with pytest.raises(SystemExit) as done:
        main(["compare", str(HEALTH_CHAMPIONS), "--by", "group", "--format", fmt])
    out, err = capsys.readouterr()
    assert done.value.code == 0, err
    assert "Health Champions" in out or "volunteers" in out
    if fmt == "json":
        assert json.loads(out)["schema"] == "combmap.compare/1"


def test_cli_needs_two_sides(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["compare", str(BAXTER)])
    _, err = capsys.readouterr()
    assert done.value.code == 1
    assert "at least two sides" in err


def test_compare_diagram_has_legend_columns_and_rank_labels_on_lines(onto: Ontology) -> None:
    """Issue 12: sides in the middle, a legend, and each rank label carried by its own line."""
    data = by_group(onto, HEALTH_CHAMPIONS)
    dot = to_dot(data)
    assert "legend [shape=plain" in dot
    assert "subgraph column_domain { rank=same;" in dot
    assert "subgraph column_function { rank=same;" in dot
    rank_lines = [line for line in dot.splitlines() if "-> if_" in line]
    assert rank_lines and all('[label="#' in line for line in rank_lines)
    assert "constraint=false" not in dot
    mermaid = to_mermaid(data)
    assert 'subgraph legend["Legend"]' in mermaid


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf", ".mmd", ".dot"])
def test_compare_writes_diagram_files_like_diagram(tmp_path: Path, suffix: str) -> None:
    from typer.testing import CliRunner

    from combmap.cli import app

    out = tmp_path / f"cmp{suffix}"
    result = CliRunner().invoke(
        app,
        ["compare", str(HEALTH_CHAMPIONS), "--by", "group", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    expected = {".svg": b"<svg", ".png": b"\x89PNG", ".pdf": b"%PDF", ".mmd": b"flowchart", ".dot": b"digraph"}
    assert expected[suffix] in data[:400]
