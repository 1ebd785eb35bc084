"""Broken-ontology fixtures, one defect per directory, each with its exact located message."""

from __future__ import annotations

from pathlib import Path

import pytest

from combmap import OntologyError, load_ontology
from combmap.errors import InputError

from .conftest import DATA, TINY

BROKEN = DATA / "broken"

CASES = {
    "alias-clash": (
        "bct.yaml",
        3,
        "entities[0].aliases",
        "the name 'c-ps' also names 'comb:psychological-capability' ({tiny}/comb.yaml:5); names must be unique",
    ),
    "bad-id": (
        "bct.yaml",
        3,
        "entities[0].id",
        "'BCT 1.1' is not a valid id: use a lower-case prefix, a colon and a local part, e.g. 'tdf:knowledge' or 'bct:1.1'",
    ),
    "dangling-link": (
        "links.yaml",
        8,
        "links[0].to",
        "unknown id 'if:educaton'; did you mean 'if:education'?",
    ),
    "domain-without-component": (
        "tdf.yaml",
        3,
        "entities[0].id",
        "TDF domain 'tdf:goals' maps to no COM-B component; add a domain-component link",
    ),
    "duplicate-id": (
        "extra.yaml",
        3,
        "entities[0].id",
        "duplicate id 'comb:capability': already defined at {tiny}/comb.yaml:3; add 'replaces: true' to replace it",
    ),
    "missing-grade": (
        "links.yaml",
        8,
        "links[0].grade",
        "a function-technique link needs 'grade': most-frequent, less-frequent, listed (got None)",
    ),
    "not-an-ontology-file": (
        "notes.yaml",
        1,
        "",
        "not an ontology file (keys: text, title); expected 'kind' + 'entities', 'references', or a link set with 'set' and 'links'",
    ),
    "technique-group-is-technique": (
        "bct.yaml",
        3,
        "entities[0].parent",
        "parent 'bct:4.1' is a technique; expected a top-level group",
    ),
    "technique-without-group": (
        "bct.yaml",
        3,
        "entities[0].id",
        "technique 'bct:1.1' is in no group; set 'parent' to a bctg: id",
    ),
    "unknown-key": (
        "bct.yaml",
        4,
        "entities[0].lable",
        "unknown key 'lable'; did you mean 'label'? (allowed: aliases, constructs, definition, definition_ref, example, id, label, locator, note, parent, plain, ref, replaces, status, xrefs)",
    ),
    "unknown-profile": (
        "links.yaml",
        6,
        "profiles[0]",
        "unknown profile 'mian'; did you mean 'main'?",
    ),
    "unknown-source": ("links.yaml", 4, "ref", "unknown reference 'srcc'; did you mean 'src'?"),
    "unknown-status": (
        "links.yaml",
        5,
        "status",
        "expected 'verified', 'secondary' or 'unverified' (got 'probably')",
    ),
    "wrong-link-type": (
        "links.yaml",
        8,
        "links[0].from",
        "'tdf:knowledge' is a domain; this relation needs a component here",
    ),
}


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(p.name for p in BROKEN.iterdir() if p.is_dir()) == sorted([*CASES, "bad-yaml"])


@pytest.mark.parametrize("defect", sorted(CASES))
def test_defect_gives_one_located_message(defect: str) -> None:
    file, line, path, message = CASES[defect]
    with pytest.raises(OntologyError) as caught:
        load_ontology(BROKEN / defect, base=TINY)
    issues = caught.value.issues
    assert len(issues) == 1, [str(i) for i in issues]
    issue = issues[0]
    assert issue.file == str(BROKEN / defect / file)
    assert (issue.line, issue.path, issue.message) == (line, path, message.format(tiny=TINY))


def test_bad_yaml_names_file_and_line() -> None:
    with pytest.raises(OntologyError) as caught:
        load_ontology(BROKEN / "bad-yaml", base=TINY)
    [issue] = caught.value.issues
    assert issue.file == str(BROKEN / "bad-yaml" / "bct.yaml")
    assert issue.line == 4
    assert issue.message.startswith("not valid YAML")


