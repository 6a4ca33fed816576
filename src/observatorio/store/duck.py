"""The DuckDB statistics store: atomic loads, releases (vintages), lineage, read-only SQL."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from observatorio.errors import (
    PublishedSnapshotWrite,
    ReadOnlyViolation,
    StoreBusy,
    StoreMissing,
)
from observatorio.model.contract import STORE_COLUMNS
from observatorio.model.dimensions import LATEST_ORDER
from observatorio.store.derived import Derived
from observatorio.store.loads import (
    _SCRATCH_VIEWS,
    LoadResult,
)
from observatorio.store.rows import Row, query_rows
from observatorio.store.schema import DDL, LATEST_TABLE_KEY, SCHEMA_VERSION

if TYPE_CHECKING:  # the load path's types: pandas is imported by store/frames.py, never here
    import pandas as pd

#: A store ``x.duckdb`` that publishes through snapshots keeps them in ``x.duckdb.snapshots/``
#: (store/snapshots.py); here so that opening one for writing can be refused.
SNAPSHOTS_FOLDER_SUFFIX = ".snapshots"
SNAPSHOT_SUFFIX = ".duckdb"

_READ_ONLY_START = re.compile(r"^\s*(select|with|describe|show|summarize|explain|from|values|pivot|unpivot)\b", re.I)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Store:
    """One DuckDB file holding every release of every source."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only
        self._cursor_lock = threading.Lock()
        #: What the query layer derives from this store (catalogue, in-memory columns, each
        #: thread's cursor): kept with it, dropped with it.
        self.derived = Derived()
        #: DuckDB's memory (MB) and threads set by :meth:`limit` (None: DuckDB's defaults); a
        #: child process reading this store again applies the same (analysis/forecast/computed.py)
        self.limits: tuple[int, int] | None = None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor for one thread: DuckDB connections must not be used by two threads at once,
        and even creating a cursor touches the shared connection, so it happens under a lock."""
        with self._cursor_lock:
            return self.con.cursor()

    @classmethod
    def open(cls, path: Path | str, read_only: bool = False) -> Store:
        """Open (and for writing, create) the store at ``path``."""
        path = Path(path)
        if read_only:
            if not path.exists():
                raise StoreMissing(path=str(path))
            return cls(_connect(path, read_only=True), path, True)
        published = published_snapshot(path)
        if published is not None:
            raise PublishedSnapshotWrite(path=str(path), snapshot=published.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        con = _connect(path, read_only=False)
        store = cls(con, path, False)
        store._ensure_schema()
        return store

    def limit(self, memory_mb: int, threads: int) -> None:
        """Bound DuckDB's memory (buffer pool and queries) and threads: settings of the whole
        database instance, so every cursor of this store follows them."""
        self.con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
        self.con.execute(f"SET threads TO {int(threads)}")
        self.limits = (int(memory_mb), int(threads))
        # DuckDB's allocator keeps what a query freed (outside the buffer pool, which the limit
        # bounds) until a later query reuses it: the deaths page's read of 20,000 rows' JSON
        # attributes left a worker 25-30 MB larger for good. A background thread returns it to
        # the system after a few seconds idle (measured in docs/benchmarks.md, "Memory").
        self.con.execute("SET allocator_background_threads = true")

    def close(self) -> None:
        # each thread's cursor closed here, not by its thread's end (store/derived.py)
        self.derived.close_cursors()
        self.derived = Derived()  # the cursors and columns of a closed store are of no use
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_schema(self) -> None:
        # Only touch the file when the DDL changed: opening a store to load a file that then
        # fails validation must leave the store byte-for-byte as it was.
        ddl_sha = hashlib.sha256("\n;\n".join(DDL).encode()).hexdigest()
        meta = self._schema_meta()
        if meta is not None and meta.get("ddl_sha256") == ddl_sha and (
                meta.get("schema_version") == str(SCHEMA_VERSION)):
            return
        with self.transaction():
            for statement in DDL:
                self.con.execute(statement)
            # A store from before observations_latest (or left by another schema, which may not
            # have kept it): rebuilt whole, in this same transaction. A new file has nothing to copy.
            held = self.con.execute("SELECT EXISTS (SELECT 1 FROM observations_history)").fetchone()
            if held and held[0]:
                self._refresh_latest()
            self._put_meta({"schema_version": str(SCHEMA_VERSION), "ddl_sha256": ddl_sha,
                            LATEST_TABLE_KEY: ddl_sha})

    def _schema_meta(self) -> dict[str, str] | None:
        """The schema keys of ``store_meta``; None for a file without it (a new store). Asked of
        the catalog first: a failing lookup costs more than the rest of opening a store."""
        held = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = 'store_meta'").fetchone()
        if not held or not held[0]:
            return None
        rows = self.con.execute("SELECT key, value FROM store_meta WHERE key IN "
                                "('ddl_sha256', 'schema_version')").fetchall()
        return {str(key): str(value) for key, value in rows}

    def _put_meta(self, values: dict[str, str]) -> None:
        """Set keys of ``store_meta`` (inside a transaction). A delete and one insert: DuckDB's
        ``INSERT OR REPLACE`` costs several milliseconds a statement, this a fraction of one."""
        keys = list(values)
        marks = ", ".join("?" for _ in keys)
        self.con.execute(f"DELETE FROM store_meta WHERE key IN ({marks})", keys)  # noqa: S608
        pairs = ", ".join("(?, ?)" for _ in keys)
        self.con.execute(f"INSERT INTO store_meta VALUES {pairs}",  # noqa: S608
                         [part for item in values.items() for part in item])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: an exception (or a killed process) leaves the store as it was."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            for name in sorted(_SCRATCH_VIEWS):  # data a failed statement could not unregister
                self.con.unregister(name)
            raise
        self.con.execute("COMMIT")

    # -- loading ---------------------------------------------------------------------------

    def find_load(self, source: str, sha256: str, release: date) -> str | None:
        row = self.con.execute(
            "SELECT load_id FROM loads WHERE source = ? AND sha256 = ? AND release = ?",
            [source, sha256, release],
        ).fetchone()
        return None if row is None else str(row[0])

    def load_frame(
        self,
        frame: pd.DataFrame,
        *,
        source: str,
        release: date,
        source_file: str,
        sha256: str,
        source_meta: dict[str, Any] | None = None,
        warnings: pd.DataFrame | None = None,
        also: Callable[[str], None] | None = None,
    ) -> LoadResult:
        """Add one validated release of a source in a single transaction (store/frames.py).

        Loading the same file for the same release again changes nothing. ``warnings`` (columns
        ``LOAD_WARNING_COLUMNS`` but ``load_id``) go to ``load_warnings`` in the same transaction;
        ``also(load_id)`` writes more records of the load (a refresh's report) in it too.
        """
        # Imported here, not at the top: a server worker only reads and never imports pandas
        # (issue #12); whoever loads a frame has pandas already.
        from observatorio.store.frames import load_frame

        return load_frame(self, frame, source=source, release=release, source_file=source_file,
                          sha256=sha256, source_meta=source_meta, warnings=warnings, also=also)

    def _mark_latest(self, source: str) -> str:
        """Mark the latest load of ``source`` and return its id. Latest = newest release; for the
        same release, the newest load (a corrected file)."""
        row = self.con.execute(
            "SELECT load_id FROM loads WHERE source = ? ORDER BY release DESC, loaded_at DESC LIMIT 1",
            [source],
        ).fetchone()
        assert row is not None, source  # called after a load of the source was recorded
        latest = str(row[0])
        self.con.execute("UPDATE loads SET is_latest = (load_id = ?) WHERE source = ?", [latest, source])
        return latest

    def _refresh_latest(self, source: str | None = None) -> None:
        """Copy the rows of the latest load of ``source`` (of every source: None) into
        ``observations_latest``, sorted by LATEST_ORDER. Called inside the load's transaction,
        after ``_mark_latest``: readers see the new release's rows and its ``is_latest`` together."""
        cols = ", ".join(f'"{c.name}"' for c in STORE_COLUMNS)
        order = ", ".join(f'"{c}"' for c in LATEST_ORDER)
        if source is None:
            self.con.execute("DELETE FROM observations_latest")
            latest, params = "SELECT load_id FROM loads WHERE is_latest", []
        else:
            self.con.execute("DELETE FROM observations_latest WHERE source = ?", [source])
            latest, params = "SELECT load_id FROM loads WHERE is_latest AND source = ?", [source]
        self.con.execute(
            f"INSERT INTO observations_latest ({cols}) SELECT {cols} FROM observations_history "  # noqa: S608
            f"WHERE load_id IN ({latest}) ORDER BY {order}",
            params,
        )

    def _upsert_source(self, source: str, meta: dict[str, Any]) -> None:
        # Delete and insert rather than INSERT OR REPLACE: the same result, several times cheaper.
        self.con.execute("DELETE FROM sources WHERE source = ?", [source])
        self.con.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [source, meta.get("publisher"), meta.get("title_es"), meta.get("title_en"),
             meta.get("licence"), meta.get("dataflow"), meta.get("url"), meta.get("homepage"),
             list(meta.get("caveats_es", ())), list(meta.get("caveats_en", ()))],
        )

    def mark_changed(self) -> None:
        """A new version without a load (a refresh attempt was recorded): caches and ETags that
        show it must change too. Call inside a transaction."""
        self._bump_version()

    def _bump_version(self) -> None:
        self._put_meta({"version": datetime.now(UTC).isoformat()})

    # -- reading ---------------------------------------------------------------------------

    def version(self) -> str:
        """Changes whenever a load changes the store (for ETags and caches)."""
        row = self.con.execute("SELECT value FROM store_meta WHERE key = 'version'").fetchone()
        return str(row[0]) if row else "empty"

    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """The answer as a frame, for the CLI, reports and tests; server-side code reads
        ``query_rows`` (pandas is imported on the first call: store/frames.py)."""
        from observatorio.store.frames import query_df

        return query_df(self, sql, params)

    def query_rows(self, sql: str, params: Sequence[Any] | None = None) -> list[Row]:
        """The answer as plain rows (store/rows.py): what server-side code reads, without pandas."""
        return query_rows(self.con, sql, params)

    def sources_summary(self) -> pd.DataFrame:
        """One row per source: latest release, rows, period covered, loaded at (a frame)."""
        from observatorio.store.frames import sources_summary

        return sources_summary(self)


def check_read_only(sql: str) -> None:
    """Refuse anything but a single read-only statement (the ``sql`` command's contract)."""
    body = sql.strip().rstrip(";")
    if not _READ_ONLY_START.match(body) or ";" in _strip_strings(body):
        raise ReadOnlyViolation()


def _strip_strings(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


_LOCK_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def published_snapshot(path: Path) -> Path | None:
    """The published snapshot that ``path`` is or links to, else None (a plain store file, a
    new file, or a copy still being written as ``….duckdb.partial``). Readers may have it open at
    any moment, so it is never written again: every writer publishes a new one instead."""
    real = Path(os.path.realpath(path))
    if (real.parent.name.endswith(SNAPSHOTS_FOLDER_SUFFIX) and real.name.endswith(SNAPSHOT_SUFFIX)
            and real.exists()):
        return real
    return None


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection, or StoreBusy when another process holds the file's lock."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        found = _LOCK_HOLDER.search(str(exc))
        holder = f"PID {found['pid']}, {found['program']}" if found else "?"
        raise StoreBusy(path=str(path), holder=holder) from None


def open_read_only(path: Path) -> Store:
    """Open the store for reading (the connection itself refuses writes)."""
    return Store.open(path, read_only=True)
