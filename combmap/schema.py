"""Pydantic models that mirror the YAML files one to one (ontology files and case files).

Every model forbids unknown keys, so a misspelt key is an error rather than silently lost data;
the field descriptions feed the JSON Schema that `combmap schema` prints for editors.
"""

# Annotations are evaluated here, not postponed (no `from __future__ import annotations`):
# pydantic would otherwise evaluate each one from its string as the classes are made, 2 ms.
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from combmap.errors import Issue
from combmap.yamlio import Document, format_path

#: Entity ids are CURIE-like: a lower-case prefix, a colon, a local part.
ID_PATTERN = r"^[a-z][a-z0-9]*:[a-z0-9][a-z0-9.\-]*$"
#: Case and barrier ids are lower-case slugs.
SLUG_PATTERN = r"^[a-z0-9][a-z0-9\-]*$"

EntityId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=100)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Status(StrEnum):
    """How trustworthy a fact is: read in the primary source, in a reproduction, or neither."""

    VERIFIED = "verified"
    SECONDARY = "secondary"
    UNVERIFIED = "unverified"


class Read(StrEnum):
    """What was read for a link: the kind of evidence one source gives.

    `primary`: the original table itself (or a verbatim copy of its page). `reproduction`: a
    published paper or thesis that prints the table, attributed to its origin. `transcription`:
    third-party code, an OCR file or a skill file that copies the table; fidelity unchecked.
    `mention`: a source that names the cell without reproducing the table (an author's
    selection, a paraphrase); kept for the record, it does not raise the status.
    `recollection`: remembered or noted, not read in any source. `origin`: the work the
    table comes from, named for attribution although it was not read (the BCW guide behind a
    reproduction). Only primary, reproduction and transcription readings raise a status.
    """

    PRIMARY = "primary"
    REPRODUCTION = "reproduction"
    TRANSCRIPTION = "transcription"
    MENTION = "mention"
    RECOLLECTION = "recollection"
    ORIGIN = "origin"


class Kind(StrEnum):
    """The kinds of entity the ontology holds."""

    COMPONENT = "component"
    DOMAIN = "domain"
    FUNCTION = "function"
    POLICY = "policy"
    GROUP = "group"
    TECHNIQUE = "technique"
    CRITERION = "criterion"
    MODE = "mode"


class Relation(StrEnum):
    """The kinds of link, named by the kinds they join."""

    DOMAIN_COMPONENT = "domain-component"
    COMPONENT_FUNCTION = "component-function"
    DOMAIN_FUNCTION = "domain-function"
    FUNCTION_POLICY = "function-policy"
    FUNCTION_TECHNIQUE = "function-technique"
    COMPONENT_TECHNIQUE = "component-technique"
    DOMAIN_TECHNIQUE = "domain-technique"


#: The kinds each relation joins (from, to).
RELATION_KINDS: dict[Relation, tuple[Kind, Kind]] = {
    Relation.DOMAIN_COMPONENT: (Kind.DOMAIN, Kind.COMPONENT),
    Relation.COMPONENT_FUNCTION: (Kind.COMPONENT, Kind.FUNCTION),
    Relation.DOMAIN_FUNCTION: (Kind.DOMAIN, Kind.FUNCTION),
    Relation.FUNCTION_POLICY: (Kind.FUNCTION, Kind.POLICY),
    Relation.FUNCTION_TECHNIQUE: (Kind.FUNCTION, Kind.TECHNIQUE),
    Relation.COMPONENT_TECHNIQUE: (Kind.COMPONENT, Kind.TECHNIQUE),
    Relation.DOMAIN_TECHNIQUE: (Kind.DOMAIN, Kind.TECHNIQUE),
}


# --- Ontology files -------------------------------------------------------------------------


class ConstructModel(_Model):
    """A theoretical construct listed under a TDF domain."""

    label: Text = Field(description="The construct's name as the source gives it.")
    status: Status = Field(description="Whether the construct's place in the domain was read.")
    note: str | None = Field(None, description="Provenance or caveat.")


