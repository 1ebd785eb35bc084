"""The `combmap` command line: the only module that prints, exits or imports typer.

Each command loads, computes, renders and outputs; everything else lives in the library.
Library modules are imported inside commands so that `combmap --help` stays fast.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from combmap.case import Case
    from combmap.ontology import Ontology
    from combmap.plan import Plan

#: Exit codes, documented in the README.
EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    name="combmap",
    help="Design behaviour change interventions with COM-B, the TDF and the Behaviour Change Wheel.",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
)
ontology_app = typer.Typer(
    help="Browse, validate and export the ontology.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
)
app.add_typer(ontology_app, name="ontology")


class PlanFormat(StrEnum):
    """Output formats of `combmap plan`."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    YAML = "yaml"


class ExportFormat(StrEnum):
    """Output formats of `combmap ontology export`."""

    JSON = "json"
    CSV = "csv"
    GRAPHML = "graphml"


class SchemaName(StrEnum):
    """Files that have a JSON Schema."""

    CASE = "case"
    ENTITIES = "entities"
    LINKS = "links"
    REFERENCES = "references"
    MANIFEST = "manifest"


OntologyOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--ontology",
        help="An overlay directory of extra entities, links or references (repeatable).",
        show_default=False,
    ),
]
ProfileOption = Annotated[
    str | None, typer.Option("--profile", help="Link-set profile, e.g. bcw2011 or bcw2014.")
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file (atomically).")
]


def _version(value: bool) -> None:
    if value:
        from combmap import __version__

        typer.echo(f"combmap {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks (for developers).")
    ] = False,
) -> None:
    """Design behaviour change interventions with COM-B, the TDF and the Behaviour Change Wheel.

    Start with: combmap plan cases/baxter-2020-cvso.yaml
    """


# --- helpers --------------------------------------------------------------------------------


def _ontology(overlays: list[Path] | None) -> Ontology:
    from combmap.ontology import load_ontology

    return load_ontology(*(overlays or []))


def _case(path: Path, overlays: list[Path] | None) -> tuple[Ontology, Case]:
    from combmap.case import load_case

    ontology = _ontology(overlays)
    return ontology, load_case(path, ontology)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    from combmap.yamlio import write_atomic

    write_atomic(output, text)
    _note(f"wrote {output}")


def _note(message: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, soft_wrap=True).print(f"[dim]{escape(message)}[/dim]")


# --- plan, explain, validate, schema ---------------------------------------------------------


@app.command()
def plan(
    case: Annotated[Path, typer.Argument(help="A case file (YAML).", show_default=False)],
    format: Annotated[
        PlanFormat | None,
        typer.Option("--format", "-f", help="table (default on a terminal), json, markdown, yaml."),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", min=1, max=93, help="Techniques kept overall and per function.")
    ] = 10,
    profile: ProfileOption = None,
    ontology: OntologyOption = None,
    output: OutputOption = None,
) -> None:
    """Rank intervention functions, policy categories and techniques for a case.

    Example: combmap plan cases/baxter-2020-cvso.yaml --format markdown -o plan.md
    """
    from combmap.plan import make_plan

    onto, loaded = _case(case, ontology)
    result = make_plan(loaded, onto, profile=profile, top=top)
    chosen = format or _default_format(output)
    if chosen == PlanFormat.TABLE and output is None:
        _print_tables(result, onto)
    else:
        _emit(_render_plan(result, onto, chosen), output)


def _default_format(output: Path | None) -> PlanFormat:
    if output is not None:
        suffix = output.suffix.lower()
        by_suffix = {
            ".json": PlanFormat.JSON,
            ".md": PlanFormat.MARKDOWN,
            ".yaml": PlanFormat.YAML,
            ".yml": PlanFormat.YAML,
        }
        return by_suffix.get(suffix, PlanFormat.MARKDOWN)
    return PlanFormat.TABLE if sys.stdout.isatty() else PlanFormat.MARKDOWN


def _render_plan(result: Plan, onto: Ontology, chosen: PlanFormat) -> str:
    from combmap import render

    if chosen == PlanFormat.JSON:
        return result.to_json()
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
    case: Annotated[Path, typer.Argument(help="A case file (YAML).", show_default=False)],
    item: Annotated[
        str,
        typer.Argument(
            help="A function, policy or technique: id, label or alias.", show_default=False
        ),
    ],
    profile: ProfileOption = None,
    ontology: OntologyOption = None,
) -> None:
    """Show why the plan ranks one item where it does: barriers, routes, links, sources.

    Example: combmap explain cases/baxter-2020-cvso.yaml enablement
    """
    from combmap.errors import UnknownIdError
    from combmap.plan import make_plan
    from combmap.render import explain_lines
    from combmap.schema import Kind

    onto, loaded = _case(case, ontology)
    entity = onto.resolve(item, (Kind.FUNCTION, Kind.POLICY, Kind.TECHNIQUE))
    result = make_plan(loaded, onto, profile=profile, top=93)
    found = result.item(entity.id)
    if found is None:
        raise UnknownIdError(
            f"{entity.label} ({entity.id}) addresses no barrier of this case in profile {result.profile!r}"
        )
    sys.stdout.write("\n".join(explain_lines(found, result, onto)) + "\n")


