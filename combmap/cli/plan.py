"""`plan`, `explain`, `validate` and `schema`: a case in, a plan out."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from combmap.ontology import Ontology
    from combmap.plan import Plan

from combmap.cli.common import (
    EXIT_INPUT,
    CaseArgument,
    OntologyOption,
    OutputOption,
    ProfileOption,
    SchemaName,
    _by_suffix,
    _case,
    _emit,
    _note,
    _ontology,
    _out,
    _report,
    _schema_text,
    _stdin_once,
    app,
)


class PlanFormat(StrEnum):
    """Output formats of `combmap plan`."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    YAML = "yaml"
    #: The drafted interventions as a BCIO-annotated specification (issue 16).
    BCIO_JSON = "bcio-json"

# --- plan, explain, validate, schema ---------------------------------------------------------


@app.command()
def plan(
    case: CaseArgument,
    format: Annotated[
        PlanFormat | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="table (default on a terminal), json, markdown, yaml, or bcio-json (the "
            "drafted interventions' specification with BCIO ids); default from the -o suffix.",
            show_default=False,
        ),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", min=1, max=93, metavar="N", help="Techniques kept overall and per function.")
    ] = 10,
    profile: ProfileOption = None,
    ontology: OntologyOption = None,
    output: OutputOption = None,
    plain_words: Annotated[
        bool | None,
        typer.Option("--plain/--technical", help="Plain words for organisation leads (the default for a self-assessment), or the method's tables.", show_default=False),
    ] = None,
) -> None:
    """Plan a case: drafted interventions, per-barrier chains, ranked functions, policies, techniques.

    Example: combmap plan cases/baxter-2020-cvso.yaml --format markdown -o plan.md
    """
    from combmap.plan import make_plan

    onto, loaded = _case(case, ontology)
    result = make_plan(loaded, onto, profile=profile, top=top)
    chosen = format or _default_format(output)
    if plain_words is None:
        plain_words = loaded.assessment is not None and format is None
    if plain_words and chosen in {PlanFormat.TABLE, PlanFormat.MARKDOWN}:
        from combmap.report import plain_plan_lines

        text = "\n".join(plain_plan_lines(result, onto)).replace("combmap plan FILE", f"combmap plan {case}")
        _emit(text + "\n", output)
        return
    if chosen == PlanFormat.TABLE and output is None:
        _print_tables(result, onto)
    else:
        _emit(_render_plan(result, onto, chosen), output)


#: What each file name ending writes as; any other ending is refused unless --format is given.
_PLAN_SUFFIXES = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".yaml": "yaml", ".yml": "yaml", ".txt": "table"}


def _default_format(output: Path | None) -> PlanFormat:
    if output is not None and str(output) != "-":
        return PlanFormat(_by_suffix(output, _PLAN_SUFFIXES, "markdown", "plan"))
    return PlanFormat.TABLE if output is None and sys.stdout.isatty() else PlanFormat.MARKDOWN


def _render_plan(result: Plan, onto: Ontology, chosen: PlanFormat) -> str:
    if chosen == PlanFormat.JSON:
        return result.to_json()
    if chosen == PlanFormat.BCIO_JSON:
        from combmap.spec import bcio_json

        return bcio_json(result, onto)
    from combmap import render

    if chosen == PlanFormat.YAML:
        return render.plan_yaml(result)
    if chosen == PlanFormat.MARKDOWN:
        return render.plan_markdown(result, onto)
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=120, no_color=True, force_terminal=False)
    for part in render.plan_tables(result, onto):
        console.print(part)
    return buffer.getvalue()


def _print_tables(result: Plan, onto: Ontology) -> None:
    from rich.console import Console

    from combmap import render

    console = Console()
    for part in render.plan_tables(result, onto):
        console.print(part)


@app.command()
def explain(
    case: CaseArgument,
    item: Annotated[
        str,
        typer.Argument(
            metavar="ITEM",
            help="Any id in the plan: a barrier, a domain or component, a function, policy, "
            "technique or drafted intervention (id, label or alias).",
            show_default=False,
        ),
    ],
    profile: ProfileOption = None,
    ontology: OntologyOption = None,
) -> None:
    """Show why the plan holds an item: a barrier's whole chain, or what flows through an item.

    Example: combmap explain cases/baxter-2020-cvso.yaml ds-business-skills
    """
    from combmap.plan import make_plan
    from combmap.render import explain_lines

    onto, loaded = _case(case, ontology)
    result = make_plan(loaded, onto, profile=profile, top=93)
    _out("\n".join(explain_lines(item, result, onto)))


@app.command()
def validate(
    cases: Annotated[list[Path], typer.Argument(metavar="CASE", help="Case files to check; '-' for stdin.", show_default=False)],
    ontology: OntologyOption = None,
) -> None:
    """Check case files without planning; report every problem with its line.

    Example: combmap validate cases/*.yaml
    """
    from combmap.case import load_case
    from combmap.errors import CombmapError

    _stdin_once(cases)
    onto = _ontology(ontology)
    failures: list[CombmapError] = []
    for path in cases:
        try:
            loaded = load_case(path, onto)
        except CombmapError as error:
            failures.append(error)
            continue
        _note(f"ok {path}: {len(loaded.barriers)} barriers and enablers")
    if failures:
        for failure in failures:
            _report(failure)
        raise typer.Exit(EXIT_INPUT)


@app.command()
def schema(
    name: Annotated[
        SchemaName, typer.Argument(metavar="NAME", help="case, entities, links, references, manifest, questions, plan, aggregate or compare.")
    ] = SchemaName.CASE,
) -> None:
    """Print the JSON Schema of a file type, for editors that check YAML.

    Example: combmap schema case > case.schema.json
    """
    sys.stdout.write(_schema_text(name))
