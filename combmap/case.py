"""Read a case file and resolve every code in it against the ontology.

A case is parsed once into `CaseFileModel`, then each TDF/COM-B code, group, exclusion and
APEASE entry is resolved to an ontology id. Every problem is collected, located, and raised
together as a `CaseError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from combmap.errors import CaseError, Issue, UnknownIdError
from combmap.ontology import Ontology
from combmap.schema import (
    BarrierKind,
    BarrierModel,
    BehaviourModel,
    CandidateModel,
    CaseFileModel,
    CaseInfoModel,
    ExclusionModel,
    GroupModel,
    Judgement,
    Kind,
    OptionsModel,
    SpecificationModel,
    TargetBehaviourModel,
    validation_issues,
)
from combmap.yamlio import Document, display_name, paused_gc, read_text
from combmap.yamlio.parser import parse_yaml

#: Kinds an exclusion or APEASE judgement may name.
OPTION_KINDS = (Kind.FUNCTION, Kind.POLICY, Kind.TECHNIQUE, Kind.MODE)


#: Problems listed per case file; the rest are counted ("... and 99,900 more problems").
MAX_ISSUES = 100
_CACHE_LIMIT = 100_000
_Resolved = dict[tuple[str, tuple[Kind, ...]], tuple[str | None, str | None]]
_Listed = dict[tuple[tuple[str, ...], Kind, bool], tuple[str, ...]]
#: Per ontology, one at a time: each code's resolution, and each list of codes' ids.
_RESOLVED: dict[int, tuple[Ontology, _Resolved, _Listed]] = {}


@dataclass(frozen=True)
class Barrier:
    """A coded barrier or enabler, its codes resolved to ontology ids."""

    id: str
    text: str
    kind: BarrierKind
    domains: tuple[str, ...]
    components: tuple[str, ...]
    weight: float = 1.0
    frequency: int | None = None
    group: str | None = None
    theme: str | None = None
    evidence: tuple[str, ...] = ()
    locator: str | None = None
    notes: str | None = None
    #: Which Skills a tdf:skills code means, from the code's own words: physical, cognitive.
    skills: str | None = None
    #: The target behaviour it bears on (a `Case.behaviours` id); None without `behaviours`.
    behaviour: str | None = None

    @property
    def load(self) -> float:
        """Importance × how often it was raised (1 when the source gives no count)."""
        return self.weight * (self.frequency or 1)


@dataclass(frozen=True)
class Exclusion:
    """An option ruled out by an APEASE judgement, with its reason."""

    id: str
    reason: str
    criteria: tuple[str, ...] = ()


@dataclass(frozen=True)
class Proposed:
    """An intervention the source's authors propose, its codes resolved."""

    id: str
    text: str
    functions: tuple[str, ...]
    policies: tuple[str, ...]
    behaviour: str | None = None
    evidence: tuple[str, ...] = ()
    locator: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Case:
    """A validated case: what the planner reads."""

    info: CaseInfoModel
    behaviour: BehaviourModel
    groups: tuple[GroupModel, ...]
    barriers: tuple[Barrier, ...]
    profile: str | None = None
    enabler_weight: float = 0.0
    exclusions: tuple[Exclusion, ...] = ()
    apease: tuple[tuple[str, tuple[tuple[str, Judgement], ...]], ...] = ()
    #: Working titles the user gave drafted interventions, by intervention id.
    titles: tuple[tuple[str, str], ...] = ()
    #: Target behaviours (issue 16); empty for a case with one `behaviour`.
    behaviours: tuple[TargetBehaviourModel, ...] = ()
    #: Candidate behaviours judged for selection (BCW step 2), in file order.
    candidates: tuple[CandidateModel, ...] = ()
    #: Interventions the source's authors propose, in file order.
    proposed: tuple[Proposed, ...] = ()
    #: Modes of delivery chosen per drafted intervention id (BCW step 8), mode ids resolved.
    delivery: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: TIDieR specifications per drafted intervention id.
    specifications: tuple[tuple[str, SpecificationModel], ...] = ()
    file: str = field(default="", compare=False)
    assessment: Any = field(default=None, compare=False)

    @property
    def id(self) -> str:
        """The case id."""
        return self.info.id


def load_case(path: Path | str, ontology: Ontology) -> Case:
    """Read, validate and resolve one case file.

    Raises:
        CaseError: the case is not valid; `.issues` lists every located problem.
        InputError: the file cannot be read or is not plain YAML.
    """
    path = Path(path)
    doc = parse_yaml(read_text(path, what="case file"), display_name(path))
    return case_from_document(doc, ontology)


def case_from_document(doc: Document, ontology: Ontology) -> Case:
    """Validate and resolve an already-parsed case document."""
    with paused_gc():  # linear time on 100,000 barriers (see yamlio.paused_gc)
        return _case_from_document(doc, ontology)