class EntityModel(_Model):
    """One ontology entity: a COM-B component, TDF domain, function, policy, BCT, criterion."""

    id: EntityId = Field(description="Stable CURIE-like id, e.g. 'tdf:knowledge' or 'bct:1.1'.")
    label: Text = Field(description="The official label.")
    definition: Text = Field(description="A short definition in combmap's own words.")
    aliases: list[Text] = Field(
        default_factory=list, description="Other names that find this entity."
    )
    parent: EntityId | None = Field(None, description="Enclosing entity (COM-B source, BCT group).")
    xrefs: list[Text] = Field(
        default_factory=list, description="Ids in other ontologies (BCIO:...)."
    )
    ref: str = Field(description="Key of the reference the entity comes from.")
    locator: str | None = Field(None, description="Table, figure or page in that reference.")
    status: Status = Field(Status.VERIFIED, description="How trustworthy the entity record is.")
    definition_ref: str | None = Field(
        None, description="Key of the reference the definition paraphrases (default: 'ref')."
    )
    plain: Text | None = Field(
        None,
        description="Everyday wording for non-researchers, with a community example (ours).",
    )
    example: str | None = Field(None, description="An example, in combmap's own words.")
    note: str | None = Field(None, description="Provenance or caveat.")
    constructs: list[ConstructModel] = Field(
        default_factory=list, description="TDF constructs (domains only)."
    )
    replaces: bool = Field(False, description="In an overlay: replace the packaged entity.")


class EntityFileModel(_Model):
    """An ontology file holding entities of one kind."""

    kind: Kind = Field(description="The kind of every entity in this file.")
    entities: list[EntityModel] = Field(description="The entities.")


class ReferenceModel(_Model):
    """A published source, cited by key."""

    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]*$")] = Field(
        description="Citation key, e.g. 'michie2011'."
    )
    authors: list[Text] = Field(description="Authors as 'Surname Initials'.")
    year: int = Field(description="Year of publication.")
    title: Text = Field(description="Title.")
    venue: str | None = Field(None, description="Journal, volume and pages; or publisher.")
    doi: str | None = Field(None, description="DOI without the resolver prefix.")
    url: str | None = Field(None, description="Where to read it.")
    licence: str | None = Field(None, description="Licence of material taken from it.")
    note: str | None = Field(None, description="How it was read.")
    replaces: bool = Field(False, description="In an overlay: replace the packaged reference.")


class ReferenceFileModel(_Model):
    """references.yaml."""

    references: list[ReferenceModel] = Field(description="The references.")


class LinkSourceModel(_Model):
    """One source of a link: the reference, where in it, and what was read."""

    ref: str = Field(description="Key of the reference in references.yaml.")
    locator: str | None = Field(None, description="Table, row or page in that reference.")
    read: Read = Field(
        description="primary, reproduction, transcription, mention, recollection or origin."
    )
    agrees: bool = Field(
        True, description="False when the source was read and lacks or contradicts the link."
    )
    note: str | None = Field(None, description="What exactly was read; caveats.")


class LinkModel(_Model):
    """One sourced link between two entities."""

    from_: EntityId = Field(alias="from", description="Source entity id.")
    to: EntityId = Field(description="Target entity id.")
    via: EntityId | None = Field(
        None, description="Intervention function (component-technique only)."
    )
    grade: str | None = Field(
        None, description="Strength of the link: most-frequent, less-frequent, link, ..."
    )
    sources: list[LinkSourceModel] | None = Field(
        None, description="The link's sources; replace the set's sources when given."
    )
    ref: str | None = Field(None, description="Shorthand: the set's source with this reference.")
    locator: str | None = Field(None, description="Shorthand: the set's source at this locator.")
    status: Status | None = Field(
        None, description="Caps the status derived from the sources (never raises it)."
    )
    flag: str | None = Field(None, description="A suspicion about this link, shown to users.")
    mapping: str | None = Field(
        None,
        description="How the source's wording was mapped to these ids: exact, close, uncertain, ...",
    )
    note: str | None = Field(None, description="Provenance or caveat.")


