"""`compare` and `aggregate`: several sides or many organisations at once."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from combmap.cli.common import (
    OntologyOption,
    OutputOption,
    ProfileOption,
    _chosen_format,
    _emit,
    _note,
    _ontology,
    _stdin_once,
    _tables_text,
    app,
)

# --- compare and aggregate (issue 6) ------------------------------------------------------------

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from combmap.aggregate import Totals


class CompareFormat(StrEnum):
    """Output formats of `combmap compare`."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    DOT = "dot"
    MERMAID = "mermaid"
    SVG = "svg"
    PNG = "png"
    PDF = "pdf"


class CompareBy(StrEnum):
    """What `combmap compare` sets side by side."""

    CASE = "case"
    GROUP = "group"


class AggregateFormat(StrEnum):
    """Output formats of `combmap aggregate`."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"


_COMPARE_SUFFIXES = {
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
}
_AGGREGATE_SUFFIXES = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown"}
#: Skipped inputs listed on the terminal; the JSON output lists every one.
_PROBLEMS_SHOWN = 50






@app.command()
def compare(
    cases: Annotated[
        list[Path],
        typer.Argument(metavar="CASE", help="Case files; one is enough with --by group; '-' for stdin.", show_default=False),
    ],
    by: Annotated[
        CompareBy,
        typer.Option("--by", metavar="SIDES", help="case: each file is a side; group: each stakeholder group is."),
    ] = CompareBy.CASE,
    format: Annotated[
        CompareFormat | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="table (default on a terminal), json, markdown, dot, mermaid, svg, png or pdf; "
            "default from the -o suffix.",
            show_default=False,
        ),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", min=1, max=93, metavar="N", help="Ranks that count as high in a plan.")
    ] = 5,
    profile: ProfileOption = None,
    ontology: OntologyOption = None,
    output: OutputOption = None,
) -> None:
    """Compare cases, or the stakeholder groups of one case: shared and differing codes, and plans.

    Example: combmap compare cases/health-champions-smi-volunteers-patients.yaml --by group
    """
    from combmap import compare as comparing
    from combmap.case import load_case

    _stdin_once(cases)
    onto = _ontology(ontology)
    loaded = [load_case(path, onto) for path in cases]
    ungrouped: list[str] = []
    if by == CompareBy.GROUP:
        sides, ungrouped = comparing.sides_by_group(loaded)
    else:
        sides = comparing.sides_by_case(loaded)
    data = comparing.compare(
        sides, onto, profile=profile, top=top, by=by.value, ungrouped=ungrouped
    )
    chosen = _chosen_format(format, output, _COMPARE_SUFFIXES)
    if chosen in {"png", "pdf"} and output is None:
        from combmap.errors import OutputError

        raise OutputError(f"{chosen.upper()} is binary; give a file with -o, e.g. -o compare.{chosen}")
    if chosen in {"svg", "png", "pdf"}:
        from combmap.diagram import render

        _emit(render(comparing.to_dot(data), chosen), output)
        return
    if chosen == "table":
        _tables_text(comparing.tables(data), output)
        return
    renderers = {
        "json": comparing.to_json,
        "markdown": comparing.to_markdown,
        "dot": comparing.to_dot,
        "mermaid": comparing.to_mermaid,
    }
    _emit(renderers[chosen](data), output)


@app.command()
def aggregate(
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH",
            help="Case files, directories (walked for *.yaml, *.yml), quoted globs, or "
            "self-assessment exports (*.csv); '-' for one case on stdin.",
            show_default=False,
        ),
    ],
    output: OutputOption = None,
    format: Annotated[
        AggregateFormat | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="table (default on a terminal), json, csv or markdown; default from the -o suffix.",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first file that fails (exit 1).")
    ] = False,
    top: Annotated[
        int, typer.Option("--top", min=1, max=93, metavar="N", help="Techniques shown in table and markdown.")
    ] = 10,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            metavar="N",
            help="Worker processes (default: one per CPU).",
            show_default=False,
        ),
    ] = None,
    profile: ProfileOption = None,
    ontology: OntologyOption = None,
) -> None:
    """Add up many organisations' cases: sector-level priorities, functions, policies, techniques.

    Bad files are reported with their location and skipped; nothing is written unless the
    run completes.

    Example: combmap aggregate cases/ -o sector.json
    """
    from combmap import aggregate as aggregating
    from combmap.errors import InputError

    _stdin_once(paths)
    onto = _ontology(ontology)
    files, missing = aggregating.expand_inputs(paths)
    if missing and strict:
        raise InputError(f"{missing[0].file} {missing[0].message}")
    if not files and missing:
        raise InputError("no input to aggregate", missing)
    overlays = tuple(str(path) for path in ontology or [])
    with _progress(len(files)) as advance:
        totals = aggregating.aggregate(
            files,
            onto,
            overlays=overlays,
            profile=profile,
            strict=strict,
            jobs=jobs,
            progress=advance,
        )
    for issue in missing:
        totals.skip([issue])
    data = aggregating.result(totals, onto)
    chosen = _chosen_format(format, output, _AGGREGATE_SUFFIXES)
    if chosen == "table":
        _tables_text(aggregating.tables(data, top=top), output)
    else:
        if chosen == "json":
            text = aggregating.to_json(data)
        elif chosen == "csv":
            text = aggregating.to_csv(data)
        else:
            text = aggregating.to_markdown(data, top=top)
        _emit(text, output)
    _aggregate_summary(totals)


def _aggregate_summary(totals: Totals) -> None:
    """What was skipped and how much was counted: plain notes, as "wrote FILE" (rich not loaded)."""
    for first, count in totals.skips[:_PROBLEMS_SHOWN]:
        more = f" (and {count - 1} more problem{'s' * (count != 2)})" if count > 1 else ""
        _note(f"skipped {first}{more}")
    if totals.skipped > _PROBLEMS_SHOWN:
        _note(f"... and {totals.skipped - _PROBLEMS_SHOWN} more (every one is in the JSON output)")
    _note(
        f"aggregated {totals.cases} case{'s' * (totals.cases != 1)}; "
        f"{totals.skipped} input{'s' * (totals.skipped != 1)} skipped"
    )


def _progress(total: int) -> AbstractContextManager[Callable[[int], None] | None]:
    """A progress bar on stderr when it is a terminal and the run is long; else nothing."""
    from contextlib import contextmanager, nullcontext

    if total < 50 or not sys.stderr.isatty():
        return nullcontext(None)

    @contextmanager
    def bar() -> Iterator[Callable[[int], None] | None]:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as progress:
            task = progress.add_task("reading cases", total=total)
            yield lambda done: progress.advance(task, done)

    return bar()
