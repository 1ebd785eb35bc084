"""Fuzzing: every untrusted input either works or fails with CombmapError, nothing else.

Cases, ontology overlays, self-assessment answer files and survey exports, valid and mutated.

The budget is fixed for CI; set COMBMAP_FUZZ_EXAMPLES for a longer run, e.g.
`COMBMAP_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py`.
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from combmap import CombmapError, Ontology, load_ontology, make_plan
from combmap.assess import _answers_from_csv, _answers_from_yaml, question_bank
from combmap.case import case_from_document
from combmap.render import plan_markdown
from combmap.survey import import_survey_text
from combmap.yamlio import parse_yaml

from .conftest import CASES, DATA

EXAMPLES = int(os.environ.get("COMBMAP_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ONTO = load_ontology()
SEED = yaml.safe_load((CASES / "england-peer-support-workers-roles.yaml").read_text())

#: Values a mutation may put anywhere.
ANY = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(
        ["tdf:knowledge", "knowledge", "C-Ps", "bct:1.1", "if:coercion", "pass", "fail", "both"]
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out += _paths(value, (*prefix, index))
    return out


@st.composite
def mutated(draw: st.DrawFn, seed: Any) -> Any:
    """The seed document with a few random replacements, deletions and insertions."""
    doc = copy.deepcopy(seed)
    for _ in range(draw(st.integers(0, 4))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "insert"]))
        if not path:
            if action == "replace":
                doc = draw(ANY)
            continue
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if action == "replace":
            parent[last] = draw(ANY)
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(ANY)
        else:
            parent.insert(last, draw(ANY))
    return doc


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _run_case(text: str, onto: Ontology) -> None:
    try:
        case = case_from_document(parse_yaml(text, "fuzz.yaml"), onto)
        plan = make_plan(case, onto)
        plan_markdown(plan, onto)
        plan.to_json()
    except CombmapError:
        pass


@FUZZ
@given(mutated(SEED))
def test_mutated_cases_fail_cleanly(doc: Any) -> None:
    _run_case(_dump(doc), ONTO)


@FUZZ
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_arbitrary_text_fails_cleanly(text: str) -> None:
    _run_case(text, ONTO)


@FUZZ
@given(
    st.sampled_from(["yaml-ish"]),
    st.lists(
        st.sampled_from(
            [
                "a:",
                " b",
                "- ",
                "[",
                "]",
                "{",
                "}",
                ": ",
                "&x ",
                "*x",
                "!!python/object ",
                "'",
                '"',
                "\n",
                "\t",
                "#",
                "? ",
                "|",
                ">",
                "%YAML 1.2\n",
                "---\n",
                "...",
            ]
        ),
        max_size=40,
    ),
)
def test_yaml_shaped_noise_fails_cleanly(_: str, parts: list[str]) -> None:
    _run_case("".join(parts), ONTO)


SEED_LINKS = {
    "set": "fuzz-set",
    "relation": "function-technique",
    "title": "Fuzz",
    "ref": "michie2011",
    "status": "unverified",
    "profiles": ["bcw2014"],
    "links": [{"from": "if:training", "to": "bct:4.1", "grade": "most-frequent"}],
}
SEED_ENTITIES = {
    "kind": "technique",
    "entities": [
        {
            "id": "bcto:1",
            "label": "Fuzz technique",
            "definition": "For fuzzing.",
            "parent": "bctg:4",
            "ref": "michie2013",
        }
    ],
}


@settings(
    max_examples=max(EXAMPLES // 3, 20), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.one_of(mutated(SEED_LINKS), mutated(SEED_ENTITIES)))
def test_mutated_overlays_fail_cleanly(doc: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "overlay.yaml").write_text(_dump(doc), encoding="utf-8")
        try:
            load_ontology(folder)
        except CombmapError:
            pass


# --- self-assessment inputs: answers files and survey exports ---------------------------------

BANK = question_bank(ONTO)
ANSWERS_SEED = yaml.safe_load((DATA / "assess" / "answers.yaml").read_text())
SURVEY_LINES = (DATA / "assess" / "survey.csv").read_text().splitlines()
CSV_CELL = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12
) | st.sampled_from(["1", "5", "8", "9", "don't know", "q-know-duties", '"', '""', ",", "\r", "\n"])


@FUZZ
@given(mutated(ANSWERS_SEED))
def test_mutated_answer_files_fail_cleanly(doc: Any) -> None:
    try:
        _answers_from_yaml(parse_yaml(_dump(doc), "answers.yaml"), BANK)
    except CombmapError:
        pass


@FUZZ
@given(st.lists(st.lists(CSV_CELL, max_size=6), max_size=8))
def test_arbitrary_answer_csv_fails_cleanly(rows: list[list[str]]) -> None:
    try:
        _answers_from_csv("\n".join(",".join(row) for row in rows), "answers.csv", BANK)
    except CombmapError:
        pass


@FUZZ
@given(
    st.lists(st.integers(0, len(SURVEY_LINES) - 1), max_size=6),
    st.lists(CSV_CELL, max_size=5),
    st.integers(0, 40),
)
def test_mangled_survey_exports_fail_cleanly(drop: list[int], junk: list[str], cut: int) -> None:
    lines = [line for index, line in enumerate(SURVEY_LINES) if index not in drop]
    if lines:
        lines[-1] = lines[-1][: max(0, len(lines[-1]) - cut)]
    lines.append(",".join(junk))
    try:
        import_survey_text("\n".join(lines), "survey.csv", BANK)
    except CombmapError:
        pass
