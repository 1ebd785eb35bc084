"""Load the ontology YAML, validate it as a whole, and answer look-ups.

`load_ontology()` reads the packaged ontology plus any overlay directories, collects every
problem before failing (each with file, line and key path), and returns an immutable
`Ontology`. The networkx graph is built on first use, so commands that only validate or look
things up never import networkx.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from combmap.errors import InputError, Issue, OntologyError, UnknownIdError
from combmap.resources import packaged_ontology_dir
from combmap.schema import (
    RELATION_KINDS,
    ConstructModel,
    EntityFileModel,
    Kind,
    LinkSetModel,
    LinkSourceModel,
    ManifestModel,
    ProfileModel,
    QuestionBankModel,
    QuestionModel,
    Read,
    ReferenceFileModel,
    ReferenceModel,
    Relation,
    ScaleModel,
    Section,
    Status,
    validation_issues,
)
from combmap.yamlio import Document, iter_yaml_files

if TYPE_CHECKING:
    import networkx as nx

#: Grades a function-technique link may carry (BCW guide Table 3.3 wording; 'listed' when a
#: source lists the technique under the function without saying which list).
FUNCTION_TECHNIQUE_GRADES = ("most-frequent", "less-frequent", "listed")
#: Grades a domain-technique link may carry: the TaTT verdicts (a positive allocation of Cane
#: 2015 or Michie 2008 is a 'link'), and 'literature-link' for a link of the literature
#: synthesis (Carey 2019, p < .05) whose final TaTT verdict was not read.
DOMAIN_TECHNIQUE_GRADES = ("link", "non-link", "inconclusive", "literature-link")

#: Strength of each kind of reading, strongest first: the order `Link.ref` picks from.
READ_ORDER = (
    Read.PRIMARY,
    Read.REPRODUCTION,
    Read.TRANSCRIPTION,
    Read.MENTION,
    Read.RECOLLECTION,
    Read.ORIGIN,
)
#: Trust order of statuses, most trusted first.
STATUS_ORDER = (Status.VERIFIED, Status.SECONDARY, Status.UNVERIFIED)
#: The reading a shorthand source (`ref` + `status`, no `sources`) stands for.
_SHORTHAND_READ = {
    Status.VERIFIED: Read.PRIMARY,
    Status.SECONDARY: Read.REPRODUCTION,
    Status.UNVERIFIED: Read.RECOLLECTION,
}


@dataclass(frozen=True)
class Entity:
    """An ontology entity; identity and order go by id."""

    id: str
    kind: Kind
    label: str
    definition: str
    aliases: tuple[str, ...]
    parent: str | None
    xrefs: tuple[str, ...]
    ref: str
    locator: str | None
    status: Status
    example: str | None
    note: str | None
    constructs: tuple[ConstructModel, ...]
    origin: str = field(compare=False)
    plain: str | None = field(default=None, compare=False)
    definition_ref: str | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        return f"Entity({self.id!r}, label={self.label!r})"


@dataclass(frozen=True)
class LinkSource:
    """One source of a link: a reference key, where in it, and what was read there."""

    ref: str
    locator: str | None
    read: Read
    agrees: bool = True
    note: str | None = field(default=None, compare=False)

    @property
    def citation(self) -> str:
        """Reference key plus locator, e.g. 'kredo2018, Table 1'."""
        return f"{self.ref}, {self.locator}" if self.locator else self.ref


def derive_status(sources: Iterable[LinkSource], cap: Status | None = None) -> Status:
    """The status the sources give a link (the rule of ontology/README.md).

    verified: read in the primary source, or two reproductions from different references
    agree. secondary: one reproduction, or two transcriptions from different references.
    unverified: anything less, or any source that lacks or contradicts the link (disputed).
    `cap`, when given, can only lower the result.
    """
    sources = tuple(sources)
    agreeing = [s for s in sources if s.agrees]
    if not agreeing or len(agreeing) < len(sources):
        status = Status.UNVERIFIED
    elif any(s.read == Read.PRIMARY for s in agreeing):
        status = Status.VERIFIED
    else:
        reproductions = {s.ref for s in agreeing if s.read == Read.REPRODUCTION}
        transcriptions = {s.ref for s in agreeing if s.read == Read.TRANSCRIPTION}
        if len(reproductions) >= 2:
            status = Status.VERIFIED
        elif reproductions or len(transcriptions) >= 2:
            status = Status.SECONDARY
        else:
            status = Status.UNVERIFIED
    if cap is not None and STATUS_ORDER.index(cap) > STATUS_ORDER.index(status):
        return cap
    return status


@dataclass(frozen=True)
class Link:
    """A sourced link between two entities.

    Identity and order go by (relation, source, target, via, grade, set); sources, status,
    lineage, flag and note describe it. `ref`, `locator` and `citation` name the strongest
    agreeing source; `sources` holds them all.
    """

    relation: Relation
    source: str
    target: str
    via: str | None
    grade: str | None
    set: str
    sources: tuple[LinkSource, ...] = field(default=(), compare=False)
    status: Status = field(default=Status.UNVERIFIED, compare=False)
    lineage: tuple[str, ...] = field(default=(), compare=False)
    note: str | None = field(default=None, compare=False)
    flag: str | None = field(default=None, compare=False)
    mapping: str | None = field(default=None, compare=False)

    def _key(self) -> tuple[str, str, str, str, str, str]:
        # None sorts as "" so that links with and without a via or grade still compare.
        return (
            self.relation.value,
            self.source,
            self.target,
            self.via or "",
            self.grade or "",
            self.set,
        )

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Link):
            return NotImplemented
        return self._key() < other._key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Link):
            return NotImplemented
        return self._key() <= other._key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Link):
            return NotImplemented
        return self._key() > other._key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Link):
            return NotImplemented
        return self._key() >= other._key()

    @property
    def best_source(self) -> LinkSource | None:
        """The strongest agreeing source (primary before reproduction ...), first in file order."""
        agreeing = [s for s in self.sources if s.agrees] or list(self.sources)
        if not agreeing:
            return None
        return min(agreeing, key=lambda s: READ_ORDER.index(s.read))

    @property
    def ref(self) -> str:
        """Reference key of the strongest agreeing source."""
        best = self.best_source
        return best.ref if best is not None else ""

    @property
    def locator(self) -> str | None:
        """Locator in the strongest agreeing source."""
        best = self.best_source
        return best.locator if best is not None else None

    @property
    def citation(self) -> str:
        """Reference key plus locator of the strongest source, e.g. 'michie2011, Table 2'."""
        return f"{self.ref}, {self.locator}" if self.locator else self.ref

    @property
    def citations(self) -> tuple[str, ...]:
        """Every agreeing source's citation, strongest first."""
        agreeing = sorted(
            (s for s in self.sources if s.agrees), key=lambda s: READ_ORDER.index(s.read)
        )
        return tuple(s.citation for s in agreeing)

    @property
    def disputed_by(self) -> tuple[LinkSource, ...]:
        """Sources that were read and lack or contradict the link."""
        return tuple(s for s in self.sources if not s.agrees)


