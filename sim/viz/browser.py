"""Driving the app in a real browser: Debian's Chromium under Playwright for Python.

For the end-to-end test and the screenshot script. Playwright is a development dependency and
its own browser download is never used: the system's ``/usr/bin/chromium`` is.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "INSTALL_HINT",
    "ChromiumMissing",
    "chromium_path",
    "launch_chromium",
]

#: Where Debian's ``chromium`` package puts the browser (``$SOFTPOWER_CHROMIUM`` overrides).
CHROMIUM = "/usr/bin/chromium"

#: Flags for a quiet headless browser that makes no network calls of its own.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: The one line that tells how to get the browser.
INSTALL_HINT = "Chromium not found at {path}: install it with `apt-get install -y chromium`"


class ChromiumMissing(RuntimeError):
    """The system Chromium is not installed."""


def chromium_path() -> Path:
    """Return the Chromium executable.

    Raises:
        ChromiumMissing: It is not there; the message is the one-line install instruction.

    """
    path = Path(os.environ.get("SOFTPOWER_CHROMIUM", CHROMIUM))
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise ChromiumMissing(INSTALL_HINT.format(path=path))
    return path


def launch_chromium(playwright):
    """Launch the system Chromium headless through a started Playwright (``sync_playwright()``).

    Args:
        playwright: The object ``playwright.sync_api.sync_playwright().start()`` returns.

    Returns:
        A Playwright ``Browser``.

    Raises:
        ChromiumMissing: Chromium is not installed.

    """
    return playwright.chromium.launch(
        executable_path=str(chromium_path()), args=list(CHROMIUM_ARGS), headless=True
    )