class LinkSetModel(_Model):
    """A file of links of one relation from one source."""

    set: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]*$")] = Field(
        description="Unique id of the link set."
    )
    relation: Relation = Field(description="What the links join.")
    title: Text = Field(description="What the set is.")
    lineage: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.\-]*$")]] = Field(
        default_factory=list,
        description="Ids of the independent evidence base(s) the set derives from (default: the set id).",
    )
    sources: list[LinkSourceModel] = Field(
        default_factory=list, description="Default sources of the links."
    )
    ref: str | None = Field(
        None, description="Shorthand for one source: its reference key (needs 'status')."
    )
    locator: str | None = Field(None, description="Shorthand for one source: its locator.")
    status: Status | None = Field(
        None,
        description="With 'ref': the shorthand source's status; with 'sources': a cap on the links.",
    )
    profiles: list[str] = Field(description="Named profiles that count this set.")
    note: str | None = Field(None, description="How the set was read; caveats.")
    links: list[LinkModel] = Field(description="The links.")
    replaces: bool = Field(False, description="In an overlay: replace the packaged set.")


class ProfileModel(_Model):
    """A named choice of link sets."""

    title: Text = Field(description="Short name.")
    description: Text = Field(description="What the profile counts, and when to use it.")


class ManifestModel(_Model):
    """manifest.yaml: the ontology's name, version, licence and profiles."""

    name: Text = Field(description="Name of the ontology.")
    version: Text = Field(description="Version of the ontology data.")
    licence: Text = Field(description="Licence statement.")
    default_profile: str | None = Field(None, description="Profile used when none is chosen.")
    profiles: dict[str, ProfileModel] = Field(default_factory=dict, description="Named profiles.")


# --- Case files ------------------------------------------------------------------------------


class BarrierKind(StrEnum):
    """Whether an entry hinders the behaviour, helps it, or both."""

    BARRIER = "barrier"
    ENABLER = "enabler"
    BOTH = "both"
    #: An outcome or observed effect of the behaviour (an impact), not a determinant: shown,
    #: never scored, no chain (issue 16).
    OUTCOME = "outcome"


class Judgement(StrEnum):
    """An APEASE judgement of one option against one criterion."""

    PASS = "pass"
    UNSURE = "unsure"
    FAIL = "fail"


class SourceModel(_Model):
    """Where a case comes from."""

    citation: Text = Field(description="Full citation.")
    doi: str | None = Field(None, description="DOI.")
    url: str | None = Field(None, description="URL.")


class CaseInfoModel(_Model):
    """The case header."""

    id: Slug = Field(description="Case id, a lower-case slug.")
    title: Text = Field(description="Title.")
    organisation: str | None = Field(None, description="Organisation name.")
    sector: str | None = Field(None, description="Sector.")
    setting: str | None = Field(None, description="Setting or place.")
    date: str | None = Field(None, description="Date of the assessment or publication.")
    source: SourceModel | None = Field(None, description="Published source, if any.")
    coded_by: str | None = Field(None, description="Who coded the barriers.")
    notes: str | None = Field(None, description="Free notes.")


class _Specified(_Model):
    """Who, what, where, when, how often, with whom: a behaviour specified (BCW step 3)."""

    who: str | None = Field(None, description="Who performs it.")
    what: str | None = Field(None, description="What they do.")
    where: str | None = Field(None, description="Where.")
    when: str | None = Field(None, description="When.")
    how_often: str | None = Field(None, description="How often.")
    with_whom: str | None = Field(None, description="With whom.")


class BehaviourModel(_Specified):
    """The target behaviour, specified as the BCW's step 1 asks."""

    target: Text = Field(description="The behaviour to change, in one sentence.")


class TargetBehaviourModel(_Specified):
    """One of several target behaviours: whose behaviour it is and its specification (steps 2–3)."""

    id: Slug = Field(description="Behaviour id; barriers name it in 'behaviour'.")
    target: Text = Field(description="The behaviour, in one sentence.")
    actor: Text = Field(description="Whose behaviour it is (patients, professionals, ...).")
    notes: str | None = Field(None, description="Free notes.")


