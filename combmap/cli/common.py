"""What every command shares: the app, its options, loading helpers, output and errors."""


from __future__ import annotations

import gc
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:

    from rich.console import RenderableType

    from combmap.case import Case
    from combmap.ontology import Ontology

#: Exit codes, documented in the README.
EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
#: Set by the scripts `combmap completion` prints, when the shell asks for completions.
COMPLETE_VAR = "_COMBMAP_COMPLETE"

def _words_in_help() -> None:
    """Help shows metavars in words (FILE, DIR), not Python types (`<list[Path]>`, `<bool>`).

    Since typer 0.2x the help's type column prints the annotation: `<bool>` beside every flag
    (and -h) and `<list[Path]>` beside an argument even when it has a metavar. Flags take no
    value, so they show none; an argument with a metavar shows that alone (issue 15). Typer
    versions without `display_type_rich` already print metavars and are left alone.
    """
    from typer import core

    option, argument = getattr(core, "TyperOption", None), getattr(core, "TyperArgument", None)
    if option is None or argument is None or not hasattr(option, "display_type_rich"):
        return
    shown_option, shown_argument = option.display_type_rich, argument.display_type_rich

    def option_type(self: Any, ctx: Any) -> str | None:
        return "" if getattr(self, "is_flag", False) else shown_option(self, ctx)

    def argument_type(self: Any, ctx: Any) -> str | None:
        return "" if self.metavar else shown_argument(self, ctx)

    option.display_type_rich = option_type
    argument.display_type_rich = argument_type


_words_in_help()

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
    PLAN = "plan"
    AGGREGATE = "aggregate"
    COMPARE = "compare"


OntologyOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--ontology",
        metavar="DIR",
        help="An overlay directory of extra entities, links or references (repeatable).",
        show_default=False,
    ),
]
ProfileOption = Annotated[
    str | None,
    typer.Option("--profile", metavar="NAME", help="Link-set profile, e.g. bcw2011 or bcw2014.", show_default=False),
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write to this file (atomically); '-' for stdout.", show_default=False),
]
#: The spelling of -o/--output before issue 15; still read, not shown in help.
OldOutOption = Annotated[Path | None, typer.Option("--out", hidden=True, help="Old spelling of --output.")]
#: A case file argument; '-' reads it from standard input.
CaseArgument = Annotated[
    Path, typer.Argument(metavar="CASE", help="A case file (YAML); '-' for stdin.", show_default=False)
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
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only results and errors, no progress notes.")
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
    _QUIET[0] = quiet
    from combmap import cache

    cache.disabled_by_option = no_cache


#: Whether -q/--quiet was given: notes (wrote FILE, ok FILE, skipped ...) are not printed.
_QUIET = [False]


# --- helpers --------------------------------------------------------------------------------


#: Whether `main` paused the cyclic garbage collector for start-up, and whether `_started`
#: froze what start-up made.
_GC = {"paused": False, "frozen": False}


def _pause_gc() -> None:
    """Pause the cyclic collector for start-up (`main`); `_started` resumes it."""
    if gc.isenabled():
        gc.disable()
        _GC["paused"] = True


def _started(*, freeze: bool) -> None:
    """Start-up is over (the inputs are loaded): resume the collector `_pause_gc` paused.

    Imports, typer's parsing and loading make some 60,000 containers (58,000 for `plan`
    on Baxter) that live until the process ends. Collecting finds no garbage among them,
    yet young collections scanned them again and again and the run's first full collection
    (inside make_plan) walked them all.
    `freeze` moves them out of every later collection's sight; only one-case commands freeze
    (aggregate freezes its own heap when it starts counting).
    """
    if not _GC["paused"]:
        return
    _GC["paused"] = False
    if freeze:
        gc.freeze()
        _GC["frozen"] = True
    gc.enable()


def _end_gc_pause(*, process_ends: bool) -> None:
    """After the command: leave the collector as `main` found it, or, when the process ends, freeze all.

    At exit the interpreter's last collection walks every object still alive only to free
    memory that the exit frees anyway (15 ms for the minimal typer app, more for a plan);
    frozen objects are skipped. A `main` called with arguments (tests, a longer-lived
    process) gets the collector back unpaused and unfrozen.
    """
    if process_ends:
        gc.freeze()
        return
    if _GC["frozen"]:
        gc.unfreeze()
        _GC["frozen"] = False
    _started(freeze=False)


def _load_ontology(overlays: list[Path] | None) -> Ontology:
    from combmap.ontology import load_ontology

    return load_ontology(*(overlays or []))


def _ontology(overlays: list[Path] | None) -> Ontology:
    ontology = _load_ontology(overlays)
    _started(freeze=False)
    return ontology


def _stdin_once(paths: list[Path] | list[str]) -> None:
    """Refuse '-' (standard input) given more than once: it can be read only once."""
    if sum(str(path) == "-" for path in paths) > 1:
        raise typer.BadParameter("'-' (standard input) can be given only once")


def _case(path: Path, overlays: list[Path] | None) -> tuple[Ontology, Case]:
    from combmap.case import load_case

    ontology = _load_ontology(overlays)
    loaded = load_case(path, ontology)
    _started(freeze=True)
    return ontology, loaded


def _emit(data: str | bytes, output: Path | None) -> None:
    """Print a result (output None or '-'), or write it to `output` (`output.write_output`)."""
    if output is None or str(output) == "-":
        if isinstance(data, bytes):
            if output is None and sys.stdout.isatty():
                from combmap.errors import OutputError

                raise OutputError("this output is binary; give -o FILE (or -o - to pipe it)")
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            _out(data, display=False)
        return
    from combmap.output import write_output

    write_output(output, data)
    _note(f"wrote {output}")


def _out(text: str, *, display: bool = True) -> None:
    """Print text on stdout through the control-character filter.

    Display commands (explain, ontology show and search) always filter; a result (a plan's
    JSON or Markdown, `display=False`) is filtered when stdout is a terminal, and kept
    byte-exact when piped.
    """
    from combmap.terminal import clean_block

    if display or sys.stdout.isatty():
        text = clean_block(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _note(message: str) -> None:
    """A line for the person at the terminal, on stderr: filtered plain text (rich not loaded)."""
    if _QUIET[0] and not message.startswith(("warning", "error")):
        return
    from combmap.terminal import clean

    sys.stderr.write(clean(message) + "\n")
    sys.stderr.flush()

def _by_suffix(
    output: Path | None, table: dict[str, str], default: str, what: str, *, option: bool = True
) -> str:
    """The format a file name asks for; refuses a suffix the command cannot write."""
    if output is None or str(output) == "-":
        return default
    found = table.get(output.suffix.lower())
    if found is None:
        from combmap.errors import OutputError

        known = ", ".join(sorted(table))
        hint = " (or choose one with --format)" if option else ""
        raise OutputError(f"cannot write the {what} as {output.name!r}; give a file name ending in {known}{hint}")
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

    from combmap.errors import CombmapError
    from combmap.terminal import markup

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    if isinstance(error, CombmapError):
        console.print(f"[bold red]error:[/bold red] {markup(error.message)}")
        for issue in error.issues:
            console.print(f"  - {markup(issue)}")
    else:
        console.print(f"[bold red]error:[/bold red] {markup(error)}")


def _schema_text(name: SchemaName) -> str:
    import json

    from combmap.schemas import json_schema

    return json.dumps(json_schema(name.value), indent=2, ensure_ascii=False) + "\n"
