"""The one place that knows where the packaged ontology and example cases live."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from combmap.errors import OntologyError


def packaged_ontology_dir() -> Path:
    """Return the directory of the shipped ontology.

    An installed wheel carries it as `combmap/ontology` (hatch force-include); a source
    checkout or editable install reads the top-level `ontology/` beside the package.
    """
    inside = Path(str(resources.files("combmap"))) / "ontology"
    if (inside / "manifest.yaml").is_file():
        return inside
    beside = Path(__file__).resolve().parent.parent / "ontology"
    if (beside / "manifest.yaml").is_file():
        return beside
    raise OntologyError("the packaged ontology is missing; reinstall combmap")


def example_case(name: str) -> Path:
    """Return the path of a shipped example case.

    The wheel carries it as `combmap/examples/NAME` (hatch force-include); a source checkout
    reads the top-level `cases/`.
    """
    inside = Path(str(resources.files("combmap"))) / "examples" / name
    if inside.is_file():
        return inside
    beside = Path(__file__).resolve().parent.parent / "cases" / name
    if beside.is_file():
        return beside
    raise OntologyError(f"the example case {name} is missing; reinstall combmap")


def packaged_font(name: str) -> Path:
    """Return the path of a font shipped in `combmap/fonts` (DejaVu Sans; see its LICENCE.txt)."""
    path = Path(str(resources.files("combmap"))) / "fonts" / name
    if not path.is_file():
        raise OntologyError(f"the font {name} is missing; reinstall combmap")
    return path
