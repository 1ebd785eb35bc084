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

import contextlib
import gc
import itertools
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from glob import glob, has_magic
from pathlib import Path
from typing import TYPE_CHECKING, Any

from combmap.errors import CombmapError, InputError, Issue

if TYPE_CHECKING:
    from concurrent.futures import Future

    from rich.console import RenderableType

    from combmap.ontology import Ontology
    from combmap.plan import Coverage, Scorer
    from combmap.survey import SurveyRow

#: Version of the aggregate's JSON shape; bump on any incompatible change.
AGGREGATE_SCHEMA = "combmap.aggregate/1"
#: Case files per unit: counted, merged and cached together (`_units`).
CHUNK = 64
#: Case files a worker counts at a time. A unit (up to 4 × CHUNK files) is split into pieces
#: so that the workers share it: at 1,000 cases a run is eight units, two of them 256 files.
PIECE = 32
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
        """Count one case's plan.

        The only place that reads `Coverage`'s fields: the planner's output may change shape,
        the totals need not.
        """
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

    def counts(self) -> dict[str, Any]:
        """The counts as plain data (for the cache); only for totals with nothing skipped."""
        assert not self.skips and self.failure is None
        return {
            "cases": self.cases,
            "barriers": self.barriers,
            "enablers": self.enablers,
            "uncovered": self.uncovered,
            "profiles": dict(self.profiles),
            "functions": self.functions,
            "policies": self.policies,
            "techniques": self.techniques,
            "excluded": dict(self.excluded),
            "domains": self.domains,
            "components": self.components,
        }

    @classmethod
    def from_counts(cls, data: dict[str, Any]) -> Totals:
        """Totals from `counts()` (KeyError or TypeError when the data is not that shape)."""
        return cls(
            cases=int(data["cases"]),
            barriers=int(data["barriers"]),
            enablers=int(data["enablers"]),
            uncovered=int(data["uncovered"]),
            profiles=Counter({str(k): int(v) for k, v in data["profiles"].items()}),
            functions=_rows(data["functions"]),
            policies=_rows(data["policies"]),
            techniques=_rows(data["techniques"]),
            excluded=Counter({str(k): int(v) for k, v in data["excluded"].items()}),
            domains=_rows(data["domains"]),
            components=_rows(data["components"]),
        )

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


def _rows(data: dict[str, list[int]]) -> dict[str, list[int]]:
    return {str(key): [int(value) for value in row] for key, row in data.items()}


# --- reading and scoring ------------------------------------------------------------------------


def _issues(error: CombmapError, file: str) -> list[Issue]:
    return error.issues or [Issue(file, None, "", error.message)]


class _Reader:
    """Reads, validates and scores case files one by one, keeping only the totals."""

    def __init__(self, ontology: Ontology, profile: str | None, strict: bool) -> None:
        self.ontology = ontology
        self.profile = profile
        self.strict = strict
        #: Whether this process's run owns the collector's freezing (`_collected`): a worker,
        #: or an in-process run that found nothing frozen.
        self.freezes = False

    @cached_property
    def scorer(self) -> Scorer:
        """The planner's scorer, made once there is a case to count.

        A run whose counts are all cached needs no planner (nor its imports); forked workers
        inherit the one made before the fork.
        """
        from combmap.plan import Scorer

        return Scorer(self.ontology)

    def case_file(self, path: str, totals: Totals) -> bool:
        """Count one case file; False when it failed (recorded in `totals`)."""
        from combmap.case import case_from_document
        from combmap.yamlio import display_name, read_text
        from combmap.yamlio.parser import parse_yaml

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

    def csv_export(self, path: str, totals: Totals) -> list[SurveyRow]:
        """Read a self-assessment export; its good rows, each one respondent's case.

        Bad rows and a file that cannot be read are recorded in `totals` (with `strict`,
        raised).
        """
        from combmap.survey import import_survey

        try:
            survey = import_survey(Path(path), self.ontology)
        except CombmapError as error:
            if self.strict:
                raise
            totals.skip(_issues(error, path))
            return []
        for problem in survey.problems:
            if self.strict:
                raise InputError(f"{path} has a row combmap cannot use", [problem])
            totals.skip([problem])
        return list(survey.rows)

    def survey_rows(self, path: str, rows: list[SurveyRow], totals: Totals) -> None:
        """Count rows of a self-assessment export, each as one case."""
        from combmap.case import case_from_document
        from combmap.survey import survey_session
        from combmap.yamlio import Document

        for row in rows:
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
                    message = f"{where} is not a valid case"
                    totals.failure = (type(error).__name__, message, issues)
                    totals.skip(issues)
                    return
                totals.skip(issues)


# Worker processes keep their reader between chunks (set by `_start_worker`).
_WORKER: _Reader | None = None


def _start_worker(
    parent: int, overlays: tuple[str, ...], profile: str | None, strict: bool, cache: bool
) -> None:
    global _WORKER
    import threading

    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if _WORKER is None:  # forked workers inherit the parent's reader (and its frozen heap)
        from combmap.ontology import load_ontology

        _WORKER = _Reader(load_ontology(*overlays, cache=cache), profile, strict)
        gc.freeze()
    _WORKER.freezes = True  # a worker's heap is its own