@dataclass(frozen=True)
class LinkSet:
    """A set of links of one relation, counted by some profiles.

    `lineage` names the independent evidence base(s) the set derives from (a planner counts
    independent evidence by distinct lineage); every link carries a copy as `Link.lineage`.
    """

    id: str
    relation: Relation
    title: str
    sources: tuple[LinkSource, ...]
    lineage: tuple[str, ...]
    profiles: tuple[str, ...]
    note: str | None
    links: tuple[Link, ...]
    origin: str
    cap: Status | None = None

    @property
    def ref(self) -> str:
        """Reference key of the set's first default source ('' when links carry their own)."""
        return self.sources[0].ref if self.sources else ""

    @property
    def locator(self) -> str | None:
        """Locator of the set's first default source."""
        return self.sources[0].locator if self.sources else None

    @property
    def status(self) -> Status:
        """The least trusted status among the set's links (unverified when empty)."""
        if not self.links:
            return Status.UNVERIFIED
        return max((link.status for link in self.links), key=STATUS_ORDER.index)

    def counts(self) -> dict[str, int]:
        """Number of links by status."""
        out = {status.value: 0 for status in STATUS_ORDER}
        for link in self.links:
            out[link.status.value] += 1
        return out


@dataclass(frozen=True)
class Profile:
    """A named choice of link sets, with adjacency precomputed for planning."""

    name: str
    title: str
    description: str
    sets: tuple[str, ...]
    links: tuple[Link, ...]

    @cached_property
    def outgoing(self) -> Mapping[tuple[Relation, str], tuple[Link, ...]]:
        """Links by (relation, source id), sorted; the planner's adjacency."""
        index: dict[tuple[Relation, str], list[Link]] = defaultdict(list)
        for link in self.links:
            index[(link.relation, link.source)].append(link)
        return MappingProxyType({key: tuple(sorted(value)) for key, value in index.items()})

    def out(self, relation: Relation, source: str) -> tuple[Link, ...]:
        """Return the links of `relation` leaving `source`."""
        return self.outgoing.get((relation, source), ())


@dataclass(frozen=True)
class Question:
    """A self-assessment statement, its codes checked against the ontology's TDF → COM-B map."""

    id: str
    text: str
    section: Section
    domains: tuple[str, ...]
    components: tuple[str, ...]
    reverse: bool
    help: str | None
    origin: str = field(compare=False)


@dataclass(frozen=True)
class QuestionBank:
    """The answer scale and the questions, in the order they are asked."""

    scale: ScaleModel
    items: tuple[Question, ...]

    def get(self, question_id: str) -> Question | None:
        """Return the question with this id, if any."""
        return next((q for q in self.items if q.id == question_id), None)


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'").replace("‘", "'")
    return re.sub(r"\s+", " ", text).strip()


