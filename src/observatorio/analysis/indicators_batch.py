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
from typing import Any

from observatorio.analysis.catalogue import BASE_KINDS, Indicator
from observatorio.analysis.float_sums import group_sum
from observatorio.analysis.indicators import (
    IndicatorEngine,
    IndicatorResult,
    _day,
    _join,
    _latest,
    result_row,
)
from observatorio.analysis.series import SeriesSpec, fetch_for_countries
from observatorio.store.rows import Row

_ROW_COLUMNS = ("country", "freq", "period", "value", "release")


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


def countries_rows(con: Any, spec: SeriesSpec, countries: tuple[str, ...]) -> list[Row]:
    """A selection's sums per country, freq and period for ``countries`` only: the selection
    narrowed to them, read by the store's query (a few countries' rows, not the world's)."""
    return [{k: r[k] for k in _ROW_COLUMNS} for r in fetch_for_countries(con, spec, countries)]


def yearly_base(engine: IndicatorEngine, ind: Indicator, countries: tuple[str, ...],
                selected: dict[tuple[Any, ...], list[Row]] | None = None) -> dict[str, IndicatorResult]:
    """A base indicator's calendar-year results for each of ``countries`` (``selected``: the
    selections' rows already read for these countries, else the engine's)."""
    rows = _selected_rows(engine, ind, set(countries), selected)
    if not rows:
        return {c: _result(ind, c, [], {}) for c in countries}
    latest: dict[tuple[str, str], list[date | None]] = {}
    for r in rows:
        latest.setdefault((r["country"], r["source"]), []).append(r["release"])
    releases: dict[str, dict[str, date]] = {}
    for (country, source), found in sorted(latest.items()):
        releases.setdefault(str(country), {})[str(source)] = _day(_latest(found))
    frames = _yearly_frames(engine, ind, rows)
    # each result owns its rows: a country without any gets a list of its own
    return {c: _result(ind, c, frames.get(c, []), releases.get(c, {})) for c in countries}


def _result(ind: Indicator, country: str, frame: list[Row], releases: dict[str, date]) -> IndicatorResult:
    """As the engine finishes a result: only the releases of sources behind a figure."""
    used: set[str] = set()
    for row in frame:
        used.update(x for x in str(row["sources"]).split(",") if x)
    kept = {s: r for s, r in sorted(releases.items()) if s in used}
    return IndicatorResult(ind, country, "A", frame, kept)


def _selected_rows(engine: IndicatorEngine, ind: Indicator, wanted: set[str],
                   selected: dict[tuple[Any, ...], list[Row]] | None) -> list[Row]:
    """Every selection's rows for the wanted countries, gaps of sparse sources filled, combined
    as the indicator says (``spec`` numbers the selection, ``source`` names its source)."""
    parts: list[Row] = []
    for i, spec in enumerate(ind.series):
        frame = selected[spec.identity()] if selected is not None else engine.selection(spec)
        rows = [{k: r[k] for k in _ROW_COLUMNS} for r in frame if r["country"] in wanted]
        if spec.sparse_zeros and rows:
            rows = _fill_sparse(engine, spec, rows)
        parts += [{**r, "spec": i, "source": spec.source} for r in rows]
    if not parts:
        return []
    # the engine's rule, per country (a period's owner under coalesce_coverage is the same for all)
    return engine.combined(ind, parts, by=("country",))


def _fill_sparse(engine: IndicatorEngine, spec: SeriesSpec, rows: list[Row]) -> list[Row]:
    """Each country's missing months inside the source's coverage, as zeros (after its own rows,
    dated with its latest release), as the engine does for one country."""
    cov = [c for c in engine.coverage(spec) if c["freq"] == "M"]
    by_country: dict[str, list[Row]] = {}  # in the order the countries first come
    for r in rows:
        by_country.setdefault(r["country"], []).append(r)
    out: list[Row] = []
    for country, own in by_country.items():
        have = {r["period"] for r in own if r["freq"] == "M"}
        release = _latest(r["release"] for r in own)
        out += own
        out += [{"country": country, "freq": c["freq"], "period": c["period"], "value": 0.0,
                 "release": release} for c in cov if c["period"] not in have]
    return out


def _yearly_frames(engine: IndicatorEngine, ind: Indicator, rows: list[Row]) -> dict[str, list[Row]]:
    """Calendar-year figures per country: a published yearly figure if the country has one for
    the year, else the months' sum (a stock: the year's last month)."""
    yearly_keys = {(r["country"], r["period"].year) for r in rows if r["freq"] == "A"}
    if ind.kind == "stock":
        last: dict[tuple[str, int], date] = {}
        for r in rows:
            key = (r["country"], r["period"].year)
            last[key] = max(last.get(key, r["period"]), r["period"])
        used = [r for r in rows if r["freq"] == "A" or (
            (r["country"], r["period"].year) not in yearly_keys and r["period"] == last[(r["country"], r["period"].year)])]
    else:
        used = [r for r in rows if r["freq"] == "A" or (r["country"], r["period"].year) not in yearly_keys]
    groups: dict[tuple[str, int], list[Row]] = {}
    for r in used:
        groups.setdefault((r["country"], r["period"].year), []).append(r)
    frames: dict[str, list[Row]] = {}
    for key in sorted(groups):
        group = groups[key]
        months = 12.0 if (key in yearly_keys or ind.kind == "stock") else float(
            engine.months_covered(ind, frozenset(r["spec"] for r in group), key[1]))
        frames.setdefault(str(key[0]), []).append(result_row(
            date(key[1], 1, 1), group_sum(r["value"] for r in group), None, None, months, months >= 12,
            _join(r["source"] for r in group)))
    return frames
