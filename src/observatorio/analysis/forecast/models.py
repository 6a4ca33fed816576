"""Forecasting models with the statsforecast interface: ``fit(y)`` then ``predict(h, level)``.

``predict`` returns a dict of arrays: ``mean`` (the point forecast) and ``lo-80``/``hi-80``/
``lo-95``/``hi-95``. ``RouteModel`` is the observatory's model; ``StatsForecastModel`` wraps any
statsforecast model (AutoETS, the Theta family, SeasonalNaive) so both run in one harness.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

LEVELS = (80, 95)
Forecast = dict[str, np.ndarray]


class Model(Protocol):
    """Anything with statsforecast's ``fit``/``predict`` shape."""

    def fit(self, y: np.ndarray) -> Model: ...

    def predict(self, h: int, level: Sequence[int] = LEVELS) -> Forecast: ...


#: Conformal corrections per (level, side): each tail of a band is calibrated on its own, so a
#: downward break (actual far below the band) widens the lower limit only, never the upper one.
Widening = dict[tuple[int, str], np.ndarray]
SIDES = ("lo", "hi")


def _quantile_bands(
    point_z: np.ndarray,
    errors: list[np.ndarray],
    widen: Widening,
    level: Sequence[int],
    offset: float = 1.0,
) -> Forecast:
    """Bands on the log scale from empirical h-step errors (+ conformal widening), as counts."""
    h = len(point_z)
    out: Forecast = {"mean": np.maximum(np.exp(point_z) - offset, 0.0)}
    known = len(errors)
    for lv in level:
        a = (100 - lv) / 200
        lo = np.empty(h)
        hi = np.empty(h)
        for i in range(h):
            j = min(i, known - 1)
            # Beyond the horizons seen in sample, spread grows like a random walk's.
            scale = np.sqrt((i + 1) / known) if i >= known else 1.0
            c_lo, c_hi = (
                widen[lv, side][min(i, len(widen[lv, side]) - 1)]
                if (lv, side) in widen and len(widen[lv, side]) else 0.0
                for side in SIDES
            )
            lo[i] = (np.quantile(errors[j], a) - c_lo) * scale
            hi[i] = (np.quantile(errors[j], 1 - a) + c_hi) * scale
        # exponents stay below e^60: beyond that the ceiling in ``predict`` applies anyway
        out[f"lo-{lv}"] = np.maximum(np.exp(point_z + np.minimum(lo, 0.0)) - offset, 0.0)
        out[f"hi-{lv}"] = np.maximum(np.exp(np.minimum(point_z + np.maximum(hi, 0.0), 60.0)) - offset, 0.0)
    return order_bands(out, level)


def order_bands(out: Forecast, level: Sequence[int] = LEVELS) -> Forecast:
    """Make wider levels contain narrower ones: lo-95 <= lo-80 <= mean <= hi-80 <= hi-95."""
    lo, hi = out["mean"].copy(), out["mean"].copy()
    for lv in sorted(level):
        lo = np.minimum(out[f"lo-{lv}"], lo)
        hi = np.maximum(out[f"hi-{lv}"], hi)
        out[f"lo-{lv}"], out[f"hi-{lv}"] = lo, hi
    return out


def conformal_scores(
    full: list[np.ndarray], window: int, calib: int, level: Sequence[int]
) -> dict[tuple[int, str], list[np.ndarray]]:
    """Calibration scores: how far past errors fell outside the bands known at the time.

    Conformalized quantile regression with each tail scored apart: at each of the last
    ``calib`` origins, bands built from the errors known at that time are scored against the
    error that followed, below the lower limit (``lo``) and above the upper one (``hi``); each
    side's quantile of its scores (``widening``) widens (or narrows) that side of today's band.
    A level shift down (CBP Southwest, Jan 2025) then widens the lower limit only.
    """
    out: dict[tuple[int, str], list[np.ndarray]] = {(lv, side): [] for lv in level for side in SIDES}
    for lv in level:
        a = (100 - lv) / 200
        for i, e in enumerate(full):
            h = i + 1
            w = min(window, len(e) - h - 6)
            if w < 12:
                break
            win = np.lib.stride_tricks.sliding_window_view(e, w)
            # window k holds origins k..k+w-1; its outcomes are all known at origin k+w-1+h
            targets = np.arange(w - 1 + h, len(e))
            win = win[targets - (w - 1 + h)]
            keep = slice(max(0, len(targets) - calib), len(targets))
            win, actual = win[keep], e[targets[keep]]
            qlo = np.quantile(win, a, axis=1)
            qhi = np.quantile(win, 1 - a, axis=1)
            # narrowing is limited to a quarter of the typical width
            floor = -0.25 * float(np.median(qhi - qlo))
            out[lv, "lo"].append(np.maximum(qlo - actual, floor))
            out[lv, "hi"].append(np.maximum(actual - qhi, floor))
    return out


