"""`behaviours`: the behaviour-selection worksheet of a case (BCW step 2), ranked."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from combmap.cli.common import CaseArgument, OntologyOption, OutputOption, _case, _emit, _note, app


class BehavioursFormat(StrEnum):
    """Output formats of `combmap behaviours`."""

    MARKDOWN = "markdown"
    JSON = "json"


@app.command()
def behaviours(
    case: CaseArgument,
    format: Annotated[
        BehavioursFormat,
        typer.Option("--format", "-f", metavar="FORMAT", help="markdown (default) or json."),
    ] = BehavioursFormat.MARKDOWN,
    ontology: OntologyOption = None,
    output: OutputOption = None,
) -> None:
    """Rank a case's candidate behaviours by the BCW guide's criteria and show the judgements.

    Each candidate is judged on likely impact, likelihood of change, spill-over and ease of
    measurement (unacceptable, unpromising but worth considering, promising, very promising).
    The ranking rule is combmap's own and is printed with the result; ties share a rank.

    Example: combmap behaviours cases/health-champions-smi-volunteers-patients.yaml
    """
    from combmap.behaviours import candidates_markdown, rank_candidates

    _, loaded = _case(case, ontology)
    result = rank_candidates(loaded)
    if not result.candidates:
        _note(f"{case} lists no candidate behaviours; add a 'candidates' list")
    if format == BehavioursFormat.JSON:
        _emit(result.model_dump_json(by_alias=True, indent=2) + "\n", output)
    else:
        _emit(candidates_markdown(result), output)
