"""A faster parse for plain YAML that libyaml reads the same way: yaml-rs, a Rust parser.

yaml-rs (over the saphyr crate) builds a document's data in one call, three to four times
faster than libyaml's event stream, which was more than half of `aggregate`'s time a case. But it
reads YAML 1.2, not libyaml's 1.1, and it is not combmap's reader: it expands aliases, takes
`<<` as a plain key, reads `017` as 17 and `1e3` and `0b11` as numbers (combmap: 15, text,
text), keeps a byte-order mark, gives an empty block scalar a line break, and accepts some
layouts libyaml refuses (an empty key, a key over two lines in a flow mapping).

So it reads only text that cannot show any difference seen between the two (`_refused`), and
its data is checked (`_checked`): anything refused, or that yaml-rs cannot parse, is read by
libyaml as before, which also locates every error. Each rule below stands for differences
found by reading both parsers' output on the same text (tests/test_yamlio_fast.py compares
them on every text it makes, and lists each difference; tests/test_yamlio.py and
tests/test_fuzz.py compare the fast parse with the located one). The rules refuse whole
constructs, not just the differing forms of them, so a text that is unusual in any way takes
the slower path: combmap's own cases and typical ones take this one.
"""

from __future__ import annotations

import importlib
import re
from math import isfinite
from types import ModuleType
from typing import Any

from combmap.yamlio import MAX_DEPTH, SLOW

__all__ = ["SLOW", "fast_data", "yaml_rs"]


def _yaml_rs() -> ModuleType | None:
    try:
        return importlib.import_module("yaml_rs")
    except ImportError:  # a platform without its wheel: libyaml reads everything
        return None


#: yaml-rs, or None (then every text is libyaml's).
yaml_rs = _yaml_rs()

#: Characters that, where a value starts, begin what combmap refuses or the parsers read
#: differently: an anchor, alias or tag (`&` `*` `!`), a block scalar (`|` `>`), a merge key
#: or value key (`<<`, `=`), a reserved or directive character (`%` `@` `` ` ``).
_AT_START = "&*!|>%@`=<"
#: Where a block value may start: after these (and spaces), or at the start of a line.
#: Inside flow collections, `_FLOW` reads every item.
_BEFORE_START = frozenset(":-?\n")
#: Numbers that the two read differently: a leading zero (`017`, `08`, `0o7`, `0b1`, `0x1`)
#: where a value starts, an exponent (`1e3`), a signed `.5`; and a value right after a
#: quoted key's colon (`"a":017`).
_NUMBERS = tuple(
    re.compile(pattern)
    for pattern in (
        r"0(?<![^\s\[{,]0)[0-9A-Za-z_]",
        r"-0(?<![^\s\[{,]-0)[0-9A-Za-z_]",
        r"\+0(?<![^\s\[{,]\+0)[0-9A-Za-z_]",
        r"e(?<=[0-9.]e)",
        r"E(?<=[0-9.]E)",
        r"\.(?<=[-+]\.)",
        r""":(?<=["']:)\S""",
    )
)
#: What a number may be made of, for `_grouped`.
_NUMBER_CHARACTERS = frozenset("0123456789abcdefABCDEFoxOX.:_+-")
#: A flow collection read here: on one line, its items quoted or plain words without `:` or
#: `#`, a mapping's keys followed by `: `, sequences nested once at most, then at most a
#: comment on that line. In flow collections the parsers differ on `:` and `?` next to other
#: characters (`{a:}`, `[?x]`, `{:x}`) and on keys over two lines. (Possessive quantifiers:
#: no backtracking, so the match is linear in the line.)
_SCALAR = (
    r"""(?:"(?:[^"\\\n]++|\\[^\n])*+"|'(?:[^'\n]++|'')*+'"""
    r"""|[^\s\-?:,\[\]{}#&*!|>'"%@`=<][^,\[\]{}#:\n]*+)"""
)
_SEQUENCE = rf"\[ *+(?:{_SCALAR} *+(?:, *+{_SCALAR} *+)*+)?\]"
_VALUE = rf"(?:{_SCALAR}|{_SEQUENCE})"
_FLOW = re.compile(
    rf"(?:\[ *+(?:{_VALUE} *+(?:, *+{_VALUE} *+)*+)?\]"
    rf"|\{{ *+(?:{_SCALAR} *+: ++{_VALUE} *+(?:, *+{_SCALAR} *+: ++{_VALUE} *+)*+)?\}})"
    r"(?: ++#[^\n]*+)?(?=\r?\n|$)"
)
#: A document marker or directive at the start of a line (a second document is a list to
#: yaml-rs, an error to combmap).
_MARKERS = re.compile(r"\n(?:---|\.\.\.|%)")
#: A line that starts with MAX_DEPTH spaces, `-` or `?`: as deep as combmap reads, or deeper.
_DEEP = re.compile(rf"[ ?-]{{{MAX_DEPTH}}}")
_DEEP_LINE = re.compile(rf"\n[ ?-]{{{MAX_DEPTH}}}")
#: Longest mapping key read here: libyaml refuses a key over 1,024 characters of text, and an
#: escape (`\U0001F600`) is at most ten characters for one.
_MAX_KEY = 100
#: The types of scalars read here. Infinity and not-a-number are left to libyaml: yaml-rs
#: reads `.Nan` and `.iNF` as numbers, libyaml only `.nan`, `.NaN`, `.NAN` (and so `.inf`),
#: and the text is gone by then.
_SCALARS = frozenset({str, int, float, bool, type(None)})


