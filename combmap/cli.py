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
        SchemaName, typer.Argument(help="case, entities, links, references, manifest or questions.")
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
        SchemaName.QUESTIONS: models.QuestionBankModel,
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
    questions = f"; {len(onto.questions.items)} questions" if onto.questions else ""
    typer.echo(
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
        SchemaName, typer.Argument(help="entities, links, references, manifest or questions.")
    ] = SchemaName.ENTITIES,
) -> None:
    """Print the JSON Schema of an ontology file type.

    Example: combmap ontology schema links
    """
    sys.stdout.write(_schema_text(name))


# --- diagram and report (issue 4) ------------------------------------------------------------


class DiagramFormat(StrEnum):
    """Output formats of `combmap diagram`."""

    SVG = "svg"
    PNG = "png"
    PDF = "pdf"
    DOT = "dot"
    MERMAID = "mermaid"


class ReportFormat(StrEnum):
    """Output formats of `combmap report`."""

    HTML = "html"
    MARKDOWN = "markdown"


_DIAGRAM_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}
_REPORT_SUFFIXES = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}

RendererOption = Annotated[
    str | None,
    typer.Option("--renderer", help="auto (system Graphviz if on PATH, else the bundled graphviz-pure), system or pure.", show_default=False),
]
DateOption = Annotated[
    str | None, typer.Option("--date", help="Date printed in the title block (none by default, so output is reproducible).", show_default=False)
]
DiagramTopOption = Annotated[int, typer.Option("--top", min=0, max=93, help="Techniques drawn under each function.")]


def _by_suffix(output: Path | None, table: dict[str, str], default: str, what: str) -> str:
    if output is None:
        return default
    found = table.get(output.suffix.lower())
    if found is None:
        from combmap.errors import OutputError

        known = ", ".join(sorted(table))
        raise OutputError(f"cannot tell the {what} format from {output.name!r}; use --format or a file ending in {known}")
    return found


@app.command()
def diagram(
    case: Annotated[Path, typer.Argument(help="A case file (YAML).", show_default=False)],
    output: OutputOption = None,
    format: Annotated[
        DiagramFormat | None,
        typer.Option("--format", "-f", help="svg, png, pdf, dot or mermaid; default from the -o suffix, else dot.", show_default=False),
    ] = None,
    top: DiagramTopOption = 3,
    focus: Annotated[str | None, typer.Option("--focus", help="Draw only what connects to this barrier id or entity (id, label or alias).", show_default=False)] = None,
    layers: Annotated[
        list[str] | None,
        typer.Option("--layers", help="Layers to draw, comma-separated or repeated: barriers, domains, components, functions, techniques, policies.", show_default=False),
    ] = None,
    profile: ProfileOption = None,
    ontology: OntologyOption = None,
    renderer: RendererOption = None,
    date: DateOption = None,
) -> None:
    """Draw the plan: barriers → TDF → COM-B → functions → techniques → policy categories.

    Example: combmap diagram cases/baxter-2020-cvso.yaml -o baxter.svg --focus enablement
    """
    from combmap.errors import OutputError

    chosen = format.value if format else _by_suffix(output, _DIAGRAM_SUFFIXES, "dot", "diagram")
    if chosen in {"png", "pdf"} and output is None:
        raise OutputError(f"{chosen.upper()} is binary; give a file with -o, e.g. -o diagram.{chosen}")
    from combmap.diagram import plan_digraph, plan_mermaid, render
    from combmap.plan import make_plan

    onto, loaded = _case(case, ontology)
    result = make_plan(loaded, onto, profile=profile)
    if chosen == "mermaid":
        _emit(plan_mermaid(result, onto, top=top, focus=focus, layers=layers, date=date), output)
        return
    source = plan_digraph(result, onto, top=top, focus=focus, layers=layers, date=date).source
    if chosen == "dot":
        _emit(source, output)
        return
    data = render(source, chosen, renderer=renderer)
    if output is None:
        _emit(data.decode("utf-8"), None)
        return
    from combmap.yamlio import write_atomic

    write_atomic(output, data)
    _note(f"wrote {output}")


