"""combmap: from barriers coded to COM-B and the TDF to ranked, explained intervention plans.

Only names exported here are public:

>>> from combmap import load_ontology
>>> load_ontology().resolve("Knowledge").id
'tdf:knowledge'
"""

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
from combmap.ontology import Entity, Link, Ontology, load_ontology
from combmap.plan import Plan, make_plan

__version__ = "0.1.0"

__all__ = [
    "Barrier",
    "Case",
    "CaseError",
    "CombmapError",
    "Entity",
    "InputError",
    "Issue",
    "Link",
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
