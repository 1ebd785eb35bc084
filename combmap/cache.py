"""Caches in the user's cache directory: the validated ontology, and per-case counts.

Reading and validating the ontology costs tens of milliseconds on every command; aggregating
thousands of unchanged case files costs the same parse and scoring on every run. Both results
are stored under the user's cache directory and used again only while everything they were
computed from is byte-for-byte the same.

* **Where:** `$COMBMAP_CACHE_DIR`, else the XDG rule (`$XDG_CACHE_HOME/combmap`, else
  `~/.cache/combmap`; `~/Library/Caches/combmap` on macOS). The directory is made with mode
  0700. Only POSIX systems cache: the checks below need owners and modes.
* **Turning it off:** `combmap --no-cache ...`, or `COMBMAP_NO_CACHE=1` in the environment
  (`load_ontology(cache=False)` in the library).
* **Keys:** a SHA-256 over the bytes and names of every ontology file read (packaged and
  overlays), the bytes of every module of the combmap package (so any change to the code that
  validates, or scores, makes a new key), the versions of combmap, Python and pydantic, and
  the two YAML parsers' files, PyYAML's and yaml-rs's (their modules' bytes, the others'
  names and sizes).
* **Trust:** the ontology entry is a pickle, and unpickling runs code, so it is read only from
  a directory owned by this user that nobody else can write (checked on the open directory,
  without following symlinks), and only from a file owned by this user that nobody else can
  write. Each entry starts with its key and the SHA-256 of its body; an entry that does not
  match, cannot be read or cannot be unpickled is ignored and rebuilt. The per-case counts are
  JSON (data only).
* **Unchanged files** (aggregate): each file's digest is recorded with its size, modification
  and change times, inode and device, and used again while all five are the same, as git's
  index does; see `file_digests`.
* **Writes** go to a temporary file in the same directory, then a rename: a reader sees the
  old entry or the new one, never half of one. A cache that cannot be written is skipped
  silently: it is only ever a shortcut.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import stat
import struct
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

#: Set (to anything but "" or "0") to turn every cache off.
NO_CACHE_ENV = "COMBMAP_NO_CACHE"
#: A directory to use instead of the user's cache directory.
CACHE_DIR_ENV = "COMBMAP_CACHE_DIR"
#: Format of the entries; bump to ignore every entry written before.
_FORMAT = b"combmap-cache 1"
#: Ontology entries kept (one per set of overlays and version of the code), and records of
#: file digests (one per set of input files); older ones go.
_KEEP = 8
#: A file changed less than this long (ns) before it was read has its digest used but not
#: recorded (`file_digests`): file-system clocks tick in up to 2 s (FAT), and a change within
#: the same tick would leave the file's times as recorded.
_SETTLED_NS = 2_000_000_000

_T = TypeVar("_T")

#: Set by the command line's --no-cache.
disabled_by_option = False
#: The key each ontology loaded through the cache was loaded under (see `key_of`).
_KEYS: WeakKeyDictionary[Any, str] = WeakKeyDictionary()


def enabled() -> bool:
    """Whether caches are on: not turned off by --no-cache or the environment."""
    if disabled_by_option:
        return False
    return os.environ.get(NO_CACHE_ENV, "").strip() in ("", "0") and os.name == "posix"


def cache_dir() -> Path:
    """The user's cache directory for combmap (it may not exist yet)."""
    given = os.environ.get(CACHE_DIR_ENV)
    if given:
        return Path(given)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "combmap"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG rule: a relative path is invalid and is ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "combmap"


# --- keys ---------------------------------------------------------------------------------------


def _code_digest() -> bytes:
    """SHA-256 of the versions that shape a result and of every module of the combmap package.

    The parsers (PyYAML, yaml-rs) are named by their files, not imported (10 ms, which a run
    that parses nothing need not pay): the bytes of their modules (`__init__.py` holds
    PyYAML's version) and the names and sizes of the rest, so libyaml's extension being there
    or not, or another build of yaml-rs, makes a different key.
    """
    import importlib.util

    import pydantic
    import pydantic_core

    from combmap import __version__

    digest = hashlib.sha256()
    versions = (
        f"combmap {__version__}\npython {sys.version}\n{sys.implementation.cache_tag}\n"
        f"pydantic {pydantic.VERSION} {pydantic_core.__version__}\n"
    )
    digest.update(versions.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(package)}\0{len(data)}\0".encode())
        digest.update(data)
    for name in ("yaml", "yaml_rs"):  # the two parsers (combmap.yamlio.fast)
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec is not None else []:
            for entry in sorted(os.scandir(folder), key=lambda e: e.name):
                if not entry.is_file():
                    continue
                data = Path(entry.path).read_bytes() if entry.name.endswith(".py") else b""
                digest.update(f"{name} {entry.name}\0{entry.stat().st_size}\0".encode())
                digest.update(data)
    return digest.digest()


