"""Parsing YAML text into plain data, refusing anything beyond it (the part that needs PyYAML)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import yaml

from combmap.errors import InputError, Issue
from combmap.yamlio import (
    MAX_DEPTH,
    SLOW,
    Document,
    _KeyPath,
    display_name,
    paused_gc,
    read_text,
)

__all__ = ["expect", "parse_yaml", "read_yaml"]

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """libyaml's safe loader, remembering how each scalar's tag resolved.

    libyaml parses in C, but resolving each plain scalar's tag (is `yes` a bool, `1.5` a
    float?) runs PyYAML's Python resolver, a third of the parse. The answer depends only on the
    text and the implicit flags, so repeated keys and values are looked up instead of matched
    against every regular expression again; each answer is PyYAML's own `resolve()`, so the
    resolution is the same (tests/test_yamlio.py checks the hostile corpus both ways).
    """

    _memo: ClassVar[dict[tuple[str, Any], str]] = {}
    #: The same answers for untagged plain scalars, by their text alone (`_plain`).
    _plain_memo: ClassVar[dict[str, str]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not yaml.ScalarNode or self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        found = self._memo.get(key)
        if found is None:
            found = super().resolve(kind, value, implicit)
            if len(value) <= 256 and len(self._memo) < 65_536:
                self._memo[key] = found
        return found

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
}


class _Builder:
    """Turns a composed node tree into plain data, refusing aliases and object tags.

    It records the line of every key path. Most files never reach it: `_plain` builds their
    data from the event stream, and only what `_plain` leaves (errors, anchors, tags) is
    composed and built here.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[_KeyPath, int] = {}
        self.seen: set[int] = set()
        self.scalars = yaml.constructor.SafeConstructor()

    def scalar(self, node: yaml.Node) -> Any:
        """A scalar that is not plain text: typed as YAML 1.2's core schema reads it."""
        if isinstance(node, yaml.ScalarNode) and not node.style and not _core_12(node):
            return node.value  # YAML 1.1 reads it as a bool, date or number; YAML 1.2 does not
        return self.scalars.construct_object(node)

    def fail(self, node: yaml.Node, message: str) -> InputError:
        issue = Issue(self.file, node.start_mark.line + 1, "", message)
        return InputError(f"{self.file} is not a plain YAML data file", [issue])

    def build(self, node: yaml.Node, path: _KeyPath, depth: int) -> Any:
        if id(node) in self.seen:
            raise self.fail(node, "YAML anchors and aliases (&name, *name) are not accepted")
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels is not accepted")
        if node.tag not in _PLAIN_TAGS:
            raise self.fail(node, f"the YAML tag {node.tag!r} is not accepted; use plain values")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self.fail(key_node, "YAML merge keys (<<) are not accepted")
                key = self.build(key_node, (*path, "<key>"), depth + 1)
                if isinstance(key, (dict, list)):
                    raise self.fail(key_node, "mapping keys must be plain text")
                key = str(key) if not isinstance(key, str) else key
                if key in out:
                    raise self.fail(key_node, f"the key {key!r} appears twice in one mapping")
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, (*path, key), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [
                self.build(item, (*path, index), depth + 1) for index, item in enumerate(node.value)
            ]
        if node.tag == "tag:yaml.org,2002:str":
            return node.value  # the common case, without the constructor's bookkeeping
        return self.scalar(node)


#: Plain scalars that YAML 1.2's core schema resolves to bool, int or float (null is the same
#: in 1.1 and 1.2). Anything else PyYAML's 1.1 resolver types (`yes`, `No`, `on`, dates,
#: `1_000`, `1:30`, `0b1`) stays a string, as editors and JSON Schema read it.
_CORE_12 = {
    "tag:yaml.org,2002:bool": re.compile(r"true|True|TRUE|false|False|FALSE"),
    "tag:yaml.org,2002:int": re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"),
    "tag:yaml.org,2002:float": re.compile(
        r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
    ),
    "tag:yaml.org,2002:null": re.compile(r"~|null|Null|NULL|"),
}


def _core_12(node: yaml.ScalarNode) -> bool:
    """Whether YAML 1.2's core schema gives a plain scalar the type PyYAML gave it."""
    pattern = _CORE_12.get(node.tag)
    return pattern is not None and pattern.fullmatch(node.value) is not None


