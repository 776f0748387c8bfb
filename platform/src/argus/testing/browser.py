"""The system's Chromium (Debian ``chromium``) driven by Playwright, for web client tests.

Playwright is told where the browser is and never downloads one. Flags as
``TESTING.md`` gives them for headless media playback.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Where the web client tests keep their screenshots (kept by CI as artifacts).
ARTIFACTS_ENV = "ARGUS_TEST_ARTIFACTS"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium() -> str | None:
    """The path of the system's Chromium, or None when it is not installed."""
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    return None


def missing() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if chromium() is None:
        return "Chromium is not installed (Debian package chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright)"
    return None


def artifacts_dir(default: Path) -> Path:
    """Where to keep screenshots: ``$ARGUS_TEST_ARTIFACTS`` or ``default``; created."""
    path = Path(os.environ.get(ARTIFACTS_ENV) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """The system's Chromium, headless, through Playwright (a ``Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