class Rating(StrEnum):
    """The BCW guide's scale for judging a candidate behaviour on one criterion."""

    UNACCEPTABLE = "unacceptable"
    UNPROMISING = "unpromising but worth considering"
    PROMISING = "promising"
    VERY_PROMISING = "very promising"


class RatingModel(_Model):
    """One judgement of a candidate behaviour: the rating and why."""

    rating: Rating = Field(
        description="unacceptable, unpromising but worth considering, promising, very promising."
    )
    note: str | None = Field(None, description="Why: the evidence or reasoning behind it.")


class CandidateModel(_Model):
    """A candidate target behaviour judged on the guide's four criteria (BCW step 2)."""

    id: Slug = Field(description="Candidate id; may equal a behaviour id when it was selected.")
    behaviour: Text = Field(description="The candidate behaviour, in one sentence.")
    actor: str | None = Field(None, description="Whose behaviour it is.")
    impact: RatingModel | None = Field(None, description="Likely impact of changing it.")
    likelihood: RatingModel | None = Field(None, description="Likelihood that it can be changed.")
    spillover: RatingModel | None = Field(
        None, description="Likely spill-over to other behaviours."
    )
    measurement: RatingModel | None = Field(None, description="Ease of measuring it.")
    notes: str | None = Field(None, description="Free notes.")


class ProposedModel(_Model):
    """An intervention the source's authors propose, kept to compare with combmap's plan."""

    id: Slug = Field(description="Id, unique among proposed interventions.")
    text: Text = Field(description="What the authors propose, in plain words.")
    functions: list[str] = Field(
        default_factory=list, description="Intervention functions it serves (the coder's)."
    )
    policies: list[str] = Field(
        default_factory=list, description="Policy categories it uses (the coder's)."
    )
    behaviour: str | None = Field(None, description="The behaviour id it bears on.")
    evidence: list[str] = Field(default_factory=list, description="Quotes it rests on.")
    locator: str | None = Field(None, description="Where in the source.")
    notes: str | None = Field(None, description="Free notes.")


#: A BCIO class id as the HBCP ontology files print it.
BCIO_PATTERN = r"^BCIO:[0-9]{6}$"
BcioId = Annotated[str, StringConstraints(pattern=BCIO_PATTERN)]


class SpecItem(StrEnum):
    """TIDieR items a drafted intervention is specified by (Hoffmann et al. 2014, items 3–9)."""

    WHAT_MATERIALS = "what_materials"
    WHAT_PROCEDURES = "what_procedures"
    WHO_PROVIDES = "who_provides"
    HOW = "how"
    WHERE = "where"
    WHEN_HOW_MUCH = "when_how_much"
    TAILORING = "tailoring"


class SpecificationModel(_Model):
    """A drafted intervention specified along the TIDieR items, with BCIO classes where they exist."""

    what_materials: str | None = Field(None, description="TIDieR 3: materials used or given.")
    what_procedures: str | None = Field(
        None, description="TIDieR 4: procedures, activities, processes."
    )
    who_provides: str | None = Field(None, description="TIDieR 5: who delivers it, expertise.")
    how: str | None = Field(
        None, description="TIDieR 6: how it is delivered (the modes in options.delivery)."
    )
    where: str | None = Field(None, description="TIDieR 7: where it happens.")
    when_how_much: str | None = Field(
        None, description="TIDieR 8: when, how often, how long, how much."
    )
    tailoring: str | None = Field(None, description="TIDieR 9: what is personalised, and how.")
    bcio: dict[SpecItem, list[BcioId]] = Field(
        default_factory=dict,
        description="BCIO classes per item (e.g. who_provides: [BCIO:010129]), as the HBCP "
        "ontology files give them; modes of delivery come from options.delivery.",
    )


class GroupModel(_Model):
    """A stakeholder group."""

    id: Slug = Field(description="Group id.")
    label: Text = Field(description="Name shown in outputs.")
    size: int | None = Field(None, ge=1, description="Number of participants.")


