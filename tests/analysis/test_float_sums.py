"""The sums the indicators and mirror pairs add up without pandas give pandas' floats, bit for bit
(the API published pandas' figures; a population compiled in fractions shows any difference)."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd

from observatorio.analysis.float_sums import group_sum, rolling_sum, series_sum


def _samples(seed: int, count: int = 400) -> list[list[float | None]]:
    """Series of fractions of very different sizes, whole counts, repeated values and gaps."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        values: list[float | None] = []
        for _ in range(rng.randint(1, 40)):
            draw = rng.random()
            if draw < 0.1:
                values.append(None)
            elif draw < 0.3:
                values.append(float(rng.randint(0, 1000)))
            elif draw < 0.4 and values and values[-1] is not None:
                values.append(values[-1])
            else:
                values.append(rng.uniform(0, 1e7) * rng.choice([1e-3, 1.0, 1e3]))
        out.append(values)
    return out


def _series(values: list[float | None]) -> pd.Series:
    return pd.Series([np.nan if v is None else v for v in values], dtype=float)


def test_group_sum_is_pandas_groupby_sum() -> None:
    for values in _samples(1):
        expected = pd.DataFrame({"k": 0, "v": _series(values)}).groupby("k")["v"].sum().iloc[0]
        assert group_sum(values) == expected
    assert group_sum([None, None]) == 0.0  # pandas: an empty group sums to 0


def test_series_sum_is_pandas_series_sum() -> None:
    for values in _samples(2):
        expected = _series(values).sum(min_count=1)
        got = series_sum(values, 1)
        assert got is None if math.isnan(expected) else got == expected


def test_rolling_sum_is_pandas_rolling_sum() -> None:
    for values in _samples(3):
        expected = _series(values).rolling(12, min_periods=12).sum().tolist()
        got = rolling_sum(values, 12)
        assert [None if math.isnan(x) else x for x in expected] == got
