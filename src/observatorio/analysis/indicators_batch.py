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
from dataclasses import replace
from datetime import date
from typing import Any

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
from observatorio.analysis.series import SeriesSpec, fetch_by_country

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
    todo = [engine.indicator(i) for i in base_dependencies(engine, indicator_ids)
            if not all(engine.has_result(i, c, "A") for c in wanted)]
    if not todo:
        return
    specs = list({spec.identity(): spec for ind in todo for spec in ind.series}.values())
    selected = {spec.identity(): countries_rows(engine.con, spec, wanted) for spec in specs}
    for ind in todo:
        for result in yearly_base(engine, ind, wanted, selected).values():
            engine.remember(result)


def countries_rows(con: Any, spec: SeriesSpec, countries: tuple[str, ...]) -> pd.DataFrame:
    """A selection's sums per country, freq and period for ``countries`` only: the selection
    narrowed to them, read by the store's query (a few countries' rows, not the world's)."""
    if spec.country is None:  # summed over every country: no row is about one of them
        return pd.DataFrame({c: pd.Series(dtype="object") for c in _ROW_COLUMNS})
    kept = spec.filters.get(spec.country)
    codes = tuple(c for c in countries if kept is None or c in kept)
    if not codes:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in _ROW_COLUMNS})
    narrowed = replace(spec, filters={**spec.filters, spec.country: codes})
    return fetch_by_country(con, narrowed).loc[:, _ROW_COLUMNS]


def yearly_base(engine: IndicatorEngine, ind: Indicator, countries: tuple[str, ...],
                selected: dict[tuple[Any, ...], pd.DataFrame] | None = None) -> dict[str, IndicatorResult]:
    """A base indicator's calendar-year results for each of ``countries`` (``selected``: the
    selections' rows already read for these countries, else the engine's)."""
    rows = _selected_rows(engine, ind, set(countries), selected)
    empty = _empty()  # built once, copied: each result owns its frame
    if rows.empty:
        return {c: _result(ind, c, empty.copy(), {}) for c in countries}
    releases: dict[str, dict[str, date]] = {}
    latest = rows.groupby(["country", "source"])["release"].max()
    for (country, source), release in zip(latest.index, latest, strict=True):
        releases.setdefault(str(country), {})[str(source)] = release.date()
    frames = _yearly_frames(engine, ind, rows)
    return {c: _result(ind, c, frames[c] if c in frames else empty.copy(), releases.get(c, {}))
            for c in countries}


def _result(ind: Indicator, country: str, frame: pd.DataFrame, releases: dict[str, date]) -> IndicatorResult:
    """As the engine finishes a result: only the releases of sources behind a figure."""
    used: set[str] = set()
    for text in frame["sources"]:
        used.update(x for x in str(text).split(",") if x)
    kept = {s: r for s, r in sorted(releases.items()) if s in used}
    return IndicatorResult(ind, country, "A", frame, kept)


def _selected_rows(engine: IndicatorEngine, ind: Indicator, wanted: set[str],
                   selected: dict[tuple[Any, ...], pd.DataFrame] | None) -> pd.DataFrame:
    """Every selection's rows for the wanted countries, gaps of sparse sources filled, combined
    as the indicator says (``spec`` numbers the selection, ``source`` names its source)."""
    parts = []
    for i, spec in enumerate(ind.series):
        frame = selected[spec.identity()] if selected is not None else engine.selection(spec)
        rows = frame.loc[frame["country"].isin(wanted), _ROW_COLUMNS]
        if spec.sparse_zeros and not rows.empty:
            rows = _fill_sparse(engine, spec, rows)
        if not rows.empty:
            parts.append(rows.assign(spec=i, source=spec.source))
    if not parts:
        return pd.DataFrame(columns=[*_ROW_COLUMNS, "spec", "source"])
    # the engine's rule, per country (a period's owner under coalesce_coverage is the same for all)
    return engine.combined(ind, pd.concat(parts, ignore_index=True), by=("country",))


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
    has_yearly = yearly.groupby([rows["country"], rows["year"]]).transform("any")
    if ind.kind == "stock":
        last = rows.groupby(["country", "year"])["period"].transform("max")
        used = rows[yearly | (~has_yearly & (rows["period"] == last))]
    else:
        used = rows[yearly | ~has_yearly]
    keys = ["country", "year"]
    agg = used.groupby(keys)["value"].sum().reset_index()
    # Which sources and selections each year used (plain Python sets: no per-group callbacks).
    sources: dict[tuple[str, int], set[str]] = {}
    specs: dict[tuple[str, int], set[int]] = {}
    for c, y, src, sp in zip(used["country"], used["year"], used["source"], used["spec"], strict=True):
        sources.setdefault((c, y), set()).add(src)
        specs.setdefault((c, y), set()).add(sp)
    yearly_keys = set(zip(rows.loc[yearly, "country"], rows.loc[yearly, "year"], strict=True))
    pairs = list(zip(agg["country"], agg["year"], strict=True))
    months = [12.0 if (key in yearly_keys or ind.kind == "stock")
              else float(engine.months_covered(ind, frozenset(specs[key]), key[1])) for key in pairs]
    table = pd.DataFrame({
        "country": agg["country"].to_numpy(),
        "period": pd.to_datetime(agg["year"].astype(str) + "-01-01").to_numpy(),
        "value": agg["value"].astype(float).to_numpy(), "numerator": np.nan, "denominator": np.nan,
        "months": months, "complete": [m >= 12 for m in months],
        "sources": [_join(sources[key]) for key in pairs],
    }).sort_values(["country", "period"], kind="stable")
    columns = list(RESULT_COLUMNS)
    return {str(c): part.loc[:, columns].reset_index(drop=True)
            for c, part in table.groupby("country", sort=False)}