class _ComposeError(Exception):
    """The text needs the composer: an error to locate, or YAML `_plain` leaves to it."""


_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = _PLAIN_TAGS - {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
#: Typed plain scalars by (tag, text): bools, numbers and null, all immutable, so shared.
_TYPED: dict[tuple[str, str], Any] = {}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _typed(tag: str, value: str) -> Any:
    """A plain scalar PyYAML resolved to a tag other than str, as `_Builder.scalar` types it."""
    key = (tag, value)
    found = _TYPED.get(key, _TYPED)
    if found is not _TYPED:
        return found
    if tag not in _SCALAR_TAGS:
        raise _ComposeError  # a merge key, or a tag to refuse with its line
    node = yaml.ScalarNode(tag, value, style="")
    found = _CONSTRUCTOR.construct_object(node) if _core_12(node) else value
    if len(value) <= 256 and len(_TYPED) < 65_536:
        _TYPED[key] = found
    return found


def _plain(text: str) -> Any:
    """The data of one YAML document built from libyaml's events, without composing nodes.

    Composing makes a node per value and calls the Python resolver from C for each; this
    reads the events once, by recursive descent (`_node`), and resolves through the same
    answers of PyYAML's own `resolve()` (remembered per text for plain scalars), so the data
    is what `_Builder.build` makes. Anything that is not plain data without anchors or tags
    (an alias, an anchor, any tag, a merge key, a mapping key that is not a scalar, a
    duplicate key, nesting at the depth limit, a second document, a YAML error) raises
    `_ComposeError`, and the composer answers: the same data or error as before, located.
    """
    loader = _Loader(text)
    get = loader.get_event
    try:
        get()  # the stream's start
        if type(get()) is yaml.StreamEndEvent:
            return None
        value = _node(get(), 0, loader, get)
        if type(get()) is not yaml.DocumentEndEvent or type(get()) is not yaml.StreamEndEvent:
            raise _ComposeError
        return value
    except yaml.YAMLError:
        raise _ComposeError from None
    finally:
        loader.dispose()


_SCALAR, _SCALAR_NODE = yaml.ScalarEvent, yaml.ScalarNode
_MAPPING_START, _MAPPING_END = yaml.MappingStartEvent, yaml.MappingEndEvent
_SEQUENCE_START, _SEQUENCE_END = yaml.SequenceStartEvent, yaml.SequenceEndEvent


def _node(event: Any, depth: int, loader: Any, get: Callable[[], Any]) -> Any:
    """A value from its first event; `depth` mappings and sequences are open around it."""
    kind = type(event)
    if kind is _SCALAR:
        return _scalar(event, loader)
    if kind is not _MAPPING_START and kind is not _SEQUENCE_START:
        raise _ComposeError  # an alias
    if event.anchor is not None or event.tag is not None or depth >= MAX_DEPTH:
        raise _ComposeError
    depth += 1
    if kind is _SEQUENCE_START:
        items: list[Any] = []
        while True:
            event = get()
            kind = type(event)
            if kind is _SCALAR:
                items.append(_scalar(event, loader))
            elif kind is _SEQUENCE_END:
                return items
            else:
                items.append(_node(event, depth, loader, get))
    mapping: dict[str, Any] = {}
    while True:
        event = get()
        if type(event) is not _SCALAR:
            if type(event) is _MAPPING_END:
                return mapping
            raise _ComposeError  # a key that is a mapping, a sequence or an alias
        key = _scalar(event, loader)
        if type(key) is not str:
            key = str(key)
        if key in mapping:
            raise _ComposeError
        event = get()
        if type(event) is _SCALAR:
            mapping[key] = _scalar(event, loader)
        else:
            mapping[key] = _node(event, depth, loader, get)


def _scalar(event: Any, loader: Any) -> Any:
    """A scalar's value, typed as PyYAML's resolver and `_Builder.scalar` type it."""
    if event.anchor is not None or event.tag is not None:
        raise _ComposeError
    value = event.value
    if not event.style:
        implicit = event.implicit
        if implicit == _PLAIN_IMPLICIT:  # every untagged plain scalar
            plain = _Loader._plain_memo
            tag = plain.get(value)
            if tag is None:  # PyYAML's own answer, kept here only (not in `_memo` too)
                tag = _BaseLoader.resolve(loader, _SCALAR_NODE, value, implicit)
                if len(value) <= 256 and len(plain) < 65_536:
                    plain[value] = tag
        else:
            tag = loader.resolve(_SCALAR_NODE, value, implicit)
        if tag != _STR:
            return _typed(tag, value)
    elif event.implicit[0]:
        raise _ComposeError  # not seen from libyaml: a quoted scalar left to resolve
    return value


#: The implicit flags libyaml gives a plain scalar without a tag: (plain, quoted).
_PLAIN_IMPLICIT = (True, False)


def _too_deep(text: str) -> bool:
    """Whether nesting exceeds MAX_DEPTH, checked on the event stream, which does not recurse.

    libyaml's composer recurses in C and crashes the process on tens of thousands of nested
    brackets, so deep input must be caught before composing. Each level of nesting needs one
    of these characters, so most files are cleared by counting them.
    """
    if sum(text.count(c) for c in "[{-:?") < 5_000:
        return False
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return True
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return False  # composing reports the error with its location
    return False


#: Texts this process parsed before taking yaml-rs (`combmap.yamlio.fast`) into use.
_PARSED = 0
#: Loading yaml-rs and compiling its rules take about 3.5 ms, which one case never wins back
#: (the 46 KB Baxter case parses 0.3 ms faster), nor the packaged ontology (24 files, most
#: refused by the rules); a run over many files does after a few dozen.
_FAST_AFTER = 32


def _fast_data(text: str) -> Any:
    """yaml-rs's reading of `text` where it cannot differ from libyaml's; else SLOW."""
    global _PARSED
    if _PARSED < _FAST_AFTER:
        _PARSED += 1  # a race between threads only moves the switch by a text or two
        return SLOW
    from combmap.yamlio.fast import fast_data

    return fast_data(text)


def expect(texts: int) -> None:
    """Say that this process is about to parse `texts` texts.

    When that is enough for yaml-rs to pay, it is loaded now (before any fork, so that
    workers share it).
    """
    global _PARSED
    if texts >= _FAST_AFTER and _PARSED < _FAST_AFTER:
        from combmap.yamlio import fast  # noqa: F401 - loaded for what follows

        _PARSED = _FAST_AFTER


def parse_yaml(text: str, file: str) -> Document:
    """Parse YAML text into a Document, refusing anything beyond plain data.

    Lines are recorded when first asked for (`Document.line`), by parsing the text again.
    """
    with paused_gc():
        return _parse_yaml(text, file, located=False)


def _lines(text: str, file: str) -> dict[_KeyPath, int]:
    return _parse_yaml(text, file, located=True).lines


def _parse_yaml(text: str, file: str, *, located: bool) -> Document:
    if not located:
        locate = partial(_lines, text, file)
        data = _fast_data(text)
        if data is not SLOW:
            return Document(file, data, {(): 1}, locate=locate)
        with contextlib.suppress(_ComposeError):
            return Document(file, _plain(text), {(): 1}, locate=locate)
    if _too_deep(text):
        issue = Issue(file, None, "", f"nesting deeper than {MAX_DEPTH} levels is not accepted")
        raise InputError(f"{file} is not a plain YAML data file", [issue])
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.reader.ReaderError as error:  # a control character: locate it by line
        where = text.count("\n", 0, error.position) + 1
        code = error.character if isinstance(error.character, int) else ord(error.character)
        message = f"the control character U+{code:04X} is not allowed in YAML text; remove it"
        raise InputError(f"{file} is not valid YAML", [Issue(file, where, "", message)]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or error.context or "invalid YAML"
        issue = Issue(file, line, "", f"not valid YAML: {problem}")
        raise InputError(f"{file} is not valid YAML", [issue]) from None
    except yaml.YAMLError as error:
        raise InputError(f"{file} is not valid YAML: {error}") from None
    except RecursionError:
        issue = Issue(file, None, "", f"nesting deeper than {MAX_DEPTH} levels is not accepted")
        raise InputError(f"{file} is not a plain YAML data file", [issue]) from None
    if root is None:
        return Document(file, None, {(): 1})
    builder = _Builder(file)
    data = builder.build(root, (), 0)
    return Document(file, data, builder.lines)


def read_yaml(path: Path, *, what: str = "YAML file") -> Document:
    """Read and parse one YAML file (`-`: standard input)."""
    return parse_yaml(read_text(path, what=what), display_name(path))