class BarrierModel(_Model):
    """A coded barrier or enabler."""

    id: Slug = Field(description="Id, unique in the case.")
    text: Text = Field(description="What the barrier or enabler is, in plain words.")
    kind: BarrierKind = Field(
        BarrierKind.BARRIER, description="barrier, enabler, both, or outcome (never scored)."
    )
    theme: str | None = Field(None, description="Theme shared by related entries.")
    tdf: list[str] = Field(default_factory=list, description="TDF domains: ids, labels, aliases.")
    comb: list[str] = Field(default_factory=list, description="COM-B components.")
    weight: float = Field(1.0, gt=0, le=1000, description="Importance, default 1.")
    frequency: int | None = Field(
        None, ge=1, le=10_000_000, description="How many participants or sources raised it."
    )
    group: str | None = Field(None, description="Stakeholder group id.")
    behaviour: str | None = Field(
        None, description="The behaviour id it bears on (default: the only behaviour)."
    )
    evidence: list[str] = Field(default_factory=list, description="Quotes it rests on.")
    locator: str | None = Field(None, description="Where in the source.")
    notes: str | None = Field(None, description="Free notes.")


class ExclusionModel(_Model):
    """An option ruled out by an APEASE judgement."""

    id: str = Field(description="Function, policy or technique id.")
    reason: Text = Field(description="Why it is ruled out.")
    criteria: list[str] = Field(default_factory=list, description="APEASE criteria it fails.")


class OptionsModel(_Model):
    """Planning options stored with the case."""

    profile: str | None = Field(None, description="Ontology profile.")
    enabler_weight: float = Field(
        0.0, ge=0, le=1, description="Share of an enabler's load counted."
    )
    exclude: list[ExclusionModel] = Field(default_factory=list, description="Excluded options.")
    apease: dict[str, dict[str, Judgement]] = Field(
        default_factory=dict, description="APEASE worksheet: option id → criterion → judgement."
    )
    interventions: dict[str, Text] = Field(
        default_factory=dict,
        description="Working titles for drafted interventions: intervention id (e.g. "
        "'int:knowledge') → title.",
    )
    delivery: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Modes of delivery chosen for drafted interventions: intervention id → "
        "mode ids or labels (BCW step 8).",
    )


class CaseFileModel(_Model):
    """A case file."""

    case: CaseInfoModel = Field(description="Case header.")
    behaviour: BehaviourModel = Field(description="Target behaviour.")
    groups: list[GroupModel] = Field(default_factory=list, description="Stakeholder groups.")
    behaviours: list[TargetBehaviourModel] = Field(
        default_factory=list,
        description="Several target behaviours, each with its actor (omit for one behaviour).",
    )
    candidates: list[CandidateModel] = Field(
        default_factory=list, description="Candidate behaviours judged for selection (step 2)."
    )
    barriers: list[BarrierModel] = Field(description="Coded barriers and enablers.")
    proposed: list[ProposedModel] = Field(
        default_factory=list,
        description="Interventions the source's authors propose, compared with the plan.",
    )
    specifications: dict[str, SpecificationModel] = Field(
        default_factory=dict,
        description="TIDieR specification of drafted interventions: intervention id → items.",
    )
    options: OptionsModel = Field(default_factory=OptionsModel, description="Planning options.")
    assessment: dict[str, Any] | None = Field(
        None, description="Self-assessment answers and notes kept with the case."
    )


# --- Self-assessment (issue 5) -----------------------------------------------------------------

#: Question ids: 'q-' and a slug, at most 26 characters so that the REDCap variable name
#: (hyphens turned to underscores) stays within REDCap's recommended length.
QUESTION_ID_PATTERN = r"^q-[a-z0-9][a-z0-9\-]*$"
QuestionId = Annotated[str, StringConstraints(pattern=QUESTION_ID_PATTERN, max_length=26)]
#: The two answers that are not a point on the agreement scale.
DONT_KNOW, NOT_APPLICABLE = "dont-know", "not-applicable"
AnswerValue = (
    Annotated[int, Field(strict=True, ge=1, le=5)] | Literal["dont-know", "not-applicable"]
)


