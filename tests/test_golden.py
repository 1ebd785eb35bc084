"""Golden JSON and Markdown plans for every shipped case; regenerate with --update-golden."""

from __future__ import annotations

from pathlib import Path

import pytest

from combmap import Ontology, load_case, make_plan
from combmap.render import plan_markdown

from .conftest import CASES

GOLDEN = Path(__file__).resolve().parent / "golden"
CASE_FILES = sorted(CASES.glob("*.yaml"))


def _check(path: Path, text: str, update: bool) -> None:
    if update or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not update:
            pytest.fail(f"{path.name} was missing and has been written; rerun the tests")
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} changed; review, then run pytest --update-golden"
    )


@pytest.mark.parametrize("case_file", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_plan_json_and_markdown(case_file: Path, onto: Ontology, update_golden: bool) -> None:
    plan = make_plan(load_case(case_file, onto), onto)
    _check(GOLDEN / f"{case_file.stem}.plan.json", plan.to_json(), update_golden)
    _check(GOLDEN / f"{case_file.stem}.plan.md", plan_markdown(plan, onto), update_golden)


def test_every_case_has_golden_files() -> None:
    assert len(CASE_FILES) >= 5
