"""The command line: outputs, exit codes, and one located message (no traceback) per error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from combmap.cli import app, main

from .conftest import CASES, DATA
from .conftest import run_cli as run

BAXTER = str(CASES / "baxter-2020-cvso.yaml")


def test_plan_json_is_the_documented_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", BAXTER, "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["schema"] == "combmap.plan/3"
    assert {"interventions", "barriers", "selected", "functions", "policies", "techniques"} <= set(plan)
    assert plan["case"]["id"] == "baxter-2020-cvso"
    assert plan["profile"] == "bcw2014" and plan["ontology"]
    for key in ("functions", "policies", "techniques"):
        for item in plan[key]:
            assert {"id", "label", "rank", "tie", "score", "barriers", "robustness"} <= set(item)
    assert {b["chain"] for b in plan["barriers"]} == set(plan["chains"])
    for chain in plan["chains"].values():
        for function in chain["functions"]:
            assert function["routes"]
            for technique in function["techniques"]:
                assert all(key in plan["links"] for key in technique["links"])


@pytest.mark.parametrize("fmt", ["table", "markdown", "yaml"])
def test_plan_formats(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, err = run(capsys, "plan", BAXTER, "--format", fmt, "--top", "3")
    assert code == 0, err
    assert "Enablement" in out


def test_plan_to_file_infers_format_and_writes_atomically(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "plan.json"
    code, _, err = run(capsys, "plan", BAXTER, "-o", str(target))
    assert code == 0, err
    assert json.loads(target.read_text())["functions"][0]["id"] == "if:enablement"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_profile_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", BAXTER, "--format", "json", "--profile", "bcw2011")
    assert code == 0
    assert json.loads(out)["profile"] == "bcw2011"


def test_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "explain", BAXTER, "enablement")
    assert code == 0, err
    assert out.startswith("Enablement (if:enablement), function")
    assert "rank 1, addresses 20 barriers" in out
    assert "Social influences → Enablement  (Social influences: kredo2018, Table 1 + michie2014 (origin) [secondary])" in out


def test_explain_technique_by_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", BAXTER, "6.1")
    assert code == 0
    assert "Demonstration of the behavior (bct:6.1), technique" in out


def test_validate_all_cases(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "validate", *map(str, sorted(CASES.glob("*.yaml"))))
    assert code == 0
    assert err.count("ok ") == len(list(CASES.glob("*.yaml")))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "no-such.yaml"), "error: no-such.yaml does not exist"),
        (("plan", str(DATA)), "is a directory; expected a case file"),
        (
            ("plan", BAXTER, "--profile", "bcw2015"),
            "unknown profile 'bcw2015'; did you mean 'bcw2014'?",
        ),
        (("explain", BAXTER, "enablment"), "did you mean 'if:enablement' (Enablement)?"),
        (("explain", BAXTER, "ds-busness-skills"), "did you mean 'ds-business-skills'?"),
        (
            ("plan", BAXTER, "-o", "/no/such/dir/plan.json"),
            "the folder /no/such/dir does not exist",
        ),
        (("ontology", "show", "knowlege"), "did you mean 'tdf:knowledge' (Knowledge)?"),
        (
            ("ontology", "validate", str(DATA / "broken" / "dangling-link")),
            "unknown id 'if:educaton'",
        ),
        (("ontology", "search", "zzzzzz"), "nothing matches"),
    ],
)
def test_errors_exit_1_with_one_message(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 1
    assert message in " ".join(err.split())
    assert "Traceback" not in err


def test_bad_case_lists_each_located_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "case: {id: x, title: X}\nbehaviour: {target: T}\nbarriers:\n  - {id: a, text: A, tdf: [knowlege]}\n"
    )
    code, _, err = run(capsys, "validate", str(bad))
    assert code == 1
    assert (
        f"{bad}:4: barriers[0].tdf[0]: unknown domain 'knowlege'; did you mean 'tdf:knowledge' (Knowledge)?"
        in err
    )


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "plan", BAXTER, "--format", "pdf")
    assert code == 2


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    from combmap.errors import InputError

    with pytest.raises(InputError):
        main(["--debug", "plan", "no-such.yaml"])


@pytest.mark.parametrize(
    "args",
    [
        ("ontology", "validate"),
        ("ontology", "stats"),
        ("ontology", "search", "feedback"),
        ("ontology", "show", "C-Ps"),
        ("ontology", "export", "--format", "csv"),
        ("ontology", "export", "--format", "graphml"),
        ("schema", "case"),
        ("ontology", "schema", "links"),
        ("--version",),
    ],
)
def test_ontology_commands(capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert out.strip()


def test_export_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ontology", "export", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert {"id", "kind", "label"} <= set(data["nodes"][0])
    assert {"source", "target", "relation", "ref", "status"} <= set(data["edges"][0])
    assert len([n for n in data["nodes"] if n["kind"] == "technique"]) == 93


def test_case_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "schema", "case")
    schema = json.loads(out)
    assert schema["additionalProperties"] is False
    assert "barriers" in schema["required"]


def test_every_command_has_help() -> None:
    import typer.main

    group = typer.main.get_command(app)
    commands = list(group.commands.values())  # type: ignore[attr-defined]
    for command in commands:
        subcommands = getattr(command, "commands", {})
        for sub in [command, *subcommands.values()]:
            assert sub.help, f"{sub.name} has no help"


def test_python_dash_m_and_help_do_not_import_heavy_modules() -> None:
    code = (
        "import sys, runpy; sys.argv=['combmap','--help']\n"
        "try:\n    runpy.run_module('combmap', run_name='__main__')\nexcept SystemExit: pass\n"
        "print(sorted(m for m in ('networkx','graphviz','pydantic') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


_HELP_IN_A_NEW_PROCESS = """
import sys
{preload}
from combmap.cli import main
try:
    main({args!r})