class Section(StrEnum):
    """The COM-B source a question is shown under (progress display only)."""

    CAPABILITY = "capability"
    OPPORTUNITY = "opportunity"
    MOTIVATION = "motivation"


class ScaleModel(_Model):
    """The answer scale: five agreement points plus "don't know" and "not applicable"."""

    points: list[Text] = Field(
        min_length=5,
        max_length=5,
        description="Labels of answers 1 to 5, from strongly disagree to strongly agree.",
    )
    dont_know: Text = Field("Don't know", description="Label of the 'don't know' answer.")
    not_applicable: Text = Field(
        "Not applicable", description="Label of the 'not applicable' answer."
    )


class QuestionModel(_Model):
    """One self-assessment statement, coded to the TDF domains and COM-B components it probes."""

    id: QuestionId = Field(description="Stable id, e.g. 'q-know-duties'.")
    text: Text = Field(description="The statement, in plain words, to agree or disagree with.")
    section: Section = Field(description="capability, opportunity or motivation.")
    tdf: list[EntityId] = Field(min_length=1, description="TDF domain ids, e.g. tdf:knowledge.")
    comb: list[EntityId] = Field(
        min_length=1, description="COM-B component ids (the six components only)."
    )
    reverse: bool = Field(
        False, description="True when agreeing signals a barrier (reverse-keyed statement)."
    )
    help: str | None = Field(None, description="A plain-words explanation shown on request.")
    replaces: bool = Field(False, description="In an overlay: replace the packaged question.")


class QuestionBankModel(_Model):
    """questions.yaml: the self-assessment question bank."""

    scale: ScaleModel | None = Field(
        None, description="The answer scale (required in the packaged bank)."
    )
    note: str | None = Field(None, description="How the bank was written; caveats.")
    items: list[QuestionModel] = Field(description="The questions, in the order they are asked.")


class ResponseModel(_Model):
    """One respondent's answers, as kept in a case file's `assessment` key."""

    respondent: str | None = Field(None, description="Who answered (optional).")
    source: str | None = Field(None, description="Where the answers came from, after a merge.")
    answers: dict[str, AnswerValue] = Field(
        default_factory=dict, description="Question id → 1-5, dont-know or not-applicable."
    )
    notes: dict[str, Text] = Field(default_factory=dict, description="Question id → note.")
    comments: str | None = Field(None, description="Anything else the respondent added.")


class AssessmentModel(_Model):
    """The `assessment` key of a case made by `combmap assess`: everything needed to resume."""

    format: Literal["combmap.assessment/1"] = Field(description="Format marker.")
    ontology: str | None = Field(None, description="Ontology version the questions came from.")
    position: str | None = Field(None, description="Question on screen when last saved.")
    skipped: list[str] = Field(default_factory=list, description="Questions left for later.")
    respondents: list[ResponseModel] = Field(
        min_length=1, description="One entry for a personal assessment; several after a merge."
    )


def validation_issues(error: ValidationError, doc: Document) -> list[Issue]:
    """Turn pydantic's errors into located Issues, worded for a person."""
    issues = []
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if not _is_internal(part))
        path = tuple("from" if part == "from_" else part for part in loc)
        kind = item["type"]
        if kind == "extra_forbidden":
            message = f"unknown key {path[-1]!r}" if path else "unknown key"
            allowed = _allowed_keys(error, item)
            if allowed and path:
                from difflib import get_close_matches

                close = get_close_matches(str(path[-1]), allowed, n=1)
                message += f"; did you mean {close[0]!r}?" if close else ""
                message += f" (allowed: {', '.join(allowed)})"
            issues.append(doc.issue(path, message))
            continue
        if kind == "missing":
            issues.append(doc.issue(path, f"missing required key {path[-1]!r}"))
            continue
        got = item.get("input")
        shown = repr(got) if len(repr(got)) <= 60 else repr(got)[:57] + "..."
        if kind in ("model_type", "dict_type"):
            what = "is empty" if got is None else f"is {shown}"
            issues.append(doc.issue(path, f"{what}; expected a mapping of keys to values"))
            continue
        if kind == "list_type":
            issues.append(doc.issue(path, f"expected a list, e.g. [a, b] (got {shown})"))
            continue
        if kind == "string_pattern_mismatch":
            issues.append(
                doc.issue(
                    path,
                    f"{got!r} is not a valid id: {_PATTERN_HELP.get(item['ctx']['pattern'], 'see docs/formats.md')}",
                )
            )
            continue
        issues.append(doc.issue(path, f"{_plain_message(kind, item)} (got {shown})"))
    return issues