def test_all_problems_are_collected_before_failing(tmp_path: pytest.TempPathFactory) -> None:
    import shutil
    from pathlib import Path

    overlay = Path(str(tmp_path))
    for defect in ("dangling-link", "unknown-key"):
        shutil.copy(
            BROKEN / defect / next(iter(p.name for p in (BROKEN / defect).iterdir())),
            overlay / f"{defect}.yaml",
        )
    with pytest.raises(OntologyError) as caught:
        load_ontology(overlay, base=TINY)
    assert len(caught.value.issues) == 2


def test_replaces_lets_an_overlay_override(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    overlay = Path(str(tmp_path))
    (overlay / "comb.yaml").write_text(
        "kind: component\nentities:\n"
        "  - {id: comb:capability, label: Capability, definition: Overridden., ref: src, replaces: true}\n"
    )
    onto = load_ontology(overlay, base=TINY)
    assert onto["comb:capability"].definition == "Overridden."
    assert onto.version == "0.0.1+overlay"


def test_missing_overlay_directory_is_an_input_error() -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_ontology(DATA / "no-such-dir", base=TINY)


def test_walkthrough_overlay_adds_a_technique_and_a_sourced_link() -> None:
    """The overlay docs/ontology.md walks through."""
    onto = load_ontology(DATA / "overlay-example")
    technique = onto.resolve("tell to change behaviour")
    assert technique.id == "bcto:007077" and technique.parent == "bctg:4"
    [link] = list(onto.links_of("bcto:007077"))
    assert (link.source, link.ref, link.status.value) == ("if:persuasion", "ourteam2026", "unverified")
    assert link in onto.profile("bcw2014").links


def test_an_overlay_reports_every_problem_in_one_run(tmp_path: Path) -> None:
    """Issue 15 item 7: YAML, schema, codes, duplicates and references at once, by file and line.

    An entry with a schema problem is left out and the rest of its file is still checked; a use
    of the left-out entry says so instead of calling its id unknown.
    """
    (tmp_path / "a.yaml").write_text(
        "kind: technique\nentities:\n"
        "  - {id: bct:9.9, lable: Typo, label: Broken, definition: D., parent: bctg:4, ref: src}\n"
        "  - {id: bct:9.8, label: Bad parent, definition: D., parent: bctg:44, ref: src}\n"
    )
    (tmp_path / "b.yaml").write_text("kind: technique\nentities: [ {id: x\n")
    (tmp_path / "dup.yaml").write_text(
        "kind: component\nentities:\n  - {id: comb:capability, label: Again, definition: D., ref: src}\n"
    )
    (tmp_path / "links.yaml").write_text(
        "set: extra\nrelation: component-function\ntitle: Extra\nref: srcc\nstatus: verified\n"
        "profiles: [main]\nlinks:\n  - {from: comb:psychological-capability, to: if:educaton}\n"
    )
    with pytest.raises(OntologyError) as caught:
        load_ontology(tmp_path, base=TINY)
    got = [(Path(i.file).name, i.line, i.path, i.message.split(";")[0].split(":")[0]) for i in caught.value.issues]
    assert got == [
        ("a.yaml", 3, "entities[0].lable", "unknown key 'lable'"),
        ("a.yaml", 4, "entities[1].parent", "unknown id 'bctg"),
        ("b.yaml", 3, "", "not valid YAML"),
        ("dup.yaml", 3, "entities[0].id", "duplicate id 'comb"),
        ("links.yaml", 4, "ref", "unknown reference 'srcc'"),
        ("links.yaml", 8, "links[0].to", "unknown id 'if"),
    ]


def test_a_use_of_a_broken_entry_is_not_called_unknown(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "kind: function\nentities:\n  - {id: if:extra, lable: Typo, label: Extra, definition: D., ref: src}\n"
    )
    (tmp_path / "links.yaml").write_text(
        "set: extra\nrelation: component-function\ntitle: Extra\nref: src\nstatus: verified\n"
        "profiles: [main]\nlinks:\n  - {from: comb:psychological-capability, to: if:extra}\n"
    )
    with pytest.raises(OntologyError) as caught:
        load_ontology(tmp_path, base=TINY)
    messages = [i.message for i in caught.value.issues]
    assert len(messages) == 2 and "unknown key 'lable'" in messages[0]
    assert messages[1] == "'if:extra' cannot be used: its own entry has problems (listed with it)"