@app.command()
def report(
    case: Annotated[Path, typer.Argument(help="A case file (YAML).", show_default=False)],
    output: OutputOption = None,
    format: Annotated[
        ReportFormat | None,
        typer.Option("--format", "-f", help="html or markdown; default from the -o suffix, else html.", show_default=False),
    ] = None,
    top: DiagramTopOption = 3,
    profile: ProfileOption = None,
    ontology: OntologyOption = None,
    renderer: RendererOption = None,
    date: DateOption = None,
) -> None:
    """Write a client report: a self-contained HTML page, or Markdown with a Mermaid diagram.

    Example: combmap report cases/baxter-2020-cvso.yaml -o baxter-report.html
    """
    chosen = format.value if format else _by_suffix(output, _REPORT_SUFFIXES, "html", "report")
    from combmap.plan import make_plan
    from combmap.report import plan_html, plan_report_markdown

    onto, loaded = _case(case, ontology)
    result = make_plan(loaded, onto, profile=profile)
    if chosen == "markdown":
        _emit(plan_report_markdown(result, onto, top=top, date=date), output)
        return
    from combmap.diagram import plan_digraph, render

    svg = render(plan_digraph(result, onto, top=top, date=date).source, "svg", renderer=renderer).decode("utf-8")
    _emit(plan_html(result, onto, loaded, svg=svg, date=date, top=top), output)


# --- assess (issue 5) ---------------------------------------------------------------------------

if TYPE_CHECKING:
    from rich.console import Console

    from combmap.assess import Session, Walk

assess_app = typer.Typer(context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(assess_app, name="assess")


class QuestionFormat(StrEnum):
    """Formats of `combmap assess export-questions`."""

    CSV = "csv"
    REDCAP = "redcap"


@assess_app.callback(invoke_without_command=True)
def assess(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="The file that keeps your answers. Run the same command again to carry on.",
        ),
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Your organisation's name.")] = None,
    respondent: Annotated[
        str | None, typer.Option("--respondent", help="Your name (optional).")
    ] = None,
    behaviour: Annotated[
        str | None,
        typer.Option("--behaviour", help="What your organisation wants to do, in one sentence."),
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option("--answers", help="Take the answers from a file (YAML or CSV); ask nothing."),
    ] = None,
    ontology: OntologyOption = None,
) -> None:
    """Answer questions about your organisation and get a case file to plan from.

    Your answers are saved after every question; run the same command again to carry on.
    Answers can also come from a file (--answers) or, one per line, from a pipe.

    Example: combmap assess --out my-org.yaml --org "Riverside Arts"
    """
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        _note("Tell combmap where to keep your answers, for example:")
        _note("  combmap assess --out my-organisation.yaml")
        raise typer.Exit(EXIT_USAGE)
    from combmap import assess as lib

    onto = _ontology(ontology)
    session = lib.open_session(
        out, onto, respondent=respondent, organisation=org, behaviour=behaviour
    )
    for key in session.unknown_ids():
        _note(
            f"warning: {out} has an answer to {key!r}, which is not in the question bank; it is kept but not counted"
        )
    resume = _resume_command(out, ontology)
    if answers is not None:
        session.apply(lib.read_answers(answers, onto))
        session.save()
        _assess_summary(session, onto, resume)
    elif not sys.stdin.isatty():
        _assess_piped(session, onto, resume)
    else:
        _assess_interactive(session, onto, resume)


def _resume_command(out: Path, overlays: list[Path] | None) -> str:
    import shlex

    parts = ["combmap", "assess", "--out", str(out)]
    for overlay in overlays or []:
        parts += ["--ontology", str(overlay)]
    return shlex.join(parts)


