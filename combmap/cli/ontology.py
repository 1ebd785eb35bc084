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
    _by_suffix,
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
    OWL = "owl"
    TTL = "ttl"
    SKOS = "skos"


#: What each file name ending exports as.
EXPORT_SUFFIXES = {
    ".json": "json",
    ".csv": "csv",
    ".graphml": "graphml",
    ".owl": "owl",
    ".rdf": "owl",
    ".ttl": "ttl",
    ".skos": "skos",
}

# --- ontology ----------------------------------------------------------------------------------


@ontology_app.command("validate")
def ontology_validate(
    overlays: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="DIR", help="Overlay directories to check with the packaged ontology.", show_default=False
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
        str, typer.Argument(metavar="ENTITY", help="An id, label or alias, e.g. 'C-Ps' or '1.1'.", show_default=False)
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
            metavar="TEXT", help="Text to look for in ids, labels, aliases and definitions.", show_default=False
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
        ExportFormat | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            show_default=False,
            help="json (networkx node-link), csv, graphml, owl (RDF/XML), ttl (OWL in Turtle) or skos (Turtle); default: from the -o suffix, else json.",
        ),
    ] = None,
    ontology: OntologyOption = None,
    output: OutputOption = None,
) -> None:
    """Export the whole ontology: nodes and sourced links, for graph and ontology tools.

    Example: combmap ontology export --format owl -o combmap.owl
    """
    from combmap import rdf, render

    chosen = format.value if format is not None else _by_suffix(output, EXPORT_SUFFIXES, "json", "ontology export")
    onto = _ontology(ontology)
    exporters = {
        "json": render.export_json,
        "csv": render.export_csv,
        "graphml": render.export_graphml,
        "owl": rdf.export_owl,
        "ttl": lambda o: rdf.export_owl(o, syntax="turtle"),
        "skos": rdf.export_skos,
    }
    _emit(exporters[chosen](onto), output)


@ontology_app.command("schema")
def ontology_schema(
    name: Annotated[
        SchemaName, typer.Argument(metavar="NAME", help="entities, links, references, manifest or questions.")
    ] = SchemaName.ENTITIES,
) -> None:
    """Print the JSON Schema of an ontology file type.

    Example: combmap ontology schema links
    """
    sys.stdout.write(_schema_text(name))
