"""What every command shares: the app, its options, loading helpers, output and errors."""


from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:

    from rich.console import RenderableType

    from combmap.case import Case
    from combmap.ontology import Ontology

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


class SchemaName(StrEnum):
    """Files that have a JSON Schema."""

    CASE = "case"
    ENTITIES = "entities"
    LINKS = "links"
    REFERENCES = "references"
    MANIFEST = "manifest"
    QUESTIONS = "questions"


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
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Neither read nor write the caches of the validated ontology and of aggregate's counts (or set COMBMAP_NO_CACHE=1).",
        ),
    ] = False,
) -> None:
    """Design behaviour change interventions with COM-B, the TDF and the Behaviour Change Wheel.

    Start with: combmap plan cases/baxter-2020-cvso.yaml
    """
    from combmap import cache

    cache.disabled_by_option = no_cache


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
    """A line for the person at the terminal, on stderr: plain text, so rich is not loaded."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _by_suffix(output: Path | None, table: dict[str, str], default: str, what: str) -> str:
    if output is None:
        return default
    found = table.get(output.suffix.lower())
    if found is None:
        from combmap.errors import OutputError

        known = ", ".join(sorted(table))
        raise OutputError(f"cannot tell the {what} format from {output.name!r}; use --format or a file ending in {known}")
    return found

def _chosen_format(given: str | None, output: Path | None, suffixes: dict[str, str]) -> str:
    if given is not None:
        return given
    if output is not None:
        return _by_suffix(output, suffixes, "markdown", "output")
    return "table" if sys.stdout.isatty() else "markdown"

def _tables_text(parts: list[RenderableType], output: Path | None) -> None:
    """Print rich renderables on the terminal, or write them as plain text."""
    import io

    from rich.console import Console

    if output is None:
        console = Console()
        for part in parts:
            console.print(part)
        return
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, no_color=True, force_terminal=False)
    for part in parts:
        console.print(part)
    _emit(buffer.getvalue(), output)

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
        SchemaName.QUESTIONS: models.QuestionBankModel,
    }
    model = models_by_name[name]
    return json.dumps(model.model_json_schema(by_alias=True), indent=2) + "\n"