def _assess_piped(session: Session, onto: Ontology, resume: str) -> None:
    """Answers from a pipe, one per line, in question order from where the file stopped."""
    from combmap import assess as lib
    from combmap.errors import AssessmentError, Issue

    walk: Walk | None = None
    note_next = False
    for number, raw in enumerate(sys.stdin, start=1):
        walk = walk or lib.Walk(session)
        current = walk.current
        if current is None:
            _note(f"every question is answered; line {number} and after are not used")
            break
        line = raw.rstrip("\r\n")
        if note_next:
            walk.note(line)
            note_next = False
            continue
        try:
            command = lib.parse_key(line, session.bank.scale)
        except AssessmentError:
            shown = line.strip() if len(line.strip()) <= 20 else line.strip()[:17] + "..."
            message = (
                f"{shown!r} is not an answer; each line holds 1 to 5, d (don't know), n (does not "
                "apply), s (skip), b (back), q (stop), or a (the next line is a note)"
            )
            issue = Issue("<stdin>", number, current.id, message)
            raise AssessmentError(
                f"stopped at line {number} of the piped answers; the answers before it are saved in {session.path}",
                [issue],
            ) from None
        if command.action == "answer" and command.answer is not None:
            walk.answer(command.answer)
        elif command.action == "back":
            walk.back()
        elif command.action == "note":
            note_next = True
        elif command.action == "quit":
            break
        elif command.action in ("skip", "keep"):
            walk.skip() if not session.is_answered(current.id) else walk.keep()
    finished = not any(session.is_open(q.id) for q in session.bank.items)
    if walk is None and not (session.resumed and finished):
        raise AssessmentError(
            "no answers were given: standard input is not a terminal and nothing was piped in. "
            "Run the command in a terminal, pipe answers (one per line) or use --answers FILE"
        )
    _assess_summary(session, onto, resume)


def _assess_interactive(session: Session, onto: Ontology, resume: str) -> None:
    """The questionnaire in the terminal: one question at a time, saved after every answer."""
    from rich.console import Console

    console = Console(highlight=False)
    try:
        if _assess_start(console, session, resume):
            _assess_summary(session, onto, resume, console)
    except (KeyboardInterrupt, EOFError) as stop:
        session.save()
        console.print()
        _assess_saved(console, session, resume)
        raise typer.Exit(130 if isinstance(stop, KeyboardInterrupt) else EXIT_OK) from None


def _assess_saved(console: Console, session: Session, resume: str) -> None:
    from rich.markup import escape

    total = len(session.bank.items)
    console.print(
        f"[bold]Saved.[/bold] You have answered {session.answered} of {total} questions; "
        f"your answers are in {escape(str(session.path))}."
    )
    console.print(f"To carry on later, run:  [bold]{escape(resume)}[/bold]", soft_wrap=True)


def _ask(console: Console, prompt: str) -> str:
    return console.input(prompt)