def _case_from_document(doc: Document, ontology: Ontology) -> Case:
    if not isinstance(doc.data, dict):
        shape = "empty" if doc.data is None else f"a {type(doc.data).__name__}"
        issue = doc.issue(
            (), f"the file is {shape}; expected a mapping with 'case', 'behaviour' and 'barriers'"
        )
        raise CaseError(f"{doc.file} is not a valid case", [issue])
    try:
        model = CaseFileModel.model_validate(doc.data)
    except ValidationError as error:
        issues = validation_issues(error, doc)
        # Every problem at once: check the codes of whatever parts are well-formed too, so a
        # key typo does not hide the unknown codes until the next run.
        try:
            _resolve(_salvage(doc.data), doc, ontology)
        except CaseError as more:
            seen = {(i.line, i.path) for i in issues}
            issues += [i for i in more.issues if (i.line, i.path) not in seen]
        except Exception:
            pass
        raise CaseError(
            f"{doc.file} is not a valid case ({_count(issues)})", issues, limit=MAX_ISSUES
        ) from None
    return _resolve(model, doc, ontology)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _salvage(data: dict[str, Any]) -> CaseFileModel:
    """A best-effort model of a case that failed its schema, keeping list positions.

    Only what the cross-reference checks read is kept (ids, codes, groups, options), and
    only where it has the right type; the rest is left at defaults. Never validated.
    """
    def text(value: Any, default: str = "") -> str:
        return value if isinstance(value, str) else default

    def items(key: str) -> list[Any]:
        value = data.get(key)
        return value if isinstance(value, list) else []

    groups = [
        GroupModel.model_construct(id=text(g.get("id") if isinstance(g, dict) else None), label="")
        for g in items("groups")
    ]
    barriers = []
    for raw in items("barriers"):
        raw = raw if isinstance(raw, dict) else {}
        group = raw.get("group")
        barriers.append(
            BarrierModel.model_construct(
                id=text(raw.get("id"), "?"),
                text="",
                kind=BarrierKind.BARRIER,
                tdf=_strings(raw.get("tdf")),
                comb=_strings(raw.get("comb")),
                group=group if isinstance(group, str) else None,
                behaviour=raw.get("behaviour") if isinstance(raw.get("behaviour"), str) else None,
                weight=1.0,
                frequency=None,
                theme=None,
                evidence=[],
                locator=None,
                notes=None,
            )
        )
    found = data.get("options")
    raw_options: dict[str, Any] = found if isinstance(found, dict) else {}
    exclude = [
        ExclusionModel.model_construct(id=text(e.get("id")), reason="", criteria=_strings(e.get("criteria")))
        for e in raw_options.get("exclude", []) if isinstance(e, dict) and isinstance(e.get("id"), str)
    ] if isinstance(raw_options.get("exclude"), list) else []
    apease = raw_options.get("apease")
    profile = raw_options.get("profile")
    options = OptionsModel.model_construct(
        profile=profile if isinstance(profile, str) else None,
        enabler_weight=0.0,
        exclude=exclude,
        apease={
            k: {c: j for c, j in v.items() if isinstance(c, str)}
            for k, v in apease.items() if isinstance(k, str) and isinstance(v, dict)
        } if isinstance(apease, dict) else {},
    )
    behaviours = [
        TargetBehaviourModel.model_construct(id=text(b.get("id")), target="", actor="")
        for b in items("behaviours") if isinstance(b, dict)
    ]
    return CaseFileModel.model_construct(
        case=CaseInfoModel.model_construct(id="", title=""),
        behaviour=BehaviourModel.model_construct(target=""),
        behaviours=behaviours,
        groups=groups,
        barriers=barriers,
        options=options,
        assessment=None,
    )


def _count(issues: list[Issue]) -> str:
    return f"{len(issues)} problem{'s' * (len(issues) != 1)}"


