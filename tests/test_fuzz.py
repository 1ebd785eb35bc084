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
from combmap.yamlio.parser import _parse_yaml, parse_yaml

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


def _parsed(text: str, *, located: bool) -> tuple[object, ...]:
    try:
        return ("data", repr(_parse_yaml(text, "f.yaml", located=located).data))  # repr: nan
    except CombmapError as error:
        return ("error", error.message, error.issues)


HOSTILE_YAML = st.lists(
    st.sampled_from(
        ["a:", " b", "- ", "[", "]", "{", "}", ": ", "&x ", "*x", "!!python/object ", "!!str ",
         "!!map ", "!!seq ", "!!int ", "<<: ", "'", '"', "\n", "\t", "#", "? ", "|", ">", "yes",
         "0o17", "017", "190:20:30", "2001-12-14", ".nan", "1_000", "a: 1\na: 2\n", "%YAML 1.2\n",
         "---\n", "..."]
    ),
    max_size=40,
).map("".join)


@FUZZ
@given(HOSTILE_YAML | mutated(SEED).map(_dump))
def test_the_fast_parse_answers_as_the_located_one(text: str) -> None:
    """parse_yaml records no lines (they are found again on demand): same data, same errors."""
    assert _parsed(text, located=False) == _parsed(text, located=True)


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


# --- overlays that collide with packaged data (issue 13 item 7) -------------------------------

PACKAGED_LINKS = sorted(ONTO.links, key=lambda link: (link.set, link.source, link.target))
PACKAGED_IDS = sorted(ONTO.entities)


@st.composite
def colliding_overlay(draw: st.DrawFn) -> dict[str, Any]:
    """Link sets repeating packaged links (same ends, other locator, grade, ref or status)
    and entities reusing packaged ids, labels or aliases."""
    relation = draw(st.sampled_from(sorted({link.relation.value for link in PACKAGED_LINKS})))
    same = [link for link in PACKAGED_LINKS if link.relation.value == relation]
    links = []
    for link in draw(st.lists(st.sampled_from(same), min_size=1, max_size=4)):
        entry: dict[str, Any] = {"from": link.source, "to": link.target}
        if draw(st.booleans()) and link.grade:
            entry["grade"] = draw(st.sampled_from([link.grade, "most-frequent", "less-frequent"]))
        if draw(st.booleans()) and link.via:
            entry["via"] = link.via
        links.append(entry)
    link_set: dict[str, Any] = {
        "set": draw(st.sampled_from(["clash", same[0].set])),
        "relation": relation,
        "title": "Collides",
        "ref": draw(st.sampled_from(["michie2014", "michie2011", "michie2013"])),
        "status": draw(st.sampled_from(["unverified", "verified", "secondary"])),
        "profiles": draw(st.lists(st.sampled_from(["bcw2011", "bcw2014"]), min_size=1, max_size=2)),
        "links": links,
    }
    locator = draw(st.one_of(st.none(), st.sampled_from(["Table 3.3", "Table 2", ""]), st.text(max_size=8)))
    if locator is not None:
        link_set["locator"] = locator
    taken = draw(st.sampled_from(PACKAGED_IDS))
    entity = {
        "id": draw(st.sampled_from([taken, "bcto:900", "header:policies", "legend:note0"])),
        "label": draw(st.sampled_from([ONTO.entities[taken].label, "New", "Knowledge"])),
        "definition": "Collides.",
        "parent": "bctg:4",
        "ref": "michie2013",
        "aliases": draw(st.lists(st.sampled_from(["C-Ps", "knowledge", "1.1", "bct:1.1"]), max_size=2)),
    }
    entities = {"kind": "technique", "entities": [entity]} if draw(st.booleans()) else None
    return {"links": link_set, "entities": entities}


@settings(max_examples=max(EXAMPLES // 3, 20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(colliding_overlay())
def test_colliding_overlays_fail_cleanly(overlay: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "links").mkdir()
        Path(folder, "links", "clash.yaml").write_text(_dump(overlay["links"]), encoding="utf-8")
        if overlay["entities"] is not None:
            Path(folder, "bct.yaml").write_text(_dump(overlay["entities"]), encoding="utf-8")
        try:
            onto = load_ontology(folder)
        except CombmapError:
            return
        from combmap.render import export_csv, export_graphml, export_json

        export_json(onto), export_csv(onto), export_graphml(onto)
        _run_case((CASES / "baxter-2020-cvso.yaml").read_text(), onto)


# --- special-file outputs (issue 13 item 5) ---------------------------------------------------

TARGETS = ["new", "regular", "symlink", "dangling", "directory", "fifo", "long", "leftover", "in-missing-folder"]


@FUZZ
@given(st.sampled_from(TARGETS), st.binary(max_size=2000) | st.text(max_size=500))
def test_outputs_to_any_kind_of_path(kind: str, data: str | bytes) -> None:
    import threading

    from combmap.errors import OutputError
    from combmap.output import write_output

    payload = data.encode("utf-8") if isinstance(data, str) else data
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        target = folder / ("n" * 250 if kind == "long" else "out.txt")
        real = folder / "real.txt"
        got: list[bytes] = []
        reader = None
        if kind == "regular":
            target.write_text("old")
        elif kind in ("symlink", "dangling"):
            if kind == "symlink":
                real.write_text("old")
            target.symlink_to(real)
        elif kind == "directory":
            target.mkdir()
        elif kind == "fifo":
            os.mkfifo(target)
            reader = threading.Thread(target=lambda: got.append(target.read_bytes()))
            reader.start()
        elif kind == "leftover":
            leftover = folder / ".out.txt.zzzz9999.tmp"
            leftover.write_text("half")
            os.utime(leftover, (0, 0))
        elif kind == "in-missing-folder":
            target = folder / "missing" / "out.txt"
        try:
            write_output(target, data)
        except OutputError:
            assert kind in ("directory", "in-missing-folder"), kind
            return
        finally:
            if reader is not None:
                reader.join(5)
        if kind == "fifo":
            assert got == [payload] and target.is_fifo()
        elif kind in ("symlink", "dangling"):
            assert target.is_symlink() and real.read_bytes() == payload
        else:
            assert target.read_bytes() == payload
        assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
