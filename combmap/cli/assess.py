"""`combmap assess ...`: the self-assessment for organisation leads."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from combmap.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    OldOutOption,
    OntologyOption,
    OutputOption,
    _by_suffix,
    _emit,
    _note,
    _ontology,
    app,
)

# --- assess (issue 5) ---------------------------------------------------------------------------

if TYPE_CHECKING:
    from rich.console import Console

    from combmap.assess import Session, Walk
    from combmap.ontology import Ontology

assess_app = typer.Typer(context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(assess_app, name="assess")


#: What a file name ending writes, for `-o` of merge and export-questions.
_CASE_SUFFIXES = {".yaml": "yaml", ".yml": "yaml"}
_QUESTION_SUFFIXES = {".csv": "csv", ".txt": "txt"}


class QuestionFormat(StrEnum):
    """Formats of `combmap assess export-questions`."""

    CSV = "csv"
    REDCAP = "redcap"
    QUALTRICS = "qualtrics"


@assess_app.callback(invoke_without_command=True)
def assess(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The file that keeps your answers. Run the same command again to carry on.",
        ),
    ] = None,
    org: Annotated[str | None, typer.Option("--org", metavar="NAME", help="Your organisation's name.")] = None,
    respondent: Annotated[
        str | None, typer.Option("--respondent", metavar="NAME", help="Your name (optional).")
    ] = None,
    behaviour: Annotated[
        str | None,
        typer.Option("--behaviour", metavar="TEXT", help="What your organisation wants to do, in one sentence."),
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option("--answers", metavar="FILE", help="Take the answers from a file (YAML or CSV; '-' for stdin); ask nothing."),
    ] = None,
    ontology: OntologyOption = None,
    old_out: OldOutOption = None,
) -> None:
    """Answer questions about your organisation and get a case file to plan from.

    Your answers are saved after every question; run the same command again to carry on.
    Answers can also come from a file (--answers) or, one per line, from a pipe.

    Example: combmap assess -o my-org.yaml --org "Riverside Arts"
    """
    if ctx.invoked_subcommand is not None:
        return
    out = output or old_out
    if out is None or str(out) == "-":
        _note("Tell combmap which file keeps your answers (not '-': it is read and saved again), for example:")
        _note("  combmap assess -o my-organisation.yaml")
        raise typer.Exit(EXIT_USAGE)
    from combmap import assess as lib
    from combmap.answers import read_answers
    from combmap.lock import hold

    onto = _ontology(ontology)
    given = read_answers(answers, onto) if answers is not None else None
    resume = _resume_command(out, ontology)
    with hold(out):  # from reading the file to its last write: no other run can interleave
        session = lib.open_session(
            out, onto, respondent=respondent, organisation=org, behaviour=behaviour
        )
        for key in session.unknown_ids():
            _note(
                f"warning: {out} has an answer to {key!r}, which is not in the question bank; it is kept but not counted"
            )
        if given is not None:
            session.apply(given)
            session.save()
        elif not sys.stdin.isatty():
            _assess_piped(session, onto, resume)
        else:
            _assess_interactive(session, onto, resume)
    if given is not None:
        _assess_summary(session, onto, resume)


def _resume_command(out: Path, overlays: list[Path] | None) -> str:
    import shlex

    parts = ["combmap", "assess", "-o", str(out)]
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
        if _assess_start(console, session, resume) and _assess_apease(
            console, session, onto, resume
        ):
            _assess_summary(session, onto, resume, console)
    except (KeyboardInterrupt, EOFError) as stop:
        session.save()
        console.print()
        _assess_saved(console, session, resume)
        raise typer.Exit(130 if isinstance(stop, KeyboardInterrupt) else EXIT_OK) from None


def _assess_saved(console: Console, session: Session, resume: str) -> None:
    from combmap.terminal import markup

    total = len(session.bank.items)
    console.print(
        f"[bold]Saved.[/bold] You have answered {session.answered} of {total} questions; "
        f"your answers are in {markup(str(session.path))}."
    )
    console.print(f"To carry on later, run:  [bold]{markup(resume)}[/bold]", soft_wrap=True)


def _ask(console: Console, prompt: str) -> str:
    return console.input(prompt)


def _assess_start(console: Console, session: Session, resume: str) -> bool:
    """Welcome, resume or review; then the walk. False when the person quit."""
    from rich.panel import Panel

    from combmap import assess as lib
    from combmap.terminal import markup

    bank = session.bank
    total = len(bank.items)
    where = markup(str(session.path))
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
        who = f", {markup(session.respondent)}" if session.respondent else ""
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
        console.print(f"\n[bold]{markup(lib.BEHAVIOUR_QUESTION)}[/bold]")
        console.print(f"[dim]{markup(lib.BEHAVIOUR_EXAMPLE)}[/dim]")
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
        f"\nIn the statements, [bold]this work[/bold] means: {markup(session.behaviour or '')}"
    )
    scale = bank.scale
    console.print(
        f"\nFor each statement type [bold]1[/bold] to [bold]5[/bold] (1 = {markup(scale.points[0].lower())}, "
        f"5 = {markup(scale.points[4].lower())}), [bold]d[/bold] {markup(scale.dont_know.lower())} or "
        f"[bold]n[/bold] {markup(scale.not_applicable.lower())}, then press Enter."
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
    from combmap import assess as lib
    from combmap.errors import AssessmentError
    from combmap.terminal import markup

    scale = session.bank.scale
    shown: str | None = None
    section = None
    while walk.current is not None:
        question = walk.current
        if shown != question.id:
            if question.section != section:
                section = question.section
                console.print(f"\n[bold]{markup(lib.SECTION_TITLES[section])}[/bold]")
            _show_question(console, walk, session)
            shown = question.id
        try:
            command = lib.parse_key(_ask(console, "Your answer: "), scale)
        except AssessmentError as error:
            console.print(f"[yellow]{markup(error.message)}[/yellow]")
            continue
        if command.action == "answer" and command.answer is not None:
            walk.answer(command.answer)
        elif command.action == "keep":
            try:
                walk.keep()
            except AssessmentError as error:
                console.print(f"[yellow]{markup(error.message)}[/yellow]")
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
            console.print(markup(lib.KEYS_HINT))
            if question.help:
                console.print(f"[dim]{markup(question.help)}[/dim]")
        elif command.action == "quit":
            return False
        if walk.current is not None and walk.current.id != shown:
            shown = None
    return True


def _assess_apease(console: Console, session: Session, onto: Ontology, resume: str) -> bool:
    """After the questions: which candidate options could the organisation use? False: quit.

    Each answer is saved at once under `options.apease`; options already judged are not asked
    again, so a second run carries on where the first stopped.
    """
    from rich.panel import Panel

    from combmap import assess as lib
    from combmap.case import load_case
    from combmap.plan import make_plan
    from combmap.terminal import markup

    document = session.to_document()
    if not any(str(b.get("id", "")).startswith("q-") for b in document["barriers"]):
        return True
    session.save()
    plan = make_plan(load_case(session.path, onto), onto)
    done = lib.judged(session)
    options = [o for o in lib.apease_options(plan, onto) if o.id not in done]
    if not options:
        return True
    console.print()
    console.print(
        Panel(
            f"Your answers point to {len(options)} kinds of help. For each one, say whether it "
            "would be acceptable to the people involved, affordable, and practical for your "
            "organisation. The plan then suggests only what you can use.\n\n"
            "Type y (yes), n (no), u (not sure), s (skip for now) or q (save and quit).",
            title="Last step: what could your organisation use?",
            padding=(1, 2),
        )
    )
    choice = _ask(console, "Press Enter to start, type l to do this later, or q to quit: ")
    if choice.strip().casefold() in {"l", "later"}:
        return True
    if choice.strip().casefold() in {"q", "quit"}:
        return False
    for number, option in enumerate(options, start=1):
        kind = "Kind of help" if option.kind == "function" else "Way to deliver it"
        console.print()
        console.rule(f"Option {number} of {len(options)} · {kind}", align="left")
        words = option.plain[:1].upper() + option.plain[1:]
        console.print(f"[bold]{markup(words)}[/bold] [dim]({markup(option.label)})[/dim]")
        if option.example:
            console.print(f"[dim]For example: {markup(option.example)}[/dim]")
        console.print("Would this be acceptable, affordable and practical for your organisation?")
        console.print("  [bold]y[/bold] yes   [bold]n[/bold] no   [bold]u[/bold] not sure   [bold]s[/bold] skip   [bold]q[/bold] save and quit")
        while True:
            key = _ask(console, "Your answer: ").strip().casefold()
            if key in {"y", "yes"}:
                lib.judge(session, option.id, "yes")
            elif key in {"u", "?", "not sure", "unsure", "d"}:
                lib.judge(session, option.id, "unsure")
            elif key in {"n", "no"}:
                reply = _ask(
                    console,
                    "What rules it out? a not acceptable, f not affordable, p not practical "
                    "(one or more, e.g. ap; Enter for all three): ",
                ).strip().casefold()
                failed = [lib.CRITERION_KEYS[c] for c in reply if c in lib.CRITERION_KEYS]
                lib.judge(session, option.id, "no", failed)
            elif key in {"s", "skip", ""}:
                break
            elif key in {"q", "quit"}:
                return False
            else:
                console.print("[yellow]Type y, n, u (not sure), s (skip) or q (quit).[/yellow]")
                continue
            session.save()
            break
    return True


def _show_question(console: Console, walk: Walk, session: Session) -> None:
    from combmap import assess as lib
    from combmap.terminal import markup

    question = walk.current
    if question is None:
        return
    scale = session.bank.scale
    total = len(session.bank.items)
    console.print()
    console.rule(f"{walk.number} of {total} · {question.section.value.capitalize()}", align="left")
    console.print(f"[bold]{markup(question.text)}[/bold]")
    if question.help:
        console.print(f"[dim]{markup(question.help)}[/dim]")
    choices = [(str(i), label) for i, label in enumerate(scale.points, start=1)]
    choices += [("d", scale.dont_know), ("n", scale.not_applicable)]
    lines: list[list[tuple[str, str]]] = [[]]
    for key, label in choices:  # wrap between choices, never inside one
        used = sum(len(k) + len(v) + 4 for k, v in lines[-1])
        if lines[-1] and used + len(key) + len(label) + 2 > console.width - 2:
            lines.append([])
        lines[-1].append((key, label))
    for line in lines:
        console.print("  " + "   ".join(f"[bold]{k}[/bold] {markup(v)}" for k, v in line))
    console.print("  [dim]b back · s skip · a add a note · q save and quit[/dim]")
    given = session.answers.get(question.id)
    if given is not None:
        typed = str(given)[0]  # 1-5, or d / n
        console.print(
            f"  Your answer so far: [bold]{typed}[/bold] {markup(lib.answer_label(given, scale))} "
            "[dim](press Enter to keep it)[/dim]"
        )
    note = session.notes.get(question.id)
    if note:
        console.print(f"  Your note: {markup(note)}")


def _assess_summary(
    session: Session, onto: Ontology, resume: str, console: Console | None = None
) -> None:
    """What the answers say: COM-B profile as bars, top priorities, and where the file is."""
    import shlex

    from rich.console import Console
    from rich.padding import Padding
    from rich.table import Table

    from combmap.assess import comb_profile, top_priorities
    from combmap.case import load_case
    from combmap.glossary import plain_name
    from combmap.plan import make_plan
    from combmap.terminal import markup

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
    console.print(markup(line) + ".")
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
                markup(plain_name(onto, row.id)),
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
                console.print(f"  {index}. {markup(plain_name(onto, item.id))}: {found}{flag}")
                texts = {b.id: b.text for b in case.barriers}
                for entry_id in item.barriers[:2]:
                    console.print(Padding(f"[dim]{markup(texts[entry_id])}[/dim]", (0, 0, 0, 5)))
        from combmap.assess import judged, unsure_options

        verdicts = judged(session)
        unsure = unsure_options(verdicts)
        helps = [f for f in result.functions if f.barriers][:3]
        if helps:
            console.print("\n[bold]What could help most[/bold] (the full plan says why, and how)")
            for index, function in enumerate(helps, start=1):
                mark = " [yellow](you were not sure about this)[/yellow]" if function.id in unsure else ""
                console.print(f"  {index}. {markup(plain_name(onto, function.id))}{mark}")
        ruled_out = sum(1 for v in verdicts.values() if "fail" in v.values())
        if ruled_out:
            console.print(
                f"[dim]You ruled out {_count_words(ruled_out, 'option')}; the plan leaves "
                f"{'them' if ruled_out != 1 else 'it'} out.[/dim]"
            )
    if session.behaviour is None:
        console.print(
            '\nTip: say what your organisation wants to do, e.g. --behaviour "Run weekly arts '
            'sessions"; the plan is about that behaviour.'
        )
    console.print(f"\nYour case file: [bold]{markup(str(path))}[/bold]", soft_wrap=True)
    left = total - session.answered
    if left:
        console.print(
            f"{left} questions are still open. To carry on:  [bold]{markup(resume)}[/bold]",
            soft_wrap=True,
        )
    plan_command = shlex.join(["combmap", "plan", str(session.path)])
    console.print(f"To see the full plan:  [bold]{markup(plan_command)}[/bold]", soft_wrap=True)


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
        typer.Argument(metavar="FILE", help="Self-assessment files, one per person.", show_default=False),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="The merged case file to write (.yaml); '-' for stdout. Required.", show_default=False
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an output that holds other answers.")
    ] = False,
    ontology: OntologyOption = None,
    old_out: OldOutOption = None,
) -> None:
    """Combine several people's self-assessments into one case; disagreements are marked.

    Example: combmap assess merge sam.yaml alex.yaml -o riverside.yaml
    """
    from combmap import assess as lib
    from combmap.case import case_from_document
    from combmap.lock import hold
    from combmap.output import write_output
    from combmap.yamlio.parser import parse_yaml

    output = output or old_out
    if output is None:
        raise typer.BadParameter("give the merged case file with -o FILE (or -o - for stdout)")
    _by_suffix(output, _CASE_SUFFIXES, "yaml", "merged case", option=False)
    onto = _ontology(ontology)
    if str(output) != "-":
        lib.check_merge_target(output, files, force=force)
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
    if str(output) == "-":
        _emit(text, output)
        return
    with hold(output):
        lib.check_merge_target(output, files, force=force)  # again: it may have changed
        write_output(output, text, replace_answers=True)
    people = len(document["assessment"]["respondents"])
    both = sum(1 for b in entries if b["kind"] == "both")
    _note(
        f"wrote {output}: {people} respondents, {len(entries)} entries, {both} with answers that point both ways"
    )


@assess_app.command("export-questions")
def assess_export_questions(
    format: Annotated[
        QuestionFormat | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="csv (a plain data dictionary), redcap (a REDCap data dictionary) or qualtrics (Advanced Format TXT); default from the -o suffix, else csv.",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = None,
    ontology: OntologyOption = None,
) -> None:
    """Write the questions as a survey data dictionary, to run the assessment as a survey.

    Example: combmap assess export-questions --format redcap -o dictionary.csv
    """
    from combmap import assess as lib
    from combmap import survey

    chosen = _question_format(format, output)
    bank = lib.question_bank(_ontology(ontology))
    _emit(survey.export_questions(bank, chosen), output)


def _question_format(given: QuestionFormat | None, output: Path | None) -> Literal["csv", "redcap", "qualtrics"]:
    """The format asked for, else the -o suffix's (.csv plain, .txt Qualtrics); others are refused."""
    if given is not None:
        return given.value
    return "qualtrics" if _by_suffix(output, _QUESTION_SUFFIXES, "csv", "questions") == "txt" else "csv"


