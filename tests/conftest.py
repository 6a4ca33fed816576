"""Fixtures shared by the whole suite: the real bundled data and one store loaded from it.

Also the suite's rules: hypothesis runs the deterministic ``ci`` profile unless
``HYPOTHESIS_PROFILE=long`` asks for many random examples, and a skipped test fails the run
unless an opt-out variable allows it (see ``OPT_OUTS``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from cases import pgserver
from observatorio.cases.db import upgrade
from observatorio.loading import load_bundled
from observatorio.settings import get_settings
from observatorio.store import Store

REPO = Path(__file__).resolve().parent.parent

# CI must not fail by chance: the same examples every run (derandomize), no wall-clock deadline
# on a shared machine. The long profile explores at random, on demand.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=50, print_blob=True)
settings.register_profile("long", derandomize=False, deadline=None, max_examples=5000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# A skip hides a test that did not run. Each opt-out variable allows the skips whose reason
# names it; OBSERVATORIO_ALLOW_SKIPS=1 allows every skip.
OPT_OUTS = ("OBSERVATORIO_SKIP_POSTGRES", "OBSERVATORIO_SKIP_BROWSER")
ALLOW_ALL_SKIPS = "OBSERVATORIO_ALLOW_SKIPS"


def opted_out(variable: str) -> bool:
    """True when ``variable`` (one of ``OPT_OUTS``) is set to 1."""
    return os.environ.get(variable, "") == "1"


def _skip_allowed(reason: str) -> bool:
    if opted_out(ALLOW_ALL_SKIPS):
        return True
    return any(var in reason and opted_out(var) for var in OPT_OUTS)


def _fail_unallowed_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    if _skip_allowed(reason):
        return
    report.outcome = "failed"
    report.longrepr = (
        f"skipped, which fails the run: {reason}\n"
        f"(set {ALLOW_ALL_SKIPS}=1, or the opt-out variable the message names, to allow it)"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    _fail_unallowed_skip(outcome.get_result())


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _fail_unallowed_skip(report)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The bundled published files (``data/`` in the repository), unchanged."""
    return get_settings().data_path


@pytest.fixture(scope="session")
def bundled_store_path(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A DuckDB store with every bundled source loaded once for the whole test session."""
    path = tmp_path_factory.mktemp("store") / "observatorio.duckdb"
    with Store.open(path) as store:
        load_bundled(store, data_dir=data_dir)
    return path


@pytest.fixture()
def bundled_store(bundled_store_path: Path) -> Iterator[Store]:
    """The session store opened read-only."""
    with Store.open(bundled_store_path, read_only=True) as store:
        yield store


@pytest.fixture()
def localhost_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No proxy, no real pause between a refresh's retries, and any connection to an address
    other than 127.0.0.1 fails the test (only the internet is imitated, by local servers)."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("OBSERVATORIO_REFRESH_BACKOFF_S", "0.01")
    connect = socket.socket.connect

    def guarded(sock: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        assert host == "127.0.0.1", f"a test tried to leave localhost: {address!r}"
        connect(sock, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


#: Start of a child process a test kills: ``sys.argv[1]`` is the mode. Every store transaction
#: prints IN_TRANSACTION after BEGIN and BEFORE_COMMIT before COMMIT, and waits there when the
#: mode is "in_transaction" or "before_commit"; the test's body follows, with its own arguments
#: from ``sys.argv[2:]``.
_KILLABLE = textwrap.dedent("""\
    import sys, time
    from contextlib import contextmanager
    from observatorio.store import Store

    mode = sys.argv[1]
    original = Store.transaction

    @contextmanager
    def marked(self):
        with original(self):
            print("IN_TRANSACTION", flush=True)
            if mode == "in_transaction":
                time.sleep(60)
            yield
            print("BEFORE_COMMIT", flush=True)
            if mode == "before_commit":
                time.sleep(60)

    Store.transaction = marked
""")


@pytest.fixture()
def run_and_kill(tmp_path: Path) -> Callable[[str, list[str], str], list[str]]:
    """Run ``body`` in a child process and SIGKILL it at the moment ``mode`` says: right after
    BEGIN ("in_transaction"), just before COMMIT ("before_commit"), or ``delay:<seconds>`` after
    it printed READY. Returns the markers it printed."""

    def run(body: str, args: list[str], mode: str) -> list[str]:
        script = tmp_path / "child.py"
        script.write_text(_KILLABLE + textwrap.dedent(body), encoding="utf-8")
        kind = mode.split(":")[0]
        child = subprocess.Popen([sys.executable, str(script), kind, *args], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, env={**os.environ})
        assert child.stdout is not None
        wait_for = {"in_transaction": "IN_TRANSACTION", "before_commit": "BEFORE_COMMIT"}.get(kind, "READY")
        seen: list[str] = []
        for line in child.stdout:
            seen.append(line.strip())
            if seen[-1] == wait_for:
                break
        if mode.startswith("delay:"):
            time.sleep(float(mode.split(":")[1]))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        return seen + [line.strip() for line in child.stdout]

    return run


# One headless Debian Chromium for the whole session, shared by every browser test (portal,
# API docs, cases pages): two live sync Playwright instances in one thread refuse to start
# ("Sync API inside the asyncio loop").
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


# -- the cases database: one PostgreSQL server per run, shared by every folder of tests -----------


@pytest.fixture(scope="session")
def pg() -> Iterator[pgserver.PgServer | None]:
    """The session's PostgreSQL server, or None when the binaries are missing."""
    try:
        server = pgserver.start()
    except FileNotFoundError:
        yield None
        return
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def templates(pg: pgserver.PgServer | None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated database per backend; each test clones it (cheaper than migrating again)."""
    out: dict[str, str] = {}
    sqlite_file = tmp_path_factory.mktemp("tpl") / "template.sqlite"
    upgrade(f"sqlite:///{sqlite_file}")
    out["sqlite"] = str(sqlite_file)
    if pg is not None:
        admin = create_engine(pg.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("CREATE DATABASE cases_template"))
        admin.dispose()
        upgrade(pg.url("cases_template"))
        out["postgresql"] = "cases_template"
    return out
