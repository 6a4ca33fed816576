"""Forecast releases are stored, kept, and read back."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import duckdb

from observatorio.analysis.forecast import releases
from observatorio.analysis.forecast.engine import ForecastRun
from observatorio.analysis.forecast.release_write import run_rows, save_run


def test_runs_accumulate_and_latest_wins(usbp_run: ForecastRun, writable_store: Path) -> None:
    con = duckdb.connect(str(writable_store))
    try:
        first = save_run(con, usbp_run)
        later = replace(usbp_run, created_at=usbp_run.created_at + timedelta(days=31))
        second = save_run(con, later)
        assert first != second
        assert [r["run_id"] for r in releases.list_runs(con)] == [second, first]
        assert releases.resolve_run(con, None) == second
        assert releases.resolve_run(con, first) == first
        stored = releases.read_forecasts(con, first, ["usbp"])
        expected = usbp_run.forecasts["usbp"].bands["mean"]
        monthly = sorted((r for r in stored if r["freq"] == "M"), key=lambda r: r["period"])
        assert [round(r["mean"], 6) for r in monthly] == list(expected.round(6))
        meta = releases.read_run(con, first)
        assert meta["data_release"] == {"test": "1"}
        assert len(releases.read_alerts(con, first)) == len(usbp_run.alerts)
    finally:
        con.close()


def test_a_computed_run_reads_as_its_stored_release(usbp_run: ForecastRun, writable_store: Path) -> None:
    """A server worker gets a computed run as plain rows (release_write.run_rows, sent by the
    child process of computed.py): the same values, of the same types, as the stored release."""
    info, forecasts, alerts = run_rows(usbp_run)
    assert info == {"created_at": usbp_run.created_at.isoformat(), "data_release": {"test": "1"},
                    "model": usbp_run.model}
    con = duckdb.connect(str(writable_store))
    try:
        rid = save_run(con, usbp_run)
        stored = releases.read_forecasts(con, rid)
        stored_alerts = releases.read_alerts(con, rid)
    finally:
        con.close()

    def key(row: dict[str, object]) -> tuple[str, ...]:
        return tuple(repr(v) for k, v in row.items() if k != "run_id")

    assert sorted(map(key, forecasts)) == sorted(map(key, stored))
    assert [key(a) for a in alerts] == [key(a) for a in stored_alerts]
    assert all(r["run_id"] is None for r in forecasts)
    assert any(r["p_surge"] is None for r in forecasts)  # NaN becomes None, as NULL reads
