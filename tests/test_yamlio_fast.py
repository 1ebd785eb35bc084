"""Issue 14: the yaml-rs parse answers exactly as libyaml and combmap's reader do, or stands aside.

The reference is the located parse (`_parse_yaml(located=True)`), which composes with libyaml
and never takes the fast path. Every text here is either left to libyaml (`SLOW`) or read
to the same data, with the same types (compared by repr, so that `1` is not `True` and
`nan` equals itself).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from combmap.errors import InputError
from combmap.yamlio import MAX_DEPTH, fast
from combmap.yamlio.parser import _parse_yaml, parse_yaml

from .conftest import CASES, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import gen_cases

#: As in tests/test_fuzz.py, COMBMAP_FUZZ_EXAMPLES runs a longer campaign.
FUZZ = settings(
    max_examples=2 * int(os.environ.get("COMBMAP_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _libyaml(text: str) -> tuple[str, ...]:
    """What combmap's libyaml reader makes of `text`: its data, or that it refuses it."""
    try:
        return ("data", repr(_parse_yaml(text, "t.yaml", located=True).data))
    except InputError:
        return ("refused",)


def _same_or_slow(text: str) -> bool:
    """The fast path's answer, if it gives one, is libyaml's."""
    data = fast.fast_data(text)
    return data is fast.SLOW or ("data", repr(data)) == _libyaml(text)


