"""The store service of an app: which read-only store snapshot is in force, and its version
for ETags and caches.

Publications write new snapshot files and move a link (store/snapshots.py); the service looks at
the link when a request starts and, when it moved (or an embargo passed), opens the new file for
that request and the ones after it. A request keeps the snapshot it started with to its end
(:class:`PinStoreForRequest`), so no answer mixes two publications. No restart is needed.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from observatorio.errors import StoreMissing
from observatorio.publish.api.errors import ApiError
from observatorio.settings import Settings
from observatorio.store import Store, snapshots

_LOCK = threading.Lock()
_PINNED: contextvars.ContextVar[StoreHandle | None] = contextvars.ContextVar(
    "observatorio_store_handle", default=None)


@dataclass(frozen=True)
class StoreHandle:
    """The open store and what identifies its content."""

    store: Store
    version: str
    last_modified: str  # HTTP date of the last load

    @property
    def version_id(self) -> str:
        """The version as an SDMX-safe id (message ids)."""
        return re.sub(r"[^A-Za-z0-9_@$-]", "-", self.version)

    @classmethod
    def open(cls, settings: Settings, path: Path | None = None) -> StoreHandle:
        """Open the store file ``path`` (the settings' store by default) read-only."""
        store = Store.open(path or settings.db_path, read_only=True)
        # Many small concurrent queries, in a process whose memory is bounded (Settings).
        store.limit(settings.duckdb_memory_mb, settings.duckdb_threads)
        version = store.version()
        if version == "empty":  # a store never loaded: still a valid date-time for SDMX
            version = "1970-01-01T00:00:00+00:00"
        rows = store.cursor().execute("SELECT max(loaded_at) FROM loads").fetchall()
        loaded = rows[0][0] if rows and rows[0][0] else datetime(1970, 1, 1)
        stamp = format_datetime(loaded.replace(tzinfo=UTC, microsecond=0), usegmt=True)
        return cls(store, version, stamp)


class StoreService:
    """Owns "which snapshot is current" for one app: nothing about queries."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = snapshots.utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._handle: StoreHandle | None = None
        self._seen: tuple[str, int, int] | None = None
        # A new snapshot's warm-up threads: not daemons, stopped and joined by close(). A daemon
        # thread still inside DuckDB when the interpreter finalises aborts the process
        # ("terminate called … FATAL: exception not rethrown"), see publish/background.py.
        self._stop = threading.Event()
        self._warm_ups: list[threading.Thread] = []

    def current(self) -> StoreHandle:
        """The handle of the snapshot in force now (StoreMissing if there is no store)."""
        db_path = self.settings.db_path
        target = snapshots.in_force(db_path, self.clock())
        try:
            stat = target.stat()
        except FileNotFoundError:
            raise StoreMissing(path=str(db_path)) from None
        # The file's identity: a moved link names another file; a plain store rebuilt in place
        # (the embedded layout, with the server stopped) has another inode or mtime.
        seen = (str(target), stat.st_ino, stat.st_mtime_ns)
        handle = self._handle
        if handle is not None and seen == self._seen:
            return handle
        with self._lock:
            if self._handle is None or seen != self._seen:
                # The old handle is not closed: requests still running finish on it, and it is
                # dropped when the last of them lets go.
                self._handle, self._seen = StoreHandle.open(self.settings, target), seen
                if handle is not None:
                    self._after_switch(db_path, self._handle)
            return self._handle

    def _after_switch(self, db_path: Path, handle: StoreHandle) -> None:
        # The new snapshot's latest rows into memory, as at start-up (until then DuckDB answers).
        thread = threading.Thread(target=_read_into_memory,
                                  args=(handle, self.settings.api_memory_rows, self._stop.is_set),
                                  name="api-snapshot-warm-up", daemon=False)
        self._warm_ups = [t for t in self._warm_ups if t.is_alive()] + [thread]
        thread.start()
        # Make the link follow an embargo readers already honour (best effort: any process may).
        if snapshots.is_enabled(db_path) and os.access(db_path.parent, os.W_OK):
            # never wait: a publication in progress holds the lock, and this is a request
            with contextlib.suppress(OSError):
                snapshots.promote_due(db_path, self.clock(), wait=False)


    def close(self) -> None:
        """Stop and join the warm-ups of new snapshots, and close the request threads' cursors
        (at the app's shut-down, when no request runs): a pool thread ending later, during the
        interpreter's finalisation, must have no DuckDB connection to destroy (store/derived.py).
        """
        self._stop.set()
        while self._warm_ups:
            self._warm_ups.pop().join()
        self._stop.clear()  # an app started again (a test client) warms new snapshots again
        if self._handle is not None:
            self._handle.store.derived.close_cursors()  # reopened if the app starts again


def close_service(state: Any) -> None:
    """Shut-down of an app: its store service's background work stops (if it made one)."""
    service: StoreService | None = getattr(state, "store_service", None)
    if service is not None:
        service.close()


def _read_into_memory(handle: StoreHandle, max_rows: int, stop: Callable[[], bool]) -> None:
    import logging

    from observatorio.store import memory
    from observatorio.store.query import StoreCatalogue

    try:
        StoreCatalogue.of(handle.store)
        memory.build(handle.store, max_rows, stop)
    except Exception:  # a warm-up must never take the server down
        logging.getLogger("observatorio.api").exception("API warm-up of a new snapshot failed")


def service_of(state: Any) -> StoreService:
    """The app's store service, made on first use (an app may set its own, e.g. with a clock)."""
    service: StoreService | None = getattr(state, "store_service", None)
    if service is None:
        with _LOCK:
            service = getattr(state, "store_service", None)
            if service is None:
                service = StoreService(state.settings)
                state.store_service = service
    return service


def get_handle(state: Any) -> StoreHandle:
    """The store in force for this request (pinned at its start), or for the app now
    (StoreMissing if there is none)."""
    pinned = _PINNED.get()
    if pinned is not None:
        return pinned
    fixed: StoreHandle | None = getattr(state, "store_handle", None)  # a bulletin's own store
    if fixed is not None:
        return fixed
    return service_of(state).current()


class PinStoreForRequest:
    """ASGI middleware (outermost): one snapshot per request, chosen when it starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            handle: StoreHandle | None = service_of(scope["app"].state).current()
        except StoreMissing:
            handle = None
        token = _PINNED.set(handle)
        try:
            await self.app(scope, receive, send)
        finally:
            _PINNED.reset(token)


def warm_up(state: Any, stop: threading.Event) -> None:
    """Start-up work of a server process, in a background thread: open the store, learn its
    catalogue (codes, latest loads) and read its latest releases into memory, so that the first
    requests neither wait for that nor all do it at once. Requests that come before it is done
    are answered by DuckDB. A failure only means those answers keep coming from DuckDB."""
    import logging

    from observatorio.store import memory
    from observatorio.store.catalogue import StoreCatalogue
    from observatorio.store.heap import give_back_freed_memory

    try:
        handle = get_handle(state)
        StoreCatalogue.of(handle.store)
        memory.build(handle.store, state.settings.api_memory_rows, stop.is_set)
        give_back_freed_memory()  # the reading's temporary arrays
    except StoreMissing:
        return
    except Exception:  # a warm-up must never take the server down
        logging.getLogger("observatorio.api").exception("API warm-up failed")
    finally:
        done = getattr(state, "api_warmed", None)
        if done is not None:
            done.set()


def wait_for_warm_up(state: Any, stop: threading.Event) -> None:
    """Return when the API's warm-up (:func:`warm_up`) is over, or at once when the app runs
    none, or when ``stop`` is set. Another start-up task waits here so that its peak of memory
    does not come on top of the in-memory columns' (a process's peak is what it must fit in)."""
    done: threading.Event | None = getattr(state, "api_warmed", None)
    while done is not None and not done.is_set() and not stop.is_set():
        done.wait(0.2)


def store_handle(request: Request) -> StoreHandle:
    """The application's store (opened once, shared by every thread through cursors)."""
    try:
        return get_handle(request.app.state)
    except StoreMissing:
        raise ApiError(503, "store_missing", None, "api.store_missing") from None


StoreDep = Annotated[StoreHandle, Depends(store_handle)]
