"""What the query layer derives from a store lives and dies with that store (store/derived.py):
no module dictionary keyed by ``id(store)`` keeps a dropped store's columns or catalogue alive,
and another store of the same file starts with nothing of the first one's."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from observatorio.store import Store, memory, reading
from observatorio.store.catalogue import StoreCatalogue


def test_columns_and_catalogue_go_with_their_store(bundled_store_path: Path) -> None:
    store = Store.open(bundled_store_path, read_only=True)
    columns = memory.build(store, 10_000_000)
    assert columns is not None and memory.columns_of(store) is columns
    catalogue = StoreCatalogue.of(store)
    assert StoreCatalogue.of(store) is catalogue  # computed once per store
    other = Store.open(bundled_store_path, read_only=True)
    try:
        assert memory.columns_of(other) is None  # another store: nothing of the first one's
        gone_columns, gone_catalogue = weakref.ref(columns), weakref.ref(catalogue)
        del columns, catalogue
        store.close()
        assert memory.columns_of(store) is None  # a closed store serves no columns
        del store
        gc.collect()
        assert gone_columns() is None and gone_catalogue() is None  # nothing keeps them alive
    finally:
        other.close()


def _in_thread(work: Callable[[], object]) -> object:
    found: list[object] = []
    thread = threading.Thread(target=lambda: found.append(work()))
    thread.start()
    thread.join()
    return found[0]


def test_each_threads_cursor_is_closed_by_the_closing_thread(bundled_store_path: Path) -> None:
    # A DuckDB connection destroyed by its own pool thread while the interpreter finalises
    # aborts the process (duckdb/duckdb#13904): the store's closer closes them all instead.
    store = Store.open(bundled_store_path, read_only=True)
    try:
        cursors = [_in_thread(lambda: reading.cursor(store)) for _ in range(3)]
        mine = reading.cursor(store)
        assert len({id(c) for c in [*cursors, mine]}) == 4  # one per thread
        # the three threads have ended: the next cursor opened closes theirs, here
        assert store.derived.open_cursors() == 1
        for ended in cursors:
            with pytest.raises(duckdb.ConnectionException):
                ended.execute("SELECT 1")  # type: ignore[attr-defined]
        store.derived.close_cursors()
        assert store.derived.open_cursors() == 0
        with pytest.raises(duckdb.ConnectionException):
            mine.execute("SELECT 1")
        assert reading.fetch_all(store, "SELECT 42") == [(42,)]  # a new one on asking again
        assert store.derived.open_cursors() == 1
    finally:
        store.close()
    assert store.derived.open_cursors() == 0


def test_a_stopped_server_leaves_no_cursor_open(bundled_store_path: Path) -> None:
    from fastapi.testclient import TestClient

    from observatorio.publish.api.app import create_app
    from observatorio.publish.api.store_access import get_handle
    from observatorio.settings import Settings

    app = create_app(Settings(db=bundled_store_path, cases_web=False))
    with TestClient(app) as client:
        for path in ("/api/v1/sources", "/api/v1/observations?source=worldbank_population&limit=3"):
            assert client.get(path).status_code == 200
        store = get_handle(app.state).store
        assert store.derived.open_cursors() >= 1  # the request threads' own
    assert store.derived.open_cursors() == 0
    with TestClient(app) as client:  # started again: cursors are opened again
        assert client.get("/api/v1/sources").status_code == 200
