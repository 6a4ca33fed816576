"""Fixtures of the portal tests: a real uvicorn server on 127.0.0.1 and one headless Chromium."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from observatorio.publish.api.app import create_app
from observatorio.settings import Settings

from ..live_server import serving

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def portal_store_path(request: pytest.FixtureRequest) -> Path:
    """The session store (OBSERVATORIO_WEB_TEST_DB may name a prebuilt one, for quick reruns)."""
    prebuilt = os.environ.get("OBSERVATORIO_WEB_TEST_DB")
    if prebuilt:
        return Path(prebuilt)
    path: Path = request.getfixturevalue("bundled_store_path")
    return path


@pytest.fixture(scope="session")
def portal_settings(portal_store_path: Path) -> Settings:
    return Settings(db=portal_store_path)


@pytest.fixture(scope="session")
def server_url(portal_settings: Settings) -> Iterator[str]:
    """A real uvicorn server in a thread, serving the app on a free local port."""
    with serving(create_app(portal_settings)) as url:
        # The first country profile makes the analysis engine read every indicator's frames;
        # do it here, once, so page loads in the tests measure the portal, not that warm-up.
        with httpx.Client(base_url=url, timeout=600) as client:
            client.get("/es/paises/GTM/").raise_for_status()
            # The same background warm-up then computes the forecast release (the bundled store
            # holds none); wait for it so the pages draw their forecast charts deterministically.
            deadline = time.monotonic() + 600
            while "data-forecast-pending" in client.get("/es/").text:
                if time.monotonic() > deadline:
                    raise RuntimeError("the portal's forecast warm-up did not finish")
                time.sleep(0.5)
        yield url  # on exit, the server's shut-down joins the warm-up thread


class PageLog:
    """Every request, failed request and console error seen by a page."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []

    def clear(self) -> None:
        self.requests.clear()
        self.failed.clear()
        self.errors.clear()


@pytest.fixture(scope="session")
def page_and_log(browser: Any) -> Iterator[tuple[Any, PageLog]]:
    """One browser page reused by every test, with its log (cleared by each visit)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(120_000)  # a busy shared machine; no timing is asserted
    log = PageLog()
    page.on("request", lambda r: log.requests.append(r.url))
    page.on("requestfailed", lambda r: log.failed.append(f"{r.url} {r.failure}"))
    page.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.errors.append(str(e)))
    yield page, log
    context.close()