except SystemExit:
    pass
loaded = [m for m in ("rich.markdown", "markdown_it", "pygments", "rich.traceback") if m in sys.modules]
print(loaded, file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], [], ["plan", "--help"], ["ontology"]])
def test_help_does_not_load_markdown_or_tracebacks_and_looks_the_same(args: list[str]) -> None:
    """Issue 14: help loads only what it uses, and prints what typer's formatter prints."""
    env = {**os.environ, "COLUMNS": "100", "FORCE_COLOR": "1"}
    printed = []
    for preload in ("", "import rich.markdown, rich.traceback"):
        code = _HELP_IN_A_NEW_PROCESS.format(preload=preload, args=args)
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        printed.append((done.stdout, done.stderr.splitlines()[-1]))
    (light, light_loaded), (full, full_loaded) = printed
    assert "\x1b[" in light and "Usage" in light
    assert light == full
    assert full_loaded != "[]"
    eager = subprocess.run(
        [sys.executable, "-c", "import sys, typer; print('typer.rich_utils' in sys.modules)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    # Older typers (0.16) import their help formatter with typer itself: nothing to defer.
    assert light_loaded == ("[]" if eager == "False" else full_loaded)


def test_deferred_help_names_are_the_real_classes_when_used() -> None:
    from rich.markdown import Markdown
    from rich.traceback import Traceback

    from combmap.cli import _Deferred

    markdown = _Deferred("Markdown", (), {"_module": "rich.markdown", "_name": "Markdown"})
    traceback = _Deferred("Traceback", (), {"_module": "rich.traceback", "_name": "Traceback"})
    assert type(markdown("*x*")) is Markdown
    assert traceback.from_exception == Traceback.from_exception


def test_main_with_arguments_gives_the_collector_back(capsys: pytest.CaptureFixture[str]) -> None:
    import gc

    assert gc.isenabled() and gc.get_freeze_count() == 0
    for args in (["plan", "cases/baxter-2020-cvso.yaml", "-f", "json"], ["schema"], ["plan", "missing.yaml"]):
        run(capsys, *args)
        assert gc.isenabled() and gc.get_freeze_count() == 0


def test_start_up_pause_then_freeze_for_one_case_commands() -> None:
    import gc

    from combmap.cli import common

    common._pause_gc()
    try:
        assert not gc.isenabled()
        common._started(freeze=True)
        assert gc.isenabled() and gc.get_freeze_count() > 0
        common._started(freeze=True)  # once only
    finally:
        common._end_gc_pause(process_ends=False)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()  # a caller's own choice stands
    try:
        common._pause_gc()
        common._end_gc_pause(process_ends=False)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_command_that_ends_the_process_leaves_the_heap_frozen() -> None:
    code = (
        "import gc, sys\nfrom combmap.cli import main\nsys.argv = ['combmap', 'schema']\n"
        "try:\n    main()\nexcept SystemExit:\n    print(gc.get_freeze_count() > 0, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip() == "True"


def test_replacing_an_output_without_answers_does_not_import_assess(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom pathlib import Path\nfrom combmap.output import write_output\n"
        f"target = Path({str(tmp_path / 'x.svg')!r})\n"
        "write_output(target, '<svg/>')\nwrite_output(target, '<svg></svg>')\n"
        "print(target.read_text(), 'combmap.assess' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["<svg></svg>", "False"]


def test_full_disk_on_stdout_is_an_output_error_exit_1() -> None:
    """Issue 15 item 6: a full disk on stdout was 'internal error', exit 3."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "combmap", "plan", "cases/baxter-2020-cvso.yaml", "-f", "json"],
            stdout=full, stderr=subprocess.PIPE, text=True, check=False,
        )
    assert done.returncode == 1 and "cannot write the output" in done.stderr and "internal" not in done.stderr


def test_quiet_silences_notes_not_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "-q", "plan", "cases/baxter-2020-cvso.yaml", "-o", str(tmp_path / "p.md"))
    assert code == 0 and err == ""
    code, _, err = run(capsys, "-q", "plan", str(tmp_path / "missing.yaml"))
    assert code == 1 and "does not exist" in err


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        [],
        ["plan", "--help"],
        ["ontology", "--help"],
        ["ontology", "validate", "--help"],
        ["assess", "--help"],
        ["aggregate", "--help"],
        ["plna"],
        ["--version"],
    ],
)
def test_help_with_stand_in_commands_is_typer_help(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14: commands not asked for are stand-ins, and help looks exactly as typer's."""
    from combmap.cli import _trimmed, app

    outputs = []
    for chosen in (app, _trimmed(app, args)):
        with pytest.raises(SystemExit):
            chosen(args=args, prog_name="combmap")
        outputs.append(capsys.readouterr())
    assert outputs[0] == outputs[1]
    assert outputs[0].out or outputs[0].err


def test_help_formatter_falls_back_to_a_plain_import() -> None:
    """A typer whose formatter imports other names from those modules still gets them."""
    code = (
        "import sys\nfrom combmap import cli\n"
        "cli._UNUSED_BY_HELP = (('rich.markdown', 'NotTheNameTyperImports'),)\n"
        "cli._import_help_formatter()\nimport typer.rich_utils as formatter\n"
        "print(formatter.Markdown.__module__, 'rich.markdown' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["rich.markdown", "True"]
