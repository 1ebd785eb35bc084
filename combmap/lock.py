"""An advisory lock for the read-modify-write of a file that holds someone's answers.

Two `combmap assess` runs on one answer file would each read it, add their answers and write
it back: the last writer wins and the other's answers are lost. Each run therefore holds an
exclusive `fcntl.flock` on `.NAME.lock` beside the file (the file itself is replaced by every
atomic write, so it cannot carry the lock) from the read to the last write. A second run waits
up to `WAIT_SECONDS`, then fails saying which process holds the lock and since when. The lock
is advisory: it binds combmap, not an editor.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from combmap.errors import AssessmentError

#: How long a second writer waits for the lock before it gives up.
WAIT_SECONDS = 10.0
_POLL = 0.05


def lock_path(path: Path) -> Path:
    """The lock file of `path`: `.NAME.lock` in the same folder."""
    return path.with_name(f".{path.name}"[:250] + ".lock")


@contextlib.contextmanager
def hold(path: Path, *, wait: float | None = None) -> Iterator[None]:
    """Hold the lock of `path` for the duration of the `with` block.

    Raises:
        AssessmentError: another process held the lock for longer than `wait` seconds
            (default WAIT_SECONDS); the message names its process id and start time.
    """
    handle = _acquire(path, WAIT_SECONDS if wait is None else wait)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock_path(path))  # while still locked, so a waiter sees a new file
        os.close(handle)


def _acquire(path: Path, wait: float) -> int:
    name = lock_path(path)
    deadline = time.monotonic() + wait
    while True:
        try:
            handle = os.open(name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except FileNotFoundError:
            raise AssessmentError(f"cannot write {path}: the folder {path.parent} does not exist") from None
        except OSError as error:
            # A read-only folder cannot hold the lock, nor the answers: the write says so.
            raise AssessmentError(f"cannot lock {path}: {error.strerror or error}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            os.close(handle)
            if time.monotonic() >= deadline:
                raise AssessmentError(
                    f"{path} is being changed by another combmap process ({holder}); "
                    "let it finish (or stop it), then run this again"
                ) from None
            time.sleep(_POLL)
            continue
        try:
            same = os.fstat(handle).st_ino == os.stat(name).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the previous holder removed this lock file as we took it: take the new one
            os.close(handle)
            continue
        os.ftruncate(handle, 0)
        os.write(handle, f"process {os.getpid()}, since {time.strftime('%H:%M:%S')}\n".encode())
        return handle


def _holder(handle: int) -> str:
    try:
        text = os.pread(handle, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "process unknown"
