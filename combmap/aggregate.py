"""Add up the plans of many organisations' cases into sector-level priorities and a plan.

Each case is read, validated and scored exactly as `combmap plan` would (the same reader, the
same schema, the same scoring code, through `plan.Scorer`), but only its numbers are kept,
never the case: the running totals hold one row per ontology entity, so memory stays flat
however many files are read. Files that fail are reported with their location and skipped
(or, when strict, stop the run). Work is spread over processes in fixed-size chunks merged in
input order, so the result does not depend on the number of processes. Scores are summed as
integers of millionths of the per-case (six-decimal) plan scores, so the sector score of an
item is exactly the sum of its scores in the per-case plans.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from glob import glob, has_magic
from pathlib import Path
from typing import TYPE_CHECKING, Any

from combmap.errors import CombmapError, InputError, Issue

if TYPE_CHECKING:
    from concurrent.futures import Future

    from rich.console import RenderableType

    from combmap.ontology import Ontology
    from combmap.plan import Coverage, Scorer

#: Version of the aggregate's JSON shape; bump on any incompatible change.
AGGREGATE_SCHEMA = "combmap.aggregate/1"
#: Case files read per unit of work handed to a worker process.
CHUNK = 64
#: Files below this count are read in-process: starting workers would cost more.
PARALLEL_FROM = 256
#: Suffixes of case files found when walking a directory.
CASE_SUFFIXES = (".yaml", ".yml")
_MICRO = 1_000_000

ProgressFn = Callable[[int], None]
"""Called with the number of inputs just finished (files, or rows of a CSV export)."""


# --- finding the inputs -----------------------------------------------------------------------


def expand_inputs(paths: Iterable[str | Path]) -> tuple[list[str], list[Issue]]:
    """Turn PATH arguments into case files and CSV exports, in a stable order.

    A directory is walked (hidden entries and symlinked directories skipped) for *.yaml and
    *.yml files; a path that does not exist but holds `*`, `?` or `[` is a glob (`**`
    allowed), useful when a shell would overflow its argument list. Anything else that does
    not exist is returned as an issue, so it can be reported and skipped like a bad file.
    `-` is one case file read from standard input.
    """
    files: list[str] = []
    missing: list[Issue] = []
    for given in paths:
        text = str(given)
        path = Path(text)
        if text == "-":  # standard input: one case file
            files.append(text)
        elif path.exists():
            files.extend(_walk(text) if path.is_dir() else [text])
        elif has_magic(text):
            matches = sorted(glob(text, recursive=True))
            if not matches:
                missing.append(Issue(text, None, "", "no file matches this pattern"))
            for match in matches:
                files.extend(_walk(match) if Path(match).is_dir() else [match])
        else:
            missing.append(Issue(text, None, "", "does not exist"))
    return files, missing


def _walk(directory: str) -> Iterator[str]:
    """Case files under a directory, in the order of their sorted path components."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as error:
        raise InputError(f"cannot list {directory}: {error.strerror}") from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
        elif entry.name.endswith(CASE_SUFFIXES) and entry.is_file():
            yield entry.path


# --- running totals -----------------------------------------------------------------------------


