"""A release's cells as two releases are compared (refresh/changes.py): each observation's key
as canonical JSON, its period and value, read from the history of one load; and the distinct
versions of each month of a source (a protected revision of the case tables compares a month
with every one: cases/publication/revisions.py).

Written here, beside the selection builder (store/selection.py), so that only the store writes
SQL over the observations (tests/store/test_one_sql_builder.py); the key is built the same way
for the incoming frame and for the load it is compared with.
"""

from __future__ import annotations

import re

import duckdb

from observatorio.model.contract import KEY_COLUMNS

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

_ENTRY_SQL = '"table", ref_area, citizenship, sex, age, attributes, accompaniment, counterpart_area'
#: per month of a source (parameters: the source twice), the rows of the latest load of each
#: distinct content of that month (its fingerprint: an md5 of its rows in key order)
MONTH_VERSIONS_SQL = f"""
WITH prints AS (
  SELECT period, load_id, max(loaded_at) AS last_loaded,
         md5(string_agg(concat_ws('|', {_ENTRY_SQL}, coalesce(CAST(value AS VARCHAR), 'C')), ';'
                        ORDER BY {_ENTRY_SQL})) AS fingerprint
  FROM observations_history WHERE source = ? GROUP BY period, load_id),
chosen AS (SELECT period, arg_max(load_id, last_loaded) AS load_id FROM prints GROUP BY period, fingerprint)
SELECT h.* FROM observations_history h JOIN chosen USING (period, load_id) WHERE h.source = ?"""  # noqa: S608


def cell_key(alias: str) -> str:
    """SQL for the observation key of the row ``alias`` as canonical JSON (column names from the
    contract)."""
    if not _NAME.match(alias):
        raise ValueError(f"not a plain SQL alias: {alias!r}")
    pairs = ", ".join(f"'{c}', {alias}.\"{c}\"" for c in KEY_COLUMNS)
    return f"CAST(json_object({pairs}) AS VARCHAR)"


def copy_load_cells(cursor: duckdb.DuckDBPyConnection, load_id: str, into: str) -> None:
    """Create the temporary table ``into`` (cell, period, value) with every row of the load
    ``load_id``, kept in DuckDB (a release may have hundreds of thousands of rows)."""
    if not _NAME.match(into):
        raise ValueError(f"not a plain table name: {into!r}")
    cursor.execute(f"""
        CREATE TEMP TABLE {into} AS
        SELECT {cell_key('o')} AS cell, o.period, o.value
        FROM observations_history o WHERE o.load_id = ?""", [load_id])  # noqa: S608 - vetted names
