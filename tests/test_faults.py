"""Faults: a killed write leaves the old file or the new one, never a mix; disks fill up."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from combmap.errors import OutputError
from combmap.yamlio import write_atomic

WRITER = """
import sys
from pathlib import Path
from combmap.yamlio import write_atomic
target = Path(sys.argv[1])
n = 0
print("ready", flush=True)
while True:
    n += 1
    write_atomic(target, (str(n % 10) * 4_000_000) + "\\n")
"""


def test_killing_a_write_leaves_a_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("old\n")
    for delay in (0.05, 0.11, 0.23, 0.37, 0.51):
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE)
        assert process.stdout is not None
        process.stdout.readline()
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        text = target.read_text()
        assert text == "old\n" or (len(text) == 4_000_001 and len(set(text[:-1])) == 1), "torn write"


def test_full_disk_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="No space left on device"):
        write_atomic(target, "new" * 1000)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"], "the temporary file is removed"


def test_read_only_destination(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    # Tests may run as root, which ignores permission bits: simulate the refusal instead.
    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(OutputError, match="is not writable"):
        write_atomic(tmp_path / "out.txt", "x")


def test_existing_permissions_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "plan.md"
    target.write_text("old")
    target.chmod(0o600)
    write_atomic(target, "new")
    assert target.stat().st_mode & 0o777 == 0o600
