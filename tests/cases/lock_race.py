"""Races on PostgreSQL made deterministic: one transaction holds a lock while a thread's work
waits on it, and the holder commits only once PostgreSQL shows that wait (no sleeping for a
guessed time). Used by the attack tests on consent withdrawal, erasure and account changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from observatorio.cases.runtime import Runtime

#: how long a thread may take to reach its lock (a hang, not a timing check)
LOCK_WAIT_LIMIT_S = 60
_WAITING = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")


def in_thread(act: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Start ``act`` in a thread; the dict gets its result, or what it raised, as ``value``."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = act()
        except Exception as exc:  # noqa: BLE001 - the outcome under test, whatever it is
            outcome["value"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    return worker, outcome


def until_waiting(rt: Runtime, worker: threading.Thread) -> None:
    """Return once PostgreSQL shows a session waiting on a lock, or the worker has finished.

    Each poll is its own transaction (autocommit): within one transaction PostgreSQL shows the
    first poll's snapshot of pg_stat_activity, so a wait that began later would never be seen
    (one hang in four runs before)."""
    engine = create_engine(rt.url, isolation_level="AUTOCOMMIT")
    try:
        deadline = time.monotonic() + LOCK_WAIT_LIMIT_S
        with engine.connect() as watcher:
            while not watcher.execute(_WAITING).scalar() and worker.is_alive():
                assert time.monotonic() < deadline, "the other side never reached the lock"
                time.sleep(0.05)
    finally:
        engine.dispose()


def holding_commit_until(rt: Runtime, s: Session, other: Callable[[], Any]) -> dict[str, Any]:
    """Arrange that ``s``'s next commit first starts ``other`` in a thread and waits until it
    waits on a lock; the dict gets the thread (``worker``) and ``other``'s outcome (``joined``)."""
    box: dict[str, Any] = {}

    def hold(session: Session) -> None:
        worker, outcome = in_thread(other)
        until_waiting(rt, worker)
        box["worker"], box["outcome"] = worker, outcome

    event.listen(s, "before_commit", hold, once=True)
    return box


def joined(box: dict[str, Any]) -> Any:
    """The outcome of ``holding_commit_until``'s thread, once it ended."""
    box["worker"].join(LOCK_WAIT_LIMIT_S)
    return box["outcome"]["value"]
