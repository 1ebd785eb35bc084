"""Self-assessment: an organisation lead's answers to the question bank, turned into a case.

Each answer on the agreement scale becomes a barrier, an enabler or nothing by the rule in
docs/assessment.md. The case file keeps the answers under its `assessment` key and is rewritten
atomically after every answer, so no answer is ever lost and a session resumes from the very
file it writes. Nothing here prints or prompts: the CLI does the talking.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from combmap.case import Case
from combmap.errors import AssessmentError, InputError, Issue
from combmap.ontology import Ontology, Question, QuestionBank
from combmap.plan import Plan, Priority
from combmap.schema import (
    DONT_KNOW,
    NOT_APPLICABLE,
    SLUG_PATTERN,
    AssessmentModel,
    BarrierKind,
    CaseFileModel,
    Kind,
    ResponseModel,
    ScaleModel,
    Section,
    validation_issues,
)
from combmap.yamlio import (
    Document,
    decode_text,
    display_name,
    read_bytes,
    read_text,
    write_atomic,
)
from combmap.yamlio.parser import parse_yaml

#: Format marker of the `assessment` key.
FORMAT = "combmap.assessment/1"
#: Reading time per statement, for the estimate on the welcome screen (see docs/assessment.md).
SECONDS_PER_QUESTION = 18
#: REDCap codes of the two answers off the agreement scale.
REDCAP_DONT_KNOW, REDCAP_NOT_APPLICABLE = 8, 9
#: Used when nobody has said what the organisation wants to do yet.
DEFAULT_BEHAVIOUR = (
    "Not described yet: say in one sentence what the organisation wants to do "
    "(edit behaviour.target)"
)
#: How the behaviour is asked for, in the terminal and in survey exports.
BEHAVIOUR_QUESTION = "In one sentence, what do you want your organisation to do, or do more of?"
BEHAVIOUR_EXAMPLE = (
    "For example: run weekly arts sessions for people with lived experience of mental illness."
)
#: Headings shown above each part of the questionnaire.
SECTION_TITLES = {
    Section.CAPABILITY: "Capability: what your organisation knows and can do",
    Section.OPPORTUNITY: "Opportunity: the money, time, places and people around you",
    Section.MOTIVATION: "Motivation: what drives this work, and what holds it back",
}

Answer = int | str
"""An answer: 1 to 5 on the agreement scale, or DONT_KNOW or NOT_APPLICABLE."""


# --- Answers ---------------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").casefold().replace("'", "")
    return re.sub(r"[\s_]+", " ", text).strip()


def answer_label(answer: Answer, scale: ScaleModel) -> str:
    """The scale's words for an answer, e.g. 4 → 'Agree'."""
    if answer == DONT_KNOW:
        return scale.dont_know
    if answer == NOT_APPLICABLE:
        return scale.not_applicable
    return scale.points[int(answer) - 1]


def answer_hint(scale: ScaleModel) -> str:
    """How to give an answer, in plain words."""
    return (
        f"use 1 to 5 (1 = {scale.points[0].lower()}, 5 = {scale.points[4].lower()}), "
        f"d ({scale.dont_know.lower()}) or n ({scale.not_applicable.lower()})"
    )


def _words(scale: ScaleModel) -> dict[str, Answer]:
    return _scale_words(tuple(scale.points), scale.dont_know, scale.not_applicable)


@lru_cache(maxsize=32)
def _scale_words(points: tuple[str, ...], dont_know: str, not_applicable: str) -> dict[str, Answer]:
    """The words that mean each answer (cached: a survey asks this once per cell)."""
    scale = ScaleModel(points=list(points), dont_know=dont_know, not_applicable=not_applicable)
    words: dict[str, Answer] = {_norm(label): index + 1 for index, label in enumerate(scale.points)}
    words.update({"neither": 3, "neutral": 3})
    for word in ("d", "dk", "dont know", "dont-know", "unsure", "not sure", scale.dont_know):
        words[_norm(word)] = DONT_KNOW
    for word in ("n", "na", "n/a", "not applicable", "not-applicable", "does not apply"):
        words[_norm(word)] = NOT_APPLICABLE
    words[_norm(scale.not_applicable)] = NOT_APPLICABLE
    return words