def _watch_parent(parent: int) -> None:
    """End this worker when the run that started it is gone (killed, not just stopped)."""
    import time

    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _count_files(reader: _Reader, paths: list[str]) -> Totals:
    totals = Totals()
    for path in paths:
        if not reader.case_file(path, totals) and reader.strict:
            break
    return totals


def _count(reader: _Reader, unit: _Unit) -> Totals:
    with _collected(reader.freezes):
        if unit.rows is None:
            return _count_files(reader, unit.paths)
        totals = Totals()
        reader.survey_rows(unit.paths[0], unit.rows, totals)
        return totals


@contextlib.contextmanager
def _collected(freezes: bool) -> Iterator[None]:
    """Count a unit with the collector paused; then collect what it left and freeze the rest.

    What outlives a unit is the scorer's memo and the chain index's caches: long-lived and
    acyclic, they grow with every coding seen for the first time, and each full collection
    walked all of them again (a third of the scoring time of 1,000 fresh cases). Frozen after
    each unit, they are out of sight. The unit's own cyclic garbage (a failed file's exception
    and traceback) is freed by the collection at its end, which sees only what the unit made:
    everything older is frozen. Only where the run owns the freezing (`_Reader.freezes`).
    """
    from combmap.yamlio import paused_gc

    if not freezes or not gc.isenabled():
        yield
        return
    try:
        with paused_gc():
            yield
    finally:
        gc.collect()
        gc.freeze()


def _work(unit: _Unit) -> Totals:
    assert _WORKER is not None
    return _count(_WORKER, unit)


@dataclass
class _Unit:
    """A run of case files (or of one export's rows) scored, merged and cached together."""

    paths: list[str]
    #: The cache key: the ontology's key, the profile and each file's digest; None when a
    #: file could not be read (its error is then reported by the reader, and not cached),
    #: and for rows of an export.
    key: str | None
    #: Rows of the self-assessment export `paths[0]`, instead of case files.
    rows: list[SurveyRow] | None = None
    #: Inputs this unit finishes, for the progress bar (an export counts once, at its end).
    done: int = -1

    @property
    def finishes(self) -> int:
        return len(self.paths) if self.done < 0 else self.done


def _units(cases: list[str], fingerprint: str | None, profile: str | None) -> Iterator[_Unit]:
    """Cut the case files into units of work.

    Without a cache: runs of CHUNK files. With one, the cut falls after each file whose
    digest is 0 modulo CHUNK (CHUNK files on average, at most 4 × CHUNK): where the cuts fall
    depends on the files' contents, not their positions, so adding, removing or changing a
    file invalidates the unit it is in (and perhaps a neighbour), not every unit after it.
    """
    if fingerprint is None:
        yield from (_Unit(cases[i : i + CHUNK], None) for i in range(0, len(cases), CHUNK))
        return
    import hashlib

    from combmap.cache import file_digests
    from combmap.yamlio import MAX_BYTES

    head = f"aggregate\0{fingerprint}\0{profile or ''}\0".encode()
    paths: list[str] = []
    digest = hashlib.sha256(head)
    readable = True
    for path, file_digest in zip(cases, file_digests(cases, MAX_BYTES + 1), strict=True):
        paths.append(path)
        if file_digest is None:
            readable = False
        else:
            digest.update(file_digest)
        cut = file_digest is not None and int.from_bytes(file_digest[:4], "big") % CHUNK == 0
        if cut or len(paths) >= 4 * CHUNK:
            yield _Unit(paths, digest.hexdigest() if readable else None)
            paths, digest, readable = [], hashlib.sha256(head), True
    if paths:
        yield _Unit(paths, digest.hexdigest() if readable else None)


def _uncounted(
    units: Iterable[_Unit], totals: Totals, progress: ProgressFn | None
) -> Iterator[_Unit]:
    """The units to count: those whose counts are cached are merged into `totals` instead."""
    for unit in units:
        found = _cached_counts(unit)
        if found is None:
            yield unit
        else:
            _done(_Unit(unit.paths, None), found, totals, progress)


