"""One forecast run: fit every catalogue series, reconcile the hierarchies, price surges, explain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from observatorio.analysis.forecast.catalogue import Catalogue, SeriesDef, load_catalogue
from observatorio.analysis.forecast.models import RouteModel, Widening, widening
from observatorio.analysis.forecast.reconcile import mint
from observatorio.analysis.forecast.run_model import MODEL_NAME, horizon_group
from observatorio.analysis.forecast.surge import ALERT, WATCH, SurgeRule, growth, surge_probability
from observatorio.i18n import fmt_month, fmt_number, t

BANDS = ("mean", "lo-80", "hi-80", "lo-95", "hi-95")
#: The columns of a run's frame: also those of a run that forecast nothing (a sparse store),
#: so that readers can select and filter it like any other.
FRAME_COLUMNS = ("series_id", "freq", "period", "horizon", "horizon_group", "mean", "lo_80",
                 "hi_80", "lo_95", "hi_95", "p_surge")
MIN_HISTORY = 24  # months a series needs before it is forecast
ALERT_HORIZON = 3  # alerts look this many months ahead
MOMENTUM_LAMBDA = 0.3  # EWMA weight of monthly log growth, for the early-warning paths
MOMENTUM_PHI = 0.0  # damping of that growth ahead; 0 = off (0.8 and 0.9 lowered recall, see docs)
POOL = 1.0  # pool h-step errors across a hierarchy for the bands (0: each series alone)
POOL_CALIBRATION = True  # and the conformal calibration scores
RECONCILIATION = "mint_shrink"  # compared with wls, wls_rel, bottom_up in docs/forecasting.md


@dataclass
class SeriesForecast:
    """Forecast of one series: monthly bands, annual totals and surge probabilities."""

    definition: SeriesDef
    history: pd.Series
    periods: pd.DatetimeIndex
    bands: dict[str, np.ndarray]
    p_surge: np.ndarray = field(default_factory=lambda: np.zeros(0))
    threshold: float = 0.0

    def frame(self) -> pd.DataFrame:
        """Monthly rows: period, horizon, mean and the 80/95% bands, P(surge)."""
        h = len(self.periods)
        return pd.DataFrame(
            {
                "series_id": self.definition.id,
                "freq": "M",
                "period": self.periods,
                "horizon": np.arange(1, h + 1),
                "horizon_group": [horizon_group(i) for i in range(1, h + 1)],
                "mean": self.bands["mean"],
                "lo_80": self.bands["lo-80"],
                "hi_80": self.bands["hi-80"],
                "lo_95": self.bands["lo-95"],
                "hi_95": self.bands["hi-95"],
                "p_surge": self.p_surge if len(self.p_surge) == h else np.nan,
            }
        )

    def annual(self) -> pd.DataFrame:
        """Calendar-year totals (observed months + forecast months) for years the run completes.

        Bands add month bands (comonotone paths), which errs on the wide side for a total.
        """
        obs = self.history
        rows = []
        months = pd.DatetimeIndex(self.periods)
        obs_years = pd.DatetimeIndex(obs.index).year
        for year in sorted(set(months.year)):
            in_year = months.year == year
            last = pd.Timestamp(year=year, month=12, day=1)
            if last > months.max():
                continue  # year not complete within the horizon
            observed = float(obs[obs_years == year].sum())
            h_last = int(np.flatnonzero(in_year).max()) + 1
            row: dict[str, Any] = {
                "series_id": self.definition.id,
                "freq": "A",
                "period": pd.Timestamp(year=year, month=1, day=1),
                "horizon": h_last,
                "horizon_group": "long" if h_last > 12 else horizon_group(h_last),
            }
            for band in BANDS:
                key = band.replace("-", "_")
                row[key] = observed + float(self.bands[band][in_year].sum())
            row["p_surge"] = np.nan
            rows.append(row)
        return pd.DataFrame(rows)


@dataclass
class Alert:
    """An early warning for one series, with its explanation in both languages."""

    series_id: str
    period: pd.Timestamp
    horizon: int
    probability: float
    threshold: float
    level: str  # alert | watch
    last_value: float
    last_period: pd.Timestamp
    explanation: dict[str, str]
    signals: list[dict[str, Any]]


@dataclass
class ForecastRun:
    """A forecast release: what was forecast, when, from which data release."""

    created_at: datetime
    data_release: dict[str, str]
    horizon: int
    forecasts: dict[str, SeriesForecast]
    alerts: list[Alert]
    skipped: dict[str, str]
    model: str = MODEL_NAME

    def frame(self, annual: bool = True) -> pd.DataFrame:
        """All forecast rows, monthly then annual totals."""
        parts = [f.frame() for f in self.forecasts.values()]
        if annual:
            parts += [f.annual() for f in self.forecasts.values()]
        parts = [p for p in parts if not p.empty]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FRAME_COLUMNS)


def _fit(y: np.ndarray, horizon: int) -> RouteModel:
    return RouteModel(max_h=max(horizon, 12)).fit(y)


def _spreads(model: RouteModel) -> np.ndarray:
    # robust spread of the h-step errors (MAD, scaled to a normal's sd), never 0; cached
    cached: np.ndarray | None = getattr(model, "_spreads", None)
    if cached is None:
        cached = np.array(
            [float(np.median(np.abs(e - np.median(e))) * 1.4826) or 0.05 for e in model.errors_]
        )
        model._spreads = cached  # type: ignore[attr-defined]
    return cached


def _ratio(own: RouteModel, other: RouteModel, i: int) -> float:
    """Rescales ``other``'s h-step errors to ``own``'s spread at the same horizon."""
    mine = _spreads(own)
    return float(mine[min(i, len(mine) - 1)] / _spreads(other)[i])


def pooled_errors(models: list[RouteModel], own: RouteModel, weight: float) -> list[np.ndarray]:
    """``own``'s h-step errors plus the hierarchy's, rescaled to ``own``'s spread at each h.

    A single series has seen few breaks; its siblings along the same route have seen others.
    Pooling their standardized errors lends the tails' shape, while each series keeps its own
    width at each horizon.
    """
    out = []
    for i, e in enumerate(own.errors_):
        parts = [e]
        if weight > 0:
            for m in models:
                if m is not own and len(m.errors_) > i:
                    parts.append(m.errors_[i] * _ratio(own, m, i))
        out.append(np.concatenate(parts))
    return out


def pooled_widening(models: list[RouteModel], own: RouteModel) -> Widening:
    """The conformal correction computed on the hierarchy's calibration scores (per side)."""
    scores: dict[tuple[int, str], list[np.ndarray]] = {}
    for key, per_h in own.scores_.items():
        scores[key] = []
        for i, sc in enumerate(per_h):
            parts = [sc]
            for m in models:
                if m is not own and len(m.scores_.get(key, [])) > i:
                    parts.append(m.scores_[key][i] * _ratio(own, m, i))
            scores[key].append(np.concatenate(parts))
    return widening(scores)