def parse_answer(value: object, scale: ScaleModel, *, codes: bool = True) -> Answer | None:
    """Read one answer from a file cell: 1-5, a scale label, d/n, or REDCap codes 8 and 9.

    Returns None for a blank cell (no answer). `codes=False` refuses 8 and 9, which a person
    typing at the keyboard never means.

    Raises:
        AssessmentError: the value is not an answer; the message says what is.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise AssessmentError(f"{value!r} is not an answer; {answer_hint(scale)}")
    text = _norm(str(value))
    if not text:
        return None
    number = re.fullmatch(r"(\d+)(?:\.0+)?", text)
    if number:
        code = int(number.group(1))
        if 1 <= code <= 5:
            return code
        if codes and code == REDCAP_DONT_KNOW:
            return DONT_KNOW
        if codes and code == REDCAP_NOT_APPLICABLE:
            return NOT_APPLICABLE
    found = _words(scale).get(text)
    if found is None:
        shown = str(value) if len(str(value)) <= 40 else str(value)[:37] + "..."
        raise AssessmentError(f"{shown!r} is not an answer; {answer_hint(scale)}")
    return found


def keyed_score(question: Question, answer: Answer | None) -> int | None:
    """The answer on a scale where higher is better for the behaviour (reverse items flipped)."""
    if not isinstance(answer, int):
        return None
    return 6 - answer if question.reverse else answer


Action = Literal["answer", "keep", "back", "skip", "note", "quit", "help"]


@dataclass(frozen=True)
class Command:
    """What one line typed at the questionnaire asks for."""

    action: Action
    answer: Answer | None = None


_KEYS: dict[str, Action] = {
    "": "keep",
    "b": "back",
    "back": "back",
    "s": "skip",
    "skip": "skip",
    "a": "note",
    "note": "note",
    "q": "quit",
    "quit": "quit",
    "exit": "quit",
    "?": "help",
    "h": "help",
    "help": "help",
}


def parse_key(text: str, scale: ScaleModel) -> Command:
    """Read one line typed at a question: 1-5, d, n, b, s, a, q, ? or Enter.

    Raises:
        AssessmentError: the line means nothing here; the message lists the keys.
    """
    key = _norm(text).rstrip(".")
    action = _KEYS.get(key)
    if action is not None:
        return Command(action)
    try:
        answer = parse_answer(key, scale, codes=False)
    except AssessmentError:
        answer = None
    if answer is None:
        shown = text.strip() if len(text.strip()) <= 20 else text.strip()[:17] + "..."
        raise AssessmentError(f"{shown!r} is not an answer. {KEYS_HINT}")
    return Command("answer", answer)


KEYS_HINT = (
    "Type 1 to 5, d (don't know) or n (does not apply), then press Enter. "
    "Other keys: b back, s skip, a add a note, q save and quit."
)


# --- Questions and sessions -------------------------------------------------------------------


def question_bank(ontology: Ontology) -> QuestionBank:
    """The ontology's question bank.

    Raises:
        AssessmentError: the ontology has none (e.g. a custom base without questions.yaml).
    """
    if ontology.questions is None:
        raise AssessmentError(
            "this ontology has no question bank; add a questions.yaml (see docs/assessment.md)"
        )
    return ontology.questions


def estimate_minutes(count: int) -> int:
    """Minutes to answer `count` statements, rounded up."""
    return max(1, math.ceil(count * SECONDS_PER_QUESTION / 60)) if count else 0


def question_id(key: str, bank: QuestionBank) -> str | None:
    """The bank id a file column or key names: 'q-know-duties' or REDCap's 'q_know_duties'."""
    wanted = key.strip().casefold().replace("_", "-")
    return wanted if bank.get(wanted) is not None else None


