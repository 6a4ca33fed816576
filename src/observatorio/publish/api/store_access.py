"""One read-only store per process, opened on first use, and its version for ETags and caches.

DuckDB allows one writer or many readers per file: restart the server after a load.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from observatorio.errors import StoreMissing
from observatorio.publish.api.errors import ApiError
from observatorio.settings import Settings
from observatorio.store import Store

_LOCK = threading.Lock()


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
    def open(cls, settings: Settings) -> StoreHandle:
        store = Store.open(settings.db_path, read_only=True)
        # Many small concurrent queries: parallelism inside one query only adds contention.
        store.con.execute("SET threads TO 1")
        version = store.version()
        if version == "empty":  # a store never loaded: still a valid date-time for SDMX
            version = "1970-01-01T00:00:00+00:00"
        rows = store.cursor().execute("SELECT max(loaded_at) FROM loads").fetchall()
        loaded = rows[0][0] if rows and rows[0][0] else datetime(1970, 1, 1)
        stamp = format_datetime(loaded.replace(tzinfo=UTC, microsecond=0), usegmt=True)
        return cls(store, version, stamp)


def get_handle(state: Any) -> StoreHandle:
    """The store of an app's state, opened on first use (StoreMissing if there is none)."""
    handle: StoreHandle | None = getattr(state, "store_handle", None)
    if handle is None:
        with _LOCK:
            handle = getattr(state, "store_handle", None)
            if handle is None:
                handle = StoreHandle.open(state.settings)
                state.store_handle = handle
    return handle


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


def store_handle(request: Request) -> StoreHandle:
    """The application's store (opened once, shared by every thread through cursors)."""
    try:
        return get_handle(request.app.state)
    except StoreMissing:
        raise ApiError(503, "store_missing", None, "api.store_missing") from None


StoreDep = Annotated[StoreHandle, Depends(store_handle)]
