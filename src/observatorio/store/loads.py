"""What the store's load path (store/frames.py) and the store itself (store/duck.py) share: a
load's result and refusal, the scratch views a load writes through, the sources summary's SQL.
Apart so that neither of those two modules imports the other at run time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from observatorio.errors import ErrorKind, ObservatorioError
from observatorio.i18n import pair

if TYPE_CHECKING:  # what a load registers: pandas is imported by store/frames.py only
    import pandas as pd
    import pyarrow as pa

#: Every name ``scratch_view`` registered data as: a failed transaction drops them after its rollback.
_SCRATCH_VIEWS: set[str] = set()

#: One row per source: latest release, rows, period covered, loaded at (``sources_summary``).
SOURCES_SUMMARY_SQL = """SELECT l.source, l.release, l.rows, l.period_start, l.period_end, l.loaded_at,
                      l.source_file,
                      (SELECT count(*) FROM loads x WHERE x.source = l.source) AS releases
               FROM loads l WHERE l.is_latest ORDER BY l.source"""

class LoadNotStored(ObservatorioError):
    """The store refused a validated release (a broken key, a value its types refuse): the load's
    transaction was rolled back, nothing of it is written. Validation should have refused such a
    file, so it is the observatory's fault; the message names the source, release, file and the
    table being written, with DuckDB's own words."""

    kind = ErrorKind.INTERNAL
    key = "store.load_not_stored"

    def __init__(self, exc: duckdb.Error, *, source: str, release: date, file: str, step: str) -> None:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        super().__init__(source=source, release=release, file=file, detail=detail,
                         step=pair(f"store.load_step.{step}"))
        self.step = step


@contextmanager
def scratch_view(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table | pd.DataFrame) -> Iterator[None]:
    """``data`` readable as the view ``name`` for the statements of the block (a load's rows, its
    warnings, a refresh's records).

    When a statement fails inside a transaction, DuckDB has aborted it and refuses even the
    unregister until the ROLLBACK: its "transaction is aborted" error would replace the real one
    (a broken key, a refused value), which is what the caller must see. The view is then
    dropped after the rollback instead (``Store.transaction``)."""
    _SCRATCH_VIEWS.add(name)
    con.register(name, data)
    try:
        yield
    except BaseException:
        with suppress(duckdb.TransactionException):
            con.unregister(name)
        raise
    con.unregister(name)


@dataclass(frozen=True)
class LoadResult:
    """What one load did."""

    source: str
    release: date
    rows: int
    load_id: str
    skipped: bool  # the same file and release were already loaded: nothing changed