#: pydantic's error types, reworded: what a value must be, in the words of a case file.
_PLAIN = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "date_type": "expected a date, e.g. 2024-03-01",
    "date_parsing": "expected a date, e.g. 2024-03-01",
    "date_from_datetime_parsing": "expected a date, e.g. 2024-03-01",
    "url_parsing": "expected a web address, e.g. https://example.org",
    "url_scheme": "expected a web address starting http:// or https://",
}


def _plain_message(kind: str, item: Any) -> str:
    """One pydantic error in plain words: no "Value error," or "Input should be" (issue 15)."""
    ctx = item.get("ctx") or {}
    if kind in _PLAIN:
        return _PLAIN[kind]
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind in ("enum", "literal_error") and "expected" in ctx:
        return f"expected {ctx['expected']}"
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        return "must not be empty" if least == 1 else f"must be at least {least} characters long"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item{'s' * (ctx.get('min_length') != 1)}"
    if kind == "too_long":
        return f"takes at most {ctx.get('max_length')} items"
    bounds = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "greater than"),
              "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than")}
    if kind in bounds and bounds[kind][0] in ctx:
        key, words = bounds[kind]
        limit = ctx[key]
        return f"must be {words} {limit:g}" if isinstance(limit, int | float) else f"must be {words} {limit}"
    message = re.sub(r"^(Value error|Assertion failed), ", "", str(item["msg"]))
    message = re.sub(r"^Input should be\b", "must be", message)
    return message[:1].lower() + message[1:]


_PATTERN_HELP = {
    ID_PATTERN: "use a lower-case prefix, a colon and a local part, e.g. 'tdf:knowledge' or 'bct:1.1'",
    SLUG_PATTERN: "use lower-case letters, digits and hyphens, e.g. 'statutory-duties'",
    QUESTION_ID_PATTERN: "use 'q-' then lower-case letters, digits and hyphens, e.g. 'q-know-duties'",
}


_INTERNAL = re.compile(r"^(function-(after|before|wrap|plain)\[|\[key\]$)")


def _is_internal(part: Any) -> bool:
    """Whether a location part is pydantic's own (a validator or dict-key marker), not a key."""
    return isinstance(part, str) and bool(_INTERNAL.match(part))


def _allowed_keys(error: ValidationError, item: Any) -> list[str]:
    model = _model_at(error.title, tuple(item["loc"])[:-1])
    if model is None:
        return []
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _model_at(title: str, loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = _MODELS.get(title)
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get("from_" if part == "from" else str(part))
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


_MODELS: dict[str, type[BaseModel]] = {
    m.__name__: m
    for m in (EntityFileModel, ReferenceFileModel, LinkSetModel, ManifestModel, CaseFileModel)
}
_MODELS.update({m.__name__: m for m in (QuestionBankModel, AssessmentModel)})

__all__ = [
    "DONT_KNOW",
    "NOT_APPLICABLE",
    "RELATION_KINDS",
    "AssessmentModel",
    "BarrierKind",
    "CaseFileModel",
    "EntityFileModel",
    "Judgement",
    "Kind",
    "LinkSetModel",
    "LinkSourceModel",
    "ManifestModel",
    "QuestionBankModel",
    "QuestionModel",
    "Read",
    "ReferenceFileModel",
    "Relation",
    "ResponseModel",
    "ScaleModel",
    "Section",
    "Status",
    "format_path",
    "validation_issues",
]