class _SlowError(Exception):
    """The data holds something libyaml would read differently, or combmap refuses."""


def fast_data(text: str) -> Any:
    """The data of `text` as libyaml and combmap's reader make it, or SLOW."""
    if yaml_rs is None or _refused(text):
        return SLOW
    try:
        data = yaml_rs.loads(text, parse_datetime=False)
    except Exception:
        return SLOW  # its error is libyaml's to report, located
    except BaseException as error:  # a panic in the parser is not an Exception (pyo3)
        if type(error).__name__ != "PanicException":
            raise
        return SLOW
    try:
        return _checked(data, 0)
    except _SlowError:
        return SLOW


def _refused(text: str) -> bool:
    """Whether the text holds a construct where the two parsers may differ."""
    # Only printable characters and line breaks: not the controls libyaml refuses, nor what
    # it reads as a line break where YAML 1.2 does not (NEL, U+2028, U+2029), nor a byte-order
    # mark (dropped by libyaml), nor tabs (their rules differ), nor a lone CR; nor, to keep
    # this one C call, other spaces and format characters (a no-break space, U+200B).
    lines = text.replace("\r\n", "") if "\r" in text else text
    if not lines.replace("\n", "").isprintable():
        return True
    if text.startswith(("---", "...", "%")) or _MARKERS.search(text):
        return True
    for character in _AT_START:
        if _starts_value(text, character):
            return True
    if _odd_flow(text):
        return True
    if any(pattern.search(text) for pattern in _NUMBERS):
        return True
    if "_" in text and _grouped(text):
        return True
    # Deep nesting is left to libyaml's checks: yaml-rs recurses on the thread's stack, and
    # crashes the process at 400 to 800 levels on a 512 KiB stack. Block nesting moves each
    # level right (the rules above allow no other), so this bounds it by MAX_DEPTH.
    return _DEEP.match(text) is not None or _DEEP_LINE.search(text) is not None


def _starts_value(text: str, character: str) -> bool:
    """Whether `character` occurs where a value or key may start (after `: `, `- `, `[`...)."""
    at = text.find(character)
    while at >= 0:
        if _at_start(text, at):
            return True
        at = text.find(character, at + 1)
    return False


def _grouped(text: str) -> bool:
    """Whether a `_` is in a word of digits and number characters (`1_000`, `_1`, `0x_a`).

    yaml-rs reads such words as numbers, libyaml as text or other numbers.
    """
    at = text.find("_")
    while at >= 0:
        start = end = at
        while start > 0 and text[start - 1] in _NUMBER_CHARACTERS:
            start -= 1
        while end + 1 < len(text) and text[end + 1] in _NUMBER_CHARACTERS:
            end += 1
        if any(c.isdigit() for c in text[start : end + 1]):
            return True
        at = text.find("_", end + 1)
    return False


def _at_start(text: str, at: int) -> bool:
    before = at - 1
    while before >= 0 and text[before] == " ":
        before -= 1
    return before < 0 or text[before] in _BEFORE_START


def _odd_flow(text: str) -> bool:
    """Whether a flow collection (`[...]`, `{...}`) starts a value and is not one `_FLOW` reads."""
    square, curly = text.find("["), text.find("{")
    while square >= 0 or curly >= 0:
        at = curly if square < 0 or 0 <= curly < square else square
        end = at + 1
        if _at_start(text, at):
            match = _FLOW.match(text, at)
            if match is None:
                return True
            end = match.end()  # what it holds is read: not a start of its own
        if square < end:
            square = text.find("[", end)
        if curly < end:
            curly = text.find("{", end)
    return False


def _checked(value: Any, depth: int) -> Any:
    """The data with keys made text as combmap's reader makes them; _SlowError where it differs.

    Mappings and sequences share one loop: only a mapping's keys are looked at besides.
    """
    kind = type(value)
    if kind is not dict and kind is not list:
        if (kind is float and not isfinite(value)) or kind not in _SCALARS:
            raise _SlowError
        return value
    if depth >= MAX_DEPTH:
        raise _SlowError
    plain = True
    for slot, item in value.items() if kind is dict else enumerate(value):
        if kind is dict:
            if type(slot) is not str:
                plain = False
            elif len(slot) > _MAX_KEY:
                raise _SlowError
        item_type = type(item)
        if item_type is dict or item_type is list:
            value[slot] = _checked(item, depth + 1)
        elif (item_type is float and not isfinite(item)) or item_type not in _SCALARS:
            raise _SlowError
    return value if plain else _text_keys(value)


def _text_keys(mapping: dict[Any, Any]) -> dict[str, Any]:
    """Numbers and booleans as keys made text (`1` is "1"); an empty key or a clash: _SlowError."""
    out: dict[str, Any] = {}
    for key, item in mapping.items():
        if type(key) is not str:
            if key is None or type(key) not in _SCALARS or (type(key) is float and not isfinite(key)):
                raise _SlowError  # no key (libyaml refuses it), or a list or mapping as a key
            key = str(key)
        if key in out or len(key) > _MAX_KEY:
            raise _SlowError
        out[key] = item
    return out
