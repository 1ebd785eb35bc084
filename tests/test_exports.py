"""Ontology exports for graph and ontology tools (issue 15 item 3; issue 13 item 10)."""

from __future__ import annotations

import json
import xml.dom.minidom
from pathlib import Path

import networkx as nx
import pytest

from combmap import Ontology, load_ontology, rdf, render

from .conftest import run_cli


def test_owl_loads_in_owlready2_with_93_techniques_and_bcio_iris(tmp_path: Path, onto: Ontology) -> None:
    owlready2 = pytest.importorskip("owlready2")
    path = tmp_path / "combmap.owl"
    path.write_text(rdf.export_owl(onto), encoding="utf-8")
    world = owlready2.World()
    loaded = world.get_ontology(path.as_uri()).load()
    classes = list(loaded.world.classes())
    assert len(classes) == len(onto.entities)
    kind = world.search_one(iri="urn:combmap:kind")
    techniques = [c for c in classes if "technique" in kind[c]]
    assert len(techniques) == 93
    bcio = [c for c in classes if c.iri.startswith(rdf.BCIO)]
    assert len(bcio) >= 90
    goal = world[rdf.BCIO + "007003"]  # 1.1 maps to two BCTO classes, so keeps its own IRI
    assert goal is None or goal.iri.startswith(rdf.BCIO)


def test_owl_links_are_annotated_axioms_with_their_sources(onto: Ontology) -> None:
    from rdflib import OWL, RDF, Graph, URIRef

    graph = Graph().parse(data=rdf.export_owl(onto, syntax="turtle"), format="turtle")
    axioms = list(graph.subjects(RDF.type, OWL.Axiom))
    assert len(axioms) == len(onto.links)
    source = URIRef("http://purl.org/dc/terms/source")
    assert all(graph.value(a, source) is not None for a in axioms)
    assert (None, OWL.annotatedSource, None) in graph


def test_skos_has_one_concept_per_entity(onto: Ontology) -> None:
    from rdflib import RDF, SKOS, Graph

    graph = Graph().parse(data=rdf.export_skos(onto), format="turtle")
    assert len(set(graph.subjects(RDF.type, SKOS.Concept))) == len(onto.entities)
    assert len(list(graph.subject_objects(SKOS.broader))) == sum(1 for e in onto.entities.values() if e.parent)


def test_node_link_json_loads_with_networkx_defaults(onto: Ontology) -> None:
    graph = nx.node_link_graph(json.loads(render.export_json(onto)))
    assert graph.is_directed() and graph.is_multigraph()
    assert graph.number_of_nodes() == len(onto.entities)
    assert graph.number_of_edges() == len(onto.links)
    assert graph.graph["version"] == onto.version


def test_graphml_carries_definitions_xrefs_and_numeric_weights(onto: Ontology) -> None:
    graph = nx.parse_graphml(render.export_graphml(onto))
    node = graph.nodes["bct:1.1"]
    assert node["definition"] and "BCIO:" in node["xrefs"] and node["kind"] == "technique"
    weights = [d["weight"] for _, _, d in graph.edges(data=True)]
    # The weight counts the sources that read the link: at least 1, more where they agree.
    assert all(isinstance(w, float) and w >= 1 and w.is_integer() for w in weights)
    assert max(weights) > 1


def test_graphml_with_control_characters_is_well_formed(tmp_path: Path) -> None:
    """Issue 13 item 10: a control character in a label made the GraphML ill-formed."""
    overlay = tmp_path / "o"
    overlay.mkdir()
    (overlay / "bct.yaml").write_text(
        'kind: technique\nentities:\n  - id: bct:99.1\n    label: "bell\\x07 and esc\\x1b[2J"\n'
        '    definition: "x\\x0bv"\n    parent: bctg:4\n    ref: michie2013\n',
        encoding="utf-8",
    )
    text = render.export_graphml(load_ontology(overlay))
    xml.dom.minidom.parseString(text.encode("utf-8"))
    assert "bell and esc[2J" in text


@pytest.mark.parametrize(("suffix", "start"), [(".owl", "<?xml"), (".ttl", "@prefix"), (".skos", "@prefix"), (".graphml", "<?xml"), (".json", "{")])
def test_cli_export_format_from_suffix(suffix: str, start: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"x{suffix}"
    code, _, err = run_cli(capsys, "ontology", "export", "-o", str(out))
    assert code == 0, err
    assert out.read_text(encoding="utf-8").startswith(start)


def test_cli_export_refuses_a_suffix_it_cannot_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "ontology", "export", "-o", str(tmp_path / "x.xlsx"))
    assert code == 1 and ".owl" in err and ".graphml" in err
