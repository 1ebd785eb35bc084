"""The ontology for ontology tools: OWL (RDF/XML or Turtle) and SKOS, built with rdflib.

An entity with exactly one BCIO cross-reference takes the BCIO class's IRI (BCIO:007003 is
`http://humanbehaviourchange.org/ontology/BCIO_007003`), so the export lines up with the
HBCP's BCIO and BCTO in Protégé; every other entity gets a combmap IRI. Cross-references
are kept as `oboInOwl:hasDbXref` and `skos:closeMatch`. Each link is an annotation between
two classes, reified as an `owl:Axiom` that carries its link set, reference, locator,
status and grade: the sources stay with the links.
"""

from __future__ import annotations

from typing import Any

from combmap.ontology import Entity, Ontology

#: Namespace of combmap's own IRIs. A URN until the project has a persistent web address.
COMBMAP = "urn:combmap:"
#: Namespace of the HBCP's Behaviour Change Intervention Ontology.
BCIO = "http://humanbehaviourchange.org/ontology/BCIO_"
_OBO = "http://purl.obolibrary.org/obo/"
_OBOINOWL = "http://www.geneontology.org/formats/oboInOwl#"


def entity_iris(ontology: Ontology) -> dict[str, str]:
    """The IRI of every entity: its BCIO class when the two map one to one, else combmap's.

    An entity with two BCIO xrefs (1.1 → "set" and "agree behaviour goal"), or a BCIO class
    that two entities name, keeps a combmap IRI and points at BCIO with skos:closeMatch.
    """
    from collections import Counter

    def bcio(entity: Entity) -> list[str]:
        return [x for x in entity.xrefs if x.startswith("BCIO:")]

    named = Counter(x for e in ontology.entities.values() for x in set(bcio(e)))
    out = {}
    for entity in ontology.entities.values():
        ids = bcio(entity)
        if len(ids) == 1 and named[ids[0]] == 1:
            out[entity.id] = BCIO + ids[0].split(":", 1)[1]
        else:
            out[entity.id] = COMBMAP + entity.id
    return out


def _graph(ontology: Ontology, *, skos: bool) -> Any:
    from rdflib import OWL, RDF, RDFS, SKOS, BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCTERMS

    graph = Graph()
    cm = Namespace(COMBMAP)
    oio = Namespace(_OBOINOWL)
    obo = Namespace(_OBO)
    graph.bind("combmap", cm)
    graph.bind("bcio", Namespace(BCIO))
    graph.bind("oboInOwl", oio)
    graph.bind("obo", obo)
    graph.bind("skos", SKOS)
    graph.bind("dcterms", DCTERMS)
    root = URIRef(COMBMAP + "ontology")
    iris = {key: URIRef(iri) for key, iri in entity_iris(ontology).items()}
    if skos:
        graph.add((root, RDF.type, SKOS.ConceptScheme))
    else:
        graph.add((root, RDF.type, OWL.Ontology))
        graph.add((root, OWL.versionInfo, Literal(ontology.version)))
        for prop in ("id", "kind", "set", "status", "locator", "grade", "via"):
            graph.add((cm[prop], RDF.type, OWL.AnnotationProperty))
        for prop in (oio.hasDbXref, SKOS.closeMatch, SKOS.altLabel, obo.IAO_0000115, DCTERMS.source):
            graph.add((prop, RDF.type, OWL.AnnotationProperty))
    graph.add((root, RDFS.label, Literal(ontology.manifest.name)))
    graph.add((root, DCTERMS.license, Literal(ontology.manifest.licence)))
    relations = sorted({link.relation.value for link in ontology.links})
    for relation in relations:
        prop = cm[relation]
        graph.add((prop, RDF.type, OWL.ObjectProperty if skos else OWL.AnnotationProperty))
        if skos:
            graph.add((prop, RDFS.subPropertyOf, SKOS.related))
        graph.add((prop, RDFS.label, Literal(relation.replace("-", " to "))))
    for entity in sorted(ontology.entities.values(), key=lambda e: e.id):
        node = iris[entity.id]
        if skos:
            graph.add((node, RDF.type, SKOS.Concept))
            graph.add((node, SKOS.inScheme, root))
            graph.add((node, SKOS.prefLabel, Literal(entity.label, lang="en")))
            graph.add((node, SKOS.definition, Literal(entity.definition, lang="en")))
            graph.add((node, SKOS.notation, Literal(entity.id)))
            if entity.parent:
                graph.add((node, SKOS.broader, iris[entity.parent]))
            else:
                graph.add((node, SKOS.topConceptOf, root))
        else:
            graph.add((node, RDF.type, OWL.Class))
            graph.add((node, RDFS.label, Literal(entity.label, lang="en")))
            graph.add((node, obo.IAO_0000115, Literal(entity.definition, lang="en")))
            graph.add((node, cm.id, Literal(entity.id)))
            graph.add((node, cm.status, Literal(entity.status.value)))
            if entity.parent:
                graph.add((node, RDFS.subClassOf, iris[entity.parent]))
        graph.add((node, cm.kind, Literal(entity.kind.value)))
        graph.add((node, DCTERMS.source, Literal(entity.ref)))
        for alias in entity.aliases:
            graph.add((node, SKOS.altLabel, Literal(alias, lang="en")))
        for xref in entity.xrefs:
            graph.add((node, oio.hasDbXref, Literal(xref)))
            if xref.startswith("BCIO:") and URIRef(BCIO + xref[5:]) != node:
                graph.add((node, SKOS.closeMatch, URIRef(BCIO + xref[5:])))
    for link in ontology.links:
        source, prop, target = iris[link.source], cm[link.relation.value], iris[link.target]
        graph.add((source, prop, target))
        axiom = BNode()
        if skos:
            continue  # SKOS has no axiom annotations; the sources are in the OWL export
        graph.add((axiom, RDF.type, OWL.Axiom))
        graph.add((axiom, OWL.annotatedSource, source))
        graph.add((axiom, OWL.annotatedProperty, prop))
        graph.add((axiom, OWL.annotatedTarget, target))
        graph.add((axiom, cm.set, Literal(link.set)))
        graph.add((axiom, cm.status, Literal(link.status.value)))
        for ref in getattr(link, "sources", None) or (link.ref,):
            graph.add((axiom, DCTERMS.source, Literal(str(getattr(ref, "ref", ref)))))
        if link.locator:
            graph.add((axiom, cm.locator, Literal(link.locator)))
        if link.grade:
            graph.add((axiom, cm.grade, Literal(link.grade)))
        if link.via:
            graph.add((axiom, cm.via, iris[link.via]))
    return graph


def export_owl(ontology: Ontology, *, syntax: str = "xml") -> str:
    """The ontology as OWL: RDF/XML (`xml`, what Protégé and owlready2 open) or Turtle (`turtle`)."""
    return str(_graph(ontology, skos=False).serialize(format=syntax))


def export_skos(ontology: Ontology) -> str:
    """The ontology as a SKOS concept scheme in Turtle (parents as skos:broader)."""
    return str(_graph(ontology, skos=True).serialize(format="turtle"))


__all__ = ["BCIO", "COMBMAP", "entity_iris", "export_owl", "export_skos"]
