"""Fixtures of the forecast tests: the real store (built once per session) and one run on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from observatorio.analysis.forecast.catalogue import Catalogue, load_catalogue
from observatorio.analysis.forecast.data import load_series
from observatorio.analysis.forecast.engine import ForecastRun, run_forecast
from observatorio.store import Store

#: The USBP hierarchy (total, 11 citizenship groups) and its children series: 25 years of data.
USBP = ["usbp", "usbp.UNACCOMPANIED"]


@pytest.fixture(scope="session")
def usbp_catalogue() -> Catalogue:
    return load_catalogue().select(USBP)


@pytest.fixture(scope="session")
def store_series(bundled_store_path: Path) -> dict[str, pd.Series]:
    """Every catalogue series the real store holds."""
    with Store.open(bundled_store_path, read_only=True) as store:
        return load_series(store.con, load_catalogue())


@pytest.fixture(scope="session")
def usbp_run(store_series: dict[str, pd.Series], usbp_catalogue: Catalogue) -> ForecastRun:
    """One forecast of the USBP hierarchy on the real data."""
    return run_forecast(store_series, usbp_catalogue, horizon=36, data_release={"test": "1"})


@pytest.fixture()
def writable_store(bundled_store_path: Path, tmp_path: Path) -> Path:
    """A private copy of the real store that a test may write forecast releases into."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(bundled_store_path, path)
    return path