class Ontology:
    """The validated, immutable ontology: entities, references, link sets and profiles."""

    def __init__(
        self,
        manifest: ManifestModel,
        entities: Mapping[str, Entity],
        references: Mapping[str, ReferenceModel],
        link_sets: Mapping[str, LinkSet],
        overlays: tuple[str, ...] = (),
        questions: QuestionBank | None = None,
    ) -> None:
        self.manifest = manifest
        self.entities: Mapping[str, Entity] = MappingProxyType(dict(sorted(entities.items())))
        self.references: Mapping[str, ReferenceModel] = MappingProxyType(
            dict(sorted(references.items()))
        )
        self.link_sets: Mapping[str, LinkSet] = MappingProxyType(dict(sorted(link_sets.items())))
        self.links: tuple[Link, ...] = tuple(
            sorted(link for s in self.link_sets.values() for link in s.links)
        )
        self.overlays = overlays
        #: The self-assessment question bank (questions.yaml), if the ontology has one.
        self.questions = questions
        index: dict[str, set[str]] = defaultdict(set)
        for entity in self.entities.values():
            keys = [entity.id, entity.id.split(":", 1)[1], entity.label, *entity.aliases]
            for key in keys:
                index[_norm(key)].add(entity.id)
        self._index: Mapping[str, frozenset[str]] = MappingProxyType(
            {key: frozenset(ids) for key, ids in index.items()}
        )

    def __repr__(self) -> str:
        return f"Ontology(version={self.version!r}, entities={len(self.entities)})"

    @property
    def version(self) -> str:
        """Manifest version, marked when overlays change the packaged data."""
        return "+".join((self.manifest.version, *self.overlays))

    @property
    def default_profile(self) -> str:
        """The profile used when a case or a command names none."""
        return self.manifest.default_profile or sorted(self.manifest.profiles)[0]

    def __getitem__(self, entity_id: str) -> Entity:
        try:
            return self.entities[entity_id]
        except KeyError:
            raise UnknownIdError(self._unknown_message(entity_id, None)) from None

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self.entities

    def of_kind(self, kind: Kind) -> tuple[Entity, ...]:
        """Return the entities of one kind, sorted by id (BCTs in code order)."""
        found = [e for e in self.entities.values() if e.kind == kind]
        return tuple(sorted(found, key=lambda e: sort_key(e.id)))

    def resolve(self, text: str, kinds: Iterable[Kind] | None = None) -> Entity:
        """Find the entity an id, label or alias names, case-insensitively.

        Raises:
            UnknownIdError: nothing matches, or the text is ambiguous; the message suggests
                the closest names.
        """
        wanted = set(kinds) if kinds is not None else None
        ids = [
            i
            for i in self._index.get(_norm(text), ())
            if wanted is None or self.entities[i].kind in wanted
        ]
        if len(ids) == 1:
            return self.entities[ids[0]]
        if len(ids) > 1:
            raise UnknownIdError(f"{text!r} is ambiguous: it names {', '.join(sorted(ids))}")
        raise UnknownIdError(self._unknown_message(text, wanted))

    def suggest(self, text: str, kinds: Iterable[Kind] | None = None) -> str | None:
        """Return the id of the closest entity to `text`, if any is close."""
        wanted = set(kinds) if kinds is not None else None
        keys = {
            key: ids
            for key, ids in self._index.items()
            if any(wanted is None or self.entities[i].kind in wanted for i in ids)
        }
        close = get_close_matches(_norm(text), list(keys), n=1, cutoff=0.6)
        if not close:
            return None
        return sorted(keys[close[0]])[0]

    def _unknown_message(self, text: str, kinds: set[Kind] | None) -> str:
        names = sorted(k.value for k in kinds) if kinds else ["entity"]
        names = ["mode of delivery" if n == Kind.MODE.value else n for n in names]
        what = " or ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " or " + names[-1]
        message = f"unknown {what} {text!r}"
        hint = self.suggest(text, kinds)
        if hint is not None:
            message += f"; did you mean {hint!r} ({self.entities[hint].label})?"
        return message

    def search(self, text: str) -> list[Entity]:
        """Entities whose id, label, alias or definition contains `text`, best matches first."""
        needle = _norm(text)
        if not needle:
            return []
        scored = []
        for entity in self.entities.values():
            names = [_norm(n) for n in (entity.id, entity.label, *entity.aliases)]
            if needle in names:
                rank = 0
            elif any(needle in n for n in names):
                rank = 1
            elif needle in _norm(entity.definition):
                rank = 2
            else:
                continue
            scored.append((rank, sort_key(entity.id), entity))
        return [entity for _, _, entity in sorted(scored, key=lambda t: (t[0], t[1]))]

    def profile(self, name: str | None = None) -> Profile:
        """Return a named profile (the default when `name` is None)."""
        chosen = name or self.default_profile
        model = self.manifest.profiles.get(chosen)
        if model is None:
            close = get_close_matches(chosen, list(self.manifest.profiles), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(self.manifest.profiles))
            raise UnknownIdError(f"unknown profile {chosen!r}{hint} (known: {known})")
        return self._profiles[chosen]

    def indexed(self) -> Ontology:
        """This ontology with the indexes every plan reads already built (profiles, adjacency).

        `load_ontology` builds them before caching, so that a cached copy carries them
        instead of every run building them again (3 ms of each cached run).
        """
        for profile in self._profiles.values():
            _ = profile.outgoing
        return self

    @cached_property
    def _profiles(self) -> Mapping[str, Profile]:
        out = {}
        for name, model in self.manifest.profiles.items():
            sets = tuple(s.id for s in self.link_sets.values() if name in s.profiles)
            links = tuple(link for s in sets for link in self.link_sets[s].links)
            out[name] = Profile(name, model.title, model.description, sets, tuple(sorted(links)))
        return MappingProxyType(out)

    def link_set(self, set_id: str) -> LinkSet:
        """Return a link set by id (e.g. `onto.link_set(link.set).lineage`)."""
        try:
            return self.link_sets[set_id]
        except KeyError:
            raise UnknownIdError(f"unknown link set {set_id!r}") from None

    def links_of(self, entity_id: str) -> tuple[Link, ...]:
        """Every link that starts, ends or passes through an entity."""
        return tuple(
            link for link in self.links if entity_id in (link.source, link.target, link.via)
        )

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """A frozen networkx MultiDiGraph: entities as nodes, links as edges keyed by set."""
        import networkx as nx

        graph = nx.MultiDiGraph(name=self.manifest.name, version=self.version)
        for entity in self.entities.values():
            graph.add_node(entity.id, kind=entity.kind.value, label=entity.label)
        for entity in self.entities.values():
            if entity.parent:
                graph.add_edge(entity.id, entity.parent, key="part-of", relation="part-of")
        for link in self.links:
            key = f"{link.set}:{link.via}" if link.via else link.set
            graph.add_edge(
                link.source,
                link.target,
                key=key,
                relation=link.relation.value,
                ref=link.ref,
                status=link.status.value,
                via=link.via or "",
                grade=link.grade or "",
            )
        return nx.freeze(graph)

    def stats(self) -> dict[str, Any]:
        """Counts of entities by kind and links by relation, status and source."""
        by_kind: dict[str, int] = defaultdict(int)
        constructs = 0
        for entity in self.entities.values():
            by_kind[entity.kind.value] += 1
            constructs += len(entity.constructs)
        by_relation: dict[str, int] = defaultdict(int)
        by_status: dict[str, int] = defaultdict(int)
        by_ref: dict[str, int] = defaultdict(int)
        by_read: dict[str, int] = defaultdict(int)
        for link in self.links:
            by_relation[link.relation.value] += 1
            by_status[link.status.value] += 1
            for ref in sorted({s.ref for s in link.sources}):
                by_ref[ref] += 1
            for read in sorted({s.read.value for s in link.sources}):
                by_read[read] += 1
        sets = {
            set_id: {
                "relation": link_set.relation.value,
                "lineage": list(link_set.lineage),
                "profiles": list(link_set.profiles),
                "links": len(link_set.links),
                **link_set.counts(),
            }
            for set_id, link_set in self.link_sets.items()
        }
        return {
            "version": self.version,
            "entities": dict(sorted(by_kind.items())),
            "constructs": constructs,
            "links": len(self.links),
            "links_by_relation": dict(sorted(by_relation.items())),
            "links_by_status": dict(sorted(by_status.items())),
            "links_by_source": dict(sorted(by_ref.items())),
            "links_by_reading": dict(sorted(by_read.items())),
            "link_sets": len(self.link_sets),
            "sets": sets,
            "references": len(self.references),
            "profiles": {
                name: len(self.profile(name).links) for name in sorted(self.manifest.profiles)
            },
        }


