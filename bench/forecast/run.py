"""Rolling-origin backtest of the observatory's forecasts and early warnings against peers.

Run: ``.venv/bin/python bench/forecast/run.py [--quick] [--db PATH]``

* Series: every catalogue series (USBP monthly by citizenship 2000-2024, CBP Southwest border by
  demographic, Mexico presentations by nationality, Darién, Honduras arrivals, Guatemala
  returns) read from a real store built with ``observatorio load``.
* Origins: one every 3 months over the last 36 months of each hierarchy (``--quick``: every 6
  months, without the USBP citizenship breakdown), keeping only series with at least 48 months
  of history at the origin.
* Forecasts: the observatory's full pipeline (route ensemble + conformal bands + MinT) against
  statsforecast ``AutoETS(season_length=12)`` fitted in the same run on the same series.
* Metrics per horizon group (short 1-3, medium 6-12, long 24-36 months) and hierarchy level:
  MASE (scaled by the in-sample seasonal-naive MAE), geometric-mean relative MASE vs AutoETS,
  coverage of the 80%/95% intervals, scaled Winkler score (95%), wall-time ratio.
* Warnings: one origin every month over the last 36 months (quick: 24), P(surge) for the next
  3 months, against a persistence alarm and an EWMA chart at the same false-alarm rate.

The last line is one JSON object (``relative_mase_vs_autoets``, ``coverage80``, ``coverage95``,
``time_ratio_vs_autoets`` and the warning figures).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

from observatorio.analysis.forecast.catalogue import Catalogue, load_catalogue  # noqa: E402
from observatorio.analysis.forecast.data import load_series  # noqa: E402
from observatorio.analysis.forecast.engine import run_forecast  # noqa: E402
from observatorio.analysis.forecast.models import StatsForecastModel  # noqa: E402
from observatorio.analysis.forecast.surge import SurgeRule  # noqa: E402

GROUPS = {"short": range(1, 4), "medium": range(6, 13), "long": range(24, 37)}
MIN_HISTORY = 48
EPS = 1e-6
FAR = 0.05  # false-alarm rate at which the warning methods are compared


def build_store(path: Path) -> None:
    """Fill a store from the bundled files with the project's own loader (once)."""
    if path.exists():
        return
    print(f"building store {path} …", file=sys.stderr)
    subprocess.run(
        [sys.executable, "-m", "observatorio", "--db", str(path), "load"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def read_series(path: Path, cat: Catalogue) -> dict[str, pd.Series]:
    from observatorio.store import Store

    store = Store.open(path, read_only=True)
    try:
        return load_series(store.con, cat)
    finally:
        store.close()


def scale_of(train: np.ndarray) -> float:
    """In-sample seasonal-naive MAE (naive MAE when that is 0)."""
    if len(train) > 12:
        s = float(np.mean(np.abs(train[12:] - train[:-12])))
        if s > 0:
            return s
    return float(np.mean(np.abs(np.diff(train)))) if len(train) > 1 else 0.0


def winkler(y: np.ndarray, lo: np.ndarray, hi: np.ndarray, alpha: float = 0.05) -> np.ndarray:
    return (hi - lo) + (2 / alpha) * np.maximum(lo - y, 0) + (2 / alpha) * np.maximum(y - hi, 0)


def hierarchy_groups(cat: Catalogue) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for s in cat.series:
        groups[cat.root(s.id)].append(s.id)
    return groups


#: ``--quick``: the USBP citizenship breakdown (11 series of 25 years, the slowest for AutoETS)
#: is left out; every other hierarchy and the USBP total and children are kept.
QUICK_SKIP_PARENT = "usbp"


def quick_subset(cat: Catalogue) -> Catalogue:
    keep = [s for s in cat.series if not (s.parent == QUICK_SKIP_PARENT and s.coherent)]
    return Catalogue(tuple(keep))


def backtest(data: dict[str, pd.Series], cat: Catalogue, step: int) -> tuple[pd.DataFrame, float, float]:
    """Rows per (series, origin, horizon group) for both methods, and the two wall times."""
    rows = []
    t_ours = t_ets = 0.0
    from statsforecast.models import AutoETS

    for root, ids in hierarchy_groups(cat).items():
        sub = Catalogue(tuple(cat.by_id[i] for i in ids))
        end = max(data[i].index.max() for i in ids if i in data)
        for k in range(step, 37, step):
            origin = end - pd.DateOffset(months=k)
            t0 = time.perf_counter()
            run = run_forecast(data, sub, horizon=36, as_of=origin, with_alerts=False)
            t_ours += time.perf_counter() - t0
            for sid, f in run.forecasts.items():
                train = f.history.to_numpy(dtype=float)
                if len(train) < MIN_HISTORY:
                    continue
                actual = data[sid].reindex(f.periods).to_numpy(dtype=float)
                t0 = time.perf_counter()
                ets = StatsForecastModel(AutoETS(season_length=12)).fit(train).predict(36)
                t_ets += time.perf_counter() - t0
                sc = scale_of(train)
                if sc <= 0:
                    continue
                for g, hs in GROUPS.items():
                    idx = np.array([h - 1 for h in hs if not np.isnan(actual[h - 1])], dtype=int)
                    if not len(idx):
                        continue
                    a = actual[idx]
                    row = {"root": root, "series": sid, "level": f.definition.level,
                           "origin": origin, "group": g, "n": len(idx)}
                    for name, fc in (("ours", f.bands), ("ets", ets)):
                        row[f"mase_{name}"] = float(np.mean(np.abs(a - fc["mean"][idx]))) / sc
                        row[f"in80_{name}"] = int(np.sum((a >= fc["lo-80"][idx]) & (a <= fc["hi-80"][idx])))
                        row[f"in95_{name}"] = int(np.sum((a >= fc["lo-95"][idx]) & (a <= fc["hi-95"][idx])))
                        row[f"wink_{name}"] = float(np.mean(winkler(a, fc["lo-95"][idx], fc["hi-95"][idx]))) / sc
                    rows.append(row)
    return pd.DataFrame(rows), t_ours, t_ets


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    out = []

    def one(part: pd.DataFrame, group: str, level: str) -> dict[str, object]:
        # A series that is 0 throughout the test window (e.g. Guatemala returns labelled "from
        # USA" after the publisher dropped the label) gives 0/0: those cases carry no ranking.
        ok = (part["mase_ours"] > EPS) & (part["mase_ets"] > EPS)
        rel = float(np.exp(np.mean(np.log(part.loc[ok, "mase_ours"] / part.loc[ok, "mase_ets"]))))
        n = part["n"].sum()
        return {
            "group": group, "level": level, "cases": len(part),
            "MASE": part["mase_ours"].mean(), "MASE_ets": part["mase_ets"].mean(),
            "relMASE": rel,
            "cov80": part["in80_ours"].sum() / n, "cov95": part["in95_ours"].sum() / n,
            "cov80_ets": part["in80_ets"].sum() / n, "cov95_ets": part["in95_ets"].sum() / n,
            "winkler": part["wink_ours"].mean(), "winkler_ets": part["wink_ets"].mean(),
        }

    for g in ["all", *GROUPS]:
        pg = frame if g == "all" else frame[frame["group"] == g]
        out.append(one(pg, g, "all"))
        for lv in sorted(frame["level"].unique()):
            part = pg[pg["level"] == lv]
            if len(part):
                out.append(one(part, g, lv))
    return pd.DataFrame(out)


# -- early warning -------------------------------------------------------------------------


def warning_scores(
    data: dict[str, pd.Series], cat: Catalogue, months: int
) -> tuple[pd.DataFrame, float]:
    """(series, origin, target) pairs with each method's score and whether the target surged."""
    rows = []
    t_run = 0.0
    for ids in hierarchy_groups(cat).values():
        sub = Catalogue(tuple(cat.by_id[i] for i in ids))
        end = max(data[i].index.max() for i in ids if i in data)
        for k in range(months, 0, -1):
            origin = end - pd.DateOffset(months=k)
            t0 = time.perf_counter()
            run = run_forecast(data, sub, horizon=3, as_of=origin)
            t_run += time.perf_counter() - t0
            for sid, f in run.forecasts.items():
                full = data[sid]
                y = full.to_numpy(dtype=float)
                if len(f.history) < MIN_HISTORY:
                    continue
                rule = SurgeRule(min_count=f.definition.min_count)
                flags = rule.flags(y)
                pos = len(f.history) - 1 + full.index.get_loc(f.history.index[0])
                hist = y[: pos + 1]
                thr = rule.threshold(hist[-12:])
                persist = hist[-1] / thr if thr > 0 else 0.0
                g = np.diff(np.log1p(hist))
                lam = 0.3
                e = 0.0
                for v in g[-24:]:
                    e = lam * v + (1 - lam) * e
                sd = float(np.std(g[-25:-1])) or 1.0
                ewma = e / (sd * np.sqrt(lam / (2 - lam)))
                for h in range(1, 4):
                    t = pos + h
                    if t >= len(y):
                        break
                    onset = bool(flags[t] and not flags[t - 1])
                    rows.append({
                        "series": sid, "origin": pos, "target": t, "h": h,
                        "surge": bool(flags[t]), "onset": onset,
                        "ours": float(f.p_surge[h - 1]), "persistence": persist, "ewma": ewma,
                    })
    return pd.DataFrame(rows), t_run


def warning_table(pairs: pd.DataFrame, far: float = FAR) -> pd.DataFrame:
    """Precision, recall of onsets and lead time of each method at one false-alarm rate.

    Our P(surge) moves in steps of 1/99, so the rate it reaches is slightly off ``far``; the
    baselines' thresholds are then set to flag exactly that same share of non-surge targets.
    """
    out = []
    neg = pairs[~pairs["surge"]]
    rate = far
    for method in ("ours", "persistence", "ewma"):
        theta = float(np.quantile(neg[method], 1 - rate)) if len(neg) else 0.5
        if method == "ours":
            theta = max(theta, 1e-9)
        flagged = pairs[method] > theta
        achieved = float(flagged[~pairs["surge"]].mean()) if len(neg) else 0.0
        if method == "ours":
            rate = achieved
        precision = float(pairs.loc[flagged, "surge"].mean()) if flagged.any() else 0.0
        events = pairs[pairs["onset"]].groupby(["series", "target"])
        detected, leads = 0, []
        for _, ev in events:
            hit = ev[ev[method] > theta]
            if len(hit):
                detected += 1
                leads.append(int(hit["h"].max()))
        n_events = events.ngroups
        out.append({
            "far_target": far, "method": method, "threshold": theta, "false_alarm_rate": achieved,
            "precision": precision, "recall_onsets": detected / n_events if n_events else 0.0,
            "events": n_events, "median_lead_months": float(np.median(leads)) if leads else 0.0,
        })
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="subset: fewer origins (< 3 min)")
    parser.add_argument("--db", type=Path, default=Path(os.environ.get(
        "OBSERVATORIO_BENCH_DB", "/tmp/observatorio-bench-forecast.duckdb")))
    args = parser.parse_args()
    build_store(args.db)
    cat = load_catalogue()
    data = read_series(args.db, cat)
    missing = [s.id for s in cat.series if s.id not in data and not s.residual_of]
    if missing:
        print(f"note: series not in the store: {', '.join(missing)}", file=sys.stderr)
    step = 6 if args.quick else 3
    if args.quick:
        cat = quick_subset(cat)
    frame, t_ours, t_ets = backtest(data, cat, step)
    table = summarise(frame)
    pd.set_option("display.width", 200)
    print(f"Rolling-origin backtest: {frame['series'].nunique()} series, "
          f"origins every {step} months over the last 36, >= {MIN_HISTORY} months of history")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    ratio = t_ours / t_ets if t_ets else float("nan")
    print(f"wall time: ours {t_ours:.1f}s, AutoETS {t_ets:.1f}s, ratio {ratio:.3f}")
    pairs, _ = warning_scores(data, cat, 24 if args.quick else 36)
    wt = warning_table(pairs)
    print("\nEarly warning (targets 1-3 months ahead), thresholds set per method so that the same")
    print("share of non-surge targets is flagged; the headline rate is the first block:")
    sweep = pd.concat([wt] + [warning_table(pairs, far) for far in (0.10, 0.20)])
    print(sweep.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    allrow = table[(table["group"] == "all") & (table["level"] == "all")].iloc[0]
    by_group = {g: float(table[(table["group"] == g) & (table["level"] == "all")]["relMASE"].iloc[0])
                for g in GROUPS if ((table["group"] == g) & (table["level"] == "all")).any()}
    w = wt.set_index("method")
    w10 = sweep[sweep["far_target"] == 0.10].set_index("method")
    print(json.dumps({
        "relative_mase_vs_autoets": round(float(allrow["relMASE"]), 4),
        "relative_mase_by_group": {k: round(v, 4) for k, v in by_group.items()},
        "coverage80": round(float(allrow["cov80"]), 4),
        "coverage95": round(float(allrow["cov95"]), 4),
        "time_ratio_vs_autoets": round(ratio, 4),
        "warning_recall": round(float(w.loc["ours", "recall_onsets"]), 4),
        "warning_recall_persistence": round(float(w.loc["persistence", "recall_onsets"]), 4),
        "warning_recall_ewma": round(float(w.loc["ewma", "recall_onsets"]), 4),
        "false_alarm_rate": round(float(w.loc["ours", "false_alarm_rate"]), 4),
        "warning_recall_far10": round(float(w10.loc["ours", "recall_onsets"]), 4),
        "warning_recall_persistence_far10": round(float(w10.loc["persistence", "recall_onsets"]), 4),
        "warning_recall_ewma_far10": round(float(w10.loc["ewma", "recall_onsets"]), 4),
        "quick": bool(args.quick),
    }))


if __name__ == "__main__":
    main()
