"""Forecast releases in the store: ``forecast_runs``, ``forecasts`` and ``alerts`` tables.

A release is a run timestamp plus the data release it was computed from. Runs are only ever
added, so anyone can see what was forecast when, and score it later against what happened.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd

from observatorio.analysis.forecast.engine import ForecastRun

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


def run_id(run: ForecastRun) -> str:
    """``<UTC timestamp>-<hash of the data release>``: sortable and tied to its data."""
    digest = hashlib.sha256(json.dumps(run.data_release, sort_keys=True).encode()).hexdigest()
    return f"{run.created_at:%Y%m%dT%H%M%S}-{digest[:8]}"


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


def forecasts_frame(run: ForecastRun) -> pd.DataFrame:
    """The run's forecast rows as stored (``run_id`` still empty); no rows, but every column,
    for a run that forecast nothing."""
    frame = run.frame()
    frame["level"] = frame["series_id"].map(lambda s: run.forecasts[s].definition.level)
    frame["parent"] = frame["series_id"].map(lambda s: run.forecasts[s].definition.parent)
    frame["origin"] = frame["series_id"].map(lambda s: run.forecasts[s].history.index.max())
    frame["run_id"] = None
    return frame.loc[:, list(FORECAST_COLUMNS)]


def alerts_frame(run: ForecastRun) -> pd.DataFrame:
    """The run's alerts as stored, without ``run_id``; every column even without alerts."""
    return pd.DataFrame(
        [
            {
                "series_id": a.series_id, "period": a.period, "horizon": a.horizon,
                "probability": a.probability, "threshold": a.threshold, "level": a.level,
                "last_value": a.last_value, "last_period": a.last_period,
                "explanation_es": a.explanation["es"], "explanation_en": a.explanation["en"],
                "signals": json.dumps(a.signals, ensure_ascii=False),
            }
            for a in run.alerts
        ],
        columns=list(ALERT_COLUMNS),
    )


def save_run(con: Any, run: ForecastRun) -> str:
    """Store one run (all or nothing) and return its id."""
    rid = run_id(run)
    ensure_tables(con)
    frame = forecasts_frame(run)
    frame["run_id"] = rid
    alerts = alerts_frame(run)
    alerts.insert(0, "run_id", rid)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO forecast_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                rid,
                run.created_at,
                json.dumps(run.data_release, sort_keys=True),
                run.model,
                run.horizon,
                len(run.forecasts),
                json.dumps(run.skipped, sort_keys=True),
            ],
        )
        con.register("forecast_frame", frame)
        con.execute("INSERT INTO forecasts SELECT * FROM forecast_frame")
        con.unregister("forecast_frame")
        if len(alerts):
            con.register("alert_frame", alerts)
            con.execute("INSERT INTO alerts SELECT * FROM alert_frame")
            con.unregister("alert_frame")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return rid


def list_runs(con: Any) -> pd.DataFrame:
    """Every stored release, newest first."""
    if not has_tables(con):
        return pd.DataFrame(columns=["run_id", "created_at", "data_release", "model", "horizon"])
    frame: pd.DataFrame = con.execute(
        "SELECT * FROM forecast_runs ORDER BY created_at DESC, run_id DESC"
    ).df()
    return frame


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


def read_forecasts(con: Any, rid: str, series: list[str] | None = None) -> pd.DataFrame:
    """Stored forecast rows of one run (optionally some series)."""
    sql = "SELECT * FROM forecasts WHERE run_id = ?"
    params: list[Any] = [rid]
    if series:
        sql += f" AND series_id IN ({', '.join('?' for _ in series)})"
        params.extend(series)
    frame: pd.DataFrame = con.execute(sql + " ORDER BY series_id, freq DESC, period", params).df()
    return frame


def read_alerts(con: Any, rid: str, series: list[str] | None = None) -> pd.DataFrame:
    """Stored alerts of one run, most probable first."""
    sql = "SELECT * FROM alerts WHERE run_id = ?"
    params: list[Any] = [rid]
    if series:
        sql += f" AND series_id IN ({', '.join('?' for _ in series)})"
        params.extend(series)
    frame: pd.DataFrame = con.execute(sql + " ORDER BY probability DESC, series_id", params).df()
    return frame


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
