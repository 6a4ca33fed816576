"""Compute catalogue indicators from the store, for one country (or all) and a frequency.

Every number comes out of the ``observations`` view at run time; nothing is typed in. Each
result carries its evidence: the numerator and denominator behind a rate or share, how many
months a yearly figure covers, and the sources and releases that produced it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from observatorio.analysis.catalogue import BASE_KINDS, Catalogue, Indicator, load_catalogue
from observatorio.analysis.float_sums import group_sum, rolling_sum
from observatorio.analysis.months import month_starts
from observatorio.analysis.series import (
    SeriesSpec,
    fetch_by_country,
    fetch_coverage,
    fetch_for_countries,
)
from observatorio.errors import ObservatorioError
from observatorio.store.rows import Row

#: Keys of every result row, in order.
RESULT_COLUMNS = ("period", "value", "numerator", "denominator", "months", "complete", "sources")


class UnknownIndicator(ObservatorioError, KeyError):
    """No indicator with that id in the catalogue."""

    key = "analysis.error.unknown_indicator"

    def __init__(self, indicator_id: str) -> None:
        super().__init__(value=indicator_id)

    def __str__(self) -> str:  # KeyError would show the repr of its argument
        return self.message("en")


@dataclass
class IndicatorResult:
    """One indicator for one country at one frequency, with its evidence."""

    indicator: Indicator
    country: str | None
    freq: str
    #: One row per period, sorted: RESULT_COLUMNS; period a date, numbers floats (None: missing).
    frame: list[Row]
    releases: dict[str, date] = field(default_factory=dict)  # source -> release used
    _years: tuple[list[Row], dict[int, int]] | None = field(default=None, init=False, repr=False,
                                                             compare=False)

    def at(self, period: date | int) -> dict[str, Any] | None:
        """The row for a period (a year number selects the annual row)."""
        if isinstance(period, int):
            # Roles and triggers ask one result for many years: index its rows by year once.
            if self._years is None or self._years[0] is not self.frame:
                first: dict[int, int] = {}
                for pos, row in enumerate(self.frame):
                    first.setdefault(row["period"].year, pos)
                self._years = (self.frame, first)
            found = self._years[1].get(period)
            if found is None:
                return None
            row = self.frame[found]
            return None if row["value"] is None else dict(row)
        if isinstance(period, datetime):  # a timestamp names its day
            period = period.date()
        match = next((row for row in self.frame if row["period"] == period), None)
        if match is None or match["value"] is None:
            return None
        return dict(match)

    def value(self, period: date | int) -> float | None:
        row = self.at(period)
        return None if row is None else float(row["value"])

    def records(self) -> list[dict[str, Any]]:
        """JSON-ready rows (dates as ISO text, missing numbers as null)."""
        return [{
            "period": row["period"].isoformat(),
            "value": _num(row["value"]), "numerator": _num(row["numerator"]),
            "denominator": _num(row["denominator"]),
            "months": None if _num(row["months"]) is None else int(row["months"]),
            "complete": bool(row["complete"]), "sources": row["sources"],
        } for row in self.frame]


def _num(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def result_row(period: date, value: float | None, numerator: float | None, denominator: float | None,
               months: float, complete: bool, sources: str) -> Row:
    """One row of a result (RESULT_COLUMNS, in order)."""
    return {"period": period, "value": value, "numerator": numerator, "denominator": denominator,
            "months": months, "complete": complete, "sources": sources}


def ratio(numerator: float | None, denominator: float | None, scale: float) -> float | None:
    """``numerator / denominator × scale`` as the vectorised arithmetic gave it before: x/0 is
    ±inf, and what is not a number (0/0, a missing side) is None."""
    if numerator is None or denominator is None:
        return None
    if denominator == 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            quotient = float(np.float64(numerator) / np.float64(denominator))
    else:
        quotient = numerator / denominator
    result = quotient * scale
    return None if math.isnan(result) else result


def _group(rows: Iterable[Row], key: Any) -> dict[Any, list[Row]]:
    """Rows by ``key(row)``, each group in row order, the groups sorted by key."""
    groups: dict[Any, list[Row]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return dict(sorted(groups.items()))


#: Most indicator results an engine keeps: every indicator of the catalogue for every CRM member
#: and the region, monthly and yearly, is ≈ 1,300.
MAX_RESULTS = 4096


class IndicatorEngine:
    """Computes indicators over one open store connection, caching what it reads and computes.

    A selection is read for the countries asked about (the store sums and narrows it), not for
    the world and split here: what stays in memory are the results, the selections' coverage
    and their sums over every country together.
    """

    def __init__(self, con: Any, catalogue: Catalogue | None = None) -> None:
        self.con = con
        self.catalogue = catalogue or load_catalogue()
        self._world: dict[tuple[Any, ...], list[Row]] = {}
        self._coverage: dict[tuple[Any, ...], list[Row]] = {}
        # The one cache keyed by what a request names (any three letters are a "country"):
        # least recently used results go past MAX_RESULTS; the others follow the catalogue.
        self._results: OrderedDict[tuple[str, str | None, str], IndicatorResult] = OrderedDict()
        self._months: dict[tuple[Any, ...], dict[int, set[date]]] = {}

    # -- catalogue ----------------------------------------------------------------------------

    def indicator(self, indicator_id: str) -> Indicator:
        try:
            return self.catalogue.get(indicator_id)
        except KeyError:
            raise UnknownIndicator(indicator_id) from None

    def native_freqs(self, indicator_id: str) -> tuple[str, ...]:
        """Frequencies an indicator can be computed at (monthly ones also yearly)."""
        ind = self.indicator(indicator_id)
        if ind.kind == "rolling12":
            return ("M",)
        return ("M", "A") if ind.freq == "M" else ("A",)

    # -- reading ------------------------------------------------------------------------------

    def _covered(self, spec: SeriesSpec) -> list[Row]:
        key = spec.identity()
        if key not in self._coverage:
            self._coverage[key] = fetch_coverage(self.con, spec)
        return self._coverage[key]

    def selection(self, spec: SeriesSpec) -> list[Row]:
        """A selection's sums for every country (read again at each call: a whole selection is
        not kept): country, freq, period, value, n_values, release."""
        return fetch_by_country(self.con, spec)

    def coverage(self, spec: SeriesSpec) -> list[Row]:
        """Every (freq, period) a selection holds for any country (cached)."""
        return self._covered(spec)

    def has_result(self, indicator_id: str, country: str | None, freq: str) -> bool:
        return (indicator_id, country, freq) in self._results

    def remember(self, result: IndicatorResult) -> None:
        """Keep a result computed elsewhere (``indicators_batch``) as if computed here."""
        self._keep((result.indicator.id, result.country, result.freq), result)

    def _keep(self, key: tuple[str, str | None, str], result: IndicatorResult) -> None:
        self._results[key] = result
        self._results.move_to_end(key)
        while len(self._results) > MAX_RESULTS:
            self._results.popitem(last=False)

    def countries(self, indicator_id: str) -> list[str]:
        """Countries with at least one figure for a base indicator."""
        ind = self.indicator(indicator_id)
        while ind.kind not in BASE_KINDS:
            ind = self.indicator(ind.numerator or ind.base or "")
        found: set[str] = set()
        for spec in ind.series:
            found |= {row["country"] for row in self.selection(spec)}
        return sorted(found)

    def _all_countries(self, spec: SeriesSpec) -> list[Row]:
        """A selection summed over every country (cached): freq, period, value, release.

        The countries' sums are added in the store's order (by country) with pandas' group
        sum, as the figures were computed before (float_sums.py)."""
        key = spec.identity()
        if key not in self._world:
            groups = _group(fetch_by_country(self.con, spec), lambda r: (r["freq"], r["period"]))
            self._world[key] = [
                {"freq": freq, "period": period, "value": group_sum(r["value"] for r in rows),
                 "release": _latest(r["release"] for r in rows)}
                for (freq, period), rows in groups.items()]
        return self._world[key]

    def series_rows(self, spec: SeriesSpec, country: str | None) -> list[Row]:
        """One selection's rows for a country: freq, period, value, release."""
        if country is None:
            rows = list(self._all_countries(spec))
        else:
            rows = [{k: r[k] for k in ("freq", "period", "value", "release")}
                    for r in fetch_for_countries(self.con, spec, (country,))]
        if spec.sparse_zeros and rows:
            # The publisher leaves out empty cells: inside its coverage, a missing month is 0.
            have = {r["period"] for r in rows if r["freq"] == "M"}
            release = _latest(r["release"] for r in rows)
            rows += [{"freq": c["freq"], "period": c["period"], "value": 0.0, "release": release}
                     for c in self._covered(spec) if c["freq"] == "M" and c["period"] not in have]
        return rows

    # -- computing ----------------------------------------------------------------------------

    def compute(self, indicator_id: str, country: str | None = None, freq: str | None = None) -> IndicatorResult:
        """The indicator for ``country`` (None: every country together) at ``freq``."""
        ind = self.indicator(indicator_id)
        freq = freq or ind.freq
        if freq not in self.native_freqs(indicator_id):
            raise ValueError(f"indicator {indicator_id!r} is not available at frequency {freq!r}")
        key = (indicator_id, country, freq)
        found = self._results.get(key)
        if found is None:
            found = self._compute(ind, country, freq)
            self._keep(key, found)
        else:
            self._results.move_to_end(key)
        return found

    def _compute(self, ind: Indicator, country: str | None, freq: str) -> IndicatorResult:
        result = self._compute_kind(ind, country, freq)
        # Keep only the releases of sources that produced a figure of this result.
        used: set[str] = set()
        for row in result.frame:
            used.update(x for x in str(row["sources"]).split(",") if x)
        result.releases = {s: r for s, r in sorted(result.releases.items()) if s in used}
        return result

    def _compute_kind(self, ind: Indicator, country: str | None, freq: str) -> IndicatorResult:
        if ind.kind in BASE_KINDS:
            return self._base(ind, country, freq)
        if ind.kind in ("per_100k", "pct_population"):
            return self._per_population(ind, country, freq)
        if ind.kind == "share":
            return self._share(ind, country, freq)
        if ind.kind == "yoy_pct":
            return self._yoy(ind, country, freq)
        return self._rolling(ind, country)

    def _base(self, ind: Indicator, country: str | None, freq: str) -> IndicatorResult:
        parts: list[Row] = []
        for i, spec in enumerate(ind.series):
            parts += [{**row, "spec": i, "source": spec.source} for row in self.series_rows(spec, country)]
        if not parts:
            return IndicatorResult(ind, country, freq, [])
        rows = self.combined(ind, parts)
        releases: dict[str, date] = {}
        for source, group in _group(rows, lambda r: r["source"]).items():
            releases[str(source)] = _day(_latest(r["release"] for r in group))
        if freq == "M":
            monthly = _group((r for r in rows if r["freq"] == "M"), lambda r: r["period"])
            frame = [result_row(period, group_sum(r["value"] for r in group), None, None, 1.0, True,
                                _join(r["source"] for r in group))
                     for period, group in monthly.items()]
        else:
            frame = self._annual(ind, rows)
        return IndicatorResult(ind, country, freq, frame, releases)

    def combined(self, ind: Indicator, rows: list[Row], by: tuple[str, ...] = ()) -> list[Row]:
        """The rows with a figure of every selection (``spec`` numbers it), combined as the
        indicator says; ``by``: key columns besides the period (the batch's ``country``)."""
        rows = [r for r in rows if r["value"] is not None]
        if ind.combine == "coalesce":
            # Period by period, the first selection in the list that has a figure wins.
            first: dict[tuple[Any, ...], int] = {}
            for r in rows:
                key = (*(r[k] for k in by), r["freq"], r["period"])
                first[key] = min(first.get(key, r["spec"]), r["spec"])
            rows = [r for r in rows if r["spec"] == first[(*(r[k] for k in by), r["freq"], r["period"])]]
        elif ind.combine == "coalesce_coverage":
            # Period by period, the first selection whose source covers the period wins, even
            # when it has no figure for this country (a newer download that dropped an incident).
            owner: dict[tuple[str, date], int] = {}
            for i, spec in reversed(list(enumerate(ind.series))):
                owner.update({(c["freq"], c["period"]): i for c in self._covered(spec)})
            rows = [r for r in rows if owner.get((r["freq"], r["period"])) == r["spec"]]
        return rows

    def _annual(self, ind: Indicator, rows: list[Row]) -> list[Row]:
        """Calendar-year figures: a published yearly figure if there is one, else the months' sum."""
        if not rows:
            return []
        a_years = {r["period"].year for r in rows if r["freq"] == "A"}
        if ind.kind == "stock":
            # A stock is never summed over periods: the yearly figure, else the year's last month.
            last: dict[int, date] = {}
            for r in rows:
                year = r["period"].year
                last[year] = max(last.get(year, r["period"]), r["period"])
            used = [r for r in rows if r["freq"] == "A"
                    or (r["period"].year not in a_years and r["period"] == last[r["period"].year])]
        else:
            used = [r for r in rows if r["freq"] == "A" or r["period"].year not in a_years]
        frame = []
        for year, group in _group(used, lambda r: r["period"].year).items():
            specs = frozenset(r["spec"] for r in group)
            months = 12.0 if (year in a_years or ind.kind == "stock") else float(self.months_covered(ind, specs, year))
            frame.append(result_row(date(year, 1, 1), group_sum(r["value"] for r in group), None, None,
                                    months, months >= 12, _join(r["source"] for r in group)))
        return frame

    def months_covered(self, ind: Indicator, specs: frozenset[int], year: int) -> int:
        """Months of ``year`` covered by any of the indicator's selections numbered ``specs``."""
        months: set[date] = set()
        for i in specs:
            months |= self._covered_months(ind.series[i]).get(year, set())
        return len(months)

    def _covered_months(self, spec: SeriesSpec) -> dict[int, set[date]]:
        key = ("months",) + spec.identity()
        if key not in self._months:
            found: dict[int, set[date]] = {}
            for c in self._covered(spec):
                if c["freq"] == "M":
                    found.setdefault(c["period"].year, set()).add(c["period"])
            self._months[key] = found
        return self._months[key]

    def _per_population(self, ind: Indicator, country: str | None, freq: str) -> IndicatorResult:
        num = self.compute(ind.numerator or "", country, freq)
        scale = 100_000.0 if ind.kind == "per_100k" else 100.0
        releases = dict(num.releases)
        if country is None or not num.frame:
            # A rate needs one population: for "all countries together" there is none.
            frame = [{**r, "numerator": r["value"], "denominator": None, "value": None} for r in num.frame]
            return IndicatorResult(ind, country, freq, frame, releases)
        pop = self.compute(self.catalogue.population, country, "A")
        releases.update(pop.releases)
        by_year = {r["period"].year: r["value"] for r in pop.frame}
        pop_sources = {r["period"].year: r["sources"] for r in pop.frame}
        frame = []
        for r in num.frame:
            year = r["period"].year
            denominator = _num(by_year.get(year))
            frame.append(result_row(r["period"], ratio(r["value"], denominator, scale), r["value"], denominator,
                                    r["months"], r["complete"], _join([r["sources"], pop_sources.get(year, "")])))
        return IndicatorResult(ind, country, freq, frame, releases)

    def _share(self, ind: Indicator, country: str | None, freq: str) -> IndicatorResult:
        num = self.compute(ind.numerator or "", country, freq)
        den = self.compute(ind.denominator or "", country, freq)
        numerators = {r["period"]: r for r in num.frame}
        frame = []
        for d in den.frame:
            n = numerators.get(d["period"])
            numerator = None if n is None else _num(n["value"])
            denominator = _num(d["value"])
            ok = denominator is not None and denominator > 0
            frame.append(result_row(d["period"], ratio(numerator, denominator, 100.0) if ok else None,
                                    numerator, denominator, d["months"], d["complete"],
                                    _join([d["sources"], "" if n is None else n["sources"]])))
        releases = {**den.releases, **num.releases}
        return IndicatorResult(ind, country, freq, frame, releases)

    def _yoy(self, ind: Indicator, country: str | None, freq: str) -> IndicatorResult:
        base = self.compute(ind.base or "", country, freq)
        by_period = {r["period"]: r for r in base.frame}
        frame = []
        for r in base.frame:
            prior = by_period.get(_year_before(r["period"]))
            before = None if prior is None else _num(prior["value"])
            usable = (before is not None and before > 0 and bool(r["complete"])
                      and prior is not None and bool(prior["complete"]))
            numerator = _num(r["value"])
            change = None if not usable or numerator is None or before is None else numerator - before
            frame.append(result_row(r["period"], ratio(change, before, 100.0), numerator, before,
                                    r["months"], r["complete"], r["sources"]))
        return IndicatorResult(ind, country, freq, frame, dict(base.releases))

    def _rolling(self, ind: Indicator, country: str | None) -> IndicatorResult:
        base = self.compute(ind.base or "", country, "M")
        frame = base.frame
        if not frame:
            return IndicatorResult(ind, country, "M", [], dict(base.releases))
        months = month_starts(min(r["period"] for r in frame), max(r["period"] for r in frame))
        values = {r["period"]: r["value"] for r in frame}
        rolled = rolling_sum([values.get(m) for m in months], 12)
        sources = _join(r["sources"] for r in frame)
        out = [result_row(month, total, None, None, 12.0, True, sources)
               for month, total in zip(months, rolled, strict=True) if total is not None]
        return IndicatorResult(ind, country, "M", out, dict(base.releases))


def _latest(values: Iterable[date | None]) -> date | None:
    """The latest of the dates given (None: none given)."""
    found = [v for v in values if v is not None]
    return max(found) if found else None


def _day(value: date | None) -> date:
    """A release as a day (the store's releases are dates; a timestamp names its day)."""
    assert value is not None, "every observation has a release"
    return value.date() if isinstance(value, datetime) else value


def _year_before(day: date) -> date:
    """The same day a year earlier (29 February: the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)




def _join(values: Any) -> str:
    """Sorted, de-duplicated, comma-joined source ids (the evidence column)."""
    found: set[str] = set()
    for v in values:
        if isinstance(v, str) and v:
            found.update(x for x in v.split(",") if x)
    return ",".join(sorted(found))
