"""Shared fixtures: the shipped and tiny ontologies, paths, and the --update-golden switch."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest

from combmap import Ontology, load_ontology

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TINY = DATA / "tiny"
CASES = ROOT / "cases"
SHARED = ROOT.parent / "shared"


def pytest_configure(config: pytest.Config) -> None:
    """Keep the caches of a test run out of the user's cache directory.

    The suite runs with the caches on (the default) and, in CI, again in part with
    COMBMAP_NO_CACHE=1 (see .ci/run), so both ways of loading are tested.
    """
    os.environ["COMBMAP_CACHE_DIR"] = tempfile.mkdtemp(prefix="combmap-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    shutil.rmtree(os.environ.pop("COMBMAP_CACHE_DIR", ""), ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    off = os.environ.get("COMBMAP_NO_CACHE", "").strip() not in ("", "0")
    return f"combmap caches: {'off (COMBMAP_NO_CACHE)' if off else 'on'}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite golden files from the current output instead of comparing.",
    )


@pytest.fixture(scope="session")
def onto() -> Ontology:
    return load_ontology()


@pytest.fixture(scope="session")
def tiny() -> Ontology:
    return load_ontology(base=TINY)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def run_cli(
    capsys: pytest.CaptureFixture[str],
    *args: str,
    stdin: str | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[int, str, str]:
    """Run the CLI in-process through its error boundary: exit code, stdout, stderr."""
    from combmap.cli import main

    if stdin is not None:
        assert monkeypatch is not None, "pass monkeypatch to feed stdin"
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 1), out, err
