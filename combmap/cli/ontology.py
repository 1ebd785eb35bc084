"""`combmap ontology ...`: browse, validate and export the ontology."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from combmap.cli.common import (
    EXIT_INPUT,
    OntologyOption,
    OutputOption,
    SchemaName,
    _emit,
    _note,
    _ontology,
    _out,
    _schema_text,
    ontology_app,
)


class ExportFormat(StrEnum):
    """Output formats of `combmap ontology export`."""

    JSON = "json"
    CSV = "csv"
    GRAPHML = "graphml"

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
    questions = f"; {len(onto.questions.items)} questions" if onto.questions else ""
    _out(
        f"ontology {onto.version} is valid: {counts}; {stats['links']} links in {stats['link_sets']} sets{questions}"
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
    _out(to_yaml(entity_record(onto.resolve(entity), onto)))


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
    from combmap.terminal import clean

    _out("".join(f"{entity.id}\t{entity.kind.value}\t{clean(entity.label)}\n" for entity in found))


@ontology_app.command("stats")
def ontology_stats(ontology: OntologyOption = None) -> None:
    """Count entities, and links by relation, status and source.

    Example: combmap ontology stats
    """
    from combmap.render import to_yaml

    _out(to_yaml(_ontology(ontology).stats()))


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
        SchemaName, typer.Argument(help="entities, links, references, manifest or questions.")
    ] = SchemaName.ENTITIES,
) -> None:
    """Print the JSON Schema of an ontology file type.

    Example: combmap ontology schema links
    """
    sys.stdout.write(_schema_text(name))
