"""Sums of floats added up the way pandas added them, so every published figure keeps its last bit.

The indicators and the mirror pairs were computed with pandas until a server worker stopped
importing it (#12, memory). Whole counts add up exactly in any order, but some figures do not
(the population compiled from UN estimates comes in fractions, and the region's population is a
sum of them): pandas' sums are compensated (Kahan) sums in row order, and the API publishes
their floats byte for byte. These functions repeat those algorithms on plain Python floats.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np


def _missing(value: float | None) -> bool:
    return value is None or value != value


def group_sum(values: Iterable[float | None]) -> float:
    """One group of pandas' ``groupby(...).sum()``: a compensated sum in row order, missing
    values skipped, 0.0 for a group with none."""
    total = 0.0
    compensation = 0.0
    for value in values:
        if _missing(value):
            continue
        assert value is not None
        y = value - compensation
        t = total + y
        compensation = t - total - y
        if compensation != compensation:  # an infinite value: keep the infinity, not NaN
            compensation = 0.0
        total = t
    return total


def series_sum(values: Sequence[float | None], min_count: int = 0) -> float | None:
    """pandas' ``Series.sum(min_count=…)``: numpy's (pairwise) sum with missing values as 0.0;
    None where fewer than ``min_count`` values are present."""
    present = sum(1 for v in values if not _missing(v))
    if present < min_count:
        return None
    array = np.array([0.0 if _missing(v) else v for v in values], dtype=np.float64)
    return float(array.sum())


def rolling_sum(values: Sequence[float | None], window: int) -> list[float | None]:
    """pandas' ``Series.rolling(window, min_periods=window).sum()``: a running compensated sum
    (values enter and leave it), None where the window is not full."""
    out: list[float | None] = []
    total = add_comp = remove_comp = 0.0
    nobs = 0
    same = 0  # how many equal values were added last in a row (pandas multiplies them instead)
    prev = math.nan
    clean = [None if _missing(v) or math.isinf(v) else v for v in values]  # type: ignore[arg-type]
    for i, value in enumerate(clean):
        if i == 0:
            prev = math.nan if value is None else value
        if i >= window:
            left = clean[i - window]
            if left is not None:
                nobs -= 1
                y = -left - remove_comp
                t = total + y
                remove_comp = t - total - y
                total = t
        if value is not None:
            nobs += 1
            y = value - add_comp
            t = total + y
            add_comp = t - total - y
            total = t
            same = same + 1 if value == prev else 1
            prev = value
        if nobs >= window and nobs > 0:
            out.append(prev * nobs if same >= nobs else total)
        else:
            out.append(None)
    return out
