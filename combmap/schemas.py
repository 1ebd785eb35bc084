"""JSON Schemas of every file combmap reads or writes, for editors and validators.

Input files (cases, ontology files) and the plan come from their pydantic models, so the
schemas follow the code; the aggregate and compare outputs, which are built as plain data,
have a schema of their top-level shape here. Each schema carries `$schema` (2020-12), a
stable `$id`, a title and a description.
"""

from __future__ import annotations

from typing import Any

#: The JSON Schema dialect pydantic writes.
DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: Prefix of every schema's `$id` (a URN until the project has a persistent web address).
ID_PREFIX = "urn:combmap:schema:"

_TITLES = {
    "case": ("combmap case file", "A case: its header, target behaviour, stakeholder groups, coded barriers and enablers, and planning options (docs/case-format.md)."),
    "entities": ("combmap ontology entities file", "Entities of one kind: COM-B components, TDF domains, functions, policies, techniques or APEASE criteria."),
    "links": ("combmap ontology link set", "Links of one relation from one published source, each with its reference and status."),
    "references": ("combmap ontology references", "The published sources that entities and links cite."),
    "manifest": ("combmap ontology manifest", "The ontology's name, version, licence and link-set profiles."),
    "questions": ("combmap self-assessment question bank", "The statements `combmap assess` asks, each coded to TDF domains and COM-B components."),
    "plan": ("combmap plan (combmap.plan/3)", "The output of `combmap plan --format json`: drafted interventions, per-barrier chains (each distinct chain once), the selected functions, ranked functions, policy categories and techniques with robustness notes, and every link once with its sources."),
    "aggregate": ("combmap aggregate (combmap.aggregate/1)", "The output of `combmap aggregate -o x.json`: sector-level priorities and plan over many cases."),
    "compare": ("combmap comparison (combmap.compare/1)", "The output of `combmap compare --format json`: shared and differing codes and plans of cases or stakeholder groups."),
}

#: Names of the schemas, in the order `combmap schema` lists them.
NAMES = tuple(_TITLES)


def _model(name: str) -> Any:
    from combmap import schema as models

    if name == "plan":
        from combmap.plan import Plan

        return Plan
    return {
        "case": models.CaseFileModel,
        "entities": models.EntityFileModel,
        "links": models.LinkSetModel,
        "references": models.ReferenceFileModel,
        "manifest": models.ManifestModel,
        "questions": models.QuestionBankModel,
    }.get(name)


def _items(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "object"}, "description": description}


_OUTPUTS: dict[str, dict[str, Any]] = {
    "aggregate": {
        "type": "object",
        "required": ["schema", "ontology", "cases", "priorities", "functions", "policies", "techniques"],
        "properties": {
            "schema": {"const": "combmap.aggregate/1", "description": "Format marker."},
            "ontology": {"type": "string", "description": "Ontology version."},
            "profiles": {"type": "object", "description": "Cases counted per link-set profile."},
            "cases": {"type": "integer", "minimum": 0, "description": "Cases aggregated."},
            "skipped": {"type": "integer", "minimum": 0, "description": "Files that could not be read."},
            "barriers": {"type": "integer", "minimum": 0, "description": "Barriers over all cases."},
            "enablers": {"type": "integer", "minimum": 0, "description": "Enablers over all cases."},
            "cases_with_unaddressed_barriers": {"type": "integer", "minimum": 0, "description": "Cases with a barrier no function addresses."},
            "priorities": {"type": "object", "description": "Domains and components ranked by load over the cases."},
            "functions": _items("Intervention functions, ranked."),
            "policies": _items("Policy categories, ranked."),
            "techniques": _items("Techniques, ranked."),
            "problems": _items("Files skipped, with the reason."),
        },
    },
    "compare": {
        "type": "object",
        "required": ["schema", "by", "ontology", "sides"],
        "properties": {
            "schema": {"const": "combmap.compare/1", "description": "Format marker."},
            "by": {"type": "string", "description": "What is compared: cases or groups."},
            "ontology": {"type": "string", "description": "Ontology version."},
            "profiles": {"type": "array", "items": {"type": "string"}, "description": "Link-set profile of each side."},
            "top": {"type": "integer", "minimum": 1, "description": "Items kept per list."},
            "sides": _items("The cases or groups compared."),
            "domains": _items("TDF domains coded, per side."),
            "components": _items("COM-B components coded, per side."),
            "themes": _items("Themes, per side."),
            "functions": _items("Functions ranked, per side."),
            "policies": _items("Policy categories ranked, per side."),
            "techniques": _items("Techniques ranked, per side."),
            "ungrouped": _items("Entries with no stakeholder group."),
            "warnings": {"type": "array", "items": {"type": "string"}, "description": "Caveats."},
        },
    },
}


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema called `name` (one of NAMES), with `$schema`, `$id`, title, description.

    Raises:
        KeyError: there is no schema of that name.
    """
    title, description = _TITLES[name]
    model = _model(name)
    body = model.model_json_schema(by_alias=True) if model is not None else dict(_OUTPUTS[name])
    if name == "case":
        _code_examples(body)
    return {"$schema": DIALECT, "$id": f"{ID_PREFIX}{name}", **body, "title": title, "description": description}


def _code_examples(body: dict[str, Any]) -> None:
    """Offer the TDF domain and COM-B component ids while typing (editors show `examples`)."""
    try:
        from combmap.ontology import load_ontology
        from combmap.schema import Kind

        onto = load_ontology()
    except Exception:
        return
    barrier = body.get("$defs", {}).get("BarrierModel", {}).get("properties", {})
    for key, kind in (("tdf", Kind.DOMAIN), ("comb", Kind.COMPONENT)):
        if key in barrier:
            ids = [e.id.split(":", 1)[1] for e in onto.of_kind(kind) if kind != Kind.COMPONENT or e.parent]
            barrier[key]["items"] = {"type": "string", "examples": ids}


__all__ = ["DIALECT", "ID_PREFIX", "NAMES", "json_schema"]
