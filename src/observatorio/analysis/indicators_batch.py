"""Yearly figures of base indicators for many countries at once, in grouped passes.

The engine computes ``(indicator, country, freq)`` one country at a time: for a table of
eleven members that is eleven splits of every selection, eleven concatenations and eleven
yearly aggregations per indicator. Here each base indicator (flow or stock) is computed for
every country asked about in one grouped pass over its selections, and the per-country
results are handed to the engine's cache, so everything built on top of them (rates, shares,
roles, action triggers) reads them as if the engine had computed them itself.

The rules are the engine's, applied with a ``country`` key added to every grouping; the
results are the same frames, value for value (``tests/analysis/test_indicators_batch.py``
compares them for every base indicator of the catalogue and every member).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from observatorio.analysis.catalogue import BASE_KINDS, Indicator
from observatorio.analysis.indicators import (
    RESULT_COLUMNS,
    IndicatorEngine,
    IndicatorResult,
    _empty,
    _join,
)
from observatorio.analysis.series import SeriesSpec

_ROW_COLUMNS = ["country", "freq", "period", "value", "release"]


def base_dependencies(engine: IndicatorEngine, indicator_ids: Iterable[str]) -> list[str]:
    """The base indicators (flows, stocks) the given indicators are computed from, population
    included for the rates, in first-seen order."""
    found: dict[str, None] = {}
    pending = list(indicator_ids)
    while pending:
        ind = engine.indicator(pending.pop(0))
        if ind.kind in BASE_KINDS:
            found.setdefault(ind.id, None)
            continue
        if ind.kind in ("per_100k", "pct_population"):
            pending.append(engine.catalogue.population)
        pending.extend(x for x in (ind.numerator, ind.denominator, ind.base) if x)
    return list(found)


def prime_yearly(engine: IndicatorEngine, indicator_ids: Iterable[str], countries: Iterable[str]) -> None:
    """Compute the yearly figures of every base indicator behind ``indicator_ids`` for every
    country in ``countries`` at once, and leave them in the engine's cache."""
    wanted = tuple(dict.fromkeys(countries))
    for ind_id in base_dependencies(engine, indicator_ids):
        todo = tuple(c for c in wanted if not engine.has_result(ind_id, c, "A"))
        if todo:
            for result in yearly_base(engine, engine.indicator(ind_id), todo).values():
                engine.remember(result)


def yearly_base(engine: IndicatorEngine, ind: Indicator, countries: tuple[str, ...]) -> dict[str, IndicatorResult]:
    """A base indicator's calendar-year results for each of ``countries``."""
    rows = _selected_rows(engine, ind, set(countries))
    results: dict[str, IndicatorResult] = {}
    if rows.empty:
        return {c: _result(ind, c, _empty(), {}) for c in countries}
    releases: dict[str, dict[str, date]] = {}
    for (country, source), release in rows.groupby(["country", "source"])["release"].max().items():
        releases.setdefault(str(country), {})[str(source)] = release.date()
    frames = _yearly_frames(engine, ind, rows)
    for c in countries:
        frame = frames.get(c)
        if frame is None:
            results[c] = _result(ind, c, _empty(), releases.get(c, {}))
        else:
            results[c] = _result(ind, c, frame.loc[:, list(RESULT_COLUMNS)].sort_values("period")
                                 .reset_index(drop=True), releases.get(c, {}))
    return results


def _result(ind: Indicator, country: str, frame: pd.DataFrame, releases: dict[str, date]) -> IndicatorResult:
    """As the engine finishes a result: only the releases of sources behind a figure."""
    used: set[str] = set()
    for text in frame["sources"]:
        used.update(x for x in str(text).split(",") if x)
    kept = {s: r for s, r in sorted(releases.items()) if s in used}
    return IndicatorResult(ind, country, "A", frame, kept)


