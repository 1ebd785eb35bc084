"""Behaviour selection (BCW step 2): rank a case's candidate behaviours by the guide's criteria.

The guide (Michie, Atkins & West 2014) judges each candidate behaviour on its likely impact,
the likelihood that it can be changed, its likely spill-over to other behaviours and how easily
it can be measured, each as unacceptable, unpromising but worth considering, promising or very
promising (the scale and criteria as reproduced in J. R. Harwood's thesis, Appendix F "BCW
Step 2 – Select the Target Behaviour", and in the BMC Public Health 2022 study with doi
10.1186/s12889-022-14178-6, Table 3 "Prioritising behavioural interventions"). The guide leaves the choice to the team; the ranking here is
combmap's own rule (`candidates` in plan/rules.py), stated with every output.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from combmap.case import Case
from combmap.plan.rules import EXTRA_RULES
from combmap.schema import CandidateModel, Rating, RatingModel

#: Version of the `combmap behaviours --format json` output.
CANDIDATES_SCHEMA = "combmap.behaviours/1"
#: The criteria, in the guide's order, with the words outputs use.
CRITERIA: tuple[tuple[str, str], ...] = (
    ("impact", "Likely impact"),
    ("likelihood", "Likelihood of change"),
    ("spillover", "Spill-over"),
    ("measurement", "Ease of measurement"),
)
#: The scale as numbers (the key of Harwood's reproduction of the guide's worksheet: 1 to 4).
SCORES: dict[Rating, int] = {
    Rating.UNACCEPTABLE: 1,
    Rating.UNPROMISING: 2,
    Rating.PROMISING: 3,
    Rating.VERY_PROMISING: 4,
}


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Judged(_Out):
    """One criterion of one candidate: the rating (null when not judged) and its note."""

    criterion: str
    rating: str | None
    score: int = Field(description="1 (unacceptable) to 4 (very promising); 0 when not judged.")
    note: str | None


class RankedCandidate(_Out):
    """A candidate behaviour with its judgements and its rank."""

    id: str
    behaviour: str
    actor: str | None
    rank: int
    tie: bool
    total: int = Field(description="Sum of the four scores (unjudged count 0).")
    very_promising: int
    ruled_out: bool = Field(description="Judged unacceptable on at least one criterion.")
    unjudged: list[str] = Field(description="Criteria without a rating.")
    selected: bool = Field(description="Its id is one of the case's target behaviours.")
    judgements: list[Judged]
    notes: str | None


class Candidates(_Out):
    """The behaviour-selection worksheet of a case, ranked."""

    schema_: str = Field(CANDIDATES_SCHEMA, alias="schema")
    case: str
    rule: str
    candidates: list[RankedCandidate]

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def rank_candidates(case: Case) -> Candidates:
    """Rank the case's candidate behaviours by the stated rule; ties share a rank.

    Example:
        >>> from combmap import load_ontology, load_case
        >>> case = load_case("tests/data/cases/two-actors.yaml", load_ontology())
        >>> [(c.id, c.rank) for c in rank_candidates(case).candidates][:2]
        [('professionals-review', 1), ('patients-take', 2)]
    """
    selected = {b.id for b in case.behaviours}
    rows = [_row(c, c.id in selected) for c in case.candidates]
    rows.sort(key=lambda r: (_key(r), case.candidates.index(_source(case, r.id))))
    ranked: list[RankedCandidate] = []
    for position, row in enumerate(rows):
        before = rows[position - 1] if position else None
        after = rows[position + 1] if position + 1 < len(rows) else None
        same_before = before is not None and _key(before) == _key(row)
        rank = ranked[-1].rank if same_before else position + 1
        tie = same_before or (after is not None and _key(after) == _key(row))
        ranked.append(row.model_copy(update={"rank": rank, "tie": tie}))
    return Candidates(case=case.id, rule=EXTRA_RULES["candidates"].text, candidates=ranked)


def _source(case: Case, candidate_id: str) -> CandidateModel:
    return next(c for c in case.candidates if c.id == candidate_id)


def _key(row: RankedCandidate) -> tuple[int, int, int]:
    return (int(row.ruled_out), -row.total, -row.very_promising)


def _row(candidate: CandidateModel, selected: bool) -> RankedCandidate:
    judged = []
    for key, _ in CRITERIA:
        given: RatingModel | None = getattr(candidate, key)
        judged.append(
            Judged(
                criterion=key,
                rating=given.rating.value if given else None,
                score=SCORES[given.rating] if given else 0,
                note=given.note if given else None,
            )
        )
    return RankedCandidate(
        id=candidate.id,
        behaviour=candidate.behaviour,
        actor=candidate.actor,
        rank=0,
        tie=False,
        total=sum(j.score for j in judged),
        very_promising=sum(j.rating == Rating.VERY_PROMISING.value for j in judged),
        ruled_out=any(j.rating == Rating.UNACCEPTABLE.value for j in judged),
        unjudged=[j.criterion for j in judged if j.rating is None],
        selected=selected,
        judgements=judged,
        notes=candidate.notes,
    )


def candidates_markdown(result: Candidates) -> str:
    """The worksheet as Markdown: the ranking, then each candidate's judgements with notes."""
    from combmap.render import md_escape, md_table

    names = dict(CRITERIA)
    lines = [f"# Candidate behaviours: {md_escape(result.case)}", ""]
    if not result.candidates:
        return "\n".join([*lines, "The case lists no candidate behaviours.", ""])
    header = ["rank", "candidate", "actor", *names.values(), "total", "selected"]
    rows = [
        [
            f"{row.rank}{'=' if row.tie else ''}" + (" (ruled out)" if row.ruled_out else ""),
            row.behaviour,
            row.actor or "",
            *(j.rating or "not judged" for j in row.judgements),
            str(row.total),
            "yes" if row.selected else "",
        ]
        for row in result.candidates
    ]
    lines += md_table(header, rows)
    lines += ["", f"*Rule (combmap's own):* {md_escape(result.rule)}", "", "## Judgements", ""]
    for row in result.candidates:
        lines.append(f"**{md_escape(row.id)}**: {md_escape(row.behaviour)}")
        lines.append("")
        for judged in row.judgements:
            note = f": {md_escape(judged.note)}" if judged.note else ""
            lines.append(f"- {names[judged.criterion]}: {judged.rating or 'not judged'}{note}")
        if row.notes:
            lines.append(f"- Notes: {md_escape(row.notes)}")
        lines.append("")
    return "\n".join(lines)
