"""Start-up work of a server process, run in a thread that shut-down stops and joins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI


def run_at_startup(app: FastAPI, name: str, work: Callable[[Any, threading.Event], None]) -> None:
    """Run ``work(app.state, stop)`` in a thread named ``name`` at each start-up of ``app``;
    at shut-down set ``stop`` and join the thread.

    The thread is not a daemon and ``work`` must return soon after ``stop`` is set: a daemon
    thread still inside DuckDB when the interpreter finalises aborts the whole process
    ("terminate called … FATAL: exception not rethrown", exit 134) — which is what a server,
    or a test run, stopped during its warm-up used to do.
    """
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start() -> None:
        stop.clear()
        # explicit: a thread otherwise inherits the daemon flag of its creator, and the
        # start-up hooks may run in a daemon thread (TestClient's portal, a threaded uvicorn)
        thread = threading.Thread(target=work, args=(app.state, stop), name=name, daemon=False)
        threads.append(thread)
        thread.start()

    def finish() -> None:
        stop.set()
        while threads:
            threads.pop().join()

    app.router.on_startup.append(start)
    app.router.on_shutdown.append(finish)