@dataclass
class Totals:
    """Running sums over the cases read so far: small and mergeable, whatever the input size.

    Items (functions, policies, techniques) map to [organisations whose plan addresses a
    barrier with it, score in millionths, barriers addressed, organisations whose APEASE
    selection keeps it]. Priorities map to [organisations raising it as a barrier,
    organisations mentioning it at all, organisations with it as an enabler, organisations
    with conflicting evidence, frequency, load in millionths].
    """

    cases: int = 0
    barriers: int = 0
    enablers: int = 0
    uncovered: int = 0
    profiles: Counter[str] = field(default_factory=Counter)
    functions: dict[str, list[int]] = field(default_factory=dict)
    policies: dict[str, list[int]] = field(default_factory=dict)
    techniques: dict[str, list[int]] = field(default_factory=dict)
    excluded: Counter[str] = field(default_factory=Counter)
    domains: dict[str, list[int]] = field(default_factory=dict)
    components: dict[str, list[int]] = field(default_factory=dict)
    problems: list[Issue] = field(default_factory=list)
    #: Per skipped input (a file, or a row of a CSV export): its first issue, and how many.
    skips: list[tuple[Issue, int]] = field(default_factory=list)
    #: With `strict`, the first failure (error class name, message, issues), raised by the
    #: process that merges: exceptions lose their issues when they cross processes.
    failure: tuple[str, str, list[Issue]] | None = None

    def add(self, coverage: Coverage) -> None:
        """Count one case's plan."""
        self.cases += 1
        self.barriers += coverage.barriers
        self.enablers += coverage.enablers
        self.uncovered += coverage.uncovered > 0
        self.profiles[coverage.profile] += 1
        in_selected = set(coverage.selected)
        for table, tallies in (
            (self.functions, coverage.functions),
            (self.policies, coverage.policies),
            (self.techniques, coverage.techniques),
        ):
            for tally in tallies:
                row = table.get(tally.id)
                if row is None:
                    row = table[tally.id] = [0, 0, 0, 0]
                row[0] += tally.barriers > 0
                row[1] += round(tally.score * _MICRO)
                row[2] += tally.barriers
                row[3] += tally.id in in_selected
        self.excluded.update(coverage.excluded)
        for table, priorities in (
            (self.domains, coverage.domains),
            (self.components, coverage.components),
        ):
            for p in priorities:
                row = table.get(p.id)
                if row is None:
                    row = table[p.id] = [0, 0, 0, 0, 0, 0]
                row[0] += p.barriers > 0
                row[1] += 1
                row[2] += p.enablers > 0
                row[3] += p.conflicting
                row[4] += p.frequency
                row[5] += round(p.load * _MICRO)

    @property
    def skipped(self) -> int:
        """Inputs that could not be counted."""
        return len(self.skips)

    def skip(self, issues: list[Issue]) -> None:
        """Record an input that could not be counted, with every issue found in it."""
        self.skips.append((min(issues), len(issues)))
        self.problems.extend(issues)

    def merge(self, other: Totals) -> None:
        """Add another set of totals (a worker's chunk) to these."""
        self.cases += other.cases
        self.barriers += other.barriers
        self.enablers += other.enablers
        self.uncovered += other.uncovered
        self.profiles.update(other.profiles)
        self.excluded.update(other.excluded)
        for mine, theirs in (
            (self.functions, other.functions),
            (self.policies, other.policies),
            (self.techniques, other.techniques),
            (self.domains, other.domains),
            (self.components, other.components),
        ):
            for key, row in theirs.items():
                held = mine.get(key)
                if held is None:
                    mine[key] = list(row)
                else:
                    for index, value in enumerate(row):
                        held[index] += value
        self.problems.extend(other.problems)
        self.skips.extend(other.skips)
        if other.failure is not None and self.failure is None:
            self.failure = other.failure

    def raise_failure(self) -> None:
        """Raise the recorded strict-mode failure, if any, as the error it was."""
        if self.failure is None:
            return
        from combmap import errors

        name, message, issues = self.failure
        kind = getattr(errors, name, CombmapError)
        if not (isinstance(kind, type) and issubclass(kind, CombmapError)):
            kind = CombmapError
        raise kind(message, issues)


# --- reading and scoring ------------------------------------------------------------------------


def _issues(error: CombmapError, file: str) -> list[Issue]:
    return error.issues or [Issue(file, None, "", error.message)]


class _Reader:
    """Reads, validates and scores case files one by one, keeping only the totals."""

    def __init__(self, ontology: Ontology, profile: str | None, strict: bool) -> None:
        from combmap.plan import Scorer

        self.ontology = ontology
        self.scorer: Scorer = Scorer(ontology)
        self.profile = profile
        self.strict = strict

    def case_file(self, path: str, totals: Totals) -> bool:
        """Count one case file; False when it failed (recorded in `totals`)."""
        from combmap.case import case_from_document
        from combmap.yamlio import display_name, parse_yaml, read_text

        try:
            doc = parse_yaml(read_text(Path(path), what="case file"), display_name(path))
            case = case_from_document(doc, self.ontology)
            totals.add(self.scorer.coverage(case, profile=self.profile))
        except CombmapError as error:
            name = display_name(path)
            if self.strict:
                totals.failure = (type(error).__name__, error.message, _issues(error, name))
            totals.skip(_issues(error, name))
            return False
        return True

    def csv_export(self, path: str, totals: Totals) -> None:
        """Count each respondent's row of a self-assessment export as one case."""
        from combmap.case import case_from_document
        from combmap.survey import import_survey, survey_session
        from combmap.yamlio import Document

        try:
            survey = import_survey(Path(path), self.ontology)
        except CombmapError as error:
            if self.strict:
                raise
            totals.skip(_issues(error, path))
            return
        for problem in survey.problems:
            if self.strict:
                raise InputError(f"{path} has a row combmap cannot use", [problem])
            totals.skip([problem])
        for row in survey.rows:
            where = f"{path}, row {row.row}"
            try:
                session = survey_session(row, Path(path).parent, self.ontology)
                document = Document(where, session.to_document(), {(): row.line})
                case = case_from_document(document, self.ontology)
                totals.add(self.scorer.coverage(case, profile=self.profile))
            except CombmapError as error:
                issues = [
                    Issue(path, row.line, f"row {row.row} {issue.path}".strip(), issue.message)
                    for issue in _issues(error, where)
                ]
                if self.strict:
                    raise type(error)(f"{where} is not a valid case", issues) from None
                totals.skip(issues)


