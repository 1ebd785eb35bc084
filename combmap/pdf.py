"""Print an HTML report to PDF with a headless Chromium (or Chrome), when one is installed.

Chromium is run with a fresh, throw-away profile and with everything that could reach the
network at start-up turned off; the page itself makes no request (see `combmap.report`), so
the PDF is made entirely on this machine. The page size and margins come from the report's
print CSS (A4), so printing from a browser gives the same pages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from combmap.errors import RenderError

#: Environment variable naming the browser to print with (a path or a command name).
BROWSER_ENV = "COMBMAP_CHROMIUM"
#: Commands tried in order when the variable is unset.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Seconds the browser may take to print.
PRINT_TIMEOUT = 120
#: Flags for a quiet, offline, one-shot run.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
)


def find_browser() -> str | None:
    """The Chromium or Chrome executable to print with, if any."""
    wanted = os.environ.get(BROWSER_ENV)
    if wanted:
        return shutil.which(wanted) or (wanted if Path(wanted).is_file() else None)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(page: str, *, browser: str | None = None) -> bytes:
    """Print an HTML page to PDF bytes with headless Chromium.

    Raises:
        RenderError: no browser is installed, it failed, or it took too long.
    """
    executable = browser or find_browser()
    if executable is None:
        raise RenderError(
            "PDF output prints the HTML report with Chromium, which is not installed: install "
            "it (Debian/Ubuntu: apt-get install chromium; macOS: brew install --cask chromium), "
            f"set {BROWSER_ENV} to a Chrome or Chromium executable, or write -o report.html "
            "and print it from a browser"
        )
    with tempfile.TemporaryDirectory(prefix="combmap-pdf-") as folder:
        where = Path(folder)
        source = where / "report.html"
        target = where / "report.pdf"
        source.write_text(page, encoding="utf-8")
        command = [
            executable,
            *FLAGS,
            f"--user-data-dir={where / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=PRINT_TIMEOUT, check=False, cwd=folder
            )
        except subprocess.TimeoutExpired:
            raise RenderError(f"Chromium took longer than {PRINT_TIMEOUT} s to print the report") from None
        except OSError as error:
            raise RenderError(f"Chromium ({executable}) could not be run: {error.strerror or error}") from None
        if not target.is_file() or target.stat().st_size == 0:
            detail = " ".join(done.stderr.decode("utf-8", "replace").split())[-400:]
            raise RenderError(
                f"Chromium did not print the report (exit status {done.returncode}): {detail}"
            )
        return target.read_bytes()


__all__ = ["BROWSER_ENV", "find_browser", "html_to_pdf"]
