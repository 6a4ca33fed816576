"""Fixtures shared by the API and portal tests: one headless Debian Chromium for the session.

One fixture here, not one per folder: two live sync Playwright instances in one thread refuse to
start ("Sync API inside the asyncio loop"), so every browser test of tests/publish shares it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("OBSERVATORIO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-dev-shm-usage"]


def _no_browser(reason: str) -> None:
    message = f"Chromium is needed for the portal browser tests: {reason}"
    # Missing Chromium is a failure unless explicitly opted out (see the root conftest).
    if os.environ.get("OBSERVATORIO_SKIP_BROWSER", "") == "1":
        pytest.skip(f"{message}; skipped because OBSERVATORIO_SKIP_BROWSER=1")
    pytest.fail(f"{message}; set OBSERVATORIO_SKIP_BROWSER=1 to skip the browser tests")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the whole session."""
    if not CHROMIUM.is_file():
        _no_browser(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the python package 'playwright' is not installed")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                      headless=True)
        yield chromium
        chromium.close()