def _resolve(model: CaseFileModel, doc: Document, ontology: Ontology) -> Case:
    issues: list[Issue] = []
    group_ids = [g.id for g in model.groups]
    for index, group in enumerate(model.groups):
        if group_ids.index(group.id) != index:
            issues.append(doc.issue(("groups", index, "id"), f"duplicate group id {group.id!r}"))
    behaviour_ids = [b.id for b in model.behaviours]
    for index, target in enumerate(model.behaviours):
        if behaviour_ids.index(target.id) != index:
            issues.append(
                doc.issue(("behaviours", index, "id"), f"duplicate behaviour id {target.id!r}")
            )
    if not model.barriers:
        issues.append(doc.issue(("barriers",), "add at least one barrier or enabler"))
    barriers = []
    seen: dict[str, int] = {}
    # Barriers repeat their lists of codes: a list resolved before is looked up here, without
    # the call and the key path that resolving it anew (and locating its problems) needs.
    code_lists = _caches(ontology)[2]
    for index, item in enumerate(model.barriers):
        at = ("barriers", index)
        if item.id in seen:
            issues.append(
                doc.issue(
                    (*at, "id"), f"duplicate barrier id {item.id!r}: also barriers[{seen[item.id]}]"
                )
            )
        seen.setdefault(item.id, index)
        if not item.tdf and not item.comb and item.kind != BarrierKind.OUTCOME:
            issues.append(
                doc.issue(at, f"barrier {item.id!r} has no codes; add 'tdf' and/or 'comb'")
            )
        domains = code_lists.get((tuple(item.tdf), Kind.DOMAIN, False))
        if domains is None:
            domains = _codes(item.tdf, Kind.DOMAIN, ontology, doc, (*at, "tdf"), issues)
        components = code_lists.get((tuple(item.comb), Kind.COMPONENT, False))
        if components is None:
            components = _codes(item.comb, Kind.COMPONENT, ontology, doc, (*at, "comb"), issues)
        if item.group is not None and item.group not in group_ids:
            close = get_close_matches(item.group, group_ids, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(group_ids) if group_ids else "none defined; add a 'groups' list"
            issues.append(
                doc.issue((*at, "group"), f"unknown group {item.group!r}{hint} (groups: {known})")
            )
        behaviour = _behaviour_of(
            item.behaviour, behaviour_ids, doc, (*at, "behaviour"), issues
        )
        barriers.append(
            Barrier(
                behaviour=behaviour,
                id=item.id,
                text=item.text,
                kind=item.kind,
                domains=domains,
                components=components,
                weight=item.weight,
                frequency=item.frequency,
                group=item.group,
                theme=item.theme,
                evidence=tuple(item.evidence),
                locator=item.locator,
                notes=item.notes,
                skills=_skills_kind(item.tdf),
            )
        )
    options = model.options
    if options.profile is not None:
        try:
            ontology.profile(options.profile)
        except UnknownIdError as error:
            issues.append(doc.issue(("options", "profile"), error.message))
    exclusions = []
    excluded: set[str] = set()
    for index, exclusion in enumerate(options.exclude):
        where: tuple[str | int, ...] = ("options", "exclude", index)
        option = _one(exclusion.id, OPTION_KINDS, ontology, doc, (*where, "id"), issues)
        criteria = _codes(
            exclusion.criteria, Kind.CRITERION, ontology, doc, (*where, "criteria"), issues
        )
        if option is not None:
            if option in excluded:
                issues.append(doc.issue((*where, "id"), f"{option!r} is excluded twice"))
            excluded.add(option)
            exclusions.append(Exclusion(option, exclusion.reason, criteria))
    apease = []
    for option_text, judgements in sorted(options.apease.items()):
        where = ("options", "apease", option_text)
        option = _one(option_text, OPTION_KINDS, ontology, doc, where, issues)
        resolved = []
        for criterion_text, judgement in sorted(judgements.items()):
            criterion = _one(
                criterion_text, (Kind.CRITERION,), ontology, doc, (*where, criterion_text), issues
            )
            if criterion is not None:
                resolved.append((criterion, judgement))
        if option is not None:
            apease.append((option, tuple(sorted(resolved))))
    proposed = _proposed(model, behaviour_ids, ontology, doc, issues)
    delivery = []
    for intervention_id, modes in sorted(options.delivery.items()):
        where = ("options", "delivery", intervention_id)
        delivery.append(
            (intervention_id, _codes(modes, Kind.MODE, ontology, doc, where, issues, keep=True))
        )
    candidate_ids: set[str] = set()
    for index, candidate in enumerate(model.candidates):
        if candidate.id in candidate_ids:
            issues.append(
                doc.issue(("candidates", index, "id"), f"duplicate candidate id {candidate.id!r}")
            )
        candidate_ids.add(candidate.id)
    if issues:
        raise CaseError(
            f"{doc.file} is not a valid case ({_count(issues)})", issues, limit=MAX_ISSUES
        )
    return Case(
        info=model.case,
        behaviour=model.behaviour,
        groups=tuple(model.groups),
        barriers=tuple(sorted(barriers, key=lambda b: b.id)),
        profile=options.profile,
        enabler_weight=options.enabler_weight,
        exclusions=tuple(sorted(exclusions, key=lambda e: e.id)),
        apease=tuple(apease),
        titles=tuple(sorted(options.interventions.items())),
        behaviours=tuple(model.behaviours),
        candidates=tuple(model.candidates),
        proposed=proposed,
        delivery=tuple(delivery),
        specifications=tuple(sorted(model.specifications.items())),
        file=doc.file,
        assessment=model.assessment,
    )


def _behaviour_of(
    named: str | None,
    known: list[str],
    doc: Document,
    path: tuple[str | int, ...],
    issues: list[Issue],
) -> str | None:
    """The behaviour an entry bears on: the one named, or the only one (issue 16)."""
    if named is None:
        if len(known) > 1:
            issues.append(
                doc.issue(path, f"name the behaviour it bears on: one of {', '.join(known)}")
            )
        return known[0] if known else None
    if named not in known:
        close = get_close_matches(named, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(known) if known else "none defined; add a 'behaviours' list"
        issues.append(doc.issue(path, f"unknown behaviour {named!r}{hint} (behaviours: {listed})"))
        return None
    return named


def _proposed(
    model: CaseFileModel,
    behaviour_ids: list[str],
    ontology: Ontology,
    doc: Document,
    issues: list[Issue],
) -> tuple[Proposed, ...]:
    out = []
    seen: set[str] = set()
    for index, item in enumerate(model.proposed):
        at = ("proposed", index)
        if item.id in seen:
            issues.append(doc.issue((*at, "id"), f"duplicate proposed id {item.id!r}"))
        seen.add(item.id)
        behaviour = (
            _behaviour_of(item.behaviour, behaviour_ids, doc, (*at, "behaviour"), issues)
            if item.behaviour is not None
            else None
        )
        out.append(
            Proposed(
                id=item.id,
                text=item.text,
                functions=_codes(
                    item.functions, Kind.FUNCTION, ontology, doc, (*at, "functions"), issues
                ),
                policies=_codes(
                    item.policies, Kind.POLICY, ontology, doc, (*at, "policies"), issues
                ),
                behaviour=behaviour,
                evidence=tuple(item.evidence),
                locator=item.locator,
                notes=item.notes,
            )
        )
    return tuple(out)


def _skills_kind(texts: list[str]) -> str | None:
    """'physical' or 'cognitive' when a Skills code names its kind ("Physical skills")."""
    for text in texts:
        words = text.lower()
        if "skill" not in words:
            continue
        if "physical" in words:
            return "physical"
        if "cognitive" in words or "interpersonal" in words:
            return "cognitive"
    return None


def _one(
    text: str,
    kinds: tuple[Kind, ...],
    ontology: Ontology,
    doc: Document,
    path: tuple[str | int, ...],
    issues: list[Issue],
) -> str | None:
    found = _resolved(text, kinds, ontology)
    if found[1] is not None:
        issues.append(doc.issue(path, found[1]))
    return found[0]


def _resolved(text: str, kinds: tuple[Kind, ...], ontology: Ontology) -> tuple[str | None, str | None]:
    """(id, None) or (None, message), computed once per distinct code and ontology.

    A case may repeat one code (or one misspelling) 100,000 times; the did-you-mean search
    costs about a millisecond, so it runs once per distinct text (issue 13 item 9).
    """
    cache = _caches(ontology)[1]
    key = (text, kinds)
    found = cache.get(key)
    if found is None:
        try:
            found = (ontology.resolve(text, kinds).id, None)
        except UnknownIdError as error:
            found = (None, error.message)
        if len(cache) < _CACHE_LIMIT:
            cache[key] = found
    return found


def _caches(ontology: Ontology) -> tuple[Ontology, _Resolved, _Listed]:
    cache = _RESOLVED.get(id(ontology))
    if cache is None or cache[0] is not ontology:
        cache = (ontology, {}, {})
        _RESOLVED.clear()  # one ontology at a time: the CLI, aggregate workers and tests
        _RESOLVED[id(ontology)] = cache
    return cache


def _codes(
    texts: list[str],
    kind: Kind,
    ontology: Ontology,
    doc: Document,
    path: tuple[str | int, ...],
    issues: list[Issue],
    *,
    keep: bool = False,
) -> tuple[str, ...]:
    """Resolve codes, in id order (or in the given order with `keep`).

    A list without problems is remembered (barriers repeat their lists of codes); one with
    problems is resolved again each time, for issues located where it is.
    """
    listed = _caches(ontology)[2]
    key = (tuple(texts), kind, keep)
    known = listed.get(key)
    if known is not None:
        return known
    before = len(issues)
    out: list[str] = []
    for index, text in enumerate(texts):
        found = _one(text, (kind,), ontology, doc, (*path, index), issues)
        if found is None:
            continue
        entity = ontology[found]
        if kind == Kind.COMPONENT and entity.parent is None:
            parts = sorted(e.id for e in ontology.of_kind(Kind.COMPONENT) if e.parent == found)
            issues.append(
                doc.issue((*path, index), f"{text!r} is too broad; code one of {', '.join(parts)}")
            )
            continue
        if found not in out:
            out.append(found)
    result = tuple(out) if keep else tuple(sorted(out))
    if len(issues) == before and len(listed) < _CACHE_LIMIT:
        listed[key] = result
    return result