# Worker processes keep their reader between chunks (set by `_start_worker`).
_WORKER: _Reader | None = None


def _start_worker(
    parent: int, overlays: tuple[str, ...], profile: str | None, strict: bool
) -> None:
    global _WORKER
    import threading

    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if _WORKER is None:  # forked workers inherit the parent's reader
        from combmap.ontology import load_ontology

        _WORKER = _Reader(load_ontology(*overlays), profile, strict)


def _watch_parent(parent: int) -> None:
    """End this worker when the run that started it is gone (killed, not just stopped)."""
    import time

    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _work(paths: list[str]) -> Totals:
    assert _WORKER is not None
    totals = Totals()
    for path in paths:
        if not _WORKER.case_file(path, totals) and _WORKER.strict:
            break
    return totals


def aggregate(
    files: list[str],
    ontology: Ontology,
    *,
    overlays: tuple[str, ...] = (),
    profile: str | None = None,
    strict: bool = False,
    jobs: int | None = None,
    progress: ProgressFn | None = None,
) -> Totals:
    """Read, validate and score every file, and add their plans up.

    Args:
        files: case files (*.yaml, *.yml) and self-assessment exports (*.csv), from
            `expand_inputs`.
        ontology: the ontology, loaded with `overlays` (workers load their own copy).
        overlays: the overlay directories `ontology` was loaded with.
        profile: link-set profile for every case; by default each case's own, then the
            ontology's default.
        strict: stop at the first file that fails, raising its error.
        jobs: worker processes; default: one per CPU; 1 reads everything in this process.
        progress: called as inputs are finished, for a progress bar.

    Raises:
        CombmapError: with `strict`, the first failure; the profile does not exist.
    """
    if profile is not None:
        ontology.profile(profile)
    totals = Totals()
    reader = _Reader(ontology, profile, strict)
    exports = [f for f in files if f.lower().endswith(".csv")]
    cases = [f for f in files if not f.lower().endswith(".csv") and f != "-"]
    for export in exports:
        reader.csv_export(export, totals)
        if progress:
            progress(1)
    if "-" in files:  # standard input is this process's, never a worker's
        if not reader.case_file("-", totals) and strict:
            totals.raise_failure()
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(cases) < PARALLEL_FROM:
        for path in cases:
            ok = reader.case_file(path, totals)
            if progress:
                progress(1)
            if not ok and strict:
                break
    else:
        global _WORKER
        _WORKER = reader  # what forked workers start with; spawned ones load their own
        chunks = (cases[start : start + CHUNK] for start in range(0, len(cases), CHUNK))
        try:
            _in_parallel(chunks, totals, workers, (overlays, profile, strict), progress)
        finally:
            _WORKER = None
    totals.raise_failure()
    return totals