def _assess_start(console: Console, session: Session, resume: str) -> bool:
    """Welcome, resume or review; then the walk. False when the person quit."""
    from rich.markup import escape
    from rich.panel import Panel

    from combmap import assess as lib

    bank = session.bank
    total = len(bank.items)
    where = escape(str(session.path))
    if not session.resumed:
        minutes = lib.estimate_minutes(total)
        console.print(
            Panel(
                f"You will see {total} short statements about your organisation and the work you "
                f"want to do. For each one, say how much you agree. It takes about {minutes} "
                "minutes.\n\n"
                f"Your answers are saved after every question, in {where}. You can stop at any "
                "time (type q, or press Ctrl-C) and carry on later by running the same command "
                "again.\n\n"
                "There are no right or wrong answers: the aim is to find what makes this work "
                "harder or easier for your organisation.",
                title="combmap self-assessment",
                padding=(1, 2),
            )
        )
        if session.organisation is None:
            name = _ask(console, "What is your organisation called? (press Enter to skip) ")
            session.set_organisation(name)
    else:
        who = f", {escape(session.respondent)}" if session.respondent else ""
        left = total - session.answered
        console.print(
            Panel(
                f"Welcome back{who}. You have answered {session.answered} of {total} questions"
                + (f"; {left} to go (about {lib.estimate_minutes(left)} minutes)." if left else ".")
                + f"\nYour answers are in {where}.",
                title="combmap self-assessment",
                padding=(1, 2),
            )
        )
    while session.behaviour is None:
        console.print(f"\n[bold]{escape(lib.BEHAVIOUR_QUESTION)}[/bold]")
        console.print(f"[dim]{escape(lib.BEHAVIOUR_EXAMPLE)}[/dim]")
        text = _ask(console, "> ")
        if text.strip().casefold() == "q":
            session.save()
            _assess_saved(console, session, resume)
            return False
        if not text.strip():
            console.print(
                "[yellow]Please write a sentence: it tells the plan what your answers are about.[/yellow]"
            )
        session.set_behaviour(text)
    session.save()
    console.print(
        f"\nIn the statements, [bold]this work[/bold] means: {escape(session.behaviour or '')}"
    )
    scale = bank.scale
    console.print(
        f"\nFor each statement type [bold]1[/bold] to [bold]5[/bold] (1 = {escape(scale.points[0].lower())}, "
        f"5 = {escape(scale.points[4].lower())}), [bold]d[/bold] {escape(scale.dont_know.lower())} or "
        f"[bold]n[/bold] {escape(scale.not_applicable.lower())}, then press Enter."
    )
    console.print(
        "Other keys: [bold]b[/bold] back, [bold]s[/bold] skip for now, [bold]a[/bold] add a note, "
        "[bold]q[/bold] save and quit."
    )
    if session.resumed and session.answered:
        first_open = next((i for i, q in enumerate(bank.items) if session.is_open(q.id)), None)
        carry = (
            f"carry on with question {first_open + 1}"
            if first_open is not None
            else "see your summary"
        )
        prompt = f"Press Enter to {carry}, type r to look over your answers first, or q to quit: "
    else:
        prompt = "Press Enter to start: "
    choice = _ask(console, prompt).strip().casefold()
    if choice == "q":
        _assess_saved(console, session, resume)
        return False
    mode = "all" if choice == "r" and session.resumed else "fill"
    walk = lib.Walk(session, mode="all" if mode == "all" else "fill")
    if not _assess_walk(console, walk, session):
        _assess_saved(console, session, resume)
        return False
    skipped = session.open_skipped()
    if skipped:
        many = f"{len(skipped)} questions" if len(skipped) > 1 else "1 question"
        choice = _ask(
            console, f"\nYou skipped {many}. Type y to answer now, or press Enter to finish: "
        )
        if choice.strip().casefold() in ("y", "yes"):
            walk = lib.Walk(session, mode="all", only=skipped)
            if not _assess_walk(console, walk, session):
                _assess_saved(console, session, resume)
                return False
    return True


def _assess_walk(console: Console, walk: Walk, session: Session) -> bool:
    """Ask until the walk is over; False when the person quit (everything is saved)."""
    from rich.markup import escape

    from combmap import assess as lib
    from combmap.errors import AssessmentError

    scale = session.bank.scale
    shown: str | None = None
    section = None
    while walk.current is not None:
        question = walk.current
        if shown != question.id:
            if question.section != section:
                section = question.section
                console.print(f"\n[bold]{escape(lib.SECTION_TITLES[section])}[/bold]")
            _show_question(console, walk, session)
            shown = question.id
        try:
            command = lib.parse_key(_ask(console, "Your answer: "), scale)
        except AssessmentError as error:
            console.print(f"[yellow]{escape(error.message)}[/yellow]")
            continue
        if command.action == "answer" and command.answer is not None:
            walk.answer(command.answer)
        elif command.action == "keep":
            try:
                walk.keep()
            except AssessmentError as error:
                console.print(f"[yellow]{escape(error.message)}[/yellow]")
        elif command.action == "back":
            if not walk.back():
                console.print("[yellow]This is the first question.[/yellow]")
            shown = None
        elif command.action == "skip":
            walk.skip()
        elif command.action == "note":
            text = _ask(console, "Type your note, then press Enter (leave it empty to cancel): ")
            if text.strip():
                walk.note(text)
                console.print("[green]Note saved.[/green]")
        elif command.action == "help":
            console.print(escape(lib.KEYS_HINT))
            if question.help:
                console.print(f"[dim]{escape(question.help)}[/dim]")
        elif command.action == "quit":
            return False
        if walk.current is not None and walk.current.id != shown:
            shown = None
    return True


