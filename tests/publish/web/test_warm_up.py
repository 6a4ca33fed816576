"""The portal's background warm-up: stopped and joined at shut-down, never left in DuckDB.

A daemon warm-up thread still inside DuckDB when the interpreter finalised aborted the whole
process ("terminate called … FATAL: exception not rethrown", exit 134) after every test had
passed; these tests keep that from coming back.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from observatorio.publish.api.app import create_app
from observatorio.publish.web import analysis_bridge
from observatorio.settings import Settings

STOP_EARLY = textwrap.dedent(
    """
    import sys, time
    from fastapi.testclient import TestClient
    from observatorio.publish.api.app import create_app
    from observatorio.settings import Settings

    app = create_app(Settings(db=sys.argv[1]))
    with TestClient(app) as client:
        client.get("/api/v1/sources")
        time.sleep(0.5)  # the warm-up is now inside DuckDB
    time.sleep(0.5)
    print("exited")
    """
)


def _warm_up_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "portal-warm-up"]


def test_process_stopped_during_warm_up_exits_cleanly(portal_store_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", STOP_EARLY, str(portal_store_path)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert "FATAL" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "exited"


def test_shutdown_joins_the_warm_up_thread(portal_settings: Settings) -> None:
    app = create_app(portal_settings)
    with TestClient(app):
        assert _warm_up_threads(), "the start-up hook starts the warm-up"
    assert not _warm_up_threads(), "the shut-down hook joins it"


def test_stopped_warm_up_computes_nothing(portal_settings: Settings) -> None:
    state = SimpleNamespace(settings=portal_settings)
    stop = threading.Event()
    stop.set()
    analysis_bridge.warm_up(state, stop)
    assert getattr(state, "forecast_cache", None) is None
    assert getattr(state, "portal_forecast", None) is None


def test_stop_interrupts_the_forecast_between_series(portal_settings: Settings,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    state = SimpleNamespace(settings=portal_settings)
    stop = threading.Event()
    seen: list[str] = []
    real = analysis_bridge.forecast_release

    def forecast_then_stop(app_state: object, **kwargs: object) -> object:
        progress = kwargs["progress"]

        def count_and_stop(series_id: str) -> None:
            seen.append(series_id)
            stop.set()  # as if the server were shut down while the first series ran
            progress(series_id)  # type: ignore[operator]

        kwargs["progress"] = count_and_stop
        return real(app_state, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(analysis_bridge, "forecast_release", forecast_then_stop)
    analysis_bridge.warm_up(state, stop)
    assert len(seen) == 1, "the forecast stops at the first series after the stop"
    assert getattr(state, "portal_forecast", None) is None


def test_the_portal_warm_up_starts_after_the_apis(portal_settings: Settings,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Both at once made a worker's start-up peak of memory their sum (docs/benchmarks.md).
    import time

    state = SimpleNamespace(settings=portal_settings, api_warmed=threading.Event())
    seen: list[bool] = []
    monkeypatch.setattr(analysis_bridge, "country_analysis",
                        lambda app_state, *args, **kwargs: seen.append(app_state.api_warmed.is_set()))
    monkeypatch.setattr(analysis_bridge, "forecast_release", lambda *args, **kwargs: None)
    thread = threading.Thread(target=analysis_bridge.warm_up, args=(state, threading.Event()))
    thread.start()
    time.sleep(0.5)  # not a timing assertion: room for a warm-up that did not wait to run
    state.api_warmed.set()
    thread.join()
    assert seen == [True]
