"""APEASE decides the selection (BCW steps 5–7): what the case's judgements leave in.

An option is out when the case excludes it or a criterion fails; "unsure" keeps it in, marked.
"""

from __future__ import annotations

from dataclasses import dataclass

from combmap.case import Case
from combmap.case import Exclusion as CaseExclusion
from combmap.ontology import Ontology, sort_key
from combmap.schema import Judgement


@dataclass(frozen=True)
class Selection:
    """The case's APEASE judgements, resolved: excluded options and those marked not sure."""

    excluded: dict[str, CaseExclusion]
    unsure: dict[str, tuple[str, ...]]

    def allows(self, option: str) -> bool:
        """True unless the option is excluded."""
        return option not in self.excluded

    def mark(self, option: str) -> str | None:
        """'unsure' when a judgement of the option says not sure."""
        return "unsure" if option in self.unsure else None


def selection(case: Case, ontology: Ontology) -> Selection:
    """The case's exclusions plus every option its APEASE worksheet fails."""
    excluded = {e.id: e for e in case.exclusions}
    unsure: dict[str, tuple[str, ...]] = {}
    for option, judgements in case.apease:
        failed = tuple(c for c, j in judgements if j == Judgement.FAIL)
        if failed and option not in excluded:
            names = ", ".join(ontology[c].label for c in failed)
            excluded[option] = CaseExclusion(option, f"fails APEASE: {names}", failed)
        doubts = tuple(c for c, j in judgements if j == Judgement.UNSURE)
        if doubts and option not in excluded:
            unsure[option] = doubts
    return Selection(
        dict(sorted(excluded.items(), key=lambda kv: sort_key(kv[0]))),
        dict(sorted(unsure.items(), key=lambda kv: sort_key(kv[0]))),
    )
