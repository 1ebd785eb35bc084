"""combmap: from barriers coded to COM-B and the TDF to ranked, explained intervention plans.

Only names exported here are public. They are imported on first use, so that the command line
starts quickly:

>>> from combmap import load_ontology
>>> load_ontology().resolve("Knowledge").id
'tdf:knowledge'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from combmap.case import Barrier, Case, load_case
    from combmap.errors import (
        CaseError,
        CombmapError,
        InputError,
        Issue,
        OntologyError,
        OutputError,
        RenderError,
        UnknownIdError,
    )
    from combmap.ontology import Entity, Link, LinkSet, LinkSource, Ontology, load_ontology
    from combmap.plan import Plan, make_plan

__version__ = "0.1.0"

_WHERE = {
    "Barrier": "case",
    "Case": "case",
    "load_case": "case",
    "CaseError": "errors",
    "CombmapError": "errors",
    "InputError": "errors",
    "Issue": "errors",
    "OntologyError": "errors",
    "OutputError": "errors",
    "RenderError": "errors",
    "UnknownIdError": "errors",
    "Entity": "ontology",
    "Link": "ontology",
    "LinkSet": "ontology",
    "LinkSource": "ontology",
    "Ontology": "ontology",
    "load_ontology": "ontology",
    "Plan": "plan",
    "make_plan": "plan",
}

__all__ = [
    "Barrier",
    "Case",
    "CaseError",
    "CombmapError",
    "Entity",
    "InputError",
    "Issue",
    "Link",
    "LinkSet",
    "LinkSource",
    "Ontology",
    "OntologyError",
    "OutputError",
    "Plan",
    "RenderError",
    "UnknownIdError",
    "__version__",
    "load_case",
    "load_ontology",
    "make_plan",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'combmap' has no attribute {name!r}")
    return getattr(import_module(f"combmap.{module}"), name)