def lead_growth(lead: pd.Series, months: int = 3) -> pd.Series:
    """A leading series' log growth over ``months`` months, dated at its last month."""
    z = np.log1p(lead.clip(lower=0))
    return (z - z.shift(months)).dropna()


def route_signal_adjustment(
    model: RouteModel,
    history: pd.Series,
    leads: list[pd.Series],
    horizon: int,
    ridge: float = 2.0,
    max_h: int = 12,
) -> np.ndarray:
    """Log-scale shift of the forecast explained by upstream growth along the route.

    The model's own past h-step errors are regressed (through the origin, ridge-shrunk) on the
    mean 3-month log growth of the leading series at the same origin: if a Darién or Mexico
    upswing used to precede errors of the same sign downstream, today's upswing shifts today's
    forecast. Zero when the leads are missing or too short (fewer than 24 shared origins).
    """
    out = np.zeros(horizon)
    if not leads:
        return out
    x_all = pd.concat([lead_growth(s) for s in leads], axis=1).mean(axis=1).dropna()
    end = history.index.max()
    if end not in x_all.index:
        return out
    x_now = float(x_all.loc[end])
    n = len(history)
    for h in range(1, min(horizon, max_h, len(model.errors_)) + 1):
        e = model.errors_[h - 1]
        origins = np.arange(n - h)[-len(e) :]
        dates = history.index[origins]
        x = x_all.reindex(dates).to_numpy()
        ok = ~np.isnan(x)
        if ok.sum() < 24:
            continue
        xs, es = x[ok], e[ok]
        beta = float(np.dot(xs, es) / (np.dot(xs, xs) + ridge))
        out[h - 1] = beta * x_now
    if horizon > max_h and max_h <= len(out):
        out[max_h:] = out[max_h - 1]
    return out


def momentum_shift(y: np.ndarray, horizon: int) -> np.ndarray:
    """Log-scale drift of recent growth, damped ahead: what the warning paths add to the forecast.

    The point forecast deliberately carries no trend (it costs accuracy after breaks), but a
    surge is exactly a trend that continues; the early warning prices that possibility.
    """
    if MOMENTUM_PHI <= 0 or len(y) < 3:
        return np.zeros(horizon)
    g = np.diff(np.log1p(np.maximum(y[-25:], 0.0)))
    e = 0.0
    for v in g:
        e = MOMENTUM_LAMBDA * float(v) + (1 - MOMENTUM_LAMBDA) * e
    return e * np.cumsum(MOMENTUM_PHI ** np.arange(1, horizon + 1))