def test_the_shipped_and_generated_cases_take_the_fast_path(tmp_path: Path) -> None:
    """The speed is real only if typical cases are read by yaml-rs: each shipped case and a
    run of generated ones are, to libyaml's data."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(CASES.glob("*.yaml"))]
    gen_cases.generate(40, tmp_path)
    texts += [p.read_text(encoding="utf-8") for p in sorted(tmp_path.rglob("*.yaml"))]
    for text in texts:
        data = fast.fast_data(text)
        assert data is not fast.SLOW
        assert ("data", repr(data)) == _libyaml(text)


#: Texts where yaml-rs, left to itself, reads something else than combmap's reader (other
#: data, or data where combmap refuses the text): each rule of `fast._refused` or
#: `fast._checked` stands for some of them.
DIFFERENT = [
    "a: 017\n",  # octal to libyaml: 15
    "a: 08\n",  # text to libyaml
    "a: -017\n",
    "a: 0o17\n",  # text to libyaml (YAML 1.1 has no 0o)
    "a: 0b11\n",
    "a: 1e3\n",  # text to libyaml (YAML 1.1 floats need a dot and a signed exponent)
    "a: 1.5e3\n",
    "a: 12e03\n",
    "a: +.5\n",
    "a: 1_000\n",
    "a: .Nan\n",  # text to libyaml, not a number
    ".iNF: a\n",
    "a: _1\n",
    "a: [_.1]\n",
    "a: &x 1\nb: *x\n",  # an alias, expanded by yaml-rs
    "a: !foo 1\n",  # a tag
    "<<: {a: 1}\n",  # a merge key
    "a: =\n",  # the value key, refused by combmap
    "a: 1\n---\nb: 2\n",  # two documents: a list to yaml-rs
    "a: 1\n...\nb: 2\n",
    "1: a\n'1': b\n",  # the same key once both are text
    "a: b\u2028c\n",  # a line break to libyaml
    "a: b\x85c\n",
    "\ufeffa: 1\n",  # a byte-order mark, kept by yaml-rs
    ": x\n",  # an empty key
    "a: |\n",  # an empty block scalar: a line break to yaml-rs
    "a: >\n",
    "a: |\n  x",  # no line break at the end
    "{TRUE::}\n",  # colons in flow collections
    "- {:x}\n",
    "a: [?:x-]\n",
    "{a\n b: c}\n",  # a key over two lines
]


@pytest.mark.parametrize("text", DIFFERENT)
def test_where_the_parsers_differ_the_fast_path_stands_aside(text: str) -> None:
    import yaml_rs

    try:
        raw: tuple[str, ...] = ("data", repr(yaml_rs.loads(text, parse_datetime=False)))
    except Exception:
        raw = ("refused",)
    assert raw != _libyaml(text)  # the difference is real (not both refusing): a rule is needed
    assert fast.fast_data(text) is fast.SLOW


@pytest.mark.parametrize(
    "text",
    [
        "a: 15\nb: -3\nc: 0\nd: 1.5\ne: .5\nf: 1.\ng: +7\n",
        "a: true\nb: False\nc: TRUE\nd: yes\ne: on\nf: ~\ng:\nh: null\ni: Null\n",
        "a: 123456789012345678901234567890\nb: -0\nc: [1, 2.5]\n",
        "1: a\nfalse: b\n1.5: c\n~x: d\n",
        "a: ['tdf:knowledge', \"bct:1.1\", plain words, 3]\nb: {id: x, label: 'it''s', n: [1, 2]}\n",
        "a: \"\\x41\\u00c9\\N\\_\\t\"\nb: 'x\n  y'\n",
        "a: x # comment\nb: y\r\nc: z\r\n",
        "? a\n: 1\n",
        "a: 2024-01-02\nb: 10:30\n",
    ],
)
def test_plain_data_is_read_by_yaml_rs_as_libyaml_reads_it(text: str) -> None:
    data = fast.fast_data(text)
    assert data is not fast.SLOW
    assert ("data", repr(data)) == _libyaml(text)


#: Tokens that YAML 1.1 and 1.2 may type differently: numbers, booleans, null.
_TOKEN = st.lists(
    st.sampled_from(
        [*list("0123456789.eE+-_xXoObB:abcdfn ~"), "inf", "nan", "Inf", "NaN", "true", "True", "TRUE", "null", "Null", "yes", "0x", "1e"]
    ),
    min_size=1,
    max_size=6,
).map("".join)
_PLACES = st.sampled_from(
    ["a: {}\n", "- {}\n", "{}\n", "{}: a\n", "a: [{}]\n", "a: [x, {}]\n", "a: {{k: {}}}\n", "a: {{{}: k}}\n", "a: {} # c\n"]
)


@FUZZ
@given(_PLACES, _TOKEN)
def test_scalars_are_typed_as_libyaml_and_combmap_type_them(place: str, token: str) -> None:
    assert _same_or_slow(place.format(token))


_PARTS = st.sampled_from(
    ["a:", " b", "- ", "[", "]", "{", "}", ": ", ", ", ",", ":", "::", "'", '"', "'x'", '"y"', "\n", "\r\n", "\n  ",
     "\n- ", "  ", "#", " #", "? ", "?", "|", ">", "|-", "yes", "TRUE", "~", "0", "1", "7", ".", "e", "+", "-",
     "_", "x", "x y", "0x", "\\", "\\n", "\\x41", "é", "“", "\u00a0", "\u0085", "\ufeff", "@", "`", "%", "&x ",
     "*x", "!!str ", "<<: ", "=", "---\n", "...", "[]", "{}", "k1: v\n", "k2:\n  - x\n"]
)


@FUZZ
@given(st.lists(_PARTS, max_size=30).map("".join))
def test_yaml_shaped_noise_is_read_alike_or_left_to_libyaml(text: str) -> None:
    assert _same_or_slow(text)


_SEED = (CASES / "baxter-2020-cvso.yaml").read_text(encoding="utf-8")


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(_SEED)),
            st.integers(0, 3),
            st.sampled_from([*list(" \n:-[]{},#'\"?|>&*!%@`=<~.0123456789eE_x\t\r“é\\"), ": ", "- ", "\n  "]),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_edited_cases_are_read_alike_or_left_to_libyaml(edits: list[tuple[int, int, str]]) -> None:
    text = _SEED
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut :]
    assert _same_or_slow(text)


def test_deep_nesting_never_reaches_yaml_rs() -> None:
    """yaml-rs recurses on the stack and crashes the process (not an exception) at 20,000
    levels on a main thread, 400 to 800 on a 512 KiB one: such text must stay with libyaml,
    whose depth check does not recurse. A crash here ends the test run."""
    with pytest.raises(InputError, match="nesting deeper"):
        parse_yaml("- " * 100_000 + "x\n", "deep.yaml")
    with pytest.raises(InputError, match="nesting deeper"):
        parse_yaml("".join(" " * i + "a:\n" for i in range(MAX_DEPTH + 5)), "deep.yaml")
    answers: list[Any] = []

    def read() -> None:
        answers.append(fast.fast_data("- " * 2_000 + "x\n"))

    previous = threading.stack_size(512 * 1024)
    try:
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(previous)
    assert answers == [fast.SLOW]


def test_without_yaml_rs_libyaml_reads_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (CASES / "baxter-2020-cvso.yaml").read_text(encoding="utf-8")
    expected = parse_yaml(text, "baxter.yaml").data
    monkeypatch.setattr(fast, "yaml_rs", None)
    assert fast.fast_data(text) is fast.SLOW
    assert parse_yaml(text, "baxter.yaml").data == expected


def test_a_panic_in_yaml_rs_is_left_to_libyaml_but_an_interrupt_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml_rs

    class PanicException(BaseException):  # pyo3's, which is not an Exception
        pass

    def panic(*_: Any, **__: Any) -> Any:
        raise PanicException("bug")

    monkeypatch.setattr(yaml_rs, "loads", panic)
    assert fast.fast_data("a: 1\n") is fast.SLOW
    assert parse_yaml("a: 1\n", "t.yaml").data == {"a": 1}

    def interrupted(*_: Any, **__: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(yaml_rs, "loads", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fast.fast_data("a: 1\n")


def test_one_case_never_loads_yaml_rs_but_many_files_do() -> None:
    """Loading yaml-rs and its rules costs more than it saves on one case: a command that
    reads one case (or the packaged ontology) does not; a run over many files does, and
    aggregate says so before forking its workers."""
    import subprocess

    program = (
        "import sys\n"
        "from combmap.yamlio.parser import expect, parse_yaml\n"
        f"text = open({str(CASES / 'baxter-2020-cvso.yaml')!r}, encoding='utf-8').read()\n"
        "seen = []\n"
        "for count in (1, 24, 40):\n"
        "    for _ in range(count):\n"
        "        parse_yaml(text, 'baxter.yaml')\n"
        "    seen.append('yaml_rs' in sys.modules)\n"
        "print(seen)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[False, False, True]"
    told = "from combmap.yamlio.parser import expect; import sys; expect(5); a = 'yaml_rs' in sys.modules; expect(1000); print(a, 'yaml_rs' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", told], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False True"
