"""The safe YAML reader refuses what plain data does not need, and writes are atomic."""

from __future__ import annotations

from pathlib import Path

import pytest

from combmap.errors import InputError, OutputError
from combmap.yamlio import MAX_BYTES, MAX_DEPTH, write_atomic
from combmap.yamlio.parser import parse_yaml, read_yaml


def test_lines_are_recorded_for_key_paths() -> None:
    doc = parse_yaml("a: 1\nb:\n  - x\n  - {c: 2}\n", "t.yaml")
    assert doc.data == {"a": 1, "b": ["x", {"c": 2}]}
    assert doc.line(("b", 1, "c")) == 4
    assert doc.line(("b", 0)) == 3
    assert doc.line(("b", 7, "zzz")) == 2


def test_lines_found_on_demand_are_those_recorded_while_parsing() -> None:
    from combmap.yamlio.parser import _parse_yaml

    text = (Path(__file__).parent.parent / "cases" / "baxter-2020-cvso.yaml").read_text()
    lazy = parse_yaml(text, "baxter.yaml")
    assert lazy.locate is not None and lazy.lines == {(): 1}  # nothing recorded yet
    eager = _parse_yaml(text, "baxter.yaml", located=True)
    assert lazy.data == eager.data
    assert lazy.line(("barriers", 3, "tdf", 0)) == eager.line(("barriers", 3, "tdf", 0))
    assert lazy.lines == eager.lines and len(lazy.lines) > 100 and lazy.locate is None


def test_aliases_are_refused_so_alias_bombs_cannot_expand() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    with pytest.raises(InputError) as caught:
        parse_yaml(bomb, "bomb.yaml")
    assert "anchors and aliases" in caught.value.issues[0].message


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system [echo hi]\n",
        "a: !!python/name:os.system\n",
        "a: !custom 3\n",
    ],
)
def test_object_tags_are_never_honoured(text: str) -> None:
    with pytest.raises(InputError, match="plain YAML"):
        parse_yaml(text, "t.yaml")


def test_merge_keys_are_refused() -> None:
    with pytest.raises(InputError):
        parse_yaml("a: {x: 1}\nb:\n  <<: {y: 2}\n", "t.yaml")


def test_deep_nesting_is_refused() -> None:
    text = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    with pytest.raises(InputError, match="nesting"):
        parse_yaml(text, "deep.yaml")


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(InputError, match="appears twice"):
        parse_yaml("a: 1\na: 2\n", "t.yaml")


def test_read_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_yaml(tmp_path / "missing.yaml")
    with pytest.raises(InputError, match="is a directory"):
        read_yaml(tmp_path)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\x00\x01\x02garbage")
    with pytest.raises(InputError, match="binary"):
        read_yaml(binary)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("text: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_yaml(latin)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    with pytest.raises(InputError, match="bytes"):
        read_yaml(big)


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_write_atomic_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "out.txt", "x")


SCALARS = """\
a: [yes, Yes, NO, on, Off, y, n, true, False, ~, null, Null, '', "", 'yes', "on"]
b: [0o17, 017, 0x1F, 1_000, 190:20:30, -1.5e+3, .inf, -.Inf, .NaN, 1e3, 1.0e3, 6.8523015e+5]
c: [2001-12-14, 2001-12-14t21:59:43.10-05:00, 2002-12-14 21:59:43.10 -5, '2001-12-14', 12:30]
d: ['=', '-', +1, "+1", 0b1010, 0, -0, 00, 09, 1.2.3, 3., .5]
"""


def test_remembered_tag_resolution_is_pyyaml_resolution() -> None:
    """Issue 14: the loader remembers resolved tags; every tag is exactly PyYAML's.

    (Values then follow YAML 1.2's core schema, issue 15: tests/test_schemas.py.)
    """
    import yaml

    from combmap.yamlio.parser import _Loader

    def tags(node: yaml.Node | None) -> list[str]:
        assert node is not None
        if isinstance(node, yaml.ScalarNode):
            return [node.tag]
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = [part for pair in node.value for part in pair]
        return [node.tag, *(t for child in children for t in tags(child))]

    expected = tags(yaml.compose(SCALARS, Loader=yaml.SafeLoader))  # pure-Python PyYAML
    _Loader._memo.clear()
    first = tags(yaml.compose(SCALARS, Loader=_Loader))
    second = tags(yaml.compose(SCALARS, Loader=_Loader))  # now from the memo
    assert first == expected and second == expected
    assert len(set(expected)) > 5  # bool, int, float, timestamp, null and str all occur



