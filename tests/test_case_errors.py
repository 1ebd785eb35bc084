"""Case files: every bad input is a located CaseError with a did-you-mean where one helps."""

from __future__ import annotations

from pathlib import Path

import pytest

from combmap import CaseError, Ontology, load_case
from combmap.errors import InputError

from .conftest import DATA

GOOD = (DATA / "cases" / "tiny.yaml").read_text()


def _load(tmp_path: Path, text: str, tiny: Ontology) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    load_case(path, tiny)


def _issues(tmp_path: Path, text: str, tiny: Ontology) -> list[tuple[int | None, str, str]]:
    with pytest.raises(CaseError) as caught:
        _load(tmp_path, text, tiny)
    return [(i.line, i.path, i.message) for i in caught.value.issues]


def test_good_case_loads(tiny: Ontology) -> None:
    case = load_case(DATA / "cases" / "tiny.yaml", tiny)
    assert [b.id for b in case.barriers] == ["duties", "peers", "rooms"]
    assert case.barriers[0].domains == ("tdf:knowledge",)
    assert case.barriers[2].components == ("comb:physical-opportunity",)
    assert case.exclusions[0].criteria == ("apease:affordability",)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "tdf: [knowledge]",
            "tdf: [knowlege]",
            (
                12,
                "barriers[0].tdf[0]",
                "unknown domain 'knowlege'; did you mean 'tdf:knowledge' (Knowledge)?",
            ),
        ),
        (
            "comb: [O-Ph]",
            "comb: [opportunity]",
            (
                17,
                "barriers[1].comb[0]",
                "'opportunity' is too broad; code one of comb:physical-opportunity",
            ),
        ),
        (
            "group: staff",
            "group: staf",
            (
                14,
                "barriers[0].group",
                "unknown group 'staf'; did you mean 'staff'? (groups: staff)",
            ),
        ),
        (
            "frequency: 3",
            "frequency: many",
            (
                13,
                "barriers[0].frequency",
                "expected a whole number (got 'many')",
            ),
        ),
        (
            "frequency: 3",
            "frequncy: 3",
            (
                13,
                "barriers[0].frequncy",
                "unknown key 'frequncy'; did you mean 'frequency'? (allowed: behaviour, comb, evidence, frequency, group, id, kind, locator, notes, tdf, text, theme, weight)",
            ),
        ),
        (
            "kind: enabler",
            "kind: helper",
            (
                20,
                "barriers[2].kind",
                "expected 'barrier', 'enabler', 'both' or 'outcome' (got 'helper')",
            ),
        ),
        (
            "id: if:training",
            "id: if:trainng",
            (
                24,
                "options.exclude[0].id",
                "unknown function, mode of delivery, policy or technique 'if:trainng'; did you mean 'if:training' (Training)?",
            ),
        ),
        (
            "  - id: rooms",
            "  - id: duties",
            (15, "barriers[1].id", "duplicate barrier id 'duties': also barriers[0]"),
        ),
        (
            "  - id: rooms",
            "  - id: Rooms 2",
            (
                15,
                "barriers[1].id",
                "'Rooms 2' is not a valid id: use lower-case letters, digits and hyphens, e.g. 'statutory-duties'",
            ),
        ),
        (
            "    comb: [O-Ph]\n",
            "",
            (15, "barriers[1]", "barrier 'rooms' has no codes; add 'tdf' and/or 'comb'"),
        ),
        (
            "  target: Staff run sessions for people with lived experience\n",
            "",
            (5, "behaviour", "is empty; expected a mapping of keys to values"),
        ),
    ],
)
def test_bad_case_gives_one_located_message(
    tmp_path: Path, tiny: Ontology, old: str, new: str, expected: tuple[int, str, str]
) -> None:
    assert old in GOOD
    assert _issues(tmp_path, GOOD.replace(old, new, 1), tiny) == [expected]


def test_unknown_profile(tmp_path: Path, tiny: Ontology) -> None:
    text = GOOD.replace("options:\n", "options:\n  profile: mian\n")
    assert _issues(tmp_path, text, tiny) == [
        (23, "options.profile", "unknown profile 'mian'; did you mean 'main'? (known: lean, main)")
    ]