def widening(scores: dict[tuple[int, str], list[np.ndarray]]) -> Widening:
    """The conformal correction per level, side and horizon: each side misses with
    probability (100 - level) / 200, so its correction is the 1 - that quantile of its scores."""
    out: Widening = {}
    for (lv, side), per_h in scores.items():
        keep = 1 - (100 - lv) / 200
        out[lv, side] = np.array(
            [float(np.quantile(sc, min(1.0, keep * (1 + 1 / len(sc))))) for sc in per_h]
        )
    return out


def seasonal_profile(z: np.ndarray, season: int = 12, years: int = 6, shrink: float = 0.8) -> np.ndarray:
    """Additive seasonal indices of a log series by position (ratio to a centred 2x12 average)."""
    n = len(z)
    if n < 3 * season:
        return np.zeros(season)
    w = np.r_[0.5, np.ones(season - 1), 0.5] / season
    ma = np.convolve(z, w, mode="valid")  # centred: ma[k] belongs to z[k + season // 2]
    half = season // 2
    dev = z[half : half + len(ma)] - ma
    pos = (np.arange(len(dev)) + half) % season
    keep = slice(max(0, len(dev) - years * season), len(dev))
    dev, pos = dev[keep], pos[keep]
    prof = np.array([np.median(dev[pos == p]) if np.any(pos == p) else 0.0 for p in range(season)])
    return (prof - prof.mean()) * shrink


