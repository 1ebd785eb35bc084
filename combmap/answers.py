"""Answers given outside the terminal: an answers file (YAML or CSV), or a one-row survey export.

Kept apart from `assess` (the self-assessment itself) and `survey` (survey-tool formats), which
it joins: survey depends on assess, and assess must not depend on survey.
"""

from __future__ import annotations

from pathlib import Path

from combmap.assess import AnswerSet, answers_from_text, answers_text, question_bank, survey_layout
from combmap.errors import AssessmentError
from combmap.ontology import Ontology


def read_answers(path: Path, ontology: Ontology) -> AnswerSet:
    """Read one person's answers: an answers file, or a survey export holding one respondent.

    Raises:
        AssessmentError: a key is not a question or a value not an answer, or the export holds
            several people's answers; issues say where.
        InputError: the file cannot be read.
    """
    bank = question_bank(ontology)
    text, file, csv = answers_text(path)
    if not (csv and survey_layout(text, bank)):
        return answers_from_text(text, file, bank, csv=csv)
    from combmap.survey import import_survey_text

    survey = import_survey_text(text, file, bank)
    if survey.problems:
        raise AssessmentError(f"{file} has answers combmap cannot use", list(survey.problems))
    if len(survey.rows) != 1:
        raise AssessmentError(
            f"{file} holds {len(survey.rows)} people's answers; use "
            "`combmap assess import` to make one case file per person"
        )
    only = survey.rows[0]
    return AnswerSet(
        dict(only.response.answers),
        dict(only.response.notes),
        only.response.respondent,
        only.organisation,
        only.behaviour,
        only.response.comments,
    )