HOSTILE = [
    SCALARS,
    "a: &a [x]\nb: *a\n",
    "a: !!python/object/apply:os.system [echo hi]\n",
    "a: !custom 3\n",
    "a: {x: 1}\nb:\n  <<: {y: 2}\n",
    "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5),
    "- " * (MAX_DEPTH + 2) + "x\n",
    "a: 1\na: 2\n",
    "a:\n  b: 1\n  b: 2\n",
    "? [a]\n: 1\n",
    "1: a\n'1': b\n",
    "a: !!str [x]\nb: !!map x\n",
    "a: !!binary aGk=\n",
    "a: [1, 2\n",
    "a: \x07\n",
    "",
    "just text",
    "a: &a x\n",
    "a: !!str 1\n",
    "a: ! 1\n",
    "--- a\n--- b\n",
    "---\n...\n",
    "~: 1\nnull: 2\n",
    "1: a\n1.0: b\ntrue: c\n2001-12-14: d\n",
    "? a\n",
    "a: |\n  yes\nb: >\n  017\n",
    "- " * MAX_DEPTH + "x\n",
    "- " * (MAX_DEPTH + 1) + "x\n",
    "[" * MAX_DEPTH + "]" * MAX_DEPTH,
    "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n#" + "-" * 5_000,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_the_fast_parse_answers_as_the_located_one(text: str) -> None:
    """parse_yaml records no lines (found again on demand): the same data or the same error."""
    from combmap.yamlio.parser import _parse_yaml

    def parsed(located: bool) -> tuple[object, ...]:
        try:
            return ("data", repr(_parse_yaml(text, "t.yaml", located=located).data))
        except Exception as error:  # whatever escapes must escape both ways
            return (type(error).__name__, str(error), getattr(error, "issues", None))

    assert parsed(False) == parsed(True)


@pytest.mark.parametrize(
    "text",
    [
        SCALARS,
        "a: [x, {b: c, 1: 2, ~: 3}]\nd: ''\ne: |\n  yes\n",
        "- " * (MAX_DEPTH - 1) + "x\n",
        "",
        "# only a comment\n",
        "just text",
        (Path(__file__).parent.parent / "cases" / "baxter-2020-cvso.yaml").read_text(),
    ],
)
def test_plain_data_is_built_from_events_without_composing(text: str) -> None:
    """The event path itself (not a fall-back to the composer) makes the composer's data."""
    from combmap.yamlio.parser import _parse_yaml, _plain

    assert repr(_plain(text)) == repr(_parse_yaml(text, "t.yaml", located=True).data)


@pytest.mark.parametrize("text", ["a: &a x\n", "a: !!str 1\n", "a: 1\na: 2\n", "--- a\n--- b\n"])
def test_the_event_path_leaves_anchors_tags_and_duplicates_to_the_composer(text: str) -> None:
    from combmap.yamlio.parser import _ComposeError, _plain

    with pytest.raises(_ComposeError):
        _plain(text)


@pytest.mark.parametrize("size", [0, 1, 65_535, 65_536, 65_537, 200_000])
def test_read_at_most_reads_a_whole_file_or_stops_one_past_the_limit(tmp_path: Path, size: int) -> None:
    """Files are read in pieces (not one buffer of the limit): whole below it, limit + 1 above."""
    from combmap.yamlio import read_at_most

    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    with path.open("rb") as handle:
        assert read_at_most(handle, 10**6) == data
    with path.open("rb") as handle:
        assert read_at_most(handle, 70_000) == data[:70_000]
    with open("/dev/zero", "rb") as zero:  # a device with no size: pieces until the limit
        assert read_at_most(zero, 150_001) == b"\0" * 150_001


def test_the_event_path_leaves_no_cycles_for_the_collector() -> None:
    """aggregate pauses the collector over a unit of files: a cycle per parse (a recursive
    closure holding the loader and the text) kept every file alive until the unit's end."""
    import gc

    from combmap.yamlio.parser import _plain

    text = (Path(__file__).parent.parent / "cases" / "baxter-2020-cvso.yaml").read_text()
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            _plain(text)
        assert gc.collect() == 0
    finally:
        gc.enable()
