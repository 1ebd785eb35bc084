"""JSON Schemas checked by an independent validator, and YAML 1.2 scalars (issue 15 item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from combmap import Ontology, load_case, make_plan
from combmap.schemas import NAMES, json_schema
from combmap.yamlio.parser import parse_yaml

from .conftest import run_cli

ROOT = Path(__file__).parent.parent
CASES = sorted((ROOT / "cases").glob("*.yaml"))


@pytest.mark.parametrize("name", NAMES)
def test_every_schema_is_valid_2020_12_with_id_and_title(name: str) -> None:
    schema = json_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["$id"] == f"urn:combmap:schema:{name}"
    assert schema["title"].startswith("combmap") and schema["description"]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_shipped_cases_validate_and_carry_the_modeline(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../schemas/case.schema.json"
    jsonschema.validate(parse_yaml(text, str(path)).data, json_schema("case"))


def test_committed_case_schema_is_current() -> None:
    """The committed copy has the same models and fields (pydantic versions word them differently)."""
    committed = json.loads((ROOT / "schemas" / "case.schema.json").read_text(encoding="utf-8"))
    current = json_schema("case")
    hint = "run: combmap schema case > schemas/case.schema.json"
    assert committed["$id"] == current["$id"] and committed["required"] == current["required"], hint
    assert {k: sorted(v.get("properties", {})) for k, v in committed["$defs"].items()} == {
        k: sorted(v.get("properties", {})) for k, v in current["$defs"].items()
    }, hint


def test_plan_aggregate_and_compare_outputs_validate(tmp_path: Path, onto: Ontology, capsys: pytest.CaptureFixture[str]) -> None:
    plan = json.loads(make_plan(load_case(CASES[0], onto), onto).to_json())
    jsonschema.validate(plan, json_schema("plan"))
    code, _, err = run_cli(capsys, "aggregate", str(ROOT / "cases"), "-o", str(tmp_path / "a.json"))
    assert code == 0, err
    jsonschema.validate(json.loads((tmp_path / "a.json").read_text()), json_schema("aggregate"))
    code, out, _ = run_cli(capsys, "compare", str(CASES[0]), str(CASES[1]), "--format", "json")
    assert code == 0
    jsonschema.validate(json.loads(out), json_schema("compare"))


def test_schema_command_knows_plan_aggregate_compare(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("plan", "aggregate", "compare"):
        code, out, _ = run_cli(capsys, "schema", name)
        assert code == 0 and json.loads(out)["$id"].endswith(name)


def test_yaml_12_core_scalars_stay_strings_where_the_schema_says_string(tmp_path: Path, onto: Ontology) -> None:
    """An unquoted `date: 2020-01-01` or `text: No` passed the schema and the editor but not combmap."""
    path = tmp_path / "c.yaml"
    path.write_text(
        "case: {id: c, title: On, date: 2020-01-01}\nbehaviour: {target: yes}\n"
        "barriers:\n- {id: b1, text: No, tdf: [knowledge], frequency: 3, weight: 1.5}\n",
        encoding="utf-8",
    )
    case = load_case(path, onto)
    assert case.info.date == "2020-01-01" and case.info.title == "On"
    assert case.behaviour.target == "yes" and case.barriers[0].text == "No"
    assert case.barriers[0].frequency == 3 and case.barriers[0].weight == 1.5
    data = parse_yaml("a: true\nb: null\nc: 0x10\nd: 1:30\ne: 1_000\n", "x").data
    assert data == {"a": True, "b": None, "c": 16, "d": "1:30", "e": "1_000"}
    assert yaml.safe_load("d: 1:30")["d"] == 90  # what YAML 1.1 would have made of it