def _rescale(bands: dict[str, np.ndarray], new_mean: np.ndarray) -> dict[str, np.ndarray]:
    # Reconciliation moves the point; the band moves with it, keeping its relative width.
    base = bands["mean"]
    ratio = np.where(base > 0, new_mean / np.where(base > 0, base, 1.0), 1.0)
    out = {k: np.maximum(v * ratio, 0.0) for k, v in bands.items()}
    shift = np.where(base > 0, 0.0, new_mean - base)
    out = {k: v + shift for k, v in out.items()}
    out["mean"] = new_mean
    return out


def _reconcile(
    catalogue: Catalogue,
    models: dict[str, RouteModel],
    bands: dict[str, dict[str, np.ndarray]],
    method: str,
) -> None:
    for top in catalogue.tops():
        kids = [k.id for k in catalogue.children(top.id) if k.id in bands]
        if top.id not in bands or not kids:
            continue
        ids = [top.id, *kids]
        m = min(len(models[i].resid1_) for i in ids)
        resid = np.column_stack([models[i].resid1_[-m:] for i in ids]) if m >= 12 else None
        base_kids = np.vstack([bands[k]["mean"] for k in kids])
        rel = np.array([models[i].scale_ for i in ids])
        recon = mint(bands[top.id]["mean"], base_kids, resid, method, rel_scale=rel)
        for k, row in zip(kids, recon, strict=True):
            bands[k] = _rescale(bands[k], row)
        bands[top.id] = _rescale(bands[top.id], recon.sum(axis=0))