def _cached_counts(unit: _Unit) -> Totals | None:
    from combmap import cache

    if unit.key is None:
        return None
    data = cache.read_json("aggregate", unit.key)
    if not isinstance(data, dict):
        return None
    try:
        found = Totals.from_counts(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return found if found.cases == len(unit.paths) else None


def _done(unit: _Unit, part: Totals, totals: Totals, progress: ProgressFn | None) -> None:
    """Merge a unit's totals; keep them in the cache when every file in it was counted."""
    totals.merge(part)
    if unit.key is not None and not part.skips and part.failure is None:
        from combmap import cache

        cache.write_json("aggregate", unit.key, part.counts())
    if progress and unit.finishes:
        progress(unit.finishes)


def aggregate(
    files: list[str],
    ontology: Ontology,
    *,
    overlays: tuple[str, ...] = (),
    profile: str | None = None,
    strict: bool = False,
    jobs: int | None = None,
    progress: ProgressFn | None = None,
    cache: bool | None = None,
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
        cache: keep and reuse the counts of runs of unchanged case files in the user's cache
            directory (default: on unless turned off, see `combmap.cache`; only for an
            ontology loaded with the cache on, whose key identifies it).

    Raises:
        CombmapError: with `strict`, the first failure; the profile does not exist.
    """
    from combmap import cache as caching

    if profile is not None:
        ontology.profile(profile)
    totals = Totals()
    reader = _Reader(ontology, profile, strict)
    exports = [f for f in files if f.lower().endswith(".csv")]
    cases = [f for f in files if not f.lower().endswith(".csv") and f != "-"]
    todo: list[_Unit] = []
    for export in exports:
        rows = reader.csv_export(export, totals)
        parts = [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)] or [[]]
        for index, part in enumerate(parts):
            todo.append(_Unit([export], None, part, int(index == len(parts) - 1)))
    if "-" in files:  # standard input is this process's, never a worker's
        if not reader.case_file("-", totals) and strict:
            totals.raise_failure()
    use_cache = caching.enabled() if cache is None else cache
    fingerprint = caching.key_of(ontology) if use_cache else None
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    # Units come as the files are hashed; with workers, hashing the rest overlaps their
    # counting. Workers start once PARALLEL_FROM inputs are left to count.
    units = itertools.chain(todo, _uncounted(_units(cases, fingerprint, profile), totals, progress))
    head = next(units, None)
    if head is None:  # every count was cached: nothing to score, freeze or fork
        totals.raise_failure()
        return totals
    units = itertools.chain([head], units)
    _ = reader.scorer  # made here, before any fork, so that the workers share it
    from combmap.yamlio.parser import expect

    expect(len(cases))  # the faster parser too, when there are enough files for it to pay
    frozen = _freeze()
    reader.freezes = frozen
    try:
        first: list[_Unit] = []
        left = 0
        if workers > 1:
            for unit in units:
                first.append(unit)
                left += len(unit.rows or unit.paths)
                if left >= PARALLEL_FROM:
                    break
        if workers <= 1 or left < PARALLEL_FROM:
            for unit in itertools.chain(first, units):
                _done(unit, _count(reader, unit), totals, progress)
                if totals.failure is not None:
                    break
        else:
            global _WORKER
            _WORKER = reader  # what forked workers start with; spawned ones load their own
            try:
                setup = (overlays, profile, strict, caching.enabled())
                _in_parallel(itertools.chain(first, units), totals, workers, setup, progress)
            finally:
                _WORKER = None
    finally:
        reader.freezes = False
        if frozen:
            gc.unfreeze()
    totals.raise_failure()
    return totals


def _freeze() -> bool:
    """Move what is alive now (the ontology, the scorer's caches) out of the collector's sight.

    Each case makes many short-lived objects, and every full collection would walk the
    long-lived ones again; forked workers also share these pages instead of copying them.
    Undone at the end (only when nothing was frozen before, so a caller's freeze stands).
    No collection first: after the command line's start-up it found nothing to free (0 of
    43,000 objects) and took 8 ms; any garbage frozen here is freed after the unfreeze.
    """
    if gc.get_freeze_count():
        return False
    gc.freeze()
    return True


def _in_parallel(
    units: Iterable[_Unit],
    totals: Totals,
    workers: int,
    setup: tuple[tuple[str, ...], str | None, bool, bool],
    progress: ProgressFn | None,
) -> None:
    """Score units in worker processes, in pieces; merge in input order, a few pieces in flight."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pending: list[tuple[list[Future[Totals]], _Unit]] = []
    in_flight = 0
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(), *setup)
    ) as pool:
        try:
            for unit in units:
                futures = [pool.submit(_work, piece) for piece in _pieces(unit)]
                pending.append((futures, unit))
                in_flight += len(futures)
                while in_flight >= workers * 3:
                    in_flight -= _collect(pending.pop(0), totals, progress)
                    if totals.failure is not None:
                        raise _StoppedError
            while pending and totals.failure is None:
                _collect(pending.pop(0), totals, progress)
        except _StoppedError:
            pool.shutdown(wait=False, cancel_futures=True)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _pieces(unit: _Unit) -> list[_Unit]:
    """A unit's files in runs of at most PIECE, for the workers (rows of an export as they are)."""
    if unit.rows is not None or len(unit.paths) <= PIECE:
        return [unit]
    return [_Unit(unit.paths[i : i + PIECE], None) for i in range(0, len(unit.paths), PIECE)]


class _StoppedError(Exception):
    """A strict run met its first failure: stop handing out work."""


def _collect(
    item: tuple[list[Future[Totals]], _Unit], totals: Totals, progress: ProgressFn | None
) -> int:
    """Merge a unit's pieces in order, then the unit; how many pieces that was."""
    futures, unit = item
    part = futures[0].result()
    for future in futures[1:]:
        part.merge(future.result())
    _done(unit, part, totals, progress)
    return len(futures)


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