@dataclass
class RouteModel:
    """Robust ensemble for flows with breaks: SES + naive (+ damped trend) on deseasonalized logs.

    Migration flows jump with policy (Title 42, 2020 closures) and the route's shocks; on the
    log scale a level that adapts fast, shrunk seasonality and no long trend extrapolation
    is what survives a break. Intervals are empirical quantiles of the model's own in-sample
    h-step errors over the last ``window`` origins (optionally pooled across related series),
    so they widen after breaks instead of assuming normal errors.
    """

    season: int = 12
    window: int = 72
    max_h: int = 36
    alphas: tuple[float, ...] = (0.2, 0.35, 0.5, 0.65, 0.8, 1.0)
    damped_phi: float = 0.0  # 0 disables the damped-trend member
    shrinks: tuple[float, ...] = (0.0,)  # seasonal strengths tried (see docs: 0 won)
    select_window: int = 36  # recent origins that judge the seasonal strength
    weights: tuple[float, float, float] = (1.0, 1.0, 0.0)  # ses, naive, damped
    offset: float = 0.0  # c = max(1, offset * mean of the last 12 months) in log(y + c)
    cap: float = 10.0  # upper bands stop at cap x the series' historical maximum
    calib: int = 48  # past origins that calibrate the bands (0: no conformal step)
    errors_: list[np.ndarray] = field(default_factory=list, repr=False)
    widen_: Widening = field(default_factory=dict, repr=False)
    scores_: dict[tuple[int, str], list[np.ndarray]] = field(default_factory=dict, repr=False)
    resid1_: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    offset_: float = 1.0
    cap_: float = np.inf
    scale_: float = 1.0
    _zhat: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def fit(self, y: np.ndarray) -> RouteModel:
        """Fit on a monthly count series (zeros allowed, no gaps)."""
        y = np.maximum(np.asarray(y, dtype=float), 0.0)
        # log(y + c): c grows with the series' recent level so that months of a handful of
        # people (a nationality before its route opened) do not produce 100-fold "errors".
        self.offset_ = max(1.0, self.offset * float(np.mean(y[-12:]))) if len(y) else 1.0
        self.cap_ = self.cap * float(y.max()) if len(y) else np.inf
        z = np.log(y + self.offset_)
        best: tuple[float, np.ndarray, list[np.ndarray]] | None = None
        # Seasonality is kept only where it helped at past origins: after a break the
        # seasonal pattern estimated on the old regime mostly adds noise.
        for shrink in self.shrinks:
            zhat, errs = self._fit_one(z, shrink)
            k = min(len(errs), 12)
            score = float(np.mean([np.mean(np.abs(e[-self.select_window :])) for e in errs[:k]]))
            if best is None or score < best[0] - 1e-12:
                best = (score, zhat, errs)
        assert best is not None
        _, self._zhat, full = best
        self.errors_ = [e[-self.window :] for e in full]
        self.scores_ = (
            conformal_scores(full, self.window, self.calib, LEVELS) if self.calib else {}
        )
        self.widen_ = widening(self.scores_)
        # One-step residuals on the count scale, for the reconciliation's covariance.
        e1 = full[0]
        y_next = np.exp(z[-len(e1) :])
        self.resid1_ = (y_next - np.exp(z[-len(e1) :] - e1))[-self.window :]
        self.scale_ = float(np.median(np.abs(e1 - np.median(e1))) * 1.4826) or 0.05
        return self

    def _fit_one(self, z: np.ndarray, shrink: float) -> tuple[np.ndarray, list[np.ndarray]]:
        n = len(z)
        prof = seasonal_profile(z, self.season, shrink=shrink)
        pos = np.arange(n) % self.season
        d = z - prof[pos]
        # Level paths for every alpha at once: lev[t] is the level after observing d[t].
        al = np.asarray(self.alphas)
        lev = np.empty((n, len(al)))
        lev[0] = d[0]
        for t in range(1, n):
            lev[t] = lev[t - 1] + al * (d[t] - lev[t - 1])
        one_step = np.abs(d[1:, None] - lev[:-1])
        recent = one_step[-self.select_window :] if n > 1 else np.zeros((1, len(al)))
        best = int(np.argmin(recent.mean(axis=0))) if n > 1 else len(al) - 1
        ses = lev[:, best]
        trend = np.zeros(n)
        if self.damped_phi > 0 and n > 2:
            dd = np.diff(d, prepend=d[0])
            for t in range(1, n):
                trend[t] = trend[t - 1] + 0.2 * (dd[t] - trend[t - 1])
        wts = np.asarray(self.weights, dtype=float)
        if self.damped_phi <= 0:
            wts[2] = 0.0
        wts = wts / wts.sum()
        horizons = np.arange(1, self.max_h + 1)
        if self.damped_phi > 0:
            damp = np.cumsum(self.damped_phi**horizons)
        else:
            damp = np.zeros(self.max_h)

        fut = (n - 1 + horizons) % self.season
        zhat = wts[0] * ses[-1] + wts[1] * d[-1] + wts[2] * trend[-1] * damp + prof[fut]
        # Empirical h-step errors of the same recipe at past origins (deseasonalized scale).
        errs: list[np.ndarray] = []
        for h in horizons:
            origins = np.arange(0, n - h)
            if len(origins) < 6:
                break
            f = wts[0] * ses[origins] + wts[1] * d[origins] + wts[2] * trend[origins] * damp[h - 1]
            errs.append(d[origins + h] - f)
        if not errs:
            spread = max(float(np.std(np.diff(d))) if n > 2 else 0.5, 0.1)
            errs = [np.array([-2.0, -1.0, 0.0, 1.0, 2.0]) * spread]
        return zhat, errs

    def predict(
        self,
        h: int,
        level: Sequence[int] = LEVELS,
        errors: list[np.ndarray] | None = None,
        widen: Widening | None = None,
    ) -> Forecast:
        """Point forecast (median on the count scale) and empirical bands for ``h`` months."""
        if h > self.max_h:
            raise ValueError(f"horizon {h} beyond max_h={self.max_h}")
        out = _quantile_bands(
            self._zhat[:h], errors or self.errors_, widen or self.widen_, level, self.offset_
        )
        # A series that grew from a handful to thousands has log errors of 8 or more; without
        # a ceiling its 95% band at 3 years would run to billions, which informs no one.
        ceiling = np.maximum(out["mean"], self.cap_)
        for lv in level:
            out[f"hi-{lv}"] = np.minimum(out[f"hi-{lv}"], ceiling)
        return order_bands(out, level)


class StatsForecastModel:
    """A statsforecast model behind the same interface (used as a peer and as a building block)."""

    def __init__(self, model: Any, log: bool = False) -> None:
        self.model = model
        self.log = log
        self._y: np.ndarray = np.zeros(0)

    def fit(self, y: np.ndarray) -> StatsForecastModel:
        """Keep the series; statsforecast's ``forecast`` fits and predicts in one call."""
        self._y = np.asarray(y, dtype=float)
        return self

    def predict(self, h: int, level: Sequence[int] = LEVELS) -> Forecast:
        """Mean and bands from the wrapped model (clipped at 0: counts are not negative)."""
        y = np.log1p(np.maximum(self._y, 0)) if self.log else self._y
        try:
            raw = self.model.forecast(y=y, h=h, level=list(level))
        except Exception:  # noqa: BLE001 - a failed fit falls back to naive, as statsforecast does
            raw = {"mean": np.repeat(y[-1], h)}
            for lv in level:
                raw[f"lo-{lv}"] = raw["mean"]
                raw[f"hi-{lv}"] = raw["mean"]
        out = {k: np.asarray(raw[k], dtype=float) for k in ["mean"] + [f"{b}-{lv}" for lv in level for b in ("lo", "hi")]}
        if self.log:
            out = {k: np.expm1(v) for k, v in out.items()}
        return {k: np.maximum(v, 0.0) for k, v in out.items()}