def _lowest(*statuses: Status | None) -> Status | None:
    """The least trusted of the given statuses, ignoring None."""
    given = [s for s in statuses if s is not None]
    return max(given, key=STATUS_ORDER.index) if given else None


@dataclass
class _Renumbered(Document):
    """A file less some entries, whose paths and lines still name each entry as in the file."""

    original: Document | None = None
    #: Per list key, the file's index of each entry left.
    back: dict[str, list[int]] = field(default_factory=dict)

    def _path(self, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
        if len(path) >= 2 and isinstance(path[1], int) and str(path[0]) in self.back:
            return (path[0], self.back[str(path[0])][path[1]], *path[2:])
        return path

    def line(self, path: tuple[str | int, ...]) -> int | None:
        """The line of `path` in the file."""
        assert self.original is not None
        return self.original.line(self._path(path))

    def issue(self, path: tuple[str | int, ...], message: str) -> Issue:
        """An Issue located as in the file."""
        assert self.original is not None
        return self.original.issue(self._path(path), message)


def _without_failed(doc: Document, error: ValidationError) -> Document | None:
    """The file less the entries and unknown top-level keys that failed validation.

    The entries left are still checked (codes, duplicates, references) in the same run, and
    located as in the file. None when a problem is not inside one entry.
    """
    data = doc.data
    dropped: dict[str, set[int]] = {}
    unknown: set[str] = set()
    for item in error.errors():
        loc = item["loc"]
        if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data.get(loc[0]), list):
            dropped.setdefault(str(loc[0]), set()).add(loc[1])
        elif len(loc) == 1 and item["type"] == "extra_forbidden":
            unknown.add(str(loc[0]))
        else:
            return None
    kept = {key: value for key, value in data.items() if key not in unknown}
    back: dict[str, list[int]] = {}
    for key, indexes in dropped.items():
        back[key] = [i for i in range(len(data[key])) if i not in indexes]
        kept[key] = [data[key][i] for i in back[key]]
    return _Renumbered(doc.file, kept, {}, original=doc, back=back)


@lru_cache(maxsize=65536)
def sort_key(entity_id: str) -> tuple[Any, ...]:
    """Sort ids naturally, so bct:2.1 < bct:10.1 and bctg:2 < bctg:10 (cached: ids repeat)."""
    parts = re.split(r"(\d+)", entity_id)
    return tuple(int(p) if p.isdigit() else p for p in parts)


# --- Loading and validation -----------------------------------------------------------------


@dataclass
class _Where:
    doc: Document
    path: tuple[str | int, ...]

    def issue(self, message: str, *extra: str | int) -> Issue:
        return self.doc.issue((*self.path, *extra), message)

    def __str__(self) -> str:
        line = self.doc.line(self.path)
        return f"{self.doc.file}:{line}" if line else self.doc.file


