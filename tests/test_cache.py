"""The caches (issue 14): the validated ontology is used again only when nothing differs."""

from __future__ import annotations

import os
import pickle
import shutil
import sys
from pathlib import Path

import pytest

from combmap import cache, load_ontology
from combmap.render import export_json
from combmap.resources import packaged_ontology_dir

from .conftest import CASES, TINY, run_cli

posix_only = pytest.mark.skipif(os.name != "posix", reason="the cache needs POSIX owners and modes")


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache" / "combmap"
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(home))
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    monkeypatch.setattr(cache, "disabled_by_option", False)
    return home


def _entries(home: Path) -> list[Path]:
    folder = home / "ontology"
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


def _tiny_copy(tmp_path: Path) -> Path:
    base = tmp_path / "tiny"
    shutil.copytree(TINY, base)
    return base


@posix_only
def test_a_cached_ontology_is_the_same_ontology(cache_home: Path) -> None:
    fresh = load_ontology(cache=False)
    first = load_ontology()
    assert len(_entries(cache_home)) == 1
    again = load_ontology()
    assert export_json(again) == export_json(fresh) == export_json(first)
    assert again.stats() == fresh.stats()
    assert again.resolve("C-Ps").id == "comb:psychological-capability"
    assert again.profile().outgoing == fresh.profile().outgoing


@posix_only
def test_a_cached_ontology_carries_the_profile_indexes(cache_home: Path) -> None:
    load_ontology()
    again = load_ontology()
    assert "_profiles" in vars(again)
    fresh = load_ontology(cache=False)
    for name in fresh.manifest.profiles:
        assert "outgoing" in vars(again.profile(name))
        assert again.profile(name) == fresh.profile(name)
        assert again.profile(name).outgoing == fresh.profile(name).outgoing


@posix_only
def test_the_directory_and_entries_are_private(cache_home: Path) -> None:
    load_ontology()
    assert cache_home.stat().st_mode & 0o777 == 0o700
    assert (cache_home / "ontology").stat().st_mode & 0o777 == 0o700
    (entry,) = _entries(cache_home)
    assert entry.stat().st_mode & 0o777 == 0o600
    assert not [p for p in (cache_home / "ontology").iterdir() if p.suffix == ".tmp"]


@posix_only
def test_any_changed_byte_makes_a_new_entry(cache_home: Path, tmp_path: Path) -> None:
    base = _tiny_copy(tmp_path)
    before = load_ontology(base=base)
    tdf = base / "tdf.yaml"
    tdf.write_text(tdf.read_text(encoding="utf-8").replace("Knowledge", "Knowing", 1), encoding="utf-8")
    after = load_ontology(base=base)
    assert len(_entries(cache_home)) == 2
    assert export_json(after) != export_json(before)
    assert export_json(after) == export_json(load_ontology(base=base, cache=False))


@posix_only
def test_overlays_and_code_are_part_of_the_key(
    cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "references.yaml").write_text(
        "references:\n  - key: extra2026\n    authors: [A. Author]\n    title: An extra reference\n    year: 2026\n",
        encoding="utf-8",
    )
    load_ontology()
    with_overlay = load_ontology(overlay)
    assert "extra2026" in with_overlay.references
    assert "extra2026" not in load_ontology().references
    assert len(_entries(cache_home)) == 2
    monkeypatch.setattr(cache, "_CODE", b"other code")
    load_ontology()
    assert len(_entries(cache_home)) == 3