def run_forecast(
    data: dict[str, pd.Series],
    catalogue: Catalogue,
    *,
    horizon: int = 36,
    as_of: pd.Timestamp | None = None,
    data_release: dict[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    with_alerts: bool = True,
    reconcile: str = RECONCILIATION,
    route_signals: bool = True,
) -> ForecastRun:
    """Forecast every catalogue series present in ``data`` (truncated at ``as_of`` if given)."""
    models: dict[str, RouteModel] = {}
    bands: dict[str, dict[str, np.ndarray]] = {}
    hist: dict[str, pd.Series] = {}
    skipped: dict[str, str] = {}
    for s in catalogue.series:
        if progress:
            progress(s.id)
        y = data.get(s.id)
        if y is None:
            skipped[s.id] = "no data"
            continue
        if as_of is not None:
            y = y[y.index <= as_of]
        if len(y) < MIN_HISTORY or float(y.sum()) <= 0:
            skipped[s.id] = f"history < {MIN_HISTORY} months"
            continue
        hist[s.id] = y
        models[s.id] = _fit(y.to_numpy(dtype=float), horizon)
    for sid, model in models.items():
        s = catalogue.by_id[sid]
        y = hist[sid]
        group = [models[x] for x in models if catalogue.root(x) == catalogue.root(sid)]
        pool = POOL > 0 and len(group) > 1
        errors = pooled_errors(group, model, POOL) if pool else None
        widen = pooled_widening(group, model) if pool and POOL_CALIBRATION else None
        bands[sid] = model.predict(horizon, errors=errors, widen=widen)
        if route_signals and s.leading:
            leads = [data[x] for x in s.leading if x in data]
            leads = [x[x.index <= y.index.max()] for x in leads]
            shift = route_signal_adjustment(model, y, leads, horizon)
            if np.any(shift):
                b = bands[sid]
                bands[sid] = _rescale(b, (b["mean"] + 1.0) * np.exp(shift) - 1.0)
    _reconcile(catalogue, models, bands, reconcile)
    forecasts: dict[str, SeriesForecast] = {}
    for sid, b in bands.items():
        y = hist[sid]
        periods = pd.date_range(y.index.max() + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")
        defn = catalogue.by_id[sid]
        f = SeriesForecast(defn, y, periods, b)
        if with_alerts:
            rule = SurgeRule(min_count=defn.min_count)
            h_p = min(horizon, 12)
            yy = y.to_numpy(dtype=float)
            head = {k: v[:h_p] for k, v in b.items()}
            drift = momentum_shift(yy, h_p)
            warn_bands = _rescale(head, (head["mean"] + 1.0) * np.exp(drift) - 1.0)
            probs = surge_probability(yy, warn_bands, rule)
            f.p_surge = np.r_[probs, np.full(horizon - h_p, np.nan)]
            f.threshold = rule.threshold(y.to_numpy(dtype=float)[-rule.window :])
        forecasts[sid] = f
    alerts = explain_alerts(forecasts, catalogue, data, as_of) if with_alerts else []
    return ForecastRun(
        created_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
        data_release=data_release or {},
        horizon=horizon,
        forecasts=forecasts,
        alerts=alerts,
        skipped=skipped,
    )


# The explanation (messages.yaml, forecast_text.explanation) is stated relative to the series'
# last data month: read later, the alert still says what it was based on (alert_status.py
# tells whether its month has passed).


def _pct(x: float | None, lang: str = "es") -> str:
    if x is None:
        return t("forecast_text.no_data", lang)
    return ("+" if x >= 0 else "−") + fmt_number(abs(x) * 100, lang) + " %"


def _signal(
    sid: str,
    forecasts: dict[str, SeriesForecast],
    kind: str,
    catalogue: Catalogue,
    data: dict[str, pd.Series] | None = None,
    until: pd.Timestamp | None = None,
) -> dict[str, Any] | None:
    f = forecasts.get(sid)
    if f is not None:
        hist, p = f.history, f.p_surge[:ALERT_HORIZON]
        p_max: float | None = float(np.nanmax(p)) if len(p) else None
    elif data is not None and sid in data:
        hist = data[sid] if until is None else data[sid][data[sid].index <= until]
        p_max = None  # read for the signal only, not forecast in this run
    else:
        return None
    if hist.empty:
        return None
    # a leading series may sit outside the selected sub-catalogue
    defn = catalogue.by_id.get(sid) or load_catalogue().by_id[sid]
    y = hist.to_numpy(dtype=float)
    rule = SurgeRule(min_count=defn.min_count)
    return {
        "series_id": sid,
        "kind": kind,  # leading (upstream on the route) or component (child series)
        "label_es": defn.label("es"),
        "label_en": defn.label("en"),
        "last_period": hist.index.max().strftime("%Y-%m"),
        "last_value": float(y[-1]),
        "growth_3m": growth(y),
        "surging_now": bool(rule.flags(y[-13:])[-1]) if len(y) >= 13 else False,
        "p_surge_max": p_max,
    }


def explain_alerts(
    forecasts: dict[str, SeriesForecast],
    catalogue: Catalogue,
    data: dict[str, pd.Series] | None = None,
    as_of: pd.Timestamp | None = None,
) -> list[Alert]:
    """One alert per series whose surge probability in the next months reaches ``WATCH``."""
    alerts: list[Alert] = []
    for sid, f in forecasts.items():
        p = f.p_surge[:ALERT_HORIZON]
        if not len(p) or float(np.nanmax(p)) < WATCH:
            continue
        j = int(np.nanargmax(p))
        prob = float(p[j])
        level = "alert" if prob >= ALERT else "watch"
        signals = [
            s
            for s in (
                _signal(x, forecasts, "leading", catalogue, data, as_of)
                for x in f.definition.leading
            )
            if s
        ]
        kids = [k.id for k in catalogue.children(sid)]
        comp = [s for s in (_signal(k, forecasts, "component", catalogue) for k in kids) if s]
        comp.sort(key=lambda s: -(s["p_surge_max"] or 0.0))
        signals += comp[:3]
        y = f.history
        period = f.periods[j]
        g = growth(y.to_numpy(dtype=float))

        def listing(lang: str, signals: list[dict[str, Any]] = signals) -> str:
            parts = []
            for s in signals:
                name = s[f"label_{lang}"]
                p_txt = "" if s["p_surge_max"] is None else " " + t(
                    "forecast_text.signal_probability", lang, percent=fmt_number(s["p_surge_max"] * 100, lang))
                parts.append(f"{name} {_pct(s['growth_3m'], lang)}{p_txt}")
            return "; ".join(parts)

        # Numbers, percentages and months in the reader's language (Babel), not Python's.
        expl = {}
        for lang in ("es", "en"):
            text = t(
                "forecast_text.explanation", lang,
                level=t(f"forecast_text.level.{level}", lang), label=f.definition.label(lang),
                prob=fmt_number(prob * 100, lang) + " %", when=fmt_month(period, lang),
                threshold=fmt_number(f.threshold, lang), last=fmt_number(float(y.iloc[-1]), lang),
                last_when=fmt_month(y.index.max(), lang), change=_pct(g, lang),
            )
            expl[lang] = text + (" " + t("forecast_text.signals", lang, listing=listing(lang)) if signals else "")
        alerts.append(
            Alert(
                series_id=sid,
                period=period,
                horizon=j + 1,
                probability=prob,
                threshold=f.threshold,
                level=level,
                last_value=float(y.iloc[-1]),
                last_period=y.index.max(),
                explanation=expl,
                signals=signals,
            )
        )
    alerts.sort(key=lambda a: -a.probability)
    return alerts