@dataclass
class _Builder:
    issues: list[Issue] = field(default_factory=list)
    manifest: ManifestModel | None = None
    manifest_doc: Document | None = None
    profiles: dict[str, ProfileModel] = field(default_factory=dict)
    default_profile: str | None = None
    entities: dict[str, tuple[Kind, Any, _Where]] = field(default_factory=dict)
    references: dict[str, tuple[ReferenceModel, _Where]] = field(default_factory=dict)
    link_sets: dict[str, tuple[LinkSetModel, Document]] = field(default_factory=dict)
    overlay_names: list[str] = field(default_factory=list)
    questions: dict[str, tuple[QuestionModel, _Where]] = field(default_factory=dict)
    scale: tuple[ScaleModel, _Where] | None = None
    questions_doc: Document | None = None
    #: Ids of entries left out because their own definition has problems (reported there).
    broken: set[str] = field(default_factory=set)

    def add_dir(self, directory: Path, *, overlay: bool) -> None:
        from combmap.yamlio.parser import read_yaml  # only to build: not for the cached ontology

        if not directory.exists():
            raise InputError(f"ontology directory {directory} does not exist")
        if not directory.is_dir():
            raise InputError(f"{directory} is a file; expected an ontology directory")
        files = list(iter_yaml_files(directory))
        if not files:
            raise InputError(f"{directory} holds no YAML files; expected an ontology directory")
        named = False
        for path in files:
            try:
                doc = read_yaml(path, what="ontology file")
            except InputError as error:  # read the other files too: every problem in one run
                self.issues.extend(error.issues or [Issue(str(path), None, "", error.message)])
                continue
            if path.name == "manifest.yaml" and path.parent == directory:
                self._add_manifest(doc, overlay=overlay)
                named = named or overlay
            else:
                self._add_file(doc, overlay=overlay)
        if overlay and not named:
            self.overlay_names.append("overlay")

    def _add_manifest(self, doc: Document, *, overlay: bool) -> None:
        try:
            model = ManifestModel.model_validate(doc.data)
        except ValidationError as error:
            self.issues.extend(validation_issues(error, doc))
            return
        if overlay:
            self.overlay_names.append(re.sub(r"[^a-z0-9.-]+", "-", model.name.casefold()))
        else:
            self.manifest, self.manifest_doc = model, doc
        for name, profile in model.profiles.items():
            if name in self.profiles and overlay:
                self.issues.append(
                    doc.issue(("profiles", name), f"profile {name!r} is already defined")
                )
            self.profiles[name] = profile
        if model.default_profile and not overlay:
            self.default_profile = model.default_profile

    def _add_file(self, doc: Document, *, overlay: bool, salvage: bool = True) -> None:
        data = doc.data
        if not isinstance(data, dict):
            self.issues.append(
                doc.issue(
                    (), "expected a mapping with 'kind' and 'entities', 'references', or a link set"
                )
            )
            return
        try:
            if "entities" in data or "kind" in data:
                self._add_entities(EntityFileModel.model_validate(data), doc, overlay=overlay)
            elif "references" in data:
                self._add_references(ReferenceFileModel.model_validate(data), doc, overlay=overlay)
            elif "items" in data or "scale" in data:
                self._add_questions(QuestionBankModel.model_validate(data), doc, overlay=overlay)
            elif "set" in data or "links" in data:
                self._add_link_set(LinkSetModel.model_validate(data), doc, overlay=overlay)
            else:
                keys = ", ".join(sorted(map(str, data))) or "none"
                self.issues.append(
                    doc.issue(
                        (),
                        f"not an ontology file (keys: {keys}); expected 'kind' + 'entities', "
                        "'references', or a link set with 'set' and 'links'",
                    )
                )
        except ValidationError as error:
            if not salvage:
                return  # the salvaged part still fails: its problems are reported already
            self.issues.extend(validation_issues(error, doc))
            rest = _without_failed(doc, error)
            if rest is not None:  # check the good entries too: codes, duplicates, references
                for item in error.errors():
                    self._note_broken(data, item["loc"])
                self._add_file(rest, overlay=overlay, salvage=False)

    def _note_broken(self, data: dict[str, Any], loc: tuple[Any, ...]) -> None:
        """Remember the id of an entry left out for its problems: uses of it are not 'unknown'."""
        if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data.get(loc[0]), list):
            entry = data[loc[0]][loc[1]]
            key = entry.get("id", entry.get("key")) if isinstance(entry, dict) else None
            if isinstance(key, str):
                self.broken.add(key)

    def _add_entities(self, model: EntityFileModel, doc: Document, *, overlay: bool) -> None:
        for index, entity in enumerate(model.entities):
            where = _Where(doc, ("entities", index))
            previous = self.entities.get(entity.id)
            if previous is not None and not (overlay and entity.replaces):
                hint = "; add 'replaces: true' to replace it" if overlay else ""
                self.issues.append(
                    where.issue(
                        f"duplicate id {entity.id!r}: already defined at {previous[2]}{hint}", "id"
                    )
                )
                continue
            if entity.replaces and previous is None:
                self.issues.append(
                    where.issue(
                        f"'replaces: true' but no entity {entity.id!r} exists to replace",
                        "replaces",
                    )
                )
            if entity.replaces and not overlay:
                self.issues.append(where.issue("'replaces' is only for overlays", "replaces"))
            self.entities[entity.id] = (model.kind, entity, where)

    def _add_references(self, model: ReferenceFileModel, doc: Document, *, overlay: bool) -> None:
        for index, ref in enumerate(model.references):
            where = _Where(doc, ("references", index))
            previous = self.references.get(ref.key)
            if previous is not None and not (overlay and ref.replaces):
                self.issues.append(
                    where.issue(
                        f"duplicate reference key {ref.key!r}: already defined at {previous[1]}",
                        "key",
                    )
                )
                continue
            self.references[ref.key] = (ref, where)

    def _add_link_set(self, model: LinkSetModel, doc: Document, *, overlay: bool) -> None:
        previous = self.link_sets.get(model.set)
        if previous is not None and not (overlay and model.replaces):
            hint = "; add 'replaces: true' to replace it" if overlay else ""
            self.issues.append(
                doc.issue(
                    ("set",),
                    f"duplicate link set {model.set!r}: already defined in {previous[1].file}{hint}",
                )
            )
            return
        self.link_sets[model.set] = (model, doc)

    def _add_questions(self, model: QuestionBankModel, doc: Document, *, overlay: bool) -> None:
        if self.questions_doc is None:
            self.questions_doc = doc
        if model.scale is not None:
            if self.scale is not None and not overlay:
                message = f"the answer scale is already defined at {self.scale[1]}"
                self.issues.append(doc.issue(("scale",), message))
            else:  # an overlay may reword the scale (e.g. a translation); the rule stays
                self.scale = (model.scale, _Where(doc, ("scale",)))
        for index, item in enumerate(model.items):
            where = _Where(doc, ("items", index))
            previous = self.questions.get(item.id)
            if previous is not None and not (overlay and item.replaces):
                hint = "; add 'replaces: true' to replace it" if overlay else ""
                message = f"duplicate question id {item.id!r}: already defined at {previous[1]}"
                self.issues.append(where.issue(message + hint, "id"))
                continue
            if item.replaces and previous is None:
                message = f"'replaces: true' but no question {item.id!r} exists to replace"
                self.issues.append(where.issue(message, "replaces"))
            if item.replaces and not overlay:
                self.issues.append(where.issue("'replaces' is only for overlays", "replaces"))
            self.questions[item.id] = (item, where)  # a replacement keeps its place

    def _question_codes(
        self, codes: list[str], kind: Kind, entities: Mapping[str, Entity], where: _Where, key: str
    ) -> list[str]:
        found: list[str] = []
        for index, code in enumerate(codes):
            entity = entities.get(code)
            if entity is None:
                self.issues.append(where.issue(self._dangling(code, entities, kind), key, index))
            elif entity.kind != kind:
                message = f"{code!r} is a {entity.kind.value}; expected a {kind.value}"
                self.issues.append(where.issue(message, key, index))
            elif kind == Kind.COMPONENT and entity.parent is None:
                message = f"{code!r} is a COM-B source; code one of its components"
                self.issues.append(where.issue(message, key, index))
            elif code in found:
                self.issues.append(where.issue(f"{code!r} is listed twice", key, index))
            else:
                found.append(code)
        return found

    def _check_questions(
        self, entities: Mapping[str, Entity], link_sets: Mapping[str, LinkSet]
    ) -> QuestionBank | None:
        """Check the question bank: codes resolve and agree with the TDF → COM-B map.

        A question's COM-B codes must be what its TDF domains map to (each component reached
        by one of its domains, each domain reaching one of its components): otherwise an answer
        would count against one component through `comb` and another through `tdf`. Errors,
        not warnings: the bank is curated data, and a planner fed inconsistent codes would
        rank silently wrong.
        """
        if self.questions_doc is None:
            return None
        components_of: dict[str, set[str]] = defaultdict(set)
        for link_set in link_sets.values():
            if link_set.relation == Relation.DOMAIN_COMPONENT:
                for link in link_set.links:
                    components_of[link.source].add(link.target)
        asked: dict[str, int] = defaultdict(int)
        items: list[Question] = []
        for question_id, (model, where) in self.questions.items():
            domains = self._question_codes(model.tdf, Kind.DOMAIN, entities, where, "tdf")
            comps = self._question_codes(model.comb, Kind.COMPONENT, entities, where, "comb")
            reached = set().union(*(components_of[d] for d in domains))
            before = len(self.issues)
            for index, component in enumerate(model.comb):
                if component in comps and domains and component not in reached:
                    message = (
                        f"{component!r} is not what this question's TDF domains map to "
                        f"({', '.join(sorted(reached))}); fix 'tdf' or 'comb'"
                    )
                    self.issues.append(where.issue(message, "comb", index))
            for index, domain in enumerate(model.tdf):
                if len(self.issues) > before:
                    break  # one inconsistency, one message
                if domain in domains and comps and not components_of[domain] & set(comps):
                    mapped = ", ".join(sorted(components_of[domain])) or "nothing"
                    message = f"TDF domain {domain!r} maps to {mapped}; add one of them to 'comb'"
                    self.issues.append(where.issue(message, "tdf", index))
            sources = sorted({str(entities[c].parent) for c in comps})
            consistent = len(self.issues) == before
            if consistent and comps and f"comb:{model.section.value}" not in sources:
                message = (
                    f"section {model.section.value!r} does not match the question's COM-B "
                    f"components; use one of: {', '.join(s.split(':', 1)[1] for s in sources)}"
                )
                self.issues.append(where.issue(message, "section"))
            for domain in domains:
                asked[domain] += 1
            items.append(
                Question(
                    id=question_id,
                    text=model.text,
                    section=model.section,
                    domains=tuple(domains),
                    components=tuple(comps),
                    reverse=model.reverse,
                    help=model.help,
                    origin=where.doc.file,
                )
            )
        doc = self.questions_doc
        if self.scale is None:
            self.issues.append(doc.issue((), "the question bank has no 'scale'; add the answer scale"))
        for domain in sorted(e.id for e in entities.values() if e.kind == Kind.DOMAIN):
            if asked[domain] < 2:
                count = asked[domain]
                message = (
                    f"TDF domain {domain!r} is asked about by {count} question{'s' * (count != 1)}; "
                    "every domain needs at least 2, so that no single answer decides it"
                )
                self.issues.append(doc.issue(("items",), message))
        if items and not any(q.reverse for q in items):
            message = (
                "no question is reverse-keyed; word some statements so that agreeing signals a "
                "barrier ('reverse: true'), so that agreeing with everything does not look ideal"
            )
            self.issues.append(doc.issue(("items",), message))
        if self.scale is None:
            return None
        order = list(Section)
        items.sort(key=lambda q: order.index(q.section))  # stable: file order within a section
        return QuestionBank(self.scale[0], tuple(items))

    def finish(self) -> Ontology:
        if self.manifest is None:
            if not self.issues:
                self.issues.append(Issue("ontology", None, "", "manifest.yaml is missing"))
            raise OntologyError("the ontology is not valid", self.issues)
        entities = self._check_entities()
        references = {key: ref for key, (ref, _) in self.references.items()}
        link_sets = self._check_links(entities)
        self._check_profiles()
        self._check_coverage(entities, link_sets)
        questions = self._check_questions(entities, link_sets)
        if self.issues:
            count = len(self.issues)
            raise OntologyError(
                f"the ontology is not valid ({count} problem{'s' * (count != 1)})", self.issues
            )
        manifest = self.manifest.model_copy(
            update={"profiles": self.profiles, "default_profile": self.default_profile}
        )
        return Ontology(
            manifest, entities, references, link_sets, tuple(self.overlay_names), questions
        )

    def _check_ref(self, ref: str, where: _Where, *path: str | int) -> None:
        if ref in self.broken:
            message = f"reference {ref!r} cannot be used: its own entry has problems (listed with it)"
            self.issues.append(where.issue(message, *path))
        elif ref not in self.references:
            close = get_close_matches(ref, list(self.references), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.issues.append(where.issue(f"unknown reference {ref!r}{hint}", *path))

    def _check_entities(self) -> dict[str, Entity]:
        out: dict[str, Entity] = {}
        # A label may repeat across kinds (BCT group 11 and the policy category are both
        # 'Regulation'); every other name must be unique, or look-ups become guesses.
        owner: dict[str, list[tuple[str, Kind, bool, _Where]]] = defaultdict(list)
        for entity_id, (kind, model, where) in self.entities.items():
            self._check_ref(model.ref, where, "ref")
            if model.definition_ref is not None:
                self._check_ref(model.definition_ref, where, "definition_ref")
            if model.constructs and kind != Kind.DOMAIN:
                self.issues.append(where.issue("only TDF domains have constructs", "constructs"))
            names = [(_norm(model.label), "label"), *((_norm(a), "aliases") for a in model.aliases)]
            for key, path in names:
                is_label = path == "label"
                clash = [
                    o
                    for o in owner[key]
                    if o[0] != entity_id and not (is_label and o[2] and o[1] != kind)
                ]
                if clash:
                    other, _, _, other_where = clash[0]
                    self.issues.append(
                        where.issue(
                            f"the name {key!r} also names {other!r} ({other_where}); names must be unique",
                            path,
                        )
                    )
                elif all(o[0] != entity_id for o in owner[key]):
                    owner[key].append((entity_id, kind, is_label, where))
            out[entity_id] = Entity(
                id=entity_id,
                kind=kind,
                label=model.label,
                definition=model.definition,
                aliases=tuple(model.aliases),
                parent=model.parent,
                xrefs=tuple(model.xrefs),
                ref=model.ref,
                locator=model.locator,
                status=model.status,
                example=model.example,
                note=model.note,
                constructs=tuple(model.constructs),
                origin=where.doc.file,
                plain=model.plain,
                definition_ref=model.definition_ref or model.ref,
            )
        for entity_id, entity in out.items():
            where = self.entities[entity_id][2]
            self._check_parent(entity, out, where)
        return out

    def _check_parent(self, entity: Entity, out: Mapping[str, Entity], where: _Where) -> None:
        wanted = {Kind.TECHNIQUE: Kind.GROUP, Kind.COMPONENT: Kind.COMPONENT}.get(entity.kind)
        if entity.parent is None:
            if entity.kind == Kind.TECHNIQUE:
                self.issues.append(
                    where.issue(
                        f"technique {entity.id!r} is in no group; set 'parent' to a bctg: id", "id"
                    )
                )
            return
        if wanted is None:
            self.issues.append(where.issue(f"a {entity.kind.value} has no parent", "parent"))
            return
        parent = out.get(entity.parent)
        if parent is None:
            self.issues.append(where.issue(self._dangling(entity.parent, out, wanted), "parent"))
        elif parent.kind != wanted or parent.parent is not None:
            self.issues.append(
                where.issue(
                    f"parent {entity.parent!r} is a {parent.kind.value}; expected a top-level {wanted.value}",
                    "parent",
                )
            )

    def _dangling(self, target: str, out: Mapping[str, Entity], kind: Kind | None) -> str:
        if target in self.broken:
            return f"{target!r} cannot be used: its own entry has problems (listed with it)"
        candidates = [i for i, e in out.items() if kind is None or e.kind == kind]
        close = get_close_matches(target, candidates, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown id {target!r}{hint}"

    def _check_links(self, entities: Mapping[str, Entity]) -> dict[str, LinkSet]:
        out = {}
        for set_id, (model, doc) in sorted(self.link_sets.items()):
            top = _Where(doc, ())
            set_sources = self._set_sources(model, top)
            cap = model.status if model.ref is None else None
            lineage = tuple(model.lineage) or (set_id,)
            for name_index, name in enumerate(model.profiles):
                if name not in self.profiles:
                    close = get_close_matches(name, list(self.profiles), n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    self.issues.append(
                        top.issue(f"unknown profile {name!r}{hint}", "profiles", name_index)
                    )
            from_kind, to_kind = RELATION_KINDS[model.relation]
            links = []
            seen: dict[tuple[str, str, str | None], int] = {}
            for index, item in enumerate(model.links):
                where = _Where(doc, ("links", index))
                ok = self._check_end(item.from_, from_kind, entities, where, "from")
                ok = self._check_end(item.to, to_kind, entities, where, "to") and ok
                ok = (
                    self._check_extras(model.relation, item.via, item.grade, entities, where) and ok
                )
                sources = self._link_sources(item, set_sources, where)
                if (
                    ok
                    and model.relation == Relation.DOMAIN_COMPONENT
                    and entities[item.to].parent is None
                ):
                    self.issues.append(
                        where.issue(
                            f"{item.to!r} is a COM-B source; link a domain to one of its six components",
                            "to",
                        )
                    )
                key = (item.from_, item.to, item.via)
                if key in seen:
                    self.issues.append(
                        where.issue(
                            f"duplicate link {item.from_} -> {item.to}: same as links[{seen[key]}]"
                        )
                    )
                seen[key] = index
                links.append(
                    Link(
                        relation=model.relation,
                        source=item.from_,
                        target=item.to,
                        via=item.via,
                        grade=item.grade,
                        set=set_id,
                        sources=sources,
                        status=derive_status(sources, _lowest(cap, item.status)),
                        lineage=lineage,
                        note=item.note,
                        flag=item.flag,
                        mapping=item.mapping,
                    )
                )
            out[set_id] = LinkSet(
                id=set_id,
                relation=model.relation,
                title=model.title,
                sources=set_sources,
                lineage=lineage,
                profiles=tuple(model.profiles),
                note=model.note,
                links=tuple(sorted(links)),
                origin=doc.file,
                cap=cap,
            )
        return out

    def _source(self, model: LinkSourceModel, where: _Where, *path: str | int) -> LinkSource:
        self._check_ref(model.ref, where, *path, "ref")
        return LinkSource(model.ref, model.locator, model.read, model.agrees, model.note)

    def _set_sources(self, model: LinkSetModel, top: _Where) -> tuple[LinkSource, ...]:
        """The set's default sources; `ref` + `status` is shorthand for one source."""
        if model.sources:
            if model.ref is not None:
                message = "give either 'sources' or the shorthand 'ref', not both"
                self.issues.append(top.issue(message, "ref"))
            return tuple(
                self._source(item, top, "sources", index)
                for index, item in enumerate(model.sources)
            )
        if model.ref is None:
            if not all(item.sources for item in model.links):
                message = "a link set needs 'sources' (or the shorthand 'ref' and 'status')"
                self.issues.append(top.issue(message))
            return ()
        self._check_ref(model.ref, top, "ref")
        if model.status is None:
            message = "the shorthand 'ref' needs 'status' (or use 'sources' with 'read')"
            self.issues.append(top.issue(message, "ref"))
            return ()
        return (LinkSource(model.ref, model.locator, _SHORTHAND_READ[model.status]),)

    def _link_sources(
        self, item: Any, set_sources: tuple[LinkSource, ...], where: _Where
    ) -> tuple[LinkSource, ...]:
        """A link's sources: its own, else the set's, with the shorthand ref/locator applied."""
        if item.sources:
            if item.ref is not None or item.locator is not None:
                message = "give either 'sources' or the shorthand 'ref'/'locator', not both"
                self.issues.append(where.issue(message))
            return tuple(
                self._source(source, where, "sources", index)
                for index, source in enumerate(item.sources)
            )
        if item.ref is None and item.locator is None:
            return set_sources
        if item.ref is not None:
            self._check_ref(item.ref, where, "ref")
        base = set_sources[0] if set_sources else LinkSource("", None, Read.RECOLLECTION)
        first = LinkSource(
            item.ref if item.ref is not None else base.ref,
            item.locator if item.locator is not None else base.locator,
            base.read,
            base.agrees,
            base.note,
        )
        return (first, *set_sources[1:]) if item.ref is None else (first,)

    def _check_end(
        self, target: str, kind: Kind, entities: Mapping[str, Entity], where: _Where, key: str
    ) -> bool:
        entity = entities.get(target)
        if entity is None:
            if target not in self.entities:
                self.issues.append(where.issue(self._dangling(target, entities, kind), key))
            return False
        if entity.kind != kind:
            self.issues.append(
                where.issue(
                    f"{target!r} is a {entity.kind.value}; this relation needs a {kind.value} here",
                    key,
                )
            )
            return False
        return True

    def _check_extras(
        self,
        relation: Relation,
        via: str | None,
        grade: str | None,
        entities: Mapping[str, Entity],
        where: _Where,
    ) -> bool:
        if relation == Relation.COMPONENT_TECHNIQUE:
            if via is None:
                self.issues.append(
                    where.issue("a component-technique link needs 'via': the intervention function")
                )
                return False
            return self._check_end(via, Kind.FUNCTION, entities, where, "via")
        if via is not None:
            self.issues.append(where.issue("'via' is only for component-technique links", "via"))
            return False
        if relation == Relation.FUNCTION_TECHNIQUE and grade not in FUNCTION_TECHNIQUE_GRADES:
            allowed = ", ".join(FUNCTION_TECHNIQUE_GRADES)
            self.issues.append(
                where.issue(
                    f"a function-technique link needs 'grade': {allowed} (got {grade!r})", "grade"
                )
            )
            return False
        if (
            relation == Relation.DOMAIN_TECHNIQUE
            and grade is not None
            and grade not in DOMAIN_TECHNIQUE_GRADES
        ):
            allowed = ", ".join(DOMAIN_TECHNIQUE_GRADES)
            self.issues.append(
                where.issue(f"a domain-technique grade is one of {allowed} (got {grade!r})", "grade")
            )
            return False
        return True

    def _check_profiles(self) -> None:
        if not self.profiles and self.manifest_doc is not None:
            self.issues.append(
                self.manifest_doc.issue(("profiles",), "define at least one profile")
            )
        default = self.default_profile
        if default is not None and default not in self.profiles and self.manifest_doc is not None:
            close = get_close_matches(default, list(self.profiles), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.issues.append(
                self.manifest_doc.issue(("default_profile",), f"unknown profile {default!r}{hint}")
            )

    def _check_coverage(
        self, entities: Mapping[str, Entity], link_sets: Mapping[str, LinkSet]
    ) -> None:
        mapped = {
            link.source
            for s in link_sets.values()
            if s.relation == Relation.DOMAIN_COMPONENT
            for link in s.links
        }
        for entity_id, entity in entities.items():
            if entity.kind == Kind.DOMAIN and entity_id not in mapped:
                where = self.entities[entity_id][2]
                self.issues.append(
                    where.issue(
                        f"TDF domain {entity_id!r} maps to no COM-B component; add a domain-component link",
                        "id",
                    )
                )


def load_ontology(
    *overlays: Path | str, base: Path | str | None = None, cache: bool | None = None
) -> Ontology:
    """Load and validate the packaged ontology plus overlay directories.

    Every problem in every file is collected before failing. A valid result is kept in the
    user's cache directory and used again while every file and combmap's code are unchanged
    (see `combmap.cache`).

    Args:
        overlays: directories of extra or replacing entities, references and link sets.
        base: an ontology directory to use instead of the packaged one.
        cache: use the cache (default: yes, unless `COMBMAP_NO_CACHE` is set or the command
            line was given --no-cache).

    Raises:
        OntologyError: the data is not valid; `.issues` lists each located problem.
        InputError: a file or directory cannot be read.

    Example:
        >>> onto = load_ontology()
        >>> onto.resolve("C-Ps").id
        'comb:psychological-capability'
    """
    directories = [
        (Path(base) if base is not None else packaged_ontology_dir(), False),
        *((Path(directory), True) for directory in overlays),
    ]

    def build() -> Ontology:
        builder = _Builder()
        for directory, overlay in directories:
            builder.add_dir(directory, overlay=overlay)
        return builder.finish()

    if cache is False:
        return build()
    from combmap import cache as caching

    if cache is None and not caching.enabled():
        return build()
    return caching.cached(directories, lambda: build().indexed(), Ontology)