@pytest.mark.parametrize("package", ["yaml", "yaml_rs"])
def test_the_parsers_files_are_part_of_the_code_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: str
) -> None:
    """PyYAML and yaml-rs are keyed by their files (not imported): another version (its
    modules' bytes), or their compiled parser there or not."""
    import importlib
    import importlib.machinery
    import importlib.util

    module = importlib.import_module(package)
    copy = tmp_path / package
    shutil.copytree(Path(module.__file__ or "").parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    spec = importlib.machinery.ModuleSpec(package, None, is_package=True)
    spec.submodule_search_locations = [str(copy)]
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: spec if name == package else real(name, *a))
    same = cache._code_digest()
    init = copy / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "\n# another release\n", encoding="utf-8")
    other_version = cache._code_digest()
    extensions = list(copy.glob("_yaml*.so")) + list(copy.glob("_yaml*.pyd"))
    assert extensions
    for extension in extensions:
        extension.unlink()
    without_compiled = cache._code_digest()
    assert len({same, other_version, without_compiled}) == 3
    monkeypatch.setattr(importlib.util, "find_spec", real)
    assert cache._code_digest() == same


@posix_only
def test_a_damaged_entry_is_rebuilt(cache_home: Path) -> None:
    fresh = export_json(load_ontology())
    (entry,) = _entries(cache_home)
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2])
    assert export_json(load_ontology()) == fresh
    assert entry.read_bytes() == data  # written again whole
    # A body that matches its digest but is not an ontology is not used either.
    key = entry.stem
    entry.write_bytes(cache._framed(key, b"not a pickle"))
    assert export_json(load_ontology()) == fresh


