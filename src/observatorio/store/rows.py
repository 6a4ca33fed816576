"""Query answers as plain rows: what a server worker computes its pages and answers from.

A server worker never imports pandas (issue #12: about 46 MB of every worker's memory), so the
worker-side reads give ``list[dict]`` rows — one dict per row, keys the answer's column names in
order, values as DuckDB gives them (``date``, ``datetime``, ``int``, ``float``, ``Decimal``,
``str``, ``None`` for NULL). Sums, grouping and order are the SQL's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Row = dict[str, Any]


def fetch_rows(cursor: Any) -> list[Row]:
    """Every row of an executed DuckDB (or DB-API) cursor as a dict of its columns."""
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def query_rows(con: Any, sql: str, params: Sequence[Any] | None = None) -> list[Row]:
    """``sql`` with ``params`` run on a connection or cursor, as rows."""
    return fetch_rows(con.execute(sql, list(params or [])))