def _show_question(console: Console, walk: Walk, session: Session) -> None:
    from rich.markup import escape

    from combmap import assess as lib

    question = walk.current
    if question is None:
        return
    scale = session.bank.scale
    total = len(session.bank.items)
    console.print()
    console.rule(f"{walk.number} of {total} · {question.section.value.capitalize()}", align="left")
    console.print(f"[bold]{escape(question.text)}[/bold]")
    if question.help:
        console.print(f"[dim]{escape(question.help)}[/dim]")
    choices = [(str(i), label) for i, label in enumerate(scale.points, start=1)]
    choices += [("d", scale.dont_know), ("n", scale.not_applicable)]
    lines: list[list[tuple[str, str]]] = [[]]
    for key, label in choices:  # wrap between choices, never inside one
        used = sum(len(k) + len(v) + 4 for k, v in lines[-1])
        if lines[-1] and used + len(key) + len(label) + 2 > console.width - 2:
            lines.append([])
        lines[-1].append((key, label))
    for line in lines:
        console.print("  " + "   ".join(f"[bold]{k}[/bold] {escape(v)}" for k, v in line))
    console.print("  [dim]b back · s skip · a add a note · q save and quit[/dim]")
    given = session.answers.get(question.id)
    if given is not None:
        typed = str(given)[0]  # 1-5, or d / n
        console.print(
            f"  Your answer so far: [bold]{typed}[/bold] {escape(lib.answer_label(given, scale))} "
            "[dim](press Enter to keep it)[/dim]"
        )
    note = session.notes.get(question.id)
    if note:
        console.print(f"  Your note: {escape(note)}")


def _assess_summary(
    session: Session, onto: Ontology, resume: str, console: Console | None = None
) -> None:
    """What the answers say: COM-B profile as bars, top priorities, and where the file is."""
    import shlex

    from rich.console import Console
    from rich.markup import escape
    from rich.padding import Padding
    from rich.table import Table

    from combmap.assess import comb_profile, top_priorities
    from combmap.case import load_case
    from combmap.plan import make_plan

    console = console or Console(highlight=False)
    bank = session.bank
    total = len(bank.items)
    counts = {"dont-know": 0, "not-applicable": 0}
    for question in bank.items:
        given = session.answers.get(question.id)
        if isinstance(given, str):
            counts[given] += 1
    extra = []
    if counts["dont-know"]:
        extra.append(f"{counts['dont-know']} {bank.scale.dont_know.lower()}")
    if counts["not-applicable"]:
        extra.append(f"{counts['not-applicable']} {bank.scale.not_applicable.lower()}")
    console.print()
    console.rule("Your summary", align="left")
    line = f"You answered {session.answered} of {total} questions"
    line += f" ({', '.join(extra)})" if extra else ""
    skipped = session.open_skipped()
    line += f"; {len(skipped)} skipped" if skipped else ""
    console.print(escape(line) + ".")
    path = session.path.resolve()
    document = session.to_document()
    if not any(str(b.get("id", "")).startswith("q-") for b in document["barriers"]):
        console.print(
            "Your answers so far do not point to any barrier or strength (all neutral, don't "
            "know or not applicable), so there is nothing to plan from yet."
        )
    else:
        case = load_case(session.path, onto)
        rows = comb_profile(case, onto)
        peak = max([r.barriers for r in rows] + [r.enablers for r in rows] + [1.0])
        table = Table(
            title="Barriers and strengths, by part of the COM-B model",
            title_justify="left",
            box=None,
            pad_edge=False,
        )
        table.add_column("")
        table.add_column("Barriers", justify="right", style="red")
        table.add_column("Strengths", style="green")
        for row in rows:
            table.add_row(
                row.label,
                _bar(row.barriers, peak, left=True),
                _bar(row.enablers, peak, left=False),
            )
        console.print()
        console.print(table)
        console.print(
            "[dim]Capability: what people know and can do. Opportunity: the time, money, places "
            "and people around them. Motivation: what drives them, or holds them back.[/dim]"
        )
        result = make_plan(case, onto)
        top = top_priorities(result, case)
        if top:
            console.print(
                "\n[bold]What to work on first[/bold] (the areas with the biggest barriers)"
            )
            for index, item in enumerate(top, start=1):
                found = _count_words(len(item.barriers), "barrier")
                if item.enablers:
                    found += ", " + _count_words(len(item.enablers), "strength")
                flag = " [yellow](mixed answers)[/yellow]" if item.conflicting else ""
                console.print(f"  {index}. {escape(item.label)}: {found}{flag}")
                texts = {b.id: b.text for b in case.barriers}
                for entry_id in item.barriers[:2]:
                    console.print(Padding(f"[dim]{escape(texts[entry_id])}[/dim]", (0, 0, 0, 5)))
        helps = [item.label for item in result.functions][:3]
        if helps:
            console.print(
                f"\nWhat could help most: {escape(', '.join(helps))} "
                "(the full plan says why, and how)."
            )
    if session.behaviour is None:
        console.print(
            '\nTip: say what your organisation wants to do, e.g. --behaviour "Run weekly arts '
            'sessions"; the plan is about that behaviour.'
        )
    console.print(f"\nYour case file: [bold]{escape(str(path))}[/bold]", soft_wrap=True)
    left = total - session.answered
    if left:
        console.print(
            f"{left} questions are still open. To carry on:  [bold]{escape(resume)}[/bold]",
            soft_wrap=True,
        )
    plan_command = shlex.join(["combmap", "plan", str(session.path)])
    console.print(f"To see the full plan:  [bold]{escape(plan_command)}[/bold]", soft_wrap=True)


