"""One read-only store per process, opened on first use, and its version for ETags and caches.

DuckDB allows one writer or many readers per file: restart the server after a load.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Annotated

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

    @classmethod
    def open(cls, settings: Settings) -> StoreHandle:
        store = Store.open(settings.db_path, read_only=True)
        version = store.version()
        row = store.con.cursor().execute("SELECT max(loaded_at) FROM loads").fetchone()
        loaded = row[0] if row and row[0] else datetime(1970, 1, 1)
        stamp = format_datetime(loaded.replace(tzinfo=timezone.utc, microsecond=0), usegmt=True)
        return cls(store, version, stamp)


def store_handle(request: Request) -> StoreHandle:
    """The application's store (opened once, shared by every thread through cursors)."""
    state = request.app.state
    handle: StoreHandle | None = getattr(state, "store_handle", None)
    if handle is None:
        with _LOCK:
            handle = getattr(state, "store_handle", None)
            if handle is None:
                try:
                    handle = StoreHandle.open(state.settings)
                except StoreMissing:
                    raise ApiError(503, "store_missing", None, "api.store_missing") from None
                state.store_handle = handle
    return handle


StoreDep = Annotated[StoreHandle, Depends(store_handle)]