def test_apease_fail_excludes_with_reason(tmp_path: Path, tiny: Ontology) -> None:
    from combmap import make_plan

    text = GOOD + "  apease:\n    if:enablement: {equity: fail, affordability: pass}\n"
    path = tmp_path / "case.yaml"
    path.write_text(text)
    plan = make_plan(load_case(path, tiny), tiny)
    assert "if:enablement" not in [f.id for f in plan.functions]
    excluded = {i.id: i for i in plan.excluded}
    assert excluded["if:enablement"].reason == "fails APEASE: Equity"
    assert excluded["if:enablement"].criteria == ["apease:equity"]
    assert "if:enablement" not in plan.selected
    assert all(f.id != "if:enablement" for chain in plan.barriers for f in chain.functions)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "the file is a list"),
        ("case: [\n", "not valid YAML"),
    ],
)
def test_not_a_case(tmp_path: Path, tiny: Ontology, text: str, message: str) -> None:
    with pytest.raises((CaseError, InputError)) as caught:
        _load(tmp_path, text, tiny)
    assert message in str(caught.value)


def test_no_barriers(tmp_path: Path, tiny: Ontology) -> None:
    text = "case: {id: x, title: X}\nbehaviour: {target: T}\nbarriers: []\n"
    assert _issues(tmp_path, text, tiny) == [(3, "barriers", "add at least one barrier or enabler")]


def test_schema_and_code_problems_are_reported_in_one_run(tmp_path: Path) -> None:
    """Issue 15 item 7: a key typo used to hide the unknown codes until the next run."""
    from combmap import load_ontology

    path = tmp_path / "c.yaml"
    path.write_text(
        "case: {id: x, title: y}\nbehaviour: {target: t}\ngroups: [{id: staff, label: Staff}]\n"
        "barriers:\n"
        "- {id: b1, text: x, tdf: [knowlege], frequncy: 3}\n"
        "- {id: b2, text: y, comb: [reflective-motivaton], group: stafff}\n"
        "- {id: b1, text: z, tdf: [skills], weight: -1}\n",
        encoding="utf-8",
    )
    with pytest.raises(CaseError) as caught:
        load_case(path, load_ontology())
    lines = [i.line or 0 for i in caught.value.issues]
    assert lines == sorted(lines)
    text = "\n".join(str(i) for i in caught.value.issues)
    for needle in ("unknown key 'frequncy'", "unknown domain 'knowlege'", "reflective-motivaton", "unknown group 'stafff'", "duplicate barrier id 'b1'", "greater than 0"):
        assert needle in text, (needle, text)


def test_repeated_lists_of_codes_are_resolved_and_located_each_time(
    tmp_path: Path, tiny: Ontology
) -> None:
    """Lists of codes are remembered once good; a bad list repeated is reported where each is."""
    text = GOOD.replace(
        "options:",
        "  - {id: again, text: Again, tdf: [knowledge], comb: [O-Ph]}\n"
        "  - {id: twice, text: Twice, tdf: [knowledge], comb: [O-Ph]}\n"
        "options:",
    )
    case = load_case(_write(tmp_path, text), tiny)
    assert {b.id: (b.domains, b.components) for b in case.barriers}["twice"] == (
        ("tdf:knowledge",),
        ("comb:physical-opportunity",),
    )
    bad = text.replace("comb: [O-Ph]}", "comb: [opportunity]}")
    found = _issues(tmp_path, bad, tiny)
    assert [(line, path) for line, path, _ in found] == [
        (22, "barriers[3].comb[0]"),
        (23, "barriers[4].comb[0]"),
    ]
    assert all("too broad" in message for _, _, message in found)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    return path


def test_every_barrier_after_an_unknown_group_is_still_checked(tmp_path: Path, tiny: Ontology) -> None:
    """Each barrier is checked with the same code lists: an error in one does not change the next."""
    text = GOOD.replace("    group: staff\n", "    group: stafff\n").replace(
        "    comb: [O-Ph]\n", "    comb: [O-Ph]\n    group: nobody\n"
    ).replace("    tdf: [ECR]\n", "    tdf: [ECRR]\n")
    found = _issues(tmp_path, text, tiny)
    messages = [message for _, _, message in found]
    assert any("unknown group 'stafff'" in m for m in messages)
    assert any("unknown group 'nobody'" in m for m in messages)
    assert any("ECRR" in m for m in messages)
