"""Models: the statsforecast interface, ordered intervals, and the peer wrapper."""

from __future__ import annotations

import numpy as np
from statsforecast.models import SeasonalNaive

from observatorio.analysis.forecast.models import RouteModel, StatsForecastModel, order_bands

KEYS = ("mean", "lo-80", "hi-80", "lo-95", "hi-95")


def assert_ordered(f: dict[str, np.ndarray]) -> None:
    assert np.all(f["lo-95"] <= f["lo-80"] + 1e-9)
    assert np.all(f["lo-80"] <= f["mean"] + 1e-9)
    assert np.all(f["mean"] <= f["hi-80"] + 1e-9)
    assert np.all(f["hi-80"] <= f["hi-95"] + 1e-9)
    assert np.all(f["lo-95"] >= 0)


def test_route_model_has_the_statsforecast_shape_and_ordered_bands() -> None:
    rng = np.random.default_rng(3)
    y = np.exp(8 + np.cumsum(rng.normal(0, 0.1, 150)))
    f = RouteModel().fit(y).predict(36)
    assert set(KEYS) <= set(f)
    assert all(len(f[k]) == 36 for k in KEYS)
    assert_ordered(f)


def test_route_model_handles_zeros_and_short_series() -> None:
    y = np.r_[np.zeros(20), np.arange(1, 11) * 5.0]
    f = RouteModel().fit(y).predict(12)
    assert_ordered(f)
    assert np.all(np.isfinite(f["hi-95"]))


def test_bands_widen_with_horizon_on_a_random_walk() -> None:
    rng = np.random.default_rng(7)
    y = np.exp(9 + np.cumsum(rng.normal(0, 0.15, 200)))
    f = RouteModel().fit(y).predict(24)
    width = np.log(f["hi-95"] / f["lo-95"])
    assert width[-1] > width[0]


def test_peer_wrapper_returns_the_same_keys() -> None:
    y = np.tile(np.arange(12.0) + 10, 5)
    f = StatsForecastModel(SeasonalNaive(season_length=12)).fit(y).predict(6)
    assert set(KEYS) <= set(f)
    np.testing.assert_allclose(f["mean"], y[:6])


def test_order_bands_repairs_crossed_levels() -> None:
    f = {
        "mean": np.array([10.0]),
        "lo-80": np.array([5.0]),
        "hi-80": np.array([20.0]),
        "lo-95": np.array([6.0]),
        "hi-95": np.array([18.0]),
    }
    assert_ordered(order_bands(f))