def _unknown_question(key: str, bank: QuestionBank) -> str:
    ids = [q.id for q in bank.items]
    close = get_close_matches(key.strip().casefold().replace("_", "-"), ids, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{key!r} is not a question{hint}"


@dataclass
class Session:
    """One person's answers, kept in (and resumed from) one case file."""

    bank: QuestionBank
    path: Path
    ontology_version: str
    respondent: str | None = None
    answers: dict[str, Answer] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    comments: str | None = None
    position: str | None = None
    document: dict[str, Any] = field(default_factory=dict)
    resumed: bool = False

    @property
    def organisation(self) -> str | None:
        """The organisation named in the case header."""
        value = (self.document.get("case") or {}).get("organisation")
        return str(value) if value else None

    @property
    def behaviour(self) -> str | None:
        """The target behaviour, if one has been given."""
        value = (self.document.get("behaviour") or {}).get("target")
        return str(value) if value and value != DEFAULT_BEHAVIOUR else None

    def set_organisation(self, name: str | None) -> None:
        """Name the organisation in the case header (None or blank leaves it)."""
        if name and name.strip():
            self.document.setdefault("case", {})["organisation"] = name.strip()

    def set_behaviour(self, text: str | None) -> None:
        """Set the behaviour the organisation wants (None or blank leaves it)."""
        if text and text.strip():
            self.document.setdefault("behaviour", {})["target"] = " ".join(text.split())

    def is_answered(self, question_id: str) -> bool:
        """Whether the question has an answer (any, including don't know)."""
        return question_id in self.answers

    def is_open(self, question_id: str) -> bool:
        """Whether the question still waits for an answer and was not put off with skip."""
        return question_id not in self.answers and question_id not in self.skipped

    @property
    def answered(self) -> int:
        """How many of the bank's questions have an answer."""
        return sum(1 for q in self.bank.items if q.id in self.answers)

    def open_skipped(self) -> list[str]:
        """Questions skipped and still unanswered, in bank order."""
        return [q.id for q in self.bank.items if q.id in self.skipped and q.id not in self.answers]

    def unknown_ids(self) -> list[str]:
        """Answer or note keys that name no question of the bank (kept, but not scored)."""
        known = {q.id for q in self.bank.items}
        return sorted((set(self.answers) | set(self.notes)) - known)

    def answer(self, question_id: str, value: Answer) -> None:
        """Record an answer (replacing any earlier one)."""
        self.answers[question_id] = value
        if question_id in self.skipped:
            self.skipped.remove(question_id)

    def skip(self, question_id: str) -> None:
        """Put a question off until the end; an answered question keeps its answer."""
        if question_id not in self.answers and question_id not in self.skipped:
            self.skipped.append(question_id)

    def set_note(self, question_id: str, text: str) -> None:
        """Attach a note to a question; blank text removes it."""
        text = text.strip()
        if text:
            self.notes[question_id] = text
        else:
            self.notes.pop(question_id, None)

    def apply(self, given: AnswerSet) -> None:
        """Take every answer and note of an answers file (replacing earlier ones)."""
        for key, value in given.answers.items():
            self.answer(key, value)
        for key, text in given.notes.items():
            self.set_note(key, text)
        if given.respondent:
            self.respondent = given.respondent
        if given.comments:
            self.comments = given.comments
        self.set_organisation(given.organisation)
        self.set_behaviour(given.behaviour)

    def response(self) -> ResponseModel:
        """The answers as stored in the case file, in bank order."""
        order = {q.id: index for index, q in enumerate(self.bank.items)}

        def ordered(keys: Iterable[str]) -> list[str]:
            return sorted(keys, key=lambda k: (order.get(k, len(order)), k))

        return ResponseModel(
            respondent=self.respondent,
            answers={k: self.answers[k] for k in ordered(self.answers)},
            notes={k: self.notes[k] for k in ordered(self.notes)},
            comments=self.comments,
        )

    def to_document(self) -> dict[str, Any]:
        """The whole case file as plain data: header, behaviour, entries and the answers."""
        order = {q.id: index for index, q in enumerate(self.bank.items)}
        assessment = AssessmentModel(
            format=FORMAT,
            ontology=self.ontology_version,
            position=self.position,
            skipped=sorted(self.skipped, key=lambda k: (order.get(k, len(order)), k)),
            respondents=[self.response()],
        )
        return _case_document(
            self.bank,
            self.document,
            assessment,
            case_id=slugify(self.path.stem) or "self-assessment",
            title=_title(self.organisation, self.respondent),
        )

    def save(self) -> None:
        """Write the case file atomically: whole or not at all, even if the process is killed."""
        write_atomic(self.path, case_text(self.to_document(), self.path.name))


def open_session(
    path: Path,
    ontology: Ontology,
    *,
    respondent: str | None = None,
    organisation: str | None = None,
    behaviour: str | None = None,
) -> Session:
    """Start a session in a new file, or resume the one an earlier run left in `path`.

    Raises:
        AssessmentError: the file exists but is not one person's self-assessment (it would be
            overwritten), or its answers are damaged; issues say where.
        InputError: the file cannot be read or is not YAML.
    """
    bank = question_bank(ontology)
    session = Session(bank=bank, path=path, ontology_version=ontology.version)
    if path.exists():
        doc = parse_yaml(read_text(path, what="case file"), str(path))
        model = _read_assessment(doc, what="resume it")
        if len(model.respondents) > 1:
            raise AssessmentError(
                f"{path} holds {len(model.respondents)} people's merged answers; each person "
                "answers in their own file, then `combmap assess merge` combines them"
            )
        stored = model.respondents[0]
        session.respondent = stored.respondent
        session.answers = dict(stored.answers)
        session.notes = dict(stored.notes)
        session.comments = stored.comments
        session.skipped = list(model.skipped)
        session.position = model.position
        session.document = dict(doc.data)
        session.resumed = True
    if respondent and respondent.strip():
        session.respondent = respondent.strip()
    session.set_organisation(organisation)
    session.set_behaviour(behaviour)
    return session


class _Holder(BaseModel):
    model_config = ConfigDict(extra="ignore")
    assessment: AssessmentModel


def _read_assessment(doc: Document, *, what: str) -> AssessmentModel:
    data = doc.data
    if not isinstance(data, dict) or data.get("assessment") is None:
        raise AssessmentError(
            f"{doc.file} holds no self-assessment answers, so combmap cannot {what}; "
            "give the name of a file made by `combmap assess` (or a new file name)"
        )
    issues: list[Issue] = []
    for model in (CaseFileModel, _Holder):  # both, so no problem waits for the next run
        try:
            model.model_validate(data)
        except ValidationError as error:
            issues += [i for i in validation_issues(error, doc) if i not in issues]
    if issues:
        raise AssessmentError(
            f"{doc.file} cannot be read as a self-assessment ({len(issues)} problem"
            f"{'s' * (len(issues) != 1)})",
            issues,
        )
    return _Holder.model_validate(data).assessment


# --- From answers to a case -------------------------------------------------------------------


def slugify(text: str) -> str:
    """A name turned into a file-safe slug, or '' when nothing usable is left."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:80].strip("-")
    return slug if re.fullmatch(SLUG_PATTERN, slug) else ""


def _title(organisation: str | None, respondent: str | None) -> str:
    title = f"Self-assessment: {organisation}" if organisation else "Self-assessment"
    return f"{title} ({respondent})" if respondent else title


def _number(value: float) -> int | float:
    value = round(value, 2)
    return int(value) if value == int(value) else value


def case_entries(bank: QuestionBank, responses: Sequence[ResponseModel]) -> list[dict[str, Any]]:
    """Turn answers into case entries, one per question that signals something.

    The rule (docs/assessment.md): an answer scores 1-5, flipped for reverse-keyed questions so
    that higher is better for the behaviour. A keyed score of 2 or less is a barrier, 4 or more
    an enabler, weighted by its distance from the neutral 3; neutral, "don't know" and "not
    applicable" say nothing. With several respondents, answers on both sides make the entry
    `both` (conflicting evidence), weighted and counted by its barrier side; otherwise
    `frequency` counts the respondents on the entry's side.
    """
    several = len(responses) > 1
    entries: list[dict[str, Any]] = []
    for question in bank.items:
        given = [(r, r.answers[question.id]) for r in responses if question.id in r.answers]
        scores = [keyed_score(question, a) for _, a in given]
        low = [3 - s for s in scores if s is not None and s <= 2]
        high = [s - 3 for s in scores if s is not None and s >= 4]
        if not low and not high:
            continue
        kind = (
            BarrierKind.BOTH
            if low and high
            else BarrierKind.BARRIER
            if low
            else BarrierKind.ENABLER
        )
        side = low or high
        entry: dict[str, Any] = {
            "id": question.id,
            "text": f"{_answers_text(bank.scale, [a for _, a in given], several)}: {question.text}",
            "kind": kind.value,
            "tdf": list(question.domains),
            "comb": list(question.components),
            "weight": _number(sum(side) / len(side)),
        }
        if len(side) > 1:
            entry["frequency"] = len(side)
        evidence = []
        for index, response in enumerate(responses):
            note = response.notes.get(question.id)
            if note:
                who = response.respondent or f"respondent {index + 1}"
                evidence.append(f"{who}: {note}" if several else note)
        if evidence:
            entry["evidence"] = evidence
        keyed = (
            "reverse-keyed: agreeing signals a barrier"
            if question.reverse
            else "agreeing signals an enabler"
        )
        conflict = (
            " Answers point both ways, so the entry is 'both'." if kind == BarrierKind.BOTH else ""
        )
        entry["notes"] = f"Self-assessment question {question.id} ({keyed}).{conflict}"
        entries.append(entry)
    return entries


def _answers_text(scale: ScaleModel, answers: list[Answer], several: bool) -> str:
    if not several and len(answers) == 1:
        return answer_label(answers[0], scale)
    counts = Counter(answers)
    order: list[Answer] = [1, 2, 3, 4, 5, DONT_KNOW, NOT_APPLICABLE]
    return ", ".join(f"{counts[a]} × {answer_label(a, scale)}" for a in order if counts[a])


def _case_document(
    bank: QuestionBank,
    existing: dict[str, Any],
    assessment: AssessmentModel,
    *,
    case_id: str,
    title: str,
) -> dict[str, Any]:
    """Build the case file, keeping whatever a person added by hand (options, own entries)."""
    given = dict(existing.get("case") or {})
    old_title = str(given.get("title") or "")
    made = not old_title or old_title.startswith("Self-assessment")  # ours, not a person's edit
    case = {"id": given.get("id") or case_id, "title": title if made else old_title}
    case.update((k, v) for k, v in given.items() if k not in case)
    case.setdefault("coded_by", "self-assessment with combmap assess")
    case.setdefault(
        "notes",
        "Entries made from the answers by the rule in docs/assessment.md: one per question "
        "whose answer leans either way. The answers themselves are kept under 'assessment'.",
    )
    described = dict(existing.get("behaviour") or {})
    behaviour = {"target": described.get("target") or DEFAULT_BEHAVIOUR}
    behaviour.update((k, v) for k, v in described.items() if k != "target")
    own = [
        b
        for b in existing.get("barriers") or []
        if not (isinstance(b, dict) and str(b.get("id", "")).startswith("q-"))
    ]
    document: dict[str, Any] = {"case": case, "behaviour": behaviour}
    if existing.get("groups"):
        document["groups"] = existing["groups"]
    document["barriers"] = case_entries(bank, assessment.respondents) + own
    if existing.get("options"):
        document["options"] = existing["options"]
    document["assessment"] = assessment.model_dump(mode="json", exclude_defaults=True)
    document["assessment"]["format"] = FORMAT
    return document


def case_text(document: dict[str, Any], name: str) -> str:
    """The case file's YAML, with a header that tells its reader what to do next."""
    from combmap.terminal import clean

    name = clean(name)  # a newline or control character in a file name would break the YAML
    header = (
        "# A self-assessment made with `combmap assess`; the answers are kept under "
        "'assessment'.\n"
        f"# To carry on or change answers: combmap assess -o {name}\n"
        f"# To see what could help:        combmap plan {name}\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def answers_to_case(session: Session) -> dict[str, Any]:
    """The case document for one person's answers (what `combmap plan` reads)."""
    return session.to_document()


def merge(
    paths: Sequence[Path], ontology: Ontology, *, out: Path
) -> tuple[dict[str, Any], list[str]]:
    """Combine several people's self-assessments into one case.

    Per question, the answers of everyone who gave one are combined by `case_entries`; where
    people disagree strongly (one answer on each side of neutral) the entry is `both`, which
    the TDF importance rules count as conflicting evidence. Every answer is kept under
    `assessment.respondents`, so merges can themselves be merged.

    Returns:
        The case document and warnings (e.g. files that describe different behaviours).

    Raises:
        AssessmentError: a file is not a self-assessment; issues say where.
    """
    bank = question_bank(ontology)
    if not paths:
        raise AssessmentError("give at least one self-assessment file to merge")
    warnings: list[str] = []
    responses: list[ResponseModel] = []
    organisations: list[str] = []
    behaviours: list[tuple[str, str]] = []
    seen: set[Path] = set()
    for path in paths:
        if path.resolve() in seen:
            warnings.append(f"{path} is given twice; counted once")
            continue
        seen.add(path.resolve())
        doc = parse_yaml(read_text(path, what="self-assessment file"), str(path))
        model = _read_assessment(doc, what="merge it")
        for response in model.respondents:
            responses.append(response.model_copy(update={"source": response.source or path.name}))
        header = doc.data.get("case") or {}
        if header.get("organisation"):
            organisations.append(str(header["organisation"]))
        target = (doc.data.get("behaviour") or {}).get("target")
        if target and target != DEFAULT_BEHAVIOUR:
            behaviours.append((str(target), path.name))
    known = {q.id for q in bank.items}
    unknown = sorted({k for r in responses for k in r.answers} - known)
    if unknown:
        warnings.append(
            f"answers to questions not in this question bank are kept but not counted: {', '.join(unknown)}"
        )
    if len({b for b, _ in behaviours}) > 1:
        listed = "; ".join(f"{name}: {target!r}" for target, name in behaviours)
        warnings.append(f"the files describe different behaviours; the first is used ({listed})")
    names = list(dict.fromkeys(organisations))
    organisation = names[0] if len(names) == 1 else (" / ".join(names) or None)
    existing: dict[str, Any] = {"case": {}, "behaviour": {}}
    if organisation:
        existing["case"]["organisation"] = organisation
    if behaviours:
        existing["behaviour"]["target"] = behaviours[0][0]
    count = len(responses)
    title = (f"Self-assessment: {organisation}" if organisation else "Self-assessment") + (
        f" ({count} respondent{'s' * (count != 1)})"
    )
    assessment = AssessmentModel(format=FORMAT, ontology=ontology.version, respondents=responses)
    document = _case_document(
        bank, existing, assessment, case_id=slugify(out.stem) or "self-assessment", title=title
    )
    return document, warnings


# --- Files that hold answers -------------------------------------------------------------------


def _held_responses(path: Path) -> list[dict[str, Any]] | None:
    """The respondents a file holds answers for, or None when it is no answer file."""
    try:
        raw = read_bytes(path)
        if b"assessment" not in raw:
            return None
        data = parse_yaml(decode_text(raw, str(path)), str(path)).data
    except InputError:
        return None
    block = data.get("assessment") if isinstance(data, dict) else None
    if not isinstance(block, dict):
        return None
    found = block.get("respondents")
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def _whose(responses: list[dict[str, Any]]) -> str:
    names = [str(r.get("respondent") or "").strip() for r in responses]
    named = [n for n in names if n]
    if len(responses) <= 1:
        return f"{named[0]}'s self-assessment answers" if named else "someone's self-assessment answers"
    shown = ", ".join(named[:3]) if named else "unnamed people"
    rest = len(responses) - min(len(named), 3)
    return f"the self-assessment answers of {len(responses)} people ({shown}{f' and {rest} more' if rest else ''})"


def answers_held(path: Path) -> str | None:
    """Whose answers a file holds, in words ("Sam's self-assessment answers"), or None."""
    responses = _held_responses(path)
    return None if responses is None else _whose(responses)


def check_merge_target(out: Path, paths: Sequence[Path], *, force: bool = False) -> None:
    """Refuse a merge output that would lose answers; `force` replaces it anyway.

    The output may replace an earlier merge of the same files (every respondent it holds came
    from one of `paths`); it may not replace one person's file, a merge of other files, or a
    file that is not a self-assessment at all, unless `force`.

    Raises:
        AssessmentError: the output is one of the inputs, a directory, or a file whose
            answers (or other content) the merge would replace.
    """
    if any(out.resolve() == p.resolve() for p in paths):
        raise AssessmentError(f"{out} is one of the files to merge; write the merge to a new file")
    if out.is_dir():
        raise AssessmentError(f"{out} is a directory; give the merged case a file name")
    if force or not out.exists():
        return
    responses = _held_responses(out)
    if responses is None:
        raise AssessmentError(
            f"{out} already exists and is not a self-assessment; choose another file name "
            "(or --force to replace it)"
        )
    names = {p.name for p in paths}
    if responses and all(r.get("source") in names for r in responses):
        return  # an earlier merge of these same files: nothing is lost
    raise AssessmentError(
        f"{out} holds {_whose(responses)}, which the merge would replace; write the merge to a "
        "new file, or use --force to replace it"
    )


# --- Answers files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerSet:
    """Answers read from a file, ready for `Session.apply`."""

    answers: dict[str, Answer]
    notes: dict[str, str] = field(default_factory=dict)
    respondent: str | None = None
    organisation: str | None = None
    behaviour: str | None = None
    comments: str | None = None


#: Column and key names for who answered, and the field each fills.
META_KEYS = {
    "respondent": "respondent",
    "name": "respondent",
    "organisation": "organisation",
    "organization": "organisation",
    "org": "organisation",
    "behaviour": "behaviour",
    "behavior": "behaviour",
    "comments": "comments",
}


def survey_layout(text: str, bank: QuestionBank) -> bool:
    """Whether a CSV of answers is a survey export (question ids as columns), not id/answer rows."""
    rows = [row for _, row in csv_rows(text) if any(cell.strip() for cell in row)]
    if not rows:
        return False
    header = [_norm(cell) for cell in rows[0]]
    named = any(n in header for n in ("id", "item", "question", "variable")) and "answer" in header
    return not named and any(question_id(cell, bank) for cell in rows[0])


def answers_text(path: Path) -> tuple[str, str, bool]:
    """An answers file's text, its display name, and whether it is the CSV layout."""
    text = read_text(path, what="answers file")
    csv = path.suffix.lower() == ".csv" or (str(path) == "-" and _looks_like_csv(text))
    return text, display_name(path), csv


def answers_from_text(text: str, name: str, bank: QuestionBank, *, csv: bool) -> AnswerSet:
    """Answers from YAML (a mapping of question id → answer) or CSV (id, answer, note).

    A one-row survey export is read by `combmap.answers.read_answers`, which adds that case.
    Every problem is collected with its line before failing, and nothing is applied unless
    the whole file is good.

    Raises:
        AssessmentError: a key is not a question or a value not an answer; issues say where.
        InputError: the text is not plain YAML.
    """
    if csv:
        return _answers_from_csv(text, name, bank)
    return _answers_from_yaml(parse_yaml(text, name), bank)


def _looks_like_csv(text: str) -> bool:
    """Whether answers piped in are the CSV layout: a header naming an id and an answer column."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    cells = {cell.strip().strip('"').casefold() for cell in header.split(",")}
    return ":" not in header and len(cells) > 1 and "answer" in cells


def _answers_from_yaml(doc: Document, bank: QuestionBank) -> AnswerSet:
    data = doc.data
    issues: list[Issue] = []
    if isinstance(data, dict) and data.get("assessment") is not None:
        model = _read_assessment(doc, what="read answers from it")
        if len(model.respondents) != 1:
            raise AssessmentError(
                f"{doc.file} holds several people's answers; give one person's file"
            )
        stored = model.respondents[0]
        given = {k: v for k, v in stored.answers.items() if bank.get(k) is not None}
        return AnswerSet(
            dict(given), dict(stored.notes), stored.respondent, comments=stored.comments
        )
    if not isinstance(data, dict):
        issue = doc.issue(
            (), "expected a mapping of question id to answer, e.g. 'q-know-duties: 4'"
        )
        raise AssessmentError(f"{doc.file} is not an answers file", [issue])
    meta: dict[str, str] = {}
    if "answers" in data:
        answers_at: tuple[str | int, ...] = ("answers",)
        raw = data.get("answers") or {}
        notes_raw = data.get("notes") or {}
        for key, value in data.items():
            if key in ("answers", "notes"):
                continue
            if key in META_KEYS and value is not None:
                meta[META_KEYS[key]] = str(value)
            elif key not in META_KEYS:
                allowed = ", ".join(sorted({"answers", "notes", *META_KEYS}))
                issues.append(doc.issue((key,), f"unknown key {key!r} (allowed: {allowed})"))
        if not isinstance(raw, dict):
            issues.append(doc.issue(answers_at, "expected a mapping of question id to answer"))
            raw = {}
        if not isinstance(notes_raw, dict):
            issues.append(doc.issue(("notes",), "expected a mapping of question id to note"))
            notes_raw = {}
    else:
        answers_at, raw, notes_raw = (), data, {}
    answers: dict[str, Answer] = {}
    spelt: dict[str, str] = {}
    for key, value in raw.items():
        at = (*answers_at, key)
        found = question_id(str(key), bank)
        if found is None:
            issues.append(doc.issue(at, _unknown_question(str(key), bank)))
            continue
        if found in spelt:
            issues.append(doc.issue(at, f"{found!r} is answered twice (also as {spelt[found]!r})"))
            continue
        spelt[found] = str(key)
        try:
            answer = parse_answer(value, bank.scale)
        except AssessmentError as error:
            issues.append(doc.issue(at, error.message))
            continue
        if answer is not None:
            answers[found] = answer
    notes: dict[str, str] = {}
    for key, value in notes_raw.items():
        found = question_id(str(key), bank)
        if found is None:
            issues.append(doc.issue(("notes", key), _unknown_question(str(key), bank)))
        elif value is not None and str(value).strip():
            notes[found] = str(value).strip()
    if issues:
        raise AssessmentError(
            f"{doc.file} has answers combmap cannot use ({_count(issues)})", issues
        )
    return AnswerSet(
        answers,
        notes,
        meta.get("respondent"),
        meta.get("organisation"),
        meta.get("behaviour"),
        meta.get("comments"),
    )


def _count(issues: list[Issue]) -> str:
    return f"{len(issues)} problem{'s' * (len(issues) != 1)}"


def csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """Rows with the line each starts on, in combmap's one CSV dialect (see tabular.py)."""
    from combmap.errors import InputError
    from combmap.tabular import csv_records

    try:
        return list(csv_records(text, "the file"))
    except InputError as error:
        raise AssessmentError(error.message, error.issues) from None


def _answers_from_csv(text: str, file: str, bank: QuestionBank) -> AnswerSet:
    rows = [(line, row) for line, row in csv_rows(text) if any(cell.strip() for cell in row)]
    if not rows:
        raise AssessmentError(f"{file} is empty; expected columns 'id' and 'answer'")
    header = [_norm(cell) for cell in rows[0][1]]
    id_column = next(
        (header.index(n) for n in ("id", "item", "question", "variable") if n in header), None
    )
    if id_column is None or "answer" not in header:
        raise AssessmentError(
            f"{file} needs a header row with the columns 'id' and 'answer' (and 'note' if you "
            "like), then one row per question"
        )
    answer_column = header.index("answer")
    note_column = header.index("note") if "note" in header else None
    issues: list[Issue] = []
    answers: dict[str, Answer] = {}
    notes: dict[str, str] = {}
    for line, row in rows[1:]:
        cells = row + [""] * (len(header) - len(row))
        key = cells[id_column].strip()
        found = question_id(key, bank)
        if found is None:
            issues.append(Issue(file, line, "", _unknown_question(key, bank)))
            continue
        if found in answers or found in notes:
            issues.append(Issue(file, line, found, "this question is answered twice"))
            continue
        try:
            answer = parse_answer(cells[answer_column], bank.scale)
        except AssessmentError as error:
            issues.append(Issue(file, line, found, error.message))
            continue
        if answer is not None:
            answers[found] = answer
        if note_column is not None and cells[note_column].strip():
            notes[found] = cells[note_column].strip()
    if issues:
        raise AssessmentError(f"{file} has answers combmap cannot use ({_count(issues)})", issues)
    return AnswerSet(answers, notes)


# --- The walk through the questions ----------------------------------------------------------


class Walk:
    """Which question is on screen, and where each key takes the person.

    Modes: `fill` shows only questions still open; `all` shows every question (a review, or
    the pass over skipped ones); after `back` the walk shows answered questions again until it
    reaches the first unanswered one, then fills. Every change is saved at once.
    """

    def __init__(
        self,
        session: Session,
        *,
        mode: Literal["fill", "all"] = "fill",
        only: Sequence[str] | None = None,
    ) -> None:
        self.session = session
        items = session.bank.items
        self.route = [i for i, q in enumerate(items) if only is None or q.id in only]
        self.mode: Literal["fill", "all", "back"] = mode
        self.pos = -1
        self._forward()

    @property
    def current(self) -> Question | None:
        """The question on screen; None when the walk is over."""
        if 0 <= self.pos < len(self.route):
            return self.session.bank.items[self.route[self.pos]]
        return None

    @property
    def number(self) -> int:
        """The question's number in the whole bank, from 1."""
        return (
            self.route[self.pos] + 1 if self.current is not None else len(self.session.bank.items)
        )

    def _forward(self) -> None:
        self.pos += 1
        while self.pos < len(self.route):
            question = self.session.bank.items[self.route[self.pos]]
            if self.mode == "all":
                break
            if self.mode == "back":
                if not self.session.is_answered(question.id):
                    self.mode = "fill"
                break
            if self.session.is_open(question.id):
                break
            self.pos += 1
        self._save()

    def _save(self) -> None:
        current = self.current
        self.session.position = current.id if current is not None else None
        self.session.save()

    def answer(self, value: Answer) -> None:
        """Answer the question on screen and move on."""
        if self.current is not None:
            self.session.answer(self.current.id, value)
            self._forward()

    def keep(self) -> None:
        """Keep the answer already given and move on.

        Raises:
            AssessmentError: the question has no answer yet.
        """
        current = self.current
        if current is not None and not self.session.is_answered(current.id):
            raise AssessmentError(f"Please choose an answer first. {KEYS_HINT}")
        self._forward()

    def skip(self) -> None:
        """Leave the question for later (an answer already given stays) and move on."""
        if self.current is not None:
            self.session.skip(self.current.id)
            self._forward()

    def back(self) -> bool:
        """Go back one question; False when already at the first."""
        if self.pos <= 0:
            return False
        self.pos -= 1
        if self.mode == "fill":
            self.mode = "back"
        self._save()
        return True

    def note(self, text: str) -> None:
        """Attach a note to the question on screen (blank text removes it)."""
        if self.current is not None:
            self.session.set_note(self.current.id, text)
            self.session.save()


# --- Summary ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileRow:
    """How much of a case's barrier and enabler load falls on one COM-B component."""

    id: str
    label: str
    source: str
    barriers: float
    enablers: float


def comb_profile(case: Case, ontology: Ontology, profile: str | None = None) -> list[ProfileRow]:
    """Barrier and enabler load per COM-B component, coded directly or through a TDF domain."""
    from combmap.plan.chains import Coding
    from combmap.plan.planner import index_for

    # The plan's own components, so Skills counts as the one capability its code means.
    index = index_for(ontology, ontology.profile(profile or case.profile))
    barriers: dict[str, float] = defaultdict(float)
    enablers: dict[str, float] = defaultdict(float)
    for entry in case.barriers:
        if entry.kind == BarrierKind.OUTCOME:  # outcomes are not determinants (as in the plan)
            continue
        for component in index.components(Coding.of(entry))[0]:
            if entry.kind != BarrierKind.ENABLER:
                barriers[component] += entry.load
            if entry.kind != BarrierKind.BARRIER:
                enablers[component] += entry.load
    sources = [f"comb:{s.value}" for s in Section]
    parts = [e for e in ontology.of_kind(Kind.COMPONENT) if e.parent in sources]
    parts.sort(key=lambda e: (sources.index(str(e.parent)), e.id))
    return [
        ProfileRow(
            e.id,
            e.label,
            ontology[str(e.parent)].label,
            round(barriers[e.id], 2),
            round(enablers[e.id], 2),
        )
        for e in parts
    ]


def top_priorities(plan: Plan, case: Case, count: int = 5) -> list[Priority]:
    """The plan's TDF domain priorities that hold a barrier, the biggest barrier load first.

    The plan ranks domains by the TDF guide's rules, which count strengths as much as barriers
    (and so favour domains with more questions); "what to work on first" is about barriers, so
    the summed weight of a domain's barriers leads and the plan's rank breaks ties.
    """
    loads = {b.id: b.load for b in case.barriers if b.kind != BarrierKind.ENABLER}
    chosen = [p for p in plan.priorities.domains if p.barriers]
    chosen.sort(key=lambda p: (-round(sum(loads.get(b, 0.0) for b in p.barriers), 6), p.rank, p.id))
    return chosen[:count]


# --- APEASE: which options the organisation could use (issue 12) -------------------------------

#: The criteria an organisation lead is asked about: the three a lead can judge alone.
LEAD_CRITERIA = ("apease:acceptability", "apease:affordability", "apease:practicability")
#: Keys that rule an option out on one criterion, in the follow-up question.
CRITERION_KEYS = {"a": "apease:acceptability", "f": "apease:affordability", "p": "apease:practicability"}
#: How each verdict is stored per criterion in `options.apease`.
VERDICTS = ("yes", "no", "unsure")


@dataclass(frozen=True)
class Option:
    """A candidate option shown to the lead: an intervention function or a policy category."""

    id: str
    kind: str
    label: str
    plain: str
    example: str | None


def apease_options(plan: Plan, ontology: Ontology) -> list[Option]:
    """The options to judge: the plan's candidate functions, then its policy categories.

    Options the case already excludes are not asked about again (they are out of the plan).
    """
    from combmap.glossary import plain_label

    chosen = [(f.id, "function") for f in plan.functions if f.barriers]
    chosen += [(p.id, "policy") for p in plan.policies if p.barriers]
    out = []
    for option_id, kind in chosen:
        entity = ontology.entities.get(option_id)
        if entity is None:
            continue
        out.append(Option(option_id, kind, entity.label, plain_label(ontology, option_id), entity.example))
    return out


def _apease_table(session: Session) -> dict[str, Any]:
    options = session.document.setdefault("options", {})
    if not isinstance(options, dict):
        raise AssessmentError(f"{session.path}: 'options' is not a mapping; fix it by hand")
    table = options.setdefault("apease", {})
    if not isinstance(table, dict):
        raise AssessmentError(f"{session.path}: 'options.apease' is not a mapping; fix it by hand")
    return table


def judged(session: Session) -> dict[str, dict[str, str]]:
    """The APEASE judgements saved in the case file: option id → criterion id → judgement."""
    table = (session.document.get("options") or {}).get("apease") or {}
    return {str(k): dict(v) for k, v in table.items() if isinstance(v, dict)}


def judge(session: Session, option_id: str, verdict: str, failed: Iterable[str] = ()) -> None:
    """Record the lead's verdict on an option for the three lead criteria.

    `yes` passes all three, `unsure` marks all three unsure, and `no` fails the criteria in
    `failed` (all three when empty) and passes the rest.

    Raises:
        AssessmentError: an unknown verdict or criterion.
    """
    if verdict not in VERDICTS:
        raise AssessmentError(f"unknown verdict {verdict!r}; use one of {', '.join(VERDICTS)}")
    failing = set(failed) or set(LEAD_CRITERIA)
    unknown = failing - set(LEAD_CRITERIA)
    if unknown:
        raise AssessmentError(f"unknown criterion {sorted(unknown)[0]!r}")
    entry = {}
    for criterion in LEAD_CRITERIA:
        if verdict == "yes":
            entry[criterion] = "pass"
        elif verdict == "unsure":
            entry[criterion] = "unsure"
        else:
            entry[criterion] = "fail" if criterion in failing else "pass"
    _apease_table(session)[option_id] = entry


def unsure_options(judgements: dict[str, dict[str, str]]) -> set[str]:
    """Options with an 'unsure' judgement and no failing one."""
    return {
        option
        for option, verdicts in judgements.items()
        if "unsure" in verdicts.values() and "fail" not in verdicts.values()
    }
