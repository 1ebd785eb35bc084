"""Plain words for the method's terms, and a glossary of every term an output names.

An organisation lead reads "Enablement" as jargon. Each function, policy category, COM-B
component and TDF domain has a plain wording: the ontology's own `plain` field where the
ontology has one, else the wording below (combmap's own words, written for the
self-assessment; they paraphrase, and never replace, the cited definitions). Technical names
stay beside them, and the glossary gives the definition with its citation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from combmap.ontology import Ontology, sort_key
from combmap.schema import Kind

#: combmap's own plain wordings, used when the ontology has no `plain` field for an entity.
PLAIN: dict[str, str] = {
    # Intervention functions (Michie, van Stralen & West 2011).
    "if:education": "explain: help people understand why it matters and how it works",
    "if:persuasion": "encourage: stories and messages that move people to act",
    "if:incentivisation": "reward: something people can expect for doing it",
    "if:coercion": "penalise: a cost or sanction for not doing it",
    "if:training": "train: teach and practise the skills it needs",
    "if:restriction": "set rules: limit what can be done instead",
    "if:environmental-restructuring": "change the setting: time, money, places, tools or processes",
    "if:modelling": "show an example: people others can follow",
    "if:enablement": "remove obstacles: practical support, partners, mentoring or resources",
    # Policy categories.
    "policy:communication-marketing": "publicity: campaigns, newsletters, social media",
    "policy:guidelines": "guidance: written advice or standards on what to do",
    "policy:fiscal-measures": "taxes: changing costs through the tax system",
    "policy:regulation": "rules: requirements set by an authority, short of law",
    "policy:legislation": "law: making or changing laws",
    "policy:environmental-social-planning": "planning: designing places and services",
    "policy:service-provision": "services: providing a service that helps",
    # COM-B components.
    "comb:physical-capability": "physical skills and stamina",
    "comb:psychological-capability": "knowledge and know-how",
    "comb:physical-opportunity": "time, money, places and tools",
    "comb:social-opportunity": "the people around you: support, norms and culture",
    "comb:reflective-motivation": "plans, beliefs and sense of purpose",
    "comb:automatic-motivation": "feelings, habits and gut reactions",
    "comb:capability": "what people know and can do",
    "comb:opportunity": "what the setting and the people around allow",
    "comb:motivation": "what drives people, or holds them back",
    # TDF domains (Cane, O'Connor & Michie 2012).
    "tdf:knowledge": "knowing what to do and why",
    "tdf:skills": "skills and practice",
    "tdf:social-professional-role-and-identity": "whether it feels like our job",
    "tdf:beliefs-about-capabilities": "confidence that we can do it",
    "tdf:optimism": "expecting things to work out",
    "tdf:beliefs-about-consequences": "what we expect to happen if we do it",
    "tdf:reinforcement": "what rewards or discourages it",
    "tdf:intentions": "having decided to do it",
    "tdf:goals": "priorities and goals",
    "tdf:memory-attention-and-decision-processes": "remembering it and deciding to act",
    "tdf:environmental-context-and-resources": "time, money, staff and other resources",
    "tdf:social-influences": "other people and organisations",
    "tdf:emotion": "feelings about the work",
    "tdf:behavioural-regulation": "planning and keeping track",
}

#: Glossary groups, in the order printed, with their headings.
GROUPS: dict[Kind, str] = {
    Kind.FUNCTION: "Intervention functions",
    Kind.POLICY: "Policy categories",
    Kind.TECHNIQUE: "Behaviour change techniques",
    Kind.COMPONENT: "COM-B components",
    Kind.DOMAIN: "TDF domains",
}


def plain_label(ontology: Ontology, entity_id: str, *, short: bool = True) -> str:
    """The plain wording of an entity, short (for titles, diagrams, the terminal) or in full.

    Short: combmap's few words (`PLAIN`), else the ontology's `plain` sentence, else the label.
    Full (for the glossary): the ontology's `plain` sentence first.
    """
    entity = ontology.entities.get(entity_id)
    given = getattr(entity, "plain", None) if entity is not None else None
    if short and entity_id in PLAIN:
        return PLAIN[entity_id]
    if given:
        return str(given)
    if entity_id in PLAIN:
        return PLAIN[entity_id]
    return entity.label if entity is not None else entity_id


def plain_name(ontology: Ontology, entity_id: str) -> str:
    """The plain wording, capitalised, with the technical label in brackets when it differs."""
    entity = ontology.entities.get(entity_id)
    label = entity.label if entity is not None else entity_id
    words = plain_label(ontology, entity_id)
    if words.casefold() == label.casefold():
        return label
    return f"{words[:1].upper()}{words[1:]} ({label})"


def plain_title(ontology: Ontology, target: str, functions: list[str]) -> str:
    """A drafted intervention's working title in plain words: what it targets, then what to do."""
    verbs = [plain_label(ontology, f).split(":", 1)[0] for f in functions[:3]]
    more = " and more" if len(functions) > 3 else ""
    words = plain_label(ontology, target)
    return f"{words[:1].upper()}{words[1:]}: {', '.join(verbs)}{more}"


@dataclass(frozen=True)
class Term:
    """One glossary entry."""

    id: str
    kind: Kind
    label: str
    plain: str | None
    definition: str
    example: str | None
    citation: str


def citation(ontology: Ontology, ref_key: str, locator: str | None = None) -> str:
    """A short citation: first author (et al.) and year, with the locator."""
    ref = ontology.references.get(ref_key)
    if ref is None:
        short = ref_key
    else:
        first = ref.authors[0].split()[0] if ref.authors else ref_key
        names = first if len(ref.authors) == 1 else (
            f"{first} & {ref.authors[1].split()[0]}" if len(ref.authors) == 2 else f"{first} et al."
        )
        short = f"{names} {ref.year}"
    return f"{short}, {locator}" if locator else short


def glossary(ontology: Ontology, ids: Iterable[str]) -> list[Term]:
    """A glossary entry for every function, policy, technique, component and domain in `ids`.

    Ids of other kinds (barriers, criteria) and unknown ids are skipped. The result is sorted
    by group (as `GROUPS`), then by id.
    """
    order = list(GROUPS)
    terms = []
    for entity_id in set(ids):
        entity = ontology.entities.get(entity_id)
        if entity is None or entity.kind not in GROUPS:
            continue
        words = plain_label(ontology, entity_id, short=False)
        ref = getattr(entity, "definition_ref", None) or entity.ref
        terms.append(
            Term(
                id=entity.id,
                kind=entity.kind,
                label=entity.label,
                plain=None if words.casefold() == entity.label.casefold() else words,
                definition=entity.definition,
                example=entity.example,
                citation=citation(ontology, ref, entity.locator),
            )
        )
    return sorted(terms, key=lambda t: (order.index(t.kind), sort_key(t.id)))


__all__ = ["GROUPS", "PLAIN", "Term", "citation", "glossary", "plain_label", "plain_name", "plain_title"]
