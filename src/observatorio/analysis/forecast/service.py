"""Forecasts from a store: read the series, run, store the release (used by the CLI and the API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from observatorio.analysis.forecast.catalogue import Catalogue, load_catalogue
from observatorio.analysis.forecast.data import data_release, load_series
from observatorio.analysis.forecast.engine import ForecastRun, run_forecast


def forecast_from_store(
    con: Any,
    series: list[str] | None = None,
    horizon: int = 36,
    progress: Callable[[str], None] | None = None,
    catalogue: Catalogue | None = None,
) -> ForecastRun:
    """Run the forecast for ``series`` (default: all; whole hierarchies are kept together)."""
    full = catalogue or load_catalogue()
    cat = full.select(series)
    data = load_series(con, cat)
    # Upstream series on the route are read (not forecast) for the leading-indicator signal.
    leads = sorted({lead for s in cat.series for lead in s.leading} - set(data))
    if leads:
        lead_cat = Catalogue(tuple(full.by_id[x] for x in leads))
        data.update(load_series(con, lead_cat))
    return run_forecast(
        data, cat, horizon=horizon, data_release=data_release(con, cat), progress=progress
    )
