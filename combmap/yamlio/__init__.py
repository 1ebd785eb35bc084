"""Safe YAML reading with line numbers, and atomic writing: reading files and documents.

Inputs come from other people (a client's case, a partner's overlay), so the reader refuses
what YAML can do beyond plain data: anchors and aliases (the "billion laughs" bomb), tags that
construct objects, oversized files and very deep nesting. Parsing is `combmap.yamlio.parser`,
the only part that imports PyYAML (10 ms), with `combmap.yamlio.fast` (yaml-rs) for the text
it cannot read differently: a command that parses nothing (aggregate over unchanged files,
the ontology from its cache) loads neither.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from combmap.errors import InputError, Issue
from combmap.output import write_atomic

#: Largest YAML file combmap reads; far above any real case or ontology file.
MAX_BYTES = 8 * 1024 * 1024
#: Deepest nesting of mappings and sequences accepted.
MAX_DEPTH = 64

_KeyPath = tuple[str | int, ...]
#: What the fast parse (`combmap.yamlio.fast`) returns for text it leaves to libyaml; here,
#: where the parser can test for it without loading yaml-rs.
SLOW: Any = object()

__all__ = ["Document", "format_path", "paused_gc", "read_bytes", "read_text", "write_atomic"]


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
    #: Finds the lines not recorded yet: `parser.parse_yaml` leaves them until a problem
    #: needs one (most files have none), then parses the text again, recording them.
    locate: Callable[[], dict[_KeyPath, int]] | None = field(
        default=None, repr=False, compare=False, kw_only=True
    )

    def line(self, path: _KeyPath) -> int | None:
        """Return the line of the deepest known prefix of `path`."""
        if self.locate is not None:
            self.lines = self.locate()
            self.locate = None
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return None

    def issue(self, path: _KeyPath, message: str) -> Issue:
        """Make an Issue located at `path` in this document."""
        return Issue(self.file, self.line(path), format_path(path), message)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a large acyclic tree.

    Parsing 100,000 barriers makes millions of containers, and each makes the collector scan
    everything alive again: it took two thirds of the time (8.9 s of 11 s). The trees built
    here have no cycles, so nothing is left for the collector to find.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def read_at_most(handle: IO[bytes], most: int) -> bytes:
    """Up to `most` bytes of an open file, pipe or device, read in pieces.

    One `read(most)` allocates a buffer of `most` bytes whatever the file holds: 8 MB for each
    10 KB case file made reading it four times slower. The first piece is sized from the
    file's own size (a regular file comes in one), the rest 64 KB, until an empty read: a short
    one is not the end of a terminal or a pipe.
    """
    try:
        size = os.fstat(handle.fileno()).st_size
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):  # e.g. a BytesIO
        size = 0
    step = size + 1 if size else 1 << 16
    pieces = []
    left = most
    while left > 0:
        piece = handle.read(min(step, left))
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
        step = 1 << 16
    return b"".join(pieces)


def read_bytes(path: Path, *, what: str = "file", limit: int | None = None) -> bytes:
    """Read at most `limit` bytes of a file, pipe or device; refuse anything longer.

    The limit is enforced while reading, not from `stat`, so a pipe, `/dev/stdin` or
    `/dev/zero` cannot make combmap read (or hold) more than `limit` + 1 bytes. The path `-`
    is standard input.
    """
    name = str(path)
    limit = MAX_BYTES if limit is None else limit
    try:
        if name == "-":
            raw = read_at_most(sys.stdin.buffer, limit + 1)
            name = STDIN
        else:
            with open(path, "rb") as handle:
                raw = read_at_most(handle, limit + 1)
    except FileNotFoundError:
        raise InputError(f"{name} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{name} is a directory; expected a {what}") from None
    except PermissionError:
        raise InputError(f"{name} cannot be read (permission denied)") from None
    except OSError as error:
        raise InputError(f"{name} cannot be read: {error.strerror or error}") from None
    if len(raw) > limit:
        raise InputError(f"{name} is larger than {limit:,} bytes, the most combmap reads in a {what}")
    return raw


def read_text(path: Path, *, what: str = "file") -> str:
    """Read a text file (UTF-8, or UTF-16 with its byte-order mark), with clear errors."""
    raw = read_bytes(path, what=what)
    return decode_text(raw, display_name(path))


#: How standard input (the path `-`) is named in messages.
STDIN = "<stdin>"


def display_name(path: Path | str) -> str:
    """The name of an input in messages: `<stdin>` for `-`, else the path as given."""
    return STDIN if str(path) == "-" else str(path)


def decode_text(raw: bytes, name: str) -> str:
    """Decode bytes read from `name`: UTF-8 (BOM optional) or UTF-16 with a BOM; refuse binary."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16, as Excel saves "Unicode text"
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as error:
            raise InputError(f"{name} is not valid UTF-16 text (byte {error.start})") from None
        if "\x00" in text:
            raise InputError(f"{name} is a binary file, not text")
        return text
    if b"\x00" in raw:
        raise InputError(f"{name} is a binary file, not YAML text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{name} is not UTF-8 text (byte {error.start}); save it as UTF-8 and try again"
        ) from None


def iter_yaml_files(directory: Path) -> Iterator[Path]:
    """Yield the YAML files of a directory tree in a stable order."""
    yield from sorted(
        p for p in directory.rglob("*") if p.is_file() and p.suffix in {".yaml", ".yml"}
    )