_CODE: bytes | None = None


def code_digest() -> bytes:
    """The digest of the code and versions, computed once per process."""
    global _CODE
    if _CODE is None:
        _CODE = _code_digest()
    return _CODE


def ontology_key(directories: Iterable[tuple[Path, bool]]) -> str:
    """The key of an ontology: its files' names and bytes, in reading order, and the code.

    Raises:
        OSError: a file cannot be read (the caller then loads without the cache, which
            reports the problem properly).
    """
    from combmap.yamlio import iter_yaml_files

    digest = hashlib.sha256(b"ontology\0" + code_digest())
    for directory, overlay in directories:
        digest.update(f"dir\0{directory}\0{overlay}\0".encode())
        for path in iter_yaml_files(directory):
            data = path.read_bytes()
            digest.update(f"{path}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


# --- trusted reading and atomic writing ---------------------------------------------------------


def _private_dir(directory: Path, *, create: bool) -> int | None:
    """Open `directory` if it is this user's and nobody else can write it; its descriptor.

    A directory this user owns with looser permissions is tightened to 0700 (files planted
    while it was open are then refused one by one: they are not this user's).
    """
    if create:
        try:
            directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            directory.mkdir(mode=0o700, exist_ok=True)
        except OSError:
            return None
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    info = os.fstat(fd)
    if info.st_uid != os.geteuid() or not stat.S_ISDIR(info.st_mode):
        os.close(fd)
        return None
    if info.st_mode & 0o077:
        try:
            os.fchmod(fd, 0o700)
        except OSError:
            os.close(fd)
            return None
    return fd


def _read_private(directory: Path, name: str) -> bytes | None:
    """The bytes of a file in a private directory, if the file is this user's alone."""
    fd = _private_dir(directory, create=False)
    if fd is None:
        return None
    try:
        handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        if info.st_uid != os.geteuid() or not stat.S_ISREG(info.st_mode) or info.st_mode & 0o022:
            return None
        return file.read()


def _write_private(directory: Path, name: str, data: bytes) -> bool:
    """Write a file into a private directory atomically (temporary file, then rename)."""
    fd = _private_dir(directory, create=True)
    if fd is None:
        return False
    os.close(fd)
    import tempfile

    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as file:  # mkstemp makes it 0600
            file.write(data)
        os.replace(temporary, directory / name)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return True


def _framed(key: str, body: bytes | bytearray) -> bytes:
    return b"\n".join((_FORMAT, key.encode(), hashlib.sha256(body).hexdigest().encode(), body))


def _unframed(key: str, data: bytes) -> bytes | None:
    parts = data.split(b"\n", 3)
    if len(parts) != 4 or parts[0] != _FORMAT or parts[1] != key.encode():
        return None
    body = parts[3]
    if hashlib.sha256(body).hexdigest().encode() != parts[2]:
        return None
    return body


def _prune(directory: Path, suffix: str, keep: int) -> None:
    """Remove all but the `keep` most recently written entries ending in `suffix`."""
    try:
        entries = sorted(
            (entry.stat().st_mtime, entry.path)
            for entry in os.scandir(directory)
            if entry.name.endswith(suffix) and entry.is_file(follow_symlinks=False)
        )
        for _, path in entries[:-keep]:
            os.unlink(path)
    except OSError:
        pass


# --- the ontology -------------------------------------------------------------------------------


def _mapping_proxy(data: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(data)


class _Pickler(pickle.Pickler):
    """Pickles read-only mappings (MappingProxyType) as what they wrap."""

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is MappingProxyType:
            return _mapping_proxy, (dict(obj),)
        return NotImplemented


def cached(
    directories: list[tuple[Path, bool]], build: Callable[[], _T], kind: type[_T]
) -> _T:
    """Return `build()`, from the cache when an entry for these directories and this code exists.

    The caller decides whether caching is on (`enabled()`). `kind` is the type the entry must unpickle to; anything else is ignored and rebuilt.
    """
    if os.name != "posix" or not all(d.is_dir() for d, _ in directories):
        return build()
    try:
        key = ontology_key(directories)
    except OSError:
        return build()
    folder = cache_dir() / "ontology"
    name = f"{key}.pickle"
    data = _read_private(folder, name)
    if data is not None:
        body = _unframed(key, data)
        if body is not None:
            from combmap.yamlio import paused_gc

            try:
                with paused_gc():  # what it makes all stays alive: collecting on the way doubles the time
                    found = pickle.loads(body)
            except Exception:  # a stale or damaged entry is rebuilt, whatever it raises
                found = None
            if isinstance(found, kind):
                _KEYS[found] = key
                return found
    result = build()
    _KEYS[result] = key
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(result)
    except (pickle.PicklingError, TypeError, AttributeError):
        return result
    if _write_private(folder, name, _framed(key, buffer.getvalue())):
        _prune(folder, ".pickle", _KEEP)
    return result


def key_of(value: Any) -> str | None:
    """The key of an ontology loaded with the cache on (None otherwise): its fingerprint."""
    try:
        return _KEYS.get(value)
    except TypeError:
        return None


# --- per-case counts (aggregate) ----------------------------------------------------------------


def _read_entry(section: str, name: str, key: str) -> bytes | None:
    """The body of an entry of `section`, or None when there is none (or it is damaged)."""
    data = _read_private(cache_dir() / section, name)
    return None if data is None else _unframed(key, data)


def read_json(section: str, key: str) -> Any:
    """A JSON entry of `section`, or None when there is none (or it is damaged)."""
    body = _read_entry(section, f"{key}.json", key)
    if body is None:
        return None
    import json

    try:
        return json.loads(body)
    except ValueError:
        return None


def write_json(section: str, key: str, value: Any) -> None:
    """Store a JSON entry (best effort: a cache that cannot be written is skipped)."""
    import json

    body = json.dumps(value, separators=(",", ":")).encode()
    _write_private(cache_dir() / section, f"{key}.json", _framed(key, body))


# --- digests of input files (aggregate) ---------------------------------------------------------


#: One file's record (`file_digests`): recorded or not, size, modification and change times
#: (ns), inode, device; then its digest. Fixed-size binary: 100,000 records are 7 MB in one
#: bytes object, where as JSON strings they were 16 MB of objects and as much again to write.
_STAMP = struct.Struct("<?QqqQQ")
_RECORD = _STAMP.size + 32


def file_digests(paths: list[str], limit: int) -> Iterator[bytes | None]:
    """The SHA-256 of each file's first `limit` bytes, in order; None where it cannot be read.

    A file whose size, modification and change times, inode and device are those recorded by
    the last run over the same paths is not read: its recorded digest is used. Re-running
    over 1,000 unchanged case files then stats them (3 ms) instead of reading them (17 ms).
    A change always moves the change time, which no user can set back (`touch -r` restores
    only the modification time); a record is kept only for a file whose times were
    `_SETTLED_NS` old when it was read, so no change can share a recorded time's clock tick.
    The records are written once all the paths are done, and only if one differs.
    """
    from combmap.yamlio import read_at_most

    named = hashlib.sha256(b"digests")
    for path in paths:
        named.update(b"\0" + os.path.abspath(path).encode(errors="surrogateescape"))
    key = named.hexdigest()
    name = f"{key}.digests"
    known = _read_entry("digests", name, key)
    if known is None or len(known) != len(paths) * _RECORD:
        known = bytes(len(paths) * _RECORD)  # nothing recorded
    records = bytearray()
    settled = time.time_ns() - _SETTLED_NS
    for n, path in enumerate(paths):
        at = n * _RECORD
        if known[at]:  # a file never recorded is not stat-ed twice
            with contextlib.suppress(OSError, struct.error):
                if known[at : at + _STAMP.size] == _stamp(os.stat(path)):
                    records += known[at : at + _RECORD]
                    yield known[at + _STAMP.size : at + _RECORD]
                    continue
        try:
            with open(path, "rb") as handle:
                info = os.fstat(handle.fileno())  # before reading: a later change moves it
                digest = hashlib.sha256(read_at_most(handle, limit)).digest()
        except OSError:
            records += bytes(_RECORD)
            yield None
            continue
        record = bytes(_RECORD)
        if max(info.st_mtime_ns, info.st_ctime_ns) < settled:
            with contextlib.suppress(struct.error):  # a field out of range is not recorded
                record = _stamp(info) + digest
        records += record
        yield digest
    if records != known:
        _write_private(cache_dir() / "digests", name, _framed(key, records))
        _prune(cache_dir() / "digests", ".digests", _KEEP)


def _stamp(info: os.stat_result) -> bytes:
    return _STAMP.pack(
        True, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev
    )