@app.command()
def validate(
    cases: Annotated[list[Path], typer.Argument(help="Case files to check.", show_default=False)],
    ontology: OntologyOption = None,
) -> None:
    """Check case files without planning; report every problem with its line.

    Example: combmap validate cases/*.yaml
    """
    from combmap.case import load_case
    from combmap.errors import CombmapError

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
        SchemaName, typer.Argument(help="case, entities, links, references or manifest.")
    ] = SchemaName.CASE,
) -> None:
    """Print the JSON Schema of a file type, for editors that check YAML.

    Example: combmap schema case > case.schema.json
    """
    sys.stdout.write(_schema_text(name))


def _schema_text(name: SchemaName) -> str:
    import json

    from pydantic import BaseModel

    from combmap import schema as models

    models_by_name: dict[SchemaName, type[BaseModel]] = {
        SchemaName.CASE: models.CaseFileModel,
        SchemaName.ENTITIES: models.EntityFileModel,
        SchemaName.LINKS: models.LinkSetModel,
        SchemaName.REFERENCES: models.ReferenceFileModel,
        SchemaName.MANIFEST: models.ManifestModel,
    }
    model = models_by_name[name]
    return json.dumps(model.model_json_schema(by_alias=True), indent=2) + "\n"


# --- ontology ----------------------------------------------------------------------------------


@ontology_app.command("validate")
def ontology_validate(
    overlays: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Overlay directories to check with the packaged ontology.", show_default=False
        ),
    ] = None,
) -> None:
    """Validate the packaged ontology plus overlays; report every problem with its line.

    Example: combmap ontology validate my-overlay/
    """
    onto = _ontology(overlays)
    stats = onto.stats()
    counts = ", ".join(f"{n} {k}" for k, n in stats["entities"].items())
    typer.echo(
        f"ontology {onto.version} is valid: {counts}; {stats['links']} links in {stats['link_sets']} sets"
    )


@ontology_app.command("show")
def ontology_show(
    entity: Annotated[
        str, typer.Argument(help="An id, label or alias, e.g. 'C-Ps' or '1.1'.", show_default=False)
    ],
    ontology: OntologyOption = None,
) -> None:
    """Show one entity: definition, aliases, source and every link with its source.

    Example: combmap ontology show "goal setting (behavior)"
    """
    from combmap.render import entity_record, to_yaml

    onto = _ontology(ontology)
    sys.stdout.write(to_yaml(entity_record(onto.resolve(entity), onto)))


@ontology_app.command("search")
def ontology_search(
    text: Annotated[
        str,
        typer.Argument(
            help="Text to look for in ids, labels, aliases and definitions.", show_default=False
        ),
    ],
    ontology: OntologyOption = None,
) -> None:
    """Find entities by name or definition.

    Example: combmap ontology search feedback
    """
    onto = _ontology(ontology)
    found = onto.search(text)
    if not found:
        _note(f"nothing matches {text!r}")
        raise typer.Exit(EXIT_INPUT)
    for entity in found:
        typer.echo(f"{entity.id}\t{entity.kind.value}\t{entity.label}")


@ontology_app.command("stats")
def ontology_stats(ontology: OntologyOption = None) -> None:
    """Count entities, and links by relation, status and source.

    Example: combmap ontology stats
    """
    from combmap.render import to_yaml

    sys.stdout.write(to_yaml(_ontology(ontology).stats()))


@ontology_app.command("export")
def ontology_export(
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="json, csv or graphml.")
    ] = ExportFormat.JSON,
    ontology: OntologyOption = None,
    output: OutputOption = None,
) -> None:
    """Export the whole ontology: nodes and sourced links.

    Example: combmap ontology export --format graphml -o combmap.graphml
    """
    from combmap import render

    onto = _ontology(ontology)
    exporter = {
        ExportFormat.JSON: render.export_json,
        ExportFormat.CSV: render.export_csv,
        ExportFormat.GRAPHML: render.export_graphml,
    }[format]
    _emit(exporter(onto), output)


@ontology_app.command("schema")
def ontology_schema(
    name: Annotated[
        SchemaName, typer.Argument(help="entities, links, references or manifest.")
    ] = SchemaName.ENTITIES,
) -> None:
    """Print the JSON Schema of an ontology file type.

    Example: combmap ontology schema links
    """
    sys.stdout.write(_schema_text(name))


# --- diagram and report (issue 4) ------------------------------------------------------------


# --- assess (issue 5) ---------------------------------------------------------------------------


# --- compare and aggregate (issue 6) ------------------------------------------------------------


# --- the error boundary ------------------------------------------------------------------------


def _report(error: Exception) -> None:
    from rich.console import Console
    from rich.markup import escape

    from combmap.errors import CombmapError

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    if isinstance(error, CombmapError):
        console.print(f"[bold red]error:[/bold red] {escape(error.message)}")
        for issue in error.issues:
            console.print(f"  - {escape(str(issue))}")
    else:
        console.print(f"[bold red]error:[/bold red] {escape(str(error))}")


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI: map library errors to exit 1, usage errors to 2, bugs to 3."""
    from combmap.errors import CombmapError

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # Standalone mode: typer handles --help, usage errors (exit 2) and Exit itself.
        app(args=args, prog_name="combmap")
    except CombmapError as error:
        if debug:
            raise
        _report(error)
        sys.exit(EXIT_INPUT)
    except KeyboardInterrupt:
        sys.stderr.write("stopped\n")
        sys.exit(130)
    except Exception as bug:
        if debug:
            raise
        _report(
            RuntimeError(
                f"internal error ({type(bug).__name__}: {bug}); please report it, and rerun with --debug to see the traceback"
            )
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK)
