"""The surge definition, on synthetic and on real series, and P(surge) from bands."""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatorio.analysis.forecast.surge import SurgeRule, growth, surge_probability


def test_definition_on_a_synthetic_step() -> None:
    y = np.r_[np.full(24, 1000.0), 1600.0, 1400.0]
    flags = SurgeRule(min_count=100).flags(y)
    assert not flags[:24].any()
    assert flags[24]  # 1600 > 1.5 x 1000 and above the trailing 90th percentile
    assert not flags[25]  # 1400 < 1.5 x median


def test_minimum_count_silences_small_series() -> None:
    y = np.r_[np.full(12, 10.0), 40.0]
    assert not SurgeRule(min_count=100).flags(y)[-1]
    assert SurgeRule(min_count=20).flags(y)[-1]


def test_percentile_guard_after_a_recent_spike() -> None:
    # the median is low but two recent months were already high: the month must beat them too
    y = np.r_[np.full(10, 100.0), 900.0, 950.0, 300.0]
    assert not SurgeRule(min_count=10).flags(y)[-1]


def test_real_usbp_surges_include_spring_2019_and_2021(store_series: dict[str, pd.Series]) -> None:
    y = store_series["usbp"]
    flags = pd.Series(SurgeRule(min_count=1000).flags(y.to_numpy()), index=y.index)
    surged = set(flags[flags].index.strftime("%Y-%m"))
    assert surged & {"2019-03", "2019-04", "2019-05"}
    assert surged & {"2021-02", "2021-03", "2021-04"}
    assert flags.mean() < 0.1  # surges are rare by construction


def test_probability_follows_the_bands() -> None:
    hist = np.full(24, 1000.0)
    high = {k: np.full(3, v) for k, v in
            {"mean": 5000.0, "lo-80": 4000.0, "hi-80": 6000.0, "lo-95": 3500.0, "hi-95": 7000.0}.items()}
    low = {k: v / 5 for k, v in high.items()}
    rule = SurgeRule(min_count=100)
    assert surge_probability(hist, high, rule)[0] > 0.95
    assert surge_probability(hist, low, rule)[0] < 0.05


def test_growth() -> None:
    assert growth(np.array([1.0, 1, 1, 2, 2, 2])) == 1.0
    assert growth(np.array([1.0])) is None