def _selected_rows(engine: IndicatorEngine, ind: Indicator, wanted: set[str]) -> pd.DataFrame:
    """Every selection's rows for the wanted countries, gaps of sparse sources filled, combined
    as the indicator says (``spec`` numbers the selection, ``source`` names its source)."""
    parts = []
    for i, spec in enumerate(ind.series):
        frame = engine.selection(spec)
        rows = frame.loc[frame["country"].isin(wanted), _ROW_COLUMNS]
        if spec.sparse_zeros and not rows.empty:
            rows = _fill_sparse(engine, spec, rows)
        if not rows.empty:
            parts.append(rows.assign(spec=i, source=spec.source))
    if not parts:
        return pd.DataFrame(columns=[*_ROW_COLUMNS, "spec", "source"])
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[rows["value"].notna()]
    if ind.combine == "coalesce":
        first = rows.groupby(["country", "freq", "period"])["spec"].transform("min")
        rows = rows[rows["spec"] == first]
    elif ind.combine == "coalesce_coverage":
        # The owner of a period does not depend on the country: the first selection covering it.
        owner: dict[tuple[str, pd.Timestamp], int] = {}
        for i, spec in reversed(list(enumerate(ind.series))):
            cov = engine.coverage(spec)
            owner.update({k: i for k in zip(cov["freq"], cov["period"], strict=True)})
        keys = zip(rows["freq"], rows["period"], rows["spec"], strict=True)
        rows = rows[[owner.get((f, p)) == i for f, p, i in keys]]
    return rows


def _fill_sparse(engine: IndicatorEngine, spec: SeriesSpec, rows: pd.DataFrame) -> pd.DataFrame:
    """Each country's missing months inside the source's coverage, as zeros (after its own rows,
    dated with its latest release), as the engine does for one country."""
    cov = engine.coverage(spec)
    cov = cov.loc[cov["freq"] == "M", ["freq", "period"]]
    out = []
    for country, own in rows.groupby("country", sort=False):
        have = set(own.loc[own["freq"] == "M", "period"])
        missing = cov[~cov["period"].isin(have)]
        out.append(own)
        if not missing.empty:
            out.append(missing.assign(value=0.0, release=own["release"].max(), country=country)
                       .loc[:, _ROW_COLUMNS])
    return pd.concat(out, ignore_index=True)


def _yearly_frames(engine: IndicatorEngine, ind: Indicator, rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Calendar-year figures per country: a published yearly figure if the country has one for
    the year, else the months' sum (a stock: the year's last month)."""
    rows = rows.assign(year=rows["period"].dt.year.astype(int))
    yearly = rows["freq"] == "A"
    keys = [rows["country"], rows["year"]]
    has_yearly = yearly.groupby(keys).transform("any")
    if ind.kind == "stock":
        last = rows.groupby(["country", "year"])["period"].transform("max")
        used = rows[yearly | (~has_yearly & (rows["period"] == last))]
    else:
        used = rows[yearly | ~has_yearly]
    yearly_keys = set(zip(rows.loc[yearly, "country"], rows.loc[yearly, "year"], strict=True))
    agg = (used.groupby(["country", "year"])
           .agg(value=("value", "sum"), sources=("source", _join), specs=("spec", lambda s: frozenset(s)))
           .reset_index())
    frames: dict[str, pd.DataFrame] = {}
    for country, frame in agg.groupby("country", sort=False):
        months = [12.0 if ((country, y) in yearly_keys or ind.kind == "stock")
                  else float(engine.months_covered(ind, sp, y))
                  for y, sp in zip(frame["year"], frame["specs"], strict=True)]
        frames[str(country)] = pd.DataFrame({
            "period": pd.to_datetime(frame["year"].astype(str) + "-01-01").to_numpy(),
            "value": frame["value"].astype(float).to_numpy(), "numerator": np.nan, "denominator": np.nan,
            "months": months, "complete": [m >= 12 for m in months], "sources": frame["sources"].to_numpy(),
        })
    return frames
