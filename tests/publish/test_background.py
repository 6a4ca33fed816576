"""Start-up work runs in a named thread that shut-down stops and joins."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from observatorio.publish.background import run_at_startup


def test_shutdown_stops_and_joins_the_work() -> None:
    started, seen_stop = threading.Event(), threading.Event()

    def work(state: Any, stop: threading.Event) -> None:
        started.set()
        stop.wait(60)  # like a warm-up checking its stop between steps
        if stop.is_set():
            seen_stop.set()

    app = FastAPI()
    run_at_startup(app, "test-work", work)
    with TestClient(app):
        assert started.wait(10)
        alive = [t for t in threading.enumerate() if t.name == "test-work"]
        assert alive and not alive[0].daemon
    assert seen_stop.is_set()
    assert not any(t.name == "test-work" for t in threading.enumerate())
