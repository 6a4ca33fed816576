"""Storing a forecast run as a release (the CLI's ``forecast --store``), and a computed run as the
plain rows a stored release is read as.

The write side of releases.py: it reads the engine's run (pandas), so a server worker never
imports it (issue #12); the worker gets a computed run's rows from a child process
(computed.py), through :func:`run_rows`.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date, datetime
from typing import Any

import pandas as pd

from observatorio.analysis.forecast.engine import ForecastRun
from observatorio.analysis.forecast.releases import ALERT_COLUMNS, FORECAST_COLUMNS, ensure_tables
from observatorio.store.rows import Row


def run_id(run: ForecastRun) -> str:
    """``<UTC timestamp>-<hash of the data release>``: sortable and tied to its data."""
    digest = hashlib.sha256(json.dumps(run.data_release, sort_keys=True).encode()).hexdigest()
    return f"{run.created_at:%Y%m%dT%H%M%S}-{digest[:8]}"


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


def _plain(value: Any) -> Any:
    """A frame's cell as DuckDB gives the stored column: ``date``, ``float``, ``int``, ``str``,
    ``None`` for a missing value (NaN, NaT)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, datetime):  # pandas' Timestamp too; the stored columns are DATE
        return value.date()
    if isinstance(value, date | str | bool | int | float):
        return value
    return value.item() if hasattr(value, "item") else value  # a numpy scalar


def run_rows(run: ForecastRun) -> tuple[dict[str, Any], list[Row], list[Row]]:
    """The run's information, forecast rows and alert rows in plain Python values, as a stored
    release is read (releases.read_forecasts, read_alerts; ``run_id`` empty): what the child
    process of computed.py sends back to a server worker."""
    info = {"created_at": run.created_at.isoformat(), "data_release": dict(run.data_release),
            "model": run.model}
    frames = (forecasts_frame(run), alerts_frame(run))
    forecasts, alerts = ([{str(k): _plain(v) for k, v in row.items()}
                          for row in frame.to_dict("records")] for frame in frames)
    return info, forecasts, alerts
