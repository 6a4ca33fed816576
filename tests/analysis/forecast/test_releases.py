"""Forecast releases are stored, kept, and read back."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import duckdb

from observatorio.analysis.forecast import releases
from observatorio.analysis.forecast.engine import ForecastRun


def test_runs_accumulate_and_latest_wins(usbp_run: ForecastRun, writable_store: Path) -> None:
    con = duckdb.connect(str(writable_store))
    try:
        first = releases.save_run(con, usbp_run)
        later = replace(usbp_run, created_at=usbp_run.created_at + timedelta(days=31))
        second = releases.save_run(con, later)
        assert first != second
        assert list(releases.list_runs(con)["run_id"]) == [second, first]
        assert releases.resolve_run(con, None) == second
        assert releases.resolve_run(con, first) == first
        stored = releases.read_forecasts(con, first, ["usbp"])
        expected = usbp_run.forecasts["usbp"].bands["mean"]
        monthly = stored[stored["freq"] == "M"].sort_values("period")
        assert list(monthly["mean"].round(6)) == list(expected.round(6))
        meta = releases.read_run(con, first)
        assert meta["data_release"] == {"test": "1"}
        assert len(releases.read_alerts(con, first)) == len(usbp_run.alerts)
    finally:
        con.close()
