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
    cat = (catalogue or load_catalogue()).select(series)
    data = load_series(con, cat)
    return run_forecast(
        data, cat, horizon=horizon, data_release=data_release(con, cat), progress=progress
    )
