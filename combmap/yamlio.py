"""Safe YAML reading with line numbers, and atomic writing.

Inputs come from other people (a client's case, a partner's overlay), so the reader refuses
what YAML can do beyond plain data: anchors and aliases (the "billion laughs" bomb), tags that
construct objects, oversized files and very deep nesting.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from combmap.errors import InputError, Issue, OutputError

#: Largest YAML file combmap reads; far above any real case or ontology file.
MAX_BYTES = 8 * 1024 * 1024
#: Deepest nesting of mappings and sequences accepted.
MAX_DEPTH = 64

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
_KeyPath = tuple[str | int, ...]


def format_path(path: _KeyPath) -> str:
    """Render a key path as `barriers[2].tdf[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class Document:
    """Plain data parsed from one YAML file, with the line of every key path."""

    file: str
    data: Any
    lines: dict[_KeyPath, int] = field(default_factory=dict)

    def line(self, path: _KeyPath) -> int | None:
        """Return the line of the deepest known prefix of `path`."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return None

    def issue(self, path: _KeyPath, message: str) -> Issue:
        """Make an Issue located at `path` in this document."""
        return Issue(self.file, self.line(path), format_path(path), message)


class _Builder:
    """Turns a composed node tree into plain data, refusing aliases and object tags."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[_KeyPath, int] = {}
        self.seen: set[int] = set()
        self.scalars = yaml.constructor.SafeConstructor()

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
        return self.scalars.construct_object(node)


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


def parse_yaml(text: str, file: str) -> Document:
    """Parse YAML text into a Document, refusing anything beyond plain data."""
    if _too_deep(text):
        issue = Issue(file, None, "", f"nesting deeper than {MAX_DEPTH} levels is not accepted")
        raise InputError(f"{file} is not a plain YAML data file", [issue])
    try:
        root = yaml.compose(text, Loader=_Loader)
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


def read_text(path: Path, *, what: str = "file") -> str:
    """Read a UTF-8 text file, turning every way it can fail into a clear InputError."""
    name = str(path)
    try:
        if path.is_dir():
            raise InputError(f"{name} is a directory; expected a {what}")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(
                f"{name} is {size:,} bytes; combmap reads {what}s up to {MAX_BYTES:,} bytes"
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name} does not exist") from None
    except PermissionError:
        raise InputError(f"{name} cannot be read (permission denied)") from None
    except OSError as error:
        raise InputError(f"{name} cannot be read: {error.strerror}") from None
    if b"\x00" in raw:
        raise InputError(f"{name} is a binary file, not YAML text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{name} is not UTF-8 text (byte {error.start}); save it as UTF-8 and try again"
        ) from None


def read_yaml(path: Path, *, what: str = "YAML file") -> Document:
    """Read and parse one YAML file."""
    return parse_yaml(read_text(path, what=what), str(path))


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file whole or not at all: a temporary file beside it, then a rename."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: the folder {parent} does not exist")
    try:
        handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except PermissionError:
        raise OutputError(f"cannot write {path}: the folder {parent} is not writable") from None
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(tmp_name, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except OSError as error:
        _discard(tmp_name)
        if isinstance(error, PermissionError):
            raise OutputError(f"cannot write {path}: permission denied") from None
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        _discard(tmp_name)
        raise


def _discard(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def iter_yaml_files(directory: Path) -> Iterator[Path]:
    """Yield the YAML files of a directory tree in a stable order."""
    yield from sorted(
        p for p in directory.rglob("*") if p.is_file() and p.suffix in {".yaml", ".yml"}
    )
