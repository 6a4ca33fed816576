"""Forecast releases in the store: ``forecast_runs``, ``forecasts`` and ``alerts`` tables.

A release is a run timestamp plus the data release it was computed from. Runs are only ever
added, so anyone can see what was forecast when, and score it later against what happened.

This module reads releases as plain rows (store/rows.py) and is what a server worker imports;
storing a run (release_write.py) needs the engine's pandas frames and lives apart (issue #12).
"""

from __future__ import annotations

import json
from typing import Any

from observatorio.store.rows import Row, query_rows

DDL = (
    """CREATE TABLE IF NOT EXISTS forecast_runs (
        run_id VARCHAR PRIMARY KEY,
        created_at TIMESTAMP NOT NULL,
        data_release VARCHAR NOT NULL,  -- JSON: source -> latest release date used
        model VARCHAR NOT NULL,
        horizon INTEGER NOT NULL,
        series_count INTEGER NOT NULL,
        skipped VARCHAR                 -- JSON: series id -> why it was not forecast
    )""",
    """CREATE TABLE IF NOT EXISTS forecasts (
        run_id VARCHAR NOT NULL,
        series_id VARCHAR NOT NULL,
        level VARCHAR NOT NULL,
        parent VARCHAR,
        freq VARCHAR NOT NULL,          -- M monthly, A calendar-year total
        period DATE NOT NULL,
        horizon INTEGER NOT NULL,
        horizon_group VARCHAR NOT NULL,
        origin DATE NOT NULL,           -- last observed month
        mean DOUBLE, lo_80 DOUBLE, hi_80 DOUBLE, lo_95 DOUBLE, hi_95 DOUBLE,
        p_surge DOUBLE,
        PRIMARY KEY (run_id, series_id, freq, period)
    )""",
    """CREATE TABLE IF NOT EXISTS alerts (
        run_id VARCHAR NOT NULL,
        series_id VARCHAR NOT NULL,
        period DATE NOT NULL,
        horizon INTEGER NOT NULL,
        probability DOUBLE NOT NULL,
        threshold DOUBLE NOT NULL,
        level VARCHAR NOT NULL,
        last_value DOUBLE,
        last_period DATE,
        explanation_es VARCHAR NOT NULL,
        explanation_en VARCHAR NOT NULL,
        signals VARCHAR NOT NULL,       -- JSON list of leading and component signals
        PRIMARY KEY (run_id, series_id)
    )""",
)

FORECAST_COLUMNS = (
    "run_id", "series_id", "level", "parent", "freq", "period", "horizon", "horizon_group",
    "origin", "mean", "lo_80", "hi_80", "lo_95", "hi_95", "p_surge",
)


def ensure_tables(con: Any) -> None:
    """Create the release tables if missing."""
    for statement in DDL:
        con.execute(statement)


def has_tables(con: Any) -> bool:
    """Whether the store holds forecast tables (a read-only store may not)."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'forecast_runs'"
    ).fetchone()
    return bool(row and row[0])


ALERT_COLUMNS = (
    "series_id", "period", "horizon", "probability", "threshold", "level", "last_value",
    "last_period", "explanation_es", "explanation_en", "signals",
)


def list_runs(con: Any) -> list[Row]:
    """Every stored release, newest first."""
    if not has_tables(con):
        return []
    return query_rows(con, "SELECT * FROM forecast_runs ORDER BY created_at DESC, run_id DESC")


def resolve_run(con: Any, release: str | None) -> str | None:
    """The id of ``release`` ('latest' or None: the newest run), or None if there is none."""
    if not has_tables(con):
        return None
    if release and release != "latest":
        row = con.execute("SELECT run_id FROM forecast_runs WHERE run_id = ?", [release]).fetchone()
    else:
        row = con.execute(
            "SELECT run_id FROM forecast_runs ORDER BY created_at DESC, run_id DESC LIMIT 1"
        ).fetchone()
    return None if row is None else str(row[0])


def read_forecasts(con: Any, rid: str, series: list[str] | None = None) -> list[Row]:
    """Stored forecast rows of one run (optionally some series)."""
    sql = "SELECT * FROM forecasts WHERE run_id = ?"
    params: list[Any] = [rid]
    if series:
        sql += f" AND series_id IN ({', '.join('?' for _ in series)})"
        params.extend(series)
    return query_rows(con, sql + " ORDER BY series_id, freq DESC, period", params)


def read_alerts(con: Any, rid: str, series: list[str] | None = None) -> list[Row]:
    """Stored alerts of one run, most probable first."""
    sql = "SELECT * FROM alerts WHERE run_id = ?"
    params: list[Any] = [rid]
    if series:
        sql += f" AND series_id IN ({', '.join('?' for _ in series)})"
        params.extend(series)
    return query_rows(con, sql + " ORDER BY probability DESC, series_id", params)


def read_run(con: Any, rid: str) -> dict[str, Any]:
    """The run's metadata as plain values."""
    row = con.execute(
        "SELECT run_id, created_at, data_release, model, horizon, series_count "
        "FROM forecast_runs WHERE run_id = ?",
        [rid],
    ).fetchone()
    if row is None:
        raise KeyError(rid)
    return {
        "run_id": row[0],
        "created_at": row[1].isoformat() if row[1] is not None else None,
        "data_release": json.loads(row[2]),
        "model": row[3],
        "horizon": row[4],
        "series_count": row[5],
    }
