"""The exceptions combmap raises, and the located Issue record they carry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Issue:
    """One located problem in an input file, worded for the person who has to fix it."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.path:
            where += f": {self.path}"
        return f"{where}: {self.message}"


def _issue_order(issue: Issue) -> tuple[str, int, str, str]:
    # An issue without a line (about the whole file) comes first; None never meets an int.
    return (issue.file, -1 if issue.line is None else issue.line, issue.path, issue.message)


class CombmapError(Exception):
    """Base class of every error combmap raises on purpose."""

    def __init__(
        self, message: str, issues: list[Issue] | None = None, *, limit: int | None = None
    ) -> None:
        """Keep the issues in file and line order; with `limit`, only the first `limit` of them.

        When issues are left out, a last issue says how many (so 100,000 bad entries cost
        neither minutes of output nor a screen of noise).
        """
        super().__init__(message)
        self.message = message
        ordered = sorted(issues or [], key=_issue_order)
        if limit is not None and len(ordered) > limit:
            rest = len(ordered) - limit
            ordered = ordered[:limit]
            more = f"... and {rest:,} more problem{'s' * (rest != 1)}; fix these and run again"
            ordered.append(Issue(ordered[-1].file if ordered else "", None, "", more))
        self.issues: list[Issue] = ordered

    def __str__(self) -> str:
        if not self.issues:
            return self.message
        return "\n".join([self.message, *(f"  - {issue}" for issue in self.issues)])


class InputError(CombmapError):
    """A file could not be read as a combmap input (missing, too big, not YAML, unsafe YAML)."""


class OntologyError(CombmapError):
    """The ontology (or an overlay) failed validation."""


class CaseError(CombmapError):
    """A case file failed validation against its schema or the ontology."""


class UnknownIdError(CombmapError, KeyError):
    """An id, label or alias matches nothing in the ontology."""

    def __str__(self) -> str:
        return self.message


class RenderError(CombmapError):
    """An output could not be produced (for example no Graphviz renderer for PNG)."""


class OutputError(CombmapError):
    """An output file could not be written."""


class AssessmentError(CombmapError):
    """Self-assessment answers, a session file or a survey could not be read or used."""