def _in_parallel(
    chunks: Iterator[list[str]],
    totals: Totals,
    workers: int,
    setup: tuple[tuple[str, ...], str | None, bool],
    progress: ProgressFn | None,
) -> None:
    """Score chunks in worker processes; merge in input order, a few chunks in flight."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pending: list[tuple[Future[Totals], int]] = []
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(), *setup)
    ) as pool:
        try:
            for chunk in chunks:
                pending.append((pool.submit(_work, chunk), len(chunk)))
                while len(pending) >= workers * 3:
                    _collect(pending.pop(0), totals, progress)
                    if totals.failure is not None:
                        raise _StoppedError
            while pending and totals.failure is None:
                _collect(pending.pop(0), totals, progress)
        except _StoppedError:
            pool.shutdown(wait=False, cancel_futures=True)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


class _StoppedError(Exception):
    """A strict run met its first failure: stop handing out work."""


def _collect(item: tuple[Future[Totals], int], totals: Totals, progress: ProgressFn | None) -> None:
    future, size = item
    totals.merge(future.result())
    if progress:
        progress(size)


# --- the result -----------------------------------------------------------------------------------


def result(totals: Totals, ontology: Ontology) -> dict[str, Any]:
    """The documented JSON shape (`combmap.aggregate/1`): ranked items and priorities."""
    from combmap.ontology import sort_key

    cases = totals.cases

    def label(entity_id: str) -> str:
        entity = ontology.entities.get(entity_id)
        return entity.label if entity else entity_id

    def share(count: int) -> float:
        return round(count / cases, 4) if cases else 0.0

    def items(table: dict[str, list[int]], *, selected: bool) -> list[dict[str, Any]]:
        ordered = sorted(table.items(), key=lambda kv: (-kv[1][1], -kv[1][0], sort_key(kv[0])))
        out: list[dict[str, Any]] = []
        for index, (entity_id, (orgs, micro, barriers, in_selected)) in enumerate(ordered):
            rank = out[-1]["rank"] if out and out[-1]["_score"] == micro else index + 1
            row: dict[str, Any] = {
                "_score": micro,
                "id": entity_id,
                "label": label(entity_id),
                "rank": rank,
                "organisations": orgs,
                "share": share(orgs),
                "score": micro / _MICRO,
                "barriers": barriers,
            }
            if selected:
                row["selected"] = in_selected
            row["excluded"] = totals.excluded.get(entity_id, 0)
            out.append(row)
        for row in out:
            del row["_score"]
        return out

    def priorities(table: dict[str, list[int]]) -> list[dict[str, Any]]:
        ordered = sorted(table.items(), key=lambda kv: (-kv[1][0], -kv[1][4], sort_key(kv[0])))
        out: list[dict[str, Any]] = []
        keys: list[tuple[int, int]] = []
        for index, (entity_id, row) in enumerate(ordered):
            raised, mentioned, enabler, conflicting, frequency, load = row
            key = (raised, frequency)
            rank = out[keys.index(key)]["rank"] if key in keys else index + 1
            keys.append(key)
            out.append(
                {
                    "id": entity_id,
                    "label": label(entity_id),
                    "rank": rank,
                    "organisations": raised,
                    "share": share(raised),
                    "mentioned": mentioned,
                    "as_enabler": enabler,
                    "conflicting": conflicting,
                    "frequency": frequency,
                    "load": load / _MICRO,
                }
            )
        return out

    return {
        "schema": AGGREGATE_SCHEMA,
        "ontology": ontology.version,
        "profiles": dict(sorted(totals.profiles.items())),
        "cases": cases,
        "skipped": totals.skipped,
        "barriers": totals.barriers,
        "enablers": totals.enablers,
        "cases_with_unaddressed_barriers": totals.uncovered,
        "priorities": {
            "domains": priorities(totals.domains),
            "components": priorities(totals.components),
        },
        "functions": items(totals.functions, selected=True),
        "policies": items(totals.policies, selected=False),
        "techniques": items(totals.techniques, selected=False),
        "problems": [
            {"file": p.file, "line": p.line, "path": p.path, "message": p.message}
            for p in sorted(totals.problems)
        ],
    }


def to_json(data: dict[str, Any]) -> str:
    """The aggregate as JSON, byte-stable for the same inputs."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


_CSV_COLUMNS = (
    "section",
    "id",
    "label",
    "rank",
    "organisations",
    "share",
    "score",
    "barriers",
    "selected",
    "excluded",
    "mentioned",
    "as_enabler",
    "conflicting",
    "frequency",
    "load",
)


def to_csv(data: dict[str, Any]) -> str:
    """One row per item and priority, for spreadsheets; `section` says which table."""
    from combmap.tabular import csv_text

    sections = (
        ("domain", data["priorities"]["domains"]),
        ("component", data["priorities"]["components"]),
        ("function", data["functions"]),
        ("policy", data["policies"]),
        ("technique", data["techniques"]),
    )
    rows: list[list[object]] = [list(_CSV_COLUMNS)]
    for section, items in sections:
        for item in items:
            cells = {"section": section, **item}
            rows.append([_csv_value(cells.get(column, "")) for column in _CSV_COLUMNS])
    return csv_text(rows)


def _csv_value(value: object) -> object:
    return "" if value is None else value


def _score(value: float) -> str:
    return f"{value:.2f}"


