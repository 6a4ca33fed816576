"""Statements run on the store: this thread's cursor, rows, and small answers as Arrow tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from observatorio.store.duck import Store


def cursor(store: Store) -> Any:
    """This thread's cursor on the store (DuckDB connections are not thread-safe), kept with
    the store (store/derived.py): it goes when the store goes."""
    return store.derived.cursor(store.cursor)


def fetch_one(store: Store, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    # fetchall: DuckDB refuses new work on a cursor with an unfinished result.
    rows = cursor(store).execute(sql, list(params)).fetchall()
    return tuple(rows[0]) if rows else None


def fetch_all(store: Store, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in cursor(store).execute(sql, list(params)).fetchall()]


#: Arrow types of the DuckDB types an answer has (as DuckDB's own Arrow export gives them).
_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(), "DATE": pa.date32(), "DOUBLE": pa.float64(), "BIGINT": pa.int64(),
    "INTEGER": pa.int32(), "BOOLEAN": pa.bool_(),
}  # fmt: skip
#: Answers of at most this many rows (a page) are read as Python rows (see fetch_table).
SMALL_ANSWER = 5000


def fetch_table(store: Store, sql: str, params: Sequence[Any]) -> pa.Table:
    """The answer of one statement of at most SMALL_ANSWER rows, as an Arrow table.

    ``cursor.sql(...).to_arrow_table()`` binds the statement to learn its schema, then plans it
    again to run it: twice DuckDB's planning, which is most of the cost of a small answer. Here
    it is planned and run once, and its rows typed as DuckDB's Arrow export types them.
    """
    result = cursor(store).execute(sql, list(params))
    names = [d[0] for d in result.description]
    types = [_ARROW_TYPES.get(str(d[1])) for d in result.description]
    rows = result.fetchall()
    if all(types):
        return _rows_table(rows, pa.schema(list(zip(names, types, strict=True))))
    return cursor(store).sql(sql, params=list(params)).to_arrow_table()  # another type: ask


def _rows_table(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.Table.from_arrays(
        [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)], schema=schema)
