"""Held-out accuracy and coverage: a regression in the models fails here, not only in the benchmark.

Four hierarchies of the real store (Guatemala returns, Mexico presentations, Honduras arrivals,
Darién; 26 series), three fixed origins (12, 24 and 36 months before each hierarchy's last
month), 12 months ahead, scored on the months that followed. The thresholds:

* coverage of the 80 % and 95 % bands: ``bench/forecast/run.py`` measures 0.783 and 0.933 over
  every series (docs/benchmarks.md); this subset measured 0.746 and 0.903 (2026-12-04), and
  0.710 and 0.891 once each tail was calibrated apart (issue 11 item 4). The bounds allow
  0.10 and 0.06 below the benchmark, and bands so wide that they always cover fail too.
* accuracy: the geometric mean, over series × origins, of the forecast's mean absolute error
  divided by that of the seasonal naive forecast (last year's month) measured 0.68; the bound
  is 0.75 (a point forecast 28 % too high scores 0.79; bands with half the lower spread cover
  0.67 / 0.85 — both fail). (The benchmark's peer, AutoETS, is itself better than seasonal naive; ours is 0.894
  of AutoETS's MASE there.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatorio.analysis.forecast.catalogue import load_catalogue
from observatorio.analysis.forecast.engine import run_forecast
from observatorio.analysis.forecast.run_model import BACKTESTED_COVERAGE

ROOTS = ("gtm", "mex", "hnd", "darien")
ORIGINS_BEFORE_END = (12, 24, 36)
HORIZON = 12


@pytest.fixture(scope="module")
def scores(store_series: dict[str, pd.Series]) -> dict[str, float]:
    catalogue = load_catalogue()
    ratios: list[float] = []
    months = in80 = in95 = 0
    for root in ROOTS:
        end = store_series[root].index.max()
        for k in ORIGINS_BEFORE_END:
            origin = end - pd.DateOffset(months=k)
            run = run_forecast(store_series, catalogue.select([root]), horizon=HORIZON, as_of=origin,
                               with_alerts=False)
            for sid, f in run.forecasts.items():
                actual = store_series[sid].reindex(f.periods).to_numpy(dtype=float)
                seen = ~np.isnan(actual)
                a = actual[seen]
                ours = float(np.mean(np.abs(a - f.bands["mean"][seen])))
                naive = float(np.mean(np.abs(a - f.history.to_numpy(dtype=float)[-12:][seen])))
                if ours > 0 and naive > 0:
                    ratios.append(ours / naive)
                months += len(a)
                in80 += int(np.sum((a >= f.bands["lo-80"][seen]) & (a <= f.bands["hi-80"][seen])))
                in95 += int(np.sum((a >= f.bands["lo-95"][seen]) & (a <= f.bands["hi-95"][seen])))
    return {"cases": len(ratios), "months": months, "relative_mae": float(np.exp(np.mean(np.log(ratios)))),
            "coverage80": in80 / months, "coverage95": in95 / months}


def test_enough_held_out_cases_are_scored(scores: dict[str, float]) -> None:
    assert scores["cases"] >= 80  # 26 series × 3 origins, less the few all-zero windows
    assert scores["months"] >= 1000


def test_forecasts_beat_last_year_by_the_measured_margin(scores: dict[str, float]) -> None:
    assert scores["relative_mae"] <= 0.75, scores


def test_band_coverage_is_near_nominal(scores: dict[str, float]) -> None:
    assert 0.68 <= scores["coverage80"] <= 0.92, scores
    assert 0.87 <= scores["coverage95"] <= 0.99, scores


def test_the_coverage_shown_beside_the_chart_is_the_measured_one(scores: dict[str, float]) -> None:
    """The portal states BACKTESTED_COVERAGE next to every forecast chart (issue 11 item 4)."""
    assert abs(scores["coverage80"] - BACKTESTED_COVERAGE[80]) <= 0.02, scores
    assert abs(scores["coverage95"] - BACKTESTED_COVERAGE[95]) <= 0.02, scores