@posix_only
def test_entries_others_can_write_are_never_unpickled(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_ontology()
    (entry,) = _entries(cache_home)
    loads: list[bytes] = []
    real = pickle.loads

    def counting(body: bytes) -> object:
        loads.append(body)
        return real(body)

    monkeypatch.setattr(pickle, "loads", counting)
    entry.chmod(0o666)
    load_ontology()
    assert loads == []  # refused and rebuilt, not read
    assert entry.stat().st_mode & 0o777 == 0o600
    # A directory others could write is tightened; its entries are still checked one by one.
    (cache_home / "ontology").chmod(0o777)
    load_ontology()
    assert (cache_home / "ontology").stat().st_mode & 0o777 == 0o700
    assert len(loads) == 1


@posix_only
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_entries_of_another_user_are_never_unpickled(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_ontology()
    (entry,) = _entries(cache_home)
    os.chown(entry, 12345, 12345)
    monkeypatch.setattr(pickle, "loads", lambda body: pytest.fail("unpickled"))
    load_ontology()


@posix_only
def test_a_symlinked_entry_directory_is_not_used(cache_home: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    cache_home.mkdir(parents=True)
    (cache_home / "ontology").symlink_to(elsewhere)
    load_ontology()
    assert list(elsewhere.iterdir()) == []


@posix_only
def test_no_cache_option_and_environment_write_nothing(
    cache_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = str(CASES / "baxter-2020-cvso.yaml")
    code, off, _ = run_cli(capsys, "--no-cache", "plan", case, "--format", "json")
    assert code == 0 and not cache_home.exists()
    monkeypatch.setenv(cache.NO_CACHE_ENV, "1")
    code, _, _ = run_cli(capsys, "plan", case, "--format", "json")
    assert code == 0 and not cache_home.exists()
    monkeypatch.delenv(cache.NO_CACHE_ENV)
    code, on, _ = run_cli(capsys, "plan", case, "--format", "json")
    assert code == 0 and len(_entries(cache_home)) == 1
    code, again, _ = run_cli(capsys, "plan", case, "--format", "json")
    assert off == on == again


def test_the_default_cache_directory_follows_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache.CACHE_DIR_ENV, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert cache.cache_dir() == Path("/somewhere/cache/combmap")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # invalid by the rule: ignored
    assert cache.cache_dir() == Path.home() / ".cache" / "combmap"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir() == Path.home() / ".cache" / "combmap"


def test_the_packaged_ontology_key_covers_every_file() -> None:
    key = cache.ontology_key([(packaged_ontology_dir(), False)])
    assert len(key) == 64
    assert key != cache.ontology_key([(packaged_ontology_dir(), True)])


# --- digests of unchanged input files (aggregate) -------------------------------------------------


def _digests(paths: list[Path], opened: list[str], monkeypatch: pytest.MonkeyPatch) -> list[bytes | None]:
    """`cache.file_digests` of `paths`, noting each file it opened to read."""
    real = open

    def counting(file: str, *args: object, **kwargs: object) -> object:
        opened.append(Path(file).name)
        return real(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(cache, "open", counting, raising=False)
    try:
        return list(cache.file_digests([str(p) for p in paths], 1 << 20))
    finally:
        monkeypatch.delattr(cache, "open")


def _files(tmp_path: Path) -> list[Path]:
    paths = [tmp_path / f"c{n}.yaml" for n in range(3)]
    for n, path in enumerate(paths):
        path.write_text(f"case: {n}\n", encoding="utf-8")
    return paths


@pytest.fixture
def settled(cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Three case files, and every file counts as settled (its times old enough to record)."""
    monkeypatch.setattr(cache, "_SETTLED_NS", -(10**12))
    return _files(tmp_path)


def _sha(path: Path) -> bytes:
    import hashlib

    return hashlib.sha256(path.read_bytes()).digest()


@posix_only
def test_settled_unchanged_files_are_not_read_again(
    settled: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: a file as recorded (size, times, inode, device) keeps its recorded digest."""
    paths = settled
    opened: list[str] = []
    assert _digests(paths, opened, monkeypatch) == [_sha(p) for p in paths]
    assert opened == ["c0.yaml", "c1.yaml", "c2.yaml"]
    opened.clear()
    assert _digests(paths, opened, monkeypatch) == [_sha(p) for p in paths]
    assert opened == []
    # Another set of paths has its own records.
    assert _digests(paths[:2], opened, monkeypatch) == [_sha(p) for p in paths[:2]]
    assert opened == ["c0.yaml", "c1.yaml"]


@posix_only
def test_a_change_with_the_modification_time_put_back_is_seen(
    settled: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same size, modification time restored (as `touch -r` does): the change time moved."""
    paths = settled
    before = os.stat(paths[1])
    _digests(paths, [], monkeypatch)
    paths[1].write_text("case: 9\n", encoding="utf-8")
    os.utime(paths[1], ns=(before.st_atime_ns, before.st_mtime_ns))
    if os.stat(paths[1]).st_ctime_ns == before.st_ctime_ns:
        pytest.skip("this file system's change time did not move")
    opened: list[str] = []
    assert _digests(paths, opened, monkeypatch) == [_sha(p) for p in paths]
    assert opened == ["c1.yaml"]


@posix_only
def test_a_file_changed_just_before_it_was_read_is_not_recorded(
    cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change within the clock's tick could leave its times as recorded: read it again."""
    paths = _files(tmp_path)  # written now: not settled by the default rule
    _digests(paths, [], monkeypatch)
    opened: list[str] = []
    _digests(paths, opened, monkeypatch)
    assert opened == ["c0.yaml", "c1.yaml", "c2.yaml"]


@posix_only
def test_missing_files_and_damaged_records(
    settled: list[Path], cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = settled
    gone = tmp_path / "gone.yaml"
    assert _digests([*paths, gone], [], monkeypatch)[3] is None
    for entry in (cache_home / "digests").glob("*.digests"):
        entry.write_bytes(b"garbage")
    opened: list[str] = []
    assert _digests([*paths, gone], opened, monkeypatch) == [*(_sha(p) for p in paths), None]
    assert opened == ["c0.yaml", "c1.yaml", "c2.yaml", "gone.yaml"]  # tried: never recorded
    # Records of another length than the paths' (framed and intact) are not used.
    (entry,) = (cache_home / "digests").glob("*.digests")
    key = entry.stem
    assert cache._write_private(entry.parent, entry.name, cache._framed(key, b"\1" * 100))
    opened.clear()
    assert _digests([*paths, gone], opened, monkeypatch) == [*(_sha(p) for p in paths), None]
    assert opened == ["c0.yaml", "c1.yaml", "c2.yaml", "gone.yaml"]
