"""Headless Chromium for the report: a screenshot (docs/report.png) and the rendered DOM (its test).

Uses Debian's `chromium` (/usr/bin/chromium; `make chromium` installs it, as
root), or the executable $SALES_KPIS_CHROMIUM names. Without one, the
dashboard's rendering tests are skipped, saying so (:data:`NO_CHROMIUM`).
The flags keep it off the network (a closed network otherwise makes it retry
Google's hosts), and a fresh profile directory per run keeps runs independent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


#: Why there is no Chromium, and the way out (the rendering tests' skip reason says the same).
NO_CHROMIUM = ("no Chromium found: install Debian's chromium (`make chromium`, which needs root), "
               "or set SALES_KPIS_CHROMIUM to a Chromium or Chrome executable")


class NoChromium(FileNotFoundError):
    """No Chromium executable: the message says how to get one."""


def find_chromium() -> str | None:
    """The Chromium executable ($SALES_KPIS_CHROMIUM when it is one, else the first on PATH), or None."""
    configured = os.environ.get("SALES_KPIS_CHROMIUM")
    if configured:
        return shutil.which(configured)
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(page: Path, arguments: list[str], timeout: float) -> subprocess.CompletedProcess:
    executable = find_chromium()
    if executable is None:
        raise NoChromium(NO_CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="sales-kpis-chromium-") as profile:
        command = [executable, *FLAGS, f"--user-data-dir={profile}", *arguments, Path(page).resolve().as_uri()]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)


def dump_dom(page: Path, budget_ms: int = 15_000, timeout: float = 180) -> str:
    """The page's DOM after its scripts ran (virtual time budget), as HTML."""
    return _run(page, [f"--virtual-time-budget={budget_ms}", "--dump-dom"], timeout).stdout


def screenshot(page: Path, png: Path, width: int = 1400, height: int = 4000, budget_ms: int = 15_000,
               timeout: float = 180) -> Path:
    """A PNG of the page at width × height pixels."""
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    _run(page, [f"--window-size={width},{height}", f"--virtual-time-budget={budget_ms}", f"--screenshot={png}"], timeout)
    return png