def _count_words(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _bar(value: float, peak: float, *, left: bool) -> str:
    if value <= 0:
        return ""
    blocks = "█" * max(1, round(value / peak * 16))
    number = f"{value:g}"
    return f"{number} {blocks}" if left else f"{blocks} {number}"


@assess_app.command("merge")
def assess_merge(
    files: Annotated[
        list[Path],
        typer.Argument(help="Self-assessment files, one per person.", show_default=False),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "--out", "-o", help="The merged case file to write.", show_default=False
        ),
    ],
    ontology: OntologyOption = None,
) -> None:
    """Combine several people's self-assessments into one case; disagreements are marked.

    Example: combmap assess merge sam.yaml alex.yaml -o riverside.yaml
    """
    from combmap import assess as lib
    from combmap.case import case_from_document
    from combmap.errors import AssessmentError
    from combmap.yamlio import parse_yaml, write_atomic

    onto = _ontology(ontology)
    if any(output.resolve() == f.resolve() for f in files):
        raise AssessmentError(
            f"{output} is one of the files to merge; write the merge to a new file"
        )
    if output.exists():
        doc = parse_yaml(output.read_text(encoding="utf-8"), str(output))
        if not isinstance(doc.data, dict) or doc.data.get("assessment") is None:
            raise AssessmentError(
                f"{output} already exists and is not a self-assessment; choose another file name"
            )
    document, warnings = lib.merge(files, onto, out=output)
    for warning in warnings:
        _note(f"warning: {warning}")
    text = lib.case_text(document, output.name)
    entries = [b for b in document["barriers"] if str(b.get("id", "")).startswith("q-")]
    if entries:
        case_from_document(parse_yaml(text, str(output)), onto)
    else:
        _note(
            "warning: no answer leans either way, so the merged case has nothing to plan from yet"
        )
    write_atomic(output, text)
    people = len(document["assessment"]["respondents"])
    both = sum(1 for b in entries if b["kind"] == "both")
    _note(
        f"wrote {output}: {people} respondents, {len(entries)} entries, {both} with answers that point both ways"
    )


@assess_app.command("export-questions")
def assess_export_questions(
    format: Annotated[
        QuestionFormat,
        typer.Option("--format", "-f", help="csv (a plain data dictionary) or redcap."),
    ] = QuestionFormat.CSV,
    output: OutputOption = None,
    ontology: OntologyOption = None,
) -> None:
    """Write the questions as a survey data dictionary, to run the assessment as a survey.

    Example: combmap assess export-questions --format redcap -o dictionary.csv
    """
    from combmap import assess as lib
    from combmap import survey

    bank = lib.question_bank(_ontology(ontology))
    _emit(
        survey.export_questions(bank, "redcap" if format == QuestionFormat.REDCAP else "csv"), output
    )


