"""Writing what the user asked for, where they asked: whole files, devices, pipes and links.

A regular file (or a new path) is written atomically: a temporary file in the same folder,
flushed and `fsync`ed, then renamed over the target, so a process killed at any moment leaves
the old file or the new one. Anything else is not a file to replace: a character device
(`/dev/null`, a terminal), a FIFO or a link to an open descriptor (`/dev/stdout`,
`/proc/self/fd/1`) is written through; a symbolic link has its target updated and stays a
link; a directory or a block device is refused.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import tempfile
import time
from pathlib import Path

from combmap.errors import OutputError

#: Longest file name most file systems accept (bytes of one path component).
MAX_NAME = 255
#: A temporary file this much older than now, and not locked by a writer, is a leftover.
STALE_SECONDS = 1.0
_SUFFIX = ".tmp"
_RANDOM = 8  # tempfile's random part: 8 characters of [a-z0-9_]
_ABANDONED = f"[a-z0-9_]{{{_RANDOM}}}"


def write_output(path: Path, data: str | bytes, *, replace_answers: bool = False) -> None:
    """Write one output to `path`, the way its kind of file needs.

    Args:
        path: where the user asked for the output (`-o PATH`).
        data: the text (written as UTF-8) or bytes.
        replace_answers: replace a file that holds self-assessment answers; without it such a
            file is refused, naming whose answers it holds.

    Raises:
        OutputError: the path is a directory or a block device; the file holds answers; or
            the write failed (the message says why; an old file is left as it was).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(f"{path} is a directory; give a file name, e.g. {path / 'out'}")
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or _descriptor_link(path)):
        _write_through(path, payload)
        return
    if mode is not None and not stat.S_ISREG(mode):
        raise OutputError(f"cannot write {path}: it is not a regular file, a device or a pipe")
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if mode is not None and not replace_answers and _may_hold_answers(target):
        from combmap.assess import answers_held

        owners = answers_held(target)
        if owners is not None:
            raise OutputError(
                f"{path} holds {owners}; not replaced. Write to another file name"
            )
    write_atomic(target, payload)


def _may_hold_answers(path: Path) -> bool:
    """Whether a file mentions `assessment` (answers sit under that key): only then is it read as YAML.

    Replacing last run's SVG or HTML then costs a read, not the import of assess and its models.
    Read as `assess.answers_held` reads it (at most the YAML limit): a file it cannot read holds
    no answers for it either.
    """
    from combmap.errors import InputError
    from combmap.yamlio import read_bytes

    try:
        return b"assessment" in read_bytes(path)
    except InputError:
        return False


def _descriptor_link(path: Path) -> bool:
    """Whether `path` leads, through links, to an open descriptor (/dev/stdout, /proc/self/fd/1)."""
    current = str(path)
    for _ in range(40):
        if current.startswith(("/proc/", "/dev/fd/")):
            return True
        try:
            hop = os.readlink(current)
        except OSError:
            return False
        current = os.path.join(os.path.dirname(current), hop)
    return False


def _write_through(path: Path, payload: bytes) -> None:
    try:
        handle = os.open(path, os.O_WRONLY | os.O_APPEND)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(handle, view) :]
    except BrokenPipeError:
        raise OutputError(f"cannot write {path}: the reading end was closed") from None
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        os.close(handle)


def _temp_prefix(name: str) -> str:
    """`.NAME.`, with NAME cut so the temporary name fits in MAX_NAME bytes."""
    room = MAX_NAME - len(".") - len(".") - _RANDOM - len(_SUFFIX)
    cut = name.encode("utf-8")[:room].decode("utf-8", "ignore")
    return f".{cut}."


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a regular file whole or not at all: a temporary file beside it, then a rename.

    Temporary files that an earlier, killed write left beside `path` (`.NAME.XXXXXXXX.tmp`,
    not locked by a live writer) are removed first.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: the folder {parent} does not exist")
    if path.is_dir():
        raise OutputError(f"{path} is a directory; give a file name, e.g. {path / 'out'}")
    prefix = _temp_prefix(path.name)
    clean_leftovers(parent, prefix)
    try:
        handle, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=_SUFFIX, dir=parent)
    except PermissionError:
        raise OutputError(f"cannot write {path}: the folder {parent} is not writable") from None
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # marks the file as in use until this process ends
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
        if error.errno == errno.ENAMETOOLONG:
            raise OutputError(f"cannot write {path}: the file name is too long") from None
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        _discard(tmp_name)
        raise


def clean_leftovers(folder: Path, prefix: str) -> list[str]:
    """Remove our own abandoned temporary files (`prefix` + 8 random characters + `.tmp`).

    A file counts as abandoned when no process holds its lock and it is older than
    STALE_SECONDS (the lock is taken right after the file is made). Returns the names removed.
    """
    pattern = re.compile(re.escape(prefix) + _ABANDONED + re.escape(_SUFFIX))
    removed: list[str] = []
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and pattern.fullmatch(n)]
    except OSError:
        return removed
    now = time.time()
    for name in names:
        full = os.path.join(folder, name)
        try:
            if now - os.lstat(full).st_mtime < STALE_SECONDS:
                continue
            handle = os.open(full, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(handle)
            continue  # a live writer holds it
        with contextlib.suppress(OSError):
            os.unlink(full)
            removed.append(name)
        os.close(handle)
    return removed


def _discard(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)
