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


class CombmapError(Exception):
    """Base class of every error combmap raises on purpose."""

    def __init__(self, message: str, issues: list[Issue] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.issues: list[Issue] = sorted(issues or [])

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
