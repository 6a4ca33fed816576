"""Early warning: the definition of a surge and its probability from a forecast's bands.

A month is a **surge** when its count is

* above 1.5 times the median of the 12 months before it, **and**
* above the 90th percentile of those same 12 months, **and**
* at least the series' ``min_count`` (catalogue) so small series do not alarm on noise.

The probability of a surge ``h`` months ahead comes from the forecast's predictive
distribution: the 2.5/10/50/90/97.5% points of the (reconciled, calibrated) bands define a
quantile function on the log scale; each quantile level is one path of future months
(comonotone: a high month is followed by high months, as flows persist), and the surge rule
is applied along the path, so the trailing window of later months includes forecast months.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATIO = 1.5
PERCENTILE = 90.0
WINDOW = 12
#: Probability from which a forecast month is an alert; "watch" below it down to ``WATCH``.
ALERT = 0.5
WATCH = 0.2
_Z = {0.025: -1.959964, 0.1: -1.281552, 0.5: 0.0, 0.9: 1.281552, 0.975: 1.959964}


@dataclass(frozen=True)
class SurgeRule:
    """The documented surge rule (ratio to trailing median, trailing percentile, minimum)."""

    min_count: float = 100.0
    ratio: float = RATIO
    percentile: float = PERCENTILE
    window: int = WINDOW

    def threshold(self, trailing: np.ndarray) -> float:
        """The count a month must exceed, given the ``window`` months before it."""
        return max(
            self.ratio * float(np.median(trailing)),
            float(np.percentile(trailing, self.percentile)),
            self.min_count,
        )

    def flags(self, y: np.ndarray) -> np.ndarray:
        """Which months of ``y`` are surges (the first ``window`` months cannot be)."""
        y = np.asarray(y, dtype=float)
        out = np.zeros(len(y), dtype=bool)
        for t in range(self.window, len(y)):
            out[t] = y[t] > self.threshold(y[t - self.window : t])
        return out


def quantile_paths(bands: dict[str, np.ndarray], n_paths: int = 99) -> np.ndarray:
    """Comonotone future paths (n_paths x h) interpolated from the bands on the log scale."""
    knots_p = np.array(sorted(_Z))
    knots_z = np.array([_Z[p] for p in knots_p])
    cols = {0.025: "lo-95", 0.1: "lo-80", 0.5: "mean", 0.9: "hi-80", 0.975: "hi-95"}
    logq = np.vstack([np.log1p(np.maximum(bands[cols[p]], 0.0)) for p in knots_p])  # 5 x h
    logq = np.maximum.accumulate(logq, axis=0)
    u = (np.arange(n_paths) + 0.5) / n_paths
    from statistics import NormalDist

    zu = np.array([NormalDist().inv_cdf(float(x)) for x in u])
    out = np.empty((n_paths, logq.shape[1]))
    for j in range(logq.shape[1]):
        out[:, j] = np.interp(zu, knots_z, logq[:, j])
        # beyond the 95% band, extend linearly in normal scores (tails of the same slope)
        lo_slope = (logq[1, j] - logq[0, j]) / (knots_z[1] - knots_z[0])
        hi_slope = (logq[4, j] - logq[3, j]) / (knots_z[4] - knots_z[3])
        out[zu < knots_z[0], j] = logq[0, j] + lo_slope * (zu[zu < knots_z[0]] - knots_z[0])
        out[zu > knots_z[-1], j] = logq[4, j] + hi_slope * (zu[zu > knots_z[-1]] - knots_z[-1])
    return np.expm1(out)


def surge_probability(history: np.ndarray, bands: dict[str, np.ndarray], rule: SurgeRule) -> np.ndarray:
    """P(surge) for each forecast month, applying ``rule`` along each path."""
    history = np.asarray(history, dtype=float)
    paths = quantile_paths(bands)
    h = paths.shape[1]
    tail = history[-rule.window :]
    hits = np.zeros((paths.shape[0], h), dtype=bool)
    for i, path in enumerate(paths):
        ext = np.concatenate([tail, path])
        for j in range(h):
            t = rule.window + j
            if t - rule.window < 0 or len(tail) < rule.window:
                continue
            hits[i, j] = ext[t] > rule.threshold(ext[t - rule.window : t])
    return hits.mean(axis=0)


def growth(y: np.ndarray, months: int = 3) -> float | None:
    """Change of the last ``months`` months over the ``months`` before them (0.25 = +25%)."""
    y = np.asarray(y, dtype=float)
    if len(y) < 2 * months:
        return None
    before = float(y[-2 * months : -months].sum())
    return float(y[-months:].sum()) / before - 1 if before > 0 else None
