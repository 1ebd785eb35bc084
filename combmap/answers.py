"""Answers given outside the terminal: an answers file (YAML or CSV), or a one-row survey export.

Kept apart from `assess` (the self-assessment itself) and `survey` (survey-tool formats), which
it joins: survey depends on assess, and assess must not depend on survey.
"""

from __future__ import annotations

from pathlib import Path

from combmap.assess import AnswerSet, question_bank, survey_layout
from combmap.assess import read_answers as read_answers_file
from combmap.errors import AssessmentError
from combmap.ontology import Ontology
from combmap.yamlio import display_name, read_text


def read_answers(path: Path, ontology: Ontology) -> AnswerSet:
    """Read one person's answers: an answers file, or a survey export holding one respondent.

    Raises:
        AssessmentError: a key is not a question or a value not an answer, or the export holds
            several people's answers; issues say where.
        InputError: the file cannot be read.
    """
    if path.suffix.lower() != ".csv":
        return read_answers_file(path, ontology)
    bank = question_bank(ontology)
    text = read_text(path, what="answers file")
    if not survey_layout(text, bank):
        return read_answers_file(path, ontology)
    from combmap.survey import import_survey_text

    file = display_name(path)
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