@assess_app.command("import")
def assess_import(
    survey: Annotated[
        Path, typer.Argument(metavar="FILE", help="A survey export (CSV or .xlsx): one row per person; '-' for stdin.", show_default=False)
    ],
    output_dir: Annotated[Path | None, typer.Option("--output-dir", metavar="DIR", help="Folder for the case files (default: here).", show_default=False)] = None,
    behaviour: Annotated[
        str | None,
        typer.Option("--behaviour", metavar="TEXT", help="The behaviour, when the survey did not ask it."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace case files that already exist.")
    ] = False,
    ontology: OntologyOption = None,
    old_out_dir: Annotated[Path | None, typer.Option("--out-dir", hidden=True, help="Old spelling of --output-dir.")] = None,
) -> None:
    """Make one case file per respondent from a survey export; bad rows are reported, not fatal.

    Example: combmap assess import survey.csv --output-dir cases/
    """
    from combmap import survey as surveys
    from combmap.errors import AssessmentError, Issue

    out_dir = output_dir or old_out_dir or Path(".")
    onto = _ontology(ontology)
    result = surveys.import_survey(survey, onto)
    if result.format != "combmap":
        _note(f"read {survey} as {surveys.FORMATS[result.format]}")
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
        count = len({p.path for p in problems}) + result.more_problems
        rest = "the other rows were" if written else "no row was imported"
        if result.more_problems:
            rest += f"; the first {len(problems)} problems are listed"
        raise AssessmentError(
            f"{count} row{'s' * (count != 1)} of {survey} {'were' if count != 1 else 'was'} not imported; {rest}",
            problems,
        )
