"""The drafted interventions as a BCIO-annotated specification (`combmap plan --format bcio-json`).

Each drafted intervention is written with its TIDieR items (Hoffmann et al. 2014) and the BCIO
classes behind it: its techniques (BCTO classes, the xrefs of bct.yaml), functions and policy
categories (the draft BCIO classes of the BCW), modes of delivery (BCIO Mode of Delivery
Ontology) and whatever BCIO ids the case file gives per TIDieR item. Every annotation names the
BCIO id, its IRI and what in combmap it comes from, so a tool that reads BCIO ids can use it
without knowing combmap's ids. Ids from the case file are checked for their form only.
"""

from __future__ import annotations

import json
from typing import Any

from combmap.ontology import Ontology
from combmap.plan import Plan
from combmap.plan.models import Intervention

#: Version of the export's JSON shape.
SPEC_SCHEMA = "combmap.bcio-spec/1"
#: How a BCIO id becomes an IRI (the prefix the BCIO OWL files declare).
BCIO_IRI = "http://humanbehaviourchange.org/ontology/BCIO_"


def _iri(bcio_id: str) -> str:
    return BCIO_IRI + bcio_id.split(":", 1)[1]


def _annotations(
    item: Intervention, ontology: Ontology, role: str, ids: list[str]
) -> list[dict[str, Any]]:
    out = []
    for entity_id in ids:
        entity = ontology[entity_id]
        for xref in entity.xrefs:
            if xref.startswith("BCIO:"):
                out.append(
                    {
                        "role": role,
                        "bcio": xref,
                        "iri": _iri(xref),
                        "combmap": entity_id,
                        "label": entity.label,
                    }
                )
    return out


def bcio_spec(plan: Plan, ontology: Ontology) -> dict[str, Any]:
    """The plan's drafted interventions with TIDieR items and BCIO annotations, as plain data."""
    behaviours: dict[str, list[str]] = {}
    for behaviour in plan.behaviours or []:
        for drafted in behaviour.interventions:
            behaviours.setdefault(drafted.id, []).append(behaviour.id)
    interventions = []
    for item in plan.interventions:
        annotations = [
            *_annotations(item, ontology, "intervention function", item.functions),
            *_annotations(item, ontology, "policy category", [p.id for p in item.policies]),
            *_annotations(item, ontology, "behaviour change technique", [t.id for t in item.techniques]),
            *_annotations(item, ontology, "mode of delivery", [m.id for m in item.delivery or []]),
        ]
        spec = item.specification
        for given in spec.bcio if spec else []:
            annotations.append(
                {"role": f"TIDieR {given.item}", "bcio": given.id, "iri": _iri(given.id),
                 "combmap": None, "label": None}
            )
        tidier: dict[str, str] = {
            "name": item.title,
            "why": f"addresses {len(item.barriers)} barrier(s) through {item.target}",
        }
        tidier.update(spec.items if spec else {})
        interventions.append(
            {
                "id": item.id,
                "title": item.title,
                "behaviours": behaviours.get(item.id, []),
                "target": item.target,
                "barriers": item.barriers,
                "tidier": tidier,
                "bcio": annotations,
            }
        )
    return {
        "schema": SPEC_SCHEMA,
        "case": plan.case,
        "ontology": plan.ontology,
        "profile": plan.profile,
        "note": "BCIO ids from combmap's ontology (xrefs) and from the case file; ids from the "
        "case file are checked for their form only.",
        "interventions": interventions,
    }


def bcio_json(plan: Plan, ontology: Ontology) -> str:
    """`bcio_spec` as indented JSON, byte-stable for the same plan."""
    return json.dumps(bcio_spec(plan, ontology), indent=2, ensure_ascii=False) + "\n"
