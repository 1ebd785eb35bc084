"""The README's examples run, and every command is documented there."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from combmap import Ontology, load_case, make_plan
from combmap.cli import app

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_readme_case_example_plans(tmp_path: Path, onto: Ontology) -> None:
    [case_yaml] = _blocks("yaml")
    path = tmp_path / "case.yaml"
    path.write_text(case_yaml)
    plan = make_plan(load_case(path, onto), onto)
    assert plan.functions
    assert [e.id for e in plan.excluded] == ["if:coercion"]


def test_readme_library_example_runs() -> None:
    [code] = _blocks("python")
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)


def test_every_command_is_in_the_readme() -> None:
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert f"combmap {name}" in README, f"document 'combmap {name}' in the README"
        for sub in getattr(command, "commands", {}):
            assert f"combmap {name} {sub}" in README, (
                f"document 'combmap {name} {sub}' in the README"
            )
