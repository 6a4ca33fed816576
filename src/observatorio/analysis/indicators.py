"""Compute catalogue indicators from the store, for one country (or all) and a frequency.

Every number comes out of the ``observations`` view at run time; nothing is typed in. Each
result carries its evidence: the numerator and denominator behind a rate or share, how many
months a yearly figure covers, and the sources and releases that produced it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from observatorio.analysis.catalogue import BASE_KINDS, Catalogue, Indicator, load_catalogue
from observatorio.analysis.series import SeriesSpec, fetch_by_country, fetch_coverage
from observatorio.errors import ObservatorioError

#: Columns of every result frame.
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
    frame: pd.DataFrame  # RESULT_COLUMNS, one row per period, sorted
    releases: dict[str, date] = field(default_factory=dict)  # source -> release used
    _years: tuple[pd.DataFrame, dict[int, int]] | None = field(default=None, init=False, repr=False,
                                                               compare=False)

    def at(self, period: date | pd.Timestamp | int) -> dict[str, Any] | None:
        """The row for a period (a year number selects the annual row)."""
        if isinstance(period, int):
            # Roles and triggers ask one result for many years: index its rows by year once.
            if self._years is None or self._years[0] is not self.frame:
                first: dict[int, int] = {}
                for pos, year in enumerate(self.frame["period"].dt.year):
                    first.setdefault(int(year), pos)
                self._years = (self.frame, first)
            found = self._years[1].get(period)
            if found is None:
                return None
            row: pd.Series = self.frame.iloc[found]
            return None if pd.isna(row["value"]) else {str(k): v for k, v in row.items()}
        rows = self.frame[self.frame["period"] == pd.Timestamp(period)]
        if rows.empty or pd.isna(rows["value"].iloc[0]):
            return None
        return {str(k): v for k, v in rows.iloc[0].items()}

    def value(self, period: date | pd.Timestamp | int) -> float | None:
        row = self.at(period)
        return None if row is None else float(row["value"])

    def records(self) -> list[dict[str, Any]]:
        """JSON-ready rows (dates as ISO text, missing numbers as null)."""
        out = []
        for row in self.frame.to_dict("records"):
            out.append({
                "period": pd.Timestamp(row["period"]).date().isoformat(),
                "value": _num(row["value"]), "numerator": _num(row["numerator"]),
                "denominator": _num(row["denominator"]),
                "months": None if pd.isna(row["months"]) else int(row["months"]),
                "complete": bool(row["complete"]), "sources": row["sources"],
            })
        return out


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in RESULT_COLUMNS})
    frame["period"] = pd.to_datetime(frame["period"])
    for c in ("value", "numerator", "denominator", "months"):
        frame[c] = frame[c].astype(float)
    frame["complete"] = frame["complete"].astype(bool)
    return frame


#: Most indicator results an engine keeps: every indicator of the catalogue for every CRM member
#: and the region, monthly and yearly, is ≈ 1,300.
MAX_RESULTS = 4096


class IndicatorEngine:
    """Computes indicators over one open store connection, caching each selection it reads."""

    def __init__(self, con: Any, catalogue: Catalogue | None = None) -> None:
        self.con = con
        self.catalogue = catalogue or load_catalogue()
        self._frames: dict[tuple[Any, ...], pd.DataFrame] = {}
        self._coverage: dict[tuple[Any, ...], pd.DataFrame] = {}
        # The one cache keyed by what a request names (any three letters are a "country"):
        # least recently used results go past MAX_RESULTS; the others follow the catalogue.
        self._results: OrderedDict[tuple[str, str | None, str], IndicatorResult] = OrderedDict()
        self._by_country: dict[tuple[Any, ...], dict[str, pd.DataFrame]] = {}
        self._months: dict[tuple[Any, ...], dict[int, set[pd.Timestamp]]] = {}

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

    def _series(self, spec: SeriesSpec) -> pd.DataFrame:
        key = spec.identity()
        if key not in self._frames:
            self._frames[key] = fetch_by_country(self.con, spec)
        return self._frames[key]

    def _covered(self, spec: SeriesSpec) -> pd.DataFrame:
        key = spec.identity()
        if key not in self._coverage:
            self._coverage[key] = fetch_coverage(self.con, spec)
        return self._coverage[key]

    def selection(self, spec: SeriesSpec) -> pd.DataFrame:
        """A selection's sums for every country (cached): country, freq, period, value, release."""
        return self._series(spec)

    def coverage(self, spec: SeriesSpec) -> pd.DataFrame:
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
            found |= set(self._series(spec)["country"].unique())
        return sorted(found)

    def series_rows(self, spec: SeriesSpec, country: str | None) -> pd.DataFrame:
        """One selection's rows for a country: freq, period, value, release."""
        frame = self._series(spec)
        if country is None:
            rows = (frame.groupby(["freq", "period"], as_index=False)
                    .agg(value=("value", "sum"), release=("release", "max")))
            present = not frame.empty
        else:
            key = spec.identity()
            if key not in self._by_country:
                cols = ["freq", "period", "value", "release"]
                self._by_country[key] = {str(c): g[cols] for c, g in frame.groupby("country")}
            found = self._by_country[key].get(country)
            rows = found if found is not None else frame.loc[[], ["freq", "period", "value", "release"]]
            present = not rows.empty
        if spec.sparse_zeros and present:
            # The publisher leaves out empty cells: inside its coverage, a missing month is 0.
            cov = self._covered(spec)
            cov = cov[cov["freq"] == "M"]
            have = set(rows.loc[rows["freq"] == "M", "period"])
            missing = cov[~cov["period"].isin(have)]
            if not missing.empty:
                fill = missing.assign(value=0.0, release=rows["release"].max())
                rows = pd.concat([rows, fill], ignore_index=True)
        return rows.reset_index(drop=True)

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
        for text in result.frame["sources"]:
            used.update(x for x in str(text).split(",") if x)
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
        parts = []
        for i, spec in enumerate(ind.series):
            rows = self.series_rows(spec, country)
            if not rows.empty:
                parts.append(rows.assign(spec=i, source=spec.source))
        if not parts:
            return IndicatorResult(ind, country, freq, _empty())
        rows = self.combined(ind, pd.concat(parts, ignore_index=True))
        releases = {str(s): r.date() for s, r in rows.groupby("source")["release"].max().items()}
        if freq == "M":
            monthly = rows[rows["freq"] == "M"]
            frame = (monthly.groupby("period")
                     .agg(value=("value", "sum"), sources=("source", _join)).reset_index())
            frame = frame.assign(numerator=np.nan, denominator=np.nan, months=1.0, complete=True)
        else:
            frame = self._annual(ind, rows)
        return IndicatorResult(ind, country, freq, frame.loc[:, list(RESULT_COLUMNS)]
                               .sort_values("period").reset_index(drop=True), releases)

    def combined(self, ind: Indicator, rows: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
        """The rows with a figure of every selection (``spec`` numbers it), combined as the
        indicator says; ``by``: key columns besides the period (the batch's ``country``)."""
        rows = rows[rows["value"].notna()]
        if ind.combine == "coalesce":
            # Period by period, the first selection in the list that has a figure wins.
            first = rows.groupby([*by, "freq", "period"])["spec"].transform("min")
            rows = rows[rows["spec"] == first]
        elif ind.combine == "coalesce_coverage":
            # Period by period, the first selection whose source covers the period wins, even
            # when it has no figure for this country (a newer download that dropped an incident).
            owner: dict[tuple[str, pd.Timestamp], int] = {}
            for i, spec in reversed(list(enumerate(ind.series))):
                cov = self._covered(spec)
                owner.update({k: i for k in zip(cov["freq"], cov["period"], strict=True)})
            keys = zip(rows["freq"], rows["period"], rows["spec"], strict=True)
            rows = rows[[owner.get((f, p)) == i for f, p, i in keys]]
        return rows

    def _annual(self, ind: Indicator, rows: pd.DataFrame) -> pd.DataFrame:
        """Calendar-year figures: a published yearly figure if there is one, else the months' sum."""
        if rows.empty:
            return _empty()
        rows = rows.assign(year=rows["period"].dt.year.astype(int))
        yearly = rows["freq"] == "A"
        a_years = set(rows.loc[yearly, "year"])
        if ind.kind == "stock":
            # A stock is never summed over periods: the yearly figure, else the year's last month.
            last = rows.groupby("year")["period"].transform("max")
            used = rows[yearly | (~rows["year"].isin(a_years) & (rows["period"] == last))]
        else:
            used = rows[yearly | ~rows["year"].isin(a_years)]
        frame = (used.groupby("year")
                 .agg(value=("value", "sum"), sources=("source", _join),
                      specs=("spec", lambda s: frozenset(s)))
                 .reset_index())
        months = [12.0 if (y in a_years or ind.kind == "stock") else float(self.months_covered(ind, sp, y))
                  for y, sp in zip(frame["year"], frame["specs"], strict=True)]
        return pd.DataFrame({
            "period": pd.to_datetime(frame["year"].astype(str) + "-01-01"),
            "value": frame["value"].astype(float), "numerator": np.nan, "denominator": np.nan,
            "months": months, "complete": [m >= 12 for m in months], "sources": frame["sources"],
        })

    def months_covered(self, ind: Indicator, specs: frozenset[int], year: int) -> int:
        """Months of ``year`` covered by any of the indicator's selections numbered ``specs``."""
        months: set[pd.Timestamp] = set()
        for i in specs:
            months |= self._covered_months(ind.series[i]).get(year, set())
        return len(months)

    def _covered_months(self, spec: SeriesSpec) -> dict[int, set[pd.Timestamp]]:
        key = ("months",) + spec.identity()
        if key not in self._months:
            cov = self._covered(spec)
            cov = cov[cov["freq"] == "M"]
            self._months[key] = {int(y): set(g) for y, g in cov.groupby(cov["period"].dt.year)["period"]}
        return self._months[key]

    def _per_population(self, ind: Indicator, country: str | None, freq: str) -> IndicatorResult:
        num = self.compute(ind.numerator or "", country, freq)
        scale = 100_000.0 if ind.kind == "per_100k" else 100.0
        frame = num.frame.copy()
        releases = dict(num.releases)
        if country is None or frame.empty:
            # A rate needs one population: for "all countries together" there is none.
            frame = frame.assign(numerator=frame["value"], denominator=np.nan, value=np.nan)
            return IndicatorResult(ind, country, freq, frame, releases)
        pop = self.compute(self.catalogue.population, country, "A")
        releases.update(pop.releases)
        by_year = dict(zip(pop.frame["period"].dt.year, pop.frame["value"], strict=True))
        pop_sources = dict(zip(pop.frame["period"].dt.year, pop.frame["sources"], strict=True))
        years = frame["period"].dt.year
        denominator = years.map(by_year).astype(float)
        frame["numerator"] = frame["value"]
        frame["denominator"] = denominator
        frame["value"] = frame["numerator"] / denominator * scale
        frame["sources"] = [_join([s, pop_sources.get(y, "")]) for s, y in zip(frame["sources"], years, strict=True)]
        return IndicatorResult(ind, country, freq, frame, releases)

    def _share(self, ind: Indicator, country: str | None, freq: str) -> IndicatorResult:
        num = self.compute(ind.numerator or "", country, freq)
        den = self.compute(ind.denominator or "", country, freq)
        merged = den.frame.merge(num.frame[["period", "value", "sources"]], on="period", how="left",
                                 suffixes=("_den", "_num"))
        frame = pd.DataFrame({
            "period": merged["period"],
            "numerator": merged["value_num"],
            "denominator": merged["value_den"],
            "months": merged["months"],
            "complete": merged["complete"],
            "sources": [_join([a, b]) for a, b in zip(merged["sources_den"], merged["sources_num"].fillna(""), strict=True)],
        })
        ok = frame["denominator"] > 0
        frame["value"] = np.where(ok, frame["numerator"] / frame["denominator"].where(ok) * 100.0, np.nan)
        releases = {**den.releases, **num.releases}
        return IndicatorResult(ind, country, freq, frame.loc[:, list(RESULT_COLUMNS)], releases)

    def _yoy(self, ind: Indicator, country: str | None, freq: str) -> IndicatorResult:
        base = self.compute(ind.base or "", country, freq)
        frame = base.frame.copy()
        lag = pd.DateOffset(years=1)
        previous = frame.set_index("period")
        prior = frame["period"].map(lambda p: p - lag)
        before = prior.map(previous["value"]).astype(float)
        before_complete = prior.map(previous["complete"]).astype("boolean").fillna(False).astype(bool)
        usable = before.gt(0) & frame["complete"] & before_complete
        frame["numerator"] = frame["value"]
        frame["denominator"] = before
        frame["value"] = np.where(usable, (frame["numerator"] - before) / before.where(usable) * 100.0, np.nan)
        return IndicatorResult(ind, country, freq, frame, dict(base.releases))

    def _rolling(self, ind: Indicator, country: str | None) -> IndicatorResult:
        base = self.compute(ind.base or "", country, "M")
        frame = base.frame
        if frame.empty:
            return IndicatorResult(ind, country, "M", _empty(), dict(base.releases))
        idx = pd.date_range(frame["period"].min(), frame["period"].max(), freq="MS")
        series = frame.set_index("period")["value"].reindex(idx)
        rolled = series.rolling(12, min_periods=12).sum()
        out = pd.DataFrame({"period": idx, "value": rolled.to_numpy(), "numerator": np.nan,
                            "denominator": np.nan, "months": 12.0, "complete": rolled.notna().to_numpy(),
                            "sources": _join(frame["sources"])})
        out = out[out["value"].notna()].reset_index(drop=True)
        return IndicatorResult(ind, country, "M", out, dict(base.releases))


def _join(values: Any) -> str:
    """Sorted, de-duplicated, comma-joined source ids (the evidence column)."""
    found: set[str] = set()
    for v in values:
        if isinstance(v, str) and v:
            found.update(x for x in v.split(",") if x)
    return ",".join(sorted(found))