@assess_app.command("import")
def assess_import(
    survey: Annotated[
        Path, typer.Argument(help="A survey export (CSV): one row per person.", show_default=False)
    ],
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Folder for the case files.")] = Path(
        "."
    ),
    behaviour: Annotated[
        str | None,
        typer.Option("--behaviour", help="The behaviour, when the survey did not ask it."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace case files that already exist.")
    ] = False,
    ontology: OntologyOption = None,
) -> None:
    """Make one case file per respondent from a survey export; bad rows are reported, not fatal.

    Example: combmap assess import survey.csv --out-dir cases/
    """
    from combmap import survey as surveys
    from combmap.errors import AssessmentError, Issue

    onto = _ontology(ontology)
    result = surveys.import_survey(survey, onto)
    for warning in result.warnings:
        _note(f"warning: {warning}")
    if not out_dir.is_dir():
        raise AssessmentError(f"the folder {out_dir} does not exist; create it first")
    problems = list(result.problems)
    written = 0
    for row in result.rows:
        session = surveys.survey_session(row, out_dir, onto)
        if row.behaviour is None:
            session.set_behaviour(behaviour)
        if session.path.exists() and not force:
            message = f"{session.path} already exists; not replaced (use --force to replace it)"
            problems.append(Issue(str(survey), row.line, f"row {row.row}", message))
            continue
        session.save()
        written += 1
        _note(f"wrote {session.path}")
    _note(f"{written} case file{'s' * (written != 1)} written")
    if problems:
        count = len({p.path for p in problems})
        raise AssessmentError(
            f"{count} row{'s' * (count != 1)} of {survey} {'were' if count != 1 else 'was'} not imported; the other rows were",
            problems,
        )


# --- compare and aggregate (issue 6) ------------------------------------------------------------

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from rich.console import RenderableType

    from combmap.aggregate import Totals


class CompareFormat(StrEnum):
    """Output formats of `combmap compare`."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    DOT = "dot"
    MERMAID = "mermaid"


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
}
_AGGREGATE_SUFFIXES = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown"}
#: Skipped inputs listed on the terminal; the JSON output lists every one.
_PROBLEMS_SHOWN = 50


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


@app.command()
def compare(
    cases: Annotated[
        list[Path],
        typer.Argument(help="Case files; one is enough with --by group.", show_default=False),
    ],
    by: Annotated[
        CompareBy,
        typer.Option("--by", help="case: each file is a side; group: each stakeholder group is."),
    ] = CompareBy.CASE,
    format: Annotated[
        CompareFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (default on a terminal), json, markdown, dot or mermaid.",
            show_default=False,
        ),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", min=1, max=93, help="Ranks that count as high in a plan.")
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
            help="Case files, directories (walked for *.yaml, *.yml), quoted globs, or "
            "self-assessment exports (*.csv).",
            show_default=False,
        ),
    ],
    output: OutputOption = None,
    format: Annotated[
        AggregateFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (default on a terminal), json, csv or markdown.",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first file that fails (exit 1).")
    ] = False,
    top: Annotated[
        int, typer.Option("--top", min=1, max=93, help="Techniques shown in table and markdown.")
    ] = 10,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
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
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for first, count in totals.skips[:_PROBLEMS_SHOWN]:
        more = f" (and {count - 1} more problem{'s' * (count != 2)})" if count > 1 else ""
        console.print(f"[yellow]skipped[/yellow] {escape(str(first))}{more}")
    if totals.skipped > _PROBLEMS_SHOWN:
        console.print(
            f"... and {totals.skipped - _PROBLEMS_SHOWN} more (every one is in the JSON output)"
        )
    console.print(
        f"[dim]aggregated {totals.cases} case{'s' * (totals.cases != 1)}; "
        f"{totals.skipped} input{'s' * (totals.skipped != 1)} skipped[/dim]"
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
