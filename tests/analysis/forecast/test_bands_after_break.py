"""Bands stay plausible after a level shift (issue 11 item 4).

CBP Southwest fell from ~100,000 a month to ~10,000 in early 2025. The conformal step used to
score both tails together, so that fall (actuals far *below* past bands) widened the *upper*
limit as well: a 95 % band to 280,000 six months after a level of 9,740. Each tail is now
calibrated on its own misses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatorio.analysis.forecast.catalogue import load_catalogue
from observatorio.analysis.forecast.engine import run_forecast
from observatorio.analysis.forecast.models import RouteModel


def _level_shift_down() -> np.ndarray:
    rng = np.random.default_rng(7)
    season = 1 + 0.1 * np.sin(np.arange(96) * 2 * np.pi / 12)
    return np.r_[rng.lognormal(np.log(100_000), 0.1, 88), rng.lognormal(np.log(10_000), 0.1, 8)] * season


def test_a_fall_widens_the_lower_limit_not_the_upper() -> None:
    y = _level_shift_down()
    bands = RouteModel(max_h=12).fit(y).predict(6)
    level = float(np.median(y[-8:]))
    # Before: hi-95 of 58,672 to 119,721 (6 to 12 × the new level).
    assert np.all(bands["hi-95"] <= 2 * level), bands["hi-95"]
    assert np.all(bands["mean"] <= bands["hi-80"])
    assert np.all(bands["lo-95"][1:] < 0.5 * level)  # a further fall stays possible


def test_southwest_border_band_after_the_2025_fall(store_series: dict[str, pd.Series]) -> None:
    run = run_forecast(store_series, load_catalogue().select(["cbp_sw"]), horizon=12, with_alerts=False)
    f = run.forecasts["cbp_sw"]
    last = float(f.history.iloc[-1])
    assert f.history.index.max() == pd.Timestamp("2025-08-01") and 5_000 < last < 15_000
    # Before: 16,432 … 279,941 over the first six months (up to 29 × the last month).
    assert np.all(f.bands["hi-95"][:6] <= 4 * last), f.bands["hi-95"][:6]
    assert np.all(f.bands["hi-80"][:6] <= 2.5 * last), f.bands["hi-80"][:6]
