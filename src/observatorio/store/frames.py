"""The store's pandas side: loading a harmonized frame, and answers as frames.

A server worker only reads the store, as plain rows (store/rows.py), and never imports pandas
(issue #12: about 46 MB of every worker's memory). What needs pandas — a load writes a harmonized
``pd.DataFrame`` (through Arrow), the CLI prints frames — lives here, imported by the loaders
(loading.py, the CLI, submissions, refresh) through ``Store``'s methods of the same names,
which import this module only when called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import pyarrow as pa

from observatorio.model.contract import FRAME_COLUMNS, FRAME_NAMES
from observatorio.store.loads import SOURCES_SUMMARY_SQL, LoadNotStored, LoadResult, scratch_view
from observatorio.store.schema import LOAD_WARNING_COLUMNS

if TYPE_CHECKING:
    from observatorio.store.duck import Store

def load_frame(
    store: Store,
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
    """Add one validated release of a source in a single transaction (``Store.load_frame``).

    Loading the same file for the same release again changes nothing. ``warnings`` (columns
    ``LOAD_WARNING_COLUMNS`` but ``load_id``) go to ``load_warnings`` in the same transaction;
    ``also(load_id)`` writes more records of the load (a refresh's report) in it too.
    """
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    load_id = f"{source}@{release.isoformat()}#{sha256[:12]}"
    incoming = frame.loc[:, list(FRAME_NAMES)]
    periods = pd.Series(incoming["period"])
    step = "loads"  # what is being written: named by the error if the store refuses it
    try:
        with store.transaction():
            # First, so that the primary key of ``loads`` refuses a file and release already
            # loaded (the id is made of both) before any row is written: callers have
            # usually just looked (load_file_checked), a second look costs every load.
            store.con.execute(
                "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE)",
                [load_id, source, release, source_file, sha256, len(incoming),
                 periods.min(), periods.max(), loaded_at],
            )
            step = "observations_history"
            _insert_rows(store, incoming, load_id, loaded_at)
            step = "observations_latest"
            if store._mark_latest(source) == load_id:  # else the latest rows stay as they are
                store._refresh_latest(source)
            step = "load_warnings"
            if warnings is not None and len(warnings):
                _insert_warnings(store, load_id, warnings)
            step = "sources"
            if source_meta:
                store._upsert_source(source, source_meta)
            step = "also"
            if also is not None:
                also(load_id)
            step = "store_meta"
            store._bump_version()
    except duckdb.ConstraintException as exc:
        existing = store.find_load(source, sha256, release) if step == "loads" else None
        if existing is None:  # another constraint: not a repeated load
            raise LoadNotStored(exc, source=source, release=release, file=source_file, step=step) from exc
        return LoadResult(source, release, 0, existing, skipped=True)
    except duckdb.DataError as exc:  # a value the store's types refuse (a conversion, a range)
        # Not every duckdb.Error: a full disk or a lost file (IOException) is no data fault
        # and keeps DuckDB's own error (the transaction is rolled back all the same).
        raise LoadNotStored(exc, source=source, release=release, file=source_file, step=step) from exc
    return LoadResult(source, release, len(incoming), load_id, skipped=False)


def _insert_warnings(store: Store, load_id: str, warnings: pd.DataFrame) -> None:
    rows = warnings.assign(load_id=load_id).loc[:, list(LOAD_WARNING_COLUMNS)]
    cols = ", ".join(LOAD_WARNING_COLUMNS)
    with scratch_view(store.con, "incoming_warnings", rows):
        store.con.execute(f"INSERT INTO load_warnings ({cols}) SELECT {cols} FROM incoming_warnings")  # noqa: S608


def _insert_rows(store: Store, incoming: pd.DataFrame, load_id: str, loaded_at: datetime) -> None:
    with scratch_view(store.con, "incoming_frame", _as_arrow(incoming)):
        cols = ", ".join(f'"{n}"' for n in FRAME_NAMES)
        store.con.execute(
            f"INSERT INTO observations_history ({cols}, load_id, loaded_at) "  # noqa: S608
            f"SELECT {cols}, ?, ? FROM incoming_frame",
            [load_id, loaded_at],
        )


def query_df(store: Store, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
    """``sql`` answered as a frame (``Store.query_df``): CLI, reports and tests."""
    return store.con.execute(sql, list(params or [])).df()


def sources_summary(store: Store) -> pd.DataFrame:
    """One row per source: latest release, rows, period covered, loaded at."""
    return query_df(store, SOURCES_SUMMARY_SQL)


#: The frame's columns as Arrow types (model/contract.py's SQL types).
_ARROW_TYPES = {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "DATE": pa.date32(), "DOUBLE": pa.float64()}
_FRAME_SCHEMA = pa.schema([(c.name, _ARROW_TYPES[c.sql_type]) for c in FRAME_COLUMNS])


def _as_arrow(incoming: pd.DataFrame) -> pa.Table | pd.DataFrame:
    """The rows to insert as an Arrow table of the store's types: DuckDB reads it without
    inspecting pandas object columns value by value (a third of the insert's time). A frame
    Arrow cannot convert to those types (built by hand: timestamps for dates, mixed objects)
    is given to DuckDB as it is, which casts it as it always did."""
    try:
        return pa.Table.from_pandas(incoming, schema=_FRAME_SCHEMA, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return incoming
