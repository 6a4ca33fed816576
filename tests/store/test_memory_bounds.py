"""A server process bounds its memory through Settings: DuckDB's memory limit and threads, and
glibc's malloc arenas (docs/benchmarks.md, "Memory")."""

from __future__ import annotations

import platform
from pathlib import Path

from observatorio.publish.api.store_access import StoreHandle
from observatorio.settings import Settings
from observatorio.store.duck import Store
from observatorio.store.heap import limit_arenas


def test_the_served_store_takes_duckdbs_limits_from_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    Store.open(path).close()  # an empty store: the schema only
    settings = Settings(db=path, duckdb_memory_mb=200, duckdb_threads=1)
    handle = StoreHandle.open(settings)
    try:
        cursor = handle.store.cursor()  # a request's cursor follows the instance's settings
        limit, threads, background = cursor.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('allocator_background_threads')").fetchone()
    finally:
        handle.store.close()
    # DuckDB reports the limit in its own units (200 MB = 190.7 MiB)
    assert limit.endswith("MiB") and 185 < float(limit.split()[0]) < 201
    assert threads == 1
    assert background is True  # what queries freed goes back to the system, not kept


def test_the_malloc_arenas_are_capped_on_glibc() -> None:
    # other C libraries have no arenas to cap: nothing is set there
    assert limit_arenas(2) == (platform.libc_ver()[0] == "glibc")
    assert not limit_arenas(0)  # 0 leaves glibc's default


def test_a_server_process_gives_arrow_the_c_librarys_malloc(tmp_path: Path) -> None:
    # so that malloc_trim (store/heap.py) returns what Arrow freed: mimalloc kept it
    import pyarrow as pa

    from observatorio.publish.api.app import create_app

    before = pa.default_memory_pool()
    try:
        create_app(Settings(db=tmp_path / "none.duckdb"))
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(before)