def to_markdown(data: dict[str, Any], *, top: int = 10) -> str:
    """A report of the sector-level priorities and plan."""
    from combmap.render import md_code, md_escape

    out: list[str] = []
    add = out.append
    add("# Sector-level priorities and plan")
    add("")
    add(
        f"{data['cases']} case(s) aggregated ({data['barriers']} barriers, {data['enablers']} "
        f"enablers); {data['skipped']} input(s) skipped. Ontology {md_escape(data['ontology'])}; profiles: "
        + ", ".join(f"{md_code(name)} × {count}" for name, count in data["profiles"].items())
        + "."
    )
    add("")
    add(
        "*Organisations*: cases whose plan addresses at least one barrier with the item (for "
        "priorities: that raise the domain or component as a barrier). *Score*: the sum of the "
        "item's scores in the per-case plans (weighted load). *Selected*: cases whose APEASE "
        "judgements keep the function (it is a candidate and not excluded)."
    )
    for title, key in (("TDF domains", "domains"), ("COM-B components", "components")):
        add("")
        add(f"## Priorities: {title}")
        add("")
        add("| rank | | organisations | share | mentioned | as enabler | conflicting | frequency |")
        add("|---:|---|---:|---:|---:|---:|---:|---:|")
        for p in data["priorities"][key]:
            add(
                f"| {p['rank']} | {md_escape(p['label'])} | {p['organisations']} | "
                f"{p['share']:.0%} | {p['mentioned']} | {p['as_enabler']} | {p['conflicting']} | "
                f"{p['frequency']} |"
            )
    for title, key, limit in (
        ("Intervention functions", "functions", None),
        ("Policy categories", "policies", None),
        (f"Behaviour change techniques (top {top})", "techniques", top),
    ):
        add("")
        add(f"## {title}")
        add("")
        selected = key == "functions"
        add(
            "| rank | | organisations | share | score | barriers |"
            + (" selected |" if selected else "")
            + " excluded |"
        )
        add("|---:|---|---:|---:|---:|---:|" + ("---:|" if selected else "") + "---:|")
        for row in data[key][:limit]:
            add(
                f"| {row['rank']} | {md_escape(row['label'])} | {row['organisations']} | "
                f"{row['share']:.0%} | {_score(row['score'])} | {row['barriers']} |"
                + (f" {row['selected']} |" if selected else "")
                + f" {row['excluded']} |"
            )
    if data["problems"]:
        add("")
        add("## Skipped inputs")
        add("")
        for p in data["problems"]:
            where = p["file"] + (f":{p['line']}" if p["line"] else "")
            where += f": {p['path']}" if p["path"] else ""
            add(f"- {md_escape(where)}: {md_escape(p['message'])}")
    return "\n".join(out) + "\n"


def tables(data: dict[str, Any], *, top: int = 10) -> list[RenderableType]:
    """The aggregate as rich tables for a terminal; all text escaped for rich markup."""
    from rich.table import Table
    from rich.text import Text

    from combmap.terminal import clean, markup



    out: list[RenderableType] = [
        Text.assemble(
            ("Sector-level priorities and plan", "bold"),
            f"\n{data['cases']} cases, {data['skipped']} skipped · ontology {clean(data['ontology'])}",
        )
    ]
    for title, key in (("TDF domains", "domains"), ("COM-B components", "components")):
        table = Table(title=f"Priorities: {title}", title_justify="left")
        for column in ("rank", "", "orgs", "share", "as enabler", "conflicting", "frequency"):
            table.add_column(column, justify="left" if column == "" else "right")
        for p in data["priorities"][key]:
            table.add_row(
                str(p["rank"]),
                markup(p["label"]),
                str(p["organisations"]),
                f"{p['share']:.0%}",
                str(p["as_enabler"]),
                str(p["conflicting"]),
                str(p["frequency"]),
            )
        out.append(table)
    for title, key, limit in (
        ("Intervention functions", "functions", None),
        ("Policy categories", "policies", None),
        (f"Behaviour change techniques (top {top})", "techniques", top),
    ):
        table = Table(title=title, title_justify="left")
        columns = ["rank", "", "orgs", "share", "score", "barriers"]
        if key == "functions":
            columns.append("selected")
        for column in columns:
            table.add_column(column, justify="left" if column == "" else "right")
        for row in data[key][:limit]:
            cells = [
                str(row["rank"]),
                markup(row["label"]),
                str(row["organisations"]),
                f"{row['share']:.0%}",
                _score(row["score"]),
                str(row["barriers"]),
            ]
            if key == "functions":
                cells.append(str(row["selected"]))
            table.add_row(*cells)
        out.append(table)
    return out
