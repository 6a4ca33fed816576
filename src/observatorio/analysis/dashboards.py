"""The portal's queries: headline figures, trends, corridor steps, children, returns, deaths.

Every function reads the latest release of every source through the store (the selection
builder, store/selection.py, and the portal's particular reads, store/page_reads.py; no SQL
here) and returns plain rows (``list[dict]``, store/rows.py: a server worker never imports
pandas, issue #12); the web layer only draws what these return. Two rules keep totals honest
(store/selection.py ``published_sum_rows``):

* one table per source: when a publisher gives several tables at different detail (the sheets
  of a workbook), a query reads the least detailed table that holds the rows asked for, so
  nothing is counted twice;
* ``_T`` beats detail: for a dimension that is neither filtered nor grouped, a table that has
  ``_T`` rows is read at ``_T`` only; otherwise its detail rows are summed.

A source that is not loaded yields no rows, never an error: pages say "no data yet".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from observatorio import yaml_load
from observatorio.analysis.float_sums import group_sum
from observatorio.analysis.series import SeriesSpec
from observatorio.model.codelists import CRM_MEMBERS
from observatorio.model.dimensions import FILTER_COLUMNS
from observatorio.store import page_reads
from observatorio.store.duck import Store
from observatorio.store.rows import Row
from observatorio.store.selection import (
    Selection,
    distinct_rows,
    published_sum_rows,
)

BOOK_PATH = Path(__file__).resolve().parent / "dashboards.yaml"


def _read_book(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        book: dict[str, Any] = yaml_load.safe_load(fh)
    return book


#: Which publisher's source counts each figure of the portal (data, not code: dashboards.yaml).
BOOK = _read_book(BOOK_PATH)
#: CBP's three encounter types; their sum is what CBP publishes as "encounters".
ENCOUNTER_FLOWS: tuple[str, ...] = tuple(BOOK["encounter_flows"])
CHILD_AGES: tuple[str, ...] = ("Y_LT18", "Y_LT12", "Y12T17", "Y_LT5", "Y5T11")
SPECIAL_AREAS: frozenset[str] = frozenset({"_T", "_O", "_U", "_Z"})


def published_series(
    key: str, source: str, flows: Sequence[str], ref_area: str | None = None,
    table: str | None = None, freq: str = "M", filters: Sequence[tuple[str, str]] = (),
) -> SeriesSpec:
    """One published series: a source, its flows and fixed filters, read at one frequency (a
    fixed reporting country is a ``ref_area`` filter)."""
    chosen: dict[str, tuple[str, ...]] = {"freq": (freq,)}
    if ref_area:
        chosen["ref_area"] = (ref_area,)
    chosen.update((name, (code,)) for name, code in filters)
    return SeriesSpec(source=source, flows=tuple(flows), country=None, table=table,
                      filters=chosen, key=key)


@dataclass(frozen=True)
class MapIndicator:
    """A per-country figure for the regional map: a series read by one country dimension."""

    key: str
    spec: SeriesSpec
    by: str  # "citizenship" (people of the country) or "ref_area" (reported by the country)
    window: str  # "12m" (sum of the latest 12 months) or "year" (the latest year)


def _series(key: str, raw: Mapping[str, Any]) -> SeriesSpec:
    """One series of dashboards.yaml."""
    return published_series(key, str(raw["source"]), tuple(raw["flows"]), raw.get("ref_area"),
                            table=raw.get("table"), freq=str(raw.get("freq", "M")))


#: The sources the portal's series name, by the book's short name (``cbp_sw``, ``usbp`` …).
SOURCES: dict[str, str] = dict(BOOK["sources"])
#: Every source id the portal's series name (a test checks the registry has each).
NAMED_SOURCES: tuple[str, ...] = tuple(SOURCES.values())
#: The headline flows of the regional overview, along the route from south to north.
HEADLINE_SERIES: tuple[SeriesSpec, ...] = tuple(
    _series(raw["key"], raw) for raw in BOOK["headline"])
#: The corridor north: each step in route order, with the sources that may count it.
ROUTE_STEPS: tuple[tuple[str, tuple[SeriesSpec, ...]], ...] = tuple(
    (step["step"], tuple(_series(step["step"], raw) for raw in step["series"]))
    for step in BOOK["route"])
MAP_INDICATORS: tuple[MapIndicator, ...] = tuple(
    MapIndicator(raw["key"], _series(raw["key"], raw["series"]), raw["by"], raw["window"])
    for raw in BOOK["map"])
#: Children of one nationality at the US border: the sources asked, in order.
CHILDREN_ABROAD_SOURCES: tuple[str, ...] = tuple(BOOK["children_abroad"])
#: Missing Migrants: the newer IOM copy first; the two overlap, so only one is ever read.
DEATH_SOURCES: tuple[str, ...] = tuple(BOOK["deaths"])


# -- the generic aggregate ------------------------------------------------------------------


def _aggregated(
    spec: SeriesSpec, by: Sequence[str], filters: Mapping[str, str | Sequence[str]] | None,
    since: date | None,
) -> Selection:
    for dim in by:
        if dim not in FILTER_COLUMNS:  # column names are never taken from users
            raise KeyError(dim)
    selection = dataclasses.replace(spec.selection(), present=("value",), since=since)
    return selection.narrowed(**(filters or {}))


def aggregate_rows(
    store: Store,
    spec: SeriesSpec,
    *,
    by: Sequence[str] = (),
    filters: Mapping[str, str | Sequence[str]] | None = None,
    since: date | None = None,
) -> list[Row]:
    """Sum of a series by period (and ``by`` dimensions, and unit), honest about totals: the
    store's :func:`~observatorio.store.selection.published_sum_rows` (keys period, ``by``,
    unit, value; ordered by them)."""
    return published_sum_rows(store, _aggregated(spec, by, filters, since), by)


# -- sources, releases, freshness -------------------------------------------------------------


def source_catalogue(store: Store) -> list[Row]:
    """One row per loaded source: publisher, titles, licence, release, rows, period, caveats
    (``start_freq``/``end_freq``: the frequency of the first and last period)."""
    return page_reads.source_catalogue(store)


def source_refs(store: Store, sources: Sequence[str]) -> list[Row]:
    """Publisher, titles and latest release of the given sources (those loaded)."""
    return page_reads.source_refs(store, sources)


def loaded_sources(store: Store) -> set[str]:
    """Ids of the sources with a latest release in the store."""
    return {str(r[0]) for r in store.con.execute("SELECT source FROM loads WHERE is_latest").fetchall()}


def country_reporting(store: Store, iso3: str) -> list[Row]:
    """What a country's own authorities report: by source and flow, first/last period, release."""
    return page_reads.country_reporting(store, iso3)


# -- regional overview ----------------------------------------------------------------------------


def headline_figures(
    store: Store, specs: Sequence[SeriesSpec] = HEADLINE_SERIES, monthly: list[Row] | None = None
) -> list[Row]:
    """Latest month of each headline flow, the same month a year before, and the change (%).

    ``monthly`` may be the rows :func:`trends` already returned (saves reading them twice).
    Keys: key, source, ref_area, period, unit, value, period_year_before, value_year_before,
    change_pct (the last two None when the month a year before is not published or is 0).
    """
    monthly = trends(store, specs) if monthly is None else monthly
    rows = []
    for spec in specs:
        # the month's total in each unit, in (period, unit) order: the last is the latest
        parts: dict[tuple[date, str], list[float]] = {}
        for r in monthly:
            if r["key"] == spec.key:
                parts.setdefault((r["period"], r["unit"]), []).append(r["value"])
        sums = {key: group_sum(values) for key, values in parts.items()}
        if not sums:
            continue
        series = sorted(sums.items())
        (period, unit), value = series[-1]
        year_before = period.replace(year=period.year - 1)
        before = next((float(v) for (p, _u), v in series if p == year_before), None)
        change = None if not before else (float(value) - before) / before * 100
        rows.append({"key": spec.key, "source": spec.source, "ref_area": spec.fixed("ref_area"),
                     "period": period, "unit": unit, "value": float(value),
                     "period_year_before": year_before, "value_year_before": before,
                     "change_pct": change})
    return rows


def trends(
    store: Store, specs: Sequence[SeriesSpec] = HEADLINE_SERIES, since: date | None = None
) -> list[Row]:
    """Monthly totals of each headline flow (key, source, period, unit, value)."""
    return [{"key": spec.key, "source": spec.source, "period": r["period"], "unit": r["unit"],
             "value": r["value"]}
            for spec in specs for r in aggregate_rows(store, spec, since=since)]


def map_indicator(store: Store, indicator: MapIndicator) -> list[Row]:
    """The indicator for each CRM member (iso3, value, period_start, period_end, unit, source),
    members in the order of ``CRM_MEMBERS``."""
    rows = aggregate_rows(store, indicator.spec, by=(indicator.by,),
                          filters={indicator.by: CRM_MEMBERS})
    if not rows:
        return []
    last = max(r["period"] for r in rows)
    if indicator.window == "12m":
        start = date(last.year - 1, last.month, 1)
        window = [r for r in rows if r["period"] > start]
        first = min(r["period"] for r in window)
    else:
        window = [r for r in rows if r["period"] == last]
        first = last
    parts: dict[tuple[str, str], list[float]] = {}
    for r in window:
        parts.setdefault((r[indicator.by], r["unit"]), []).append(r["value"])
    sums = {key: group_sum(values) for key, values in parts.items()}
    order = {iso: i for i, iso in enumerate(CRM_MEMBERS)}
    return [{"iso3": iso, "value": value, "period_start": first, "period_end": last, "unit": unit,
             "source": indicator.spec.source}
            for (iso, unit), value in sorted(sums.items(), key=lambda kv: (order[kv[0][0]], kv[0]))]


# -- country profile ---------------------------------------------------------------------------

#: What a profile shows per role: (role, key, spec, the dimension the country is matched on).
PROFILE_FLOWS: tuple[tuple[str, str, SeriesSpec, str], ...] = tuple(
    (raw["role"], raw["key"], _series("", raw["series"]), raw["match"]) for raw in BOOK["profile"])


def profile_flows(store: Store, iso3: str) -> list[Row]:
    """Yearly totals of a country's main flows as origin, transit, destination and return.

    Keys: role, key, source, freq, year, unit, value, months, first, last (``months``,
    ``first``, ``last``: the months of monthly data each year sums; a year with fewer than 12
    is partial). Each flow's years in (year, unit) order.
    """
    out = []
    for role, key, spec, dim in PROFILE_FLOWS:
        rows = aggregate_rows(store, spec, filters={dim: iso3})
        years: dict[tuple[int, str], list[Row]] = {}
        for r in rows:
            years.setdefault((r["period"].year, r["unit"]), []).append(r)
        for (year, unit), part in sorted(years.items()):
            periods = [r["period"] for r in part]
            out.append({"role": role, "key": key, "source": spec.source, "freq": spec.fixed("freq"),
                        "year": year, "unit": unit, "value": group_sum(r["value"] for r in part),
                        "months": len(set(periods)), "first": min(periods), "last": max(periods)})
    return out


# -- route and corridor ------------------------------------------------------------------------------


def route_nationalities(store: Store) -> list[str]:
    """Nationalities counted by at least two steps of the route (so it can be followed)."""
    counts: dict[str, int] = {}
    for _step, specs in ROUTE_STEPS:
        seen: set[str] = set()
        for spec in specs:
            rows = aggregate_rows(store, spec, by=("citizenship",))
            seen |= {r["citizenship"] for r in rows if r["citizenship"] not in SPECIAL_AREAS}
        for code in seen:
            counts[code] = counts.get(code, 0) + 1
    return sorted(c for c, n in counts.items() if n >= 2)


def route_steps(store: Store, nationality: str, since: date | None = None) -> list[Row]:
    """Monthly counts of one nationality at each step of the route, with the source used
    (order, step, source, period, unit, value)."""
    steps: list[Row] = []
    for order, (step, specs) in enumerate(ROUTE_STEPS, start=1):
        for spec in specs:
            rows = aggregate_rows(store, spec, filters={"citizenship": nationality}, since=since)
            if rows:
                steps += [{"order": order, "step": step, "source": spec.source, "period": r["period"],
                           "unit": r["unit"], "value": r["value"]} for r in rows]
                break  # the first source that counts the nationality speaks for the step
    return steps


# -- children -------------------------------------------------------------------------------------


def children(store: Store, since: date | None = None) -> list[Row]:
    """Monthly counts of children in every source that counts them, one series per table;
    CBP's three encounter types are summed into encounters, as CBP publishes them."""
    return page_reads.children(store, CHILD_AGES, ENCOUNTER_FLOWS, since)


# -- returns ---------------------------------------------------------------------------------------


def return_pairs(store: Store) -> list[Row]:
    """Every (returning country, origin country) pair the store counts, on either side."""
    return page_reads.return_pairs(store)


def returns_mirror(store: Store, returning: str, origin: str) -> list[Row]:
    """Monthly returns executed by ``returning`` (people of ``origin``) against those received.

    Columns: side (``executed`` / ``received``), source, period, unit, value.
    """
    out: list[Row] = []
    executed = distinct_rows(store, Selection().narrowed(
        flow="RETURN_EXECUTED", ref_area=returning, citizenship=origin, freq="M"), ["source"])
    for source in (r["source"] for r in executed):
        rows = aggregate_rows(store, published_series("", str(source), ("RETURN_EXECUTED",), returning),
                               filters={"citizenship": origin})
        out += [_side("executed", source, r) for r in rows]
    received = distinct_rows(store, Selection().narrowed(
        flow="RETURN_RECEIVED", ref_area=origin, counterpart_area=returning, freq="M"), ["source"])
    for source in (r["source"] for r in received):
        rows = aggregate_rows(store, published_series("", str(source), ("RETURN_RECEIVED",), origin),
                               filters={"counterpart_area": returning})
        out += [_side("received", source, r) for r in rows]
    return out


def _side(side: str, source: str, row: Row) -> Row:
    return {"side": side, "source": source, "period": row["period"], "unit": row["unit"],
            "value": row["value"]}


def returns_received_by_returning_country(store: Store) -> list[Row]:
    """Returns received by each origin country, by the country that returned them, yearly."""
    return _yearly_by(store, "RETURN_RECEIVED", "counterpart_area")


def returns_executed_by_nationality(store: Store) -> list[Row]:
    """Returns executed by each returning country, by nationality returned, yearly."""
    return _yearly_by(store, "RETURN_EXECUTED", "citizenship")


def _yearly_by(store: Store, flow: str, dim: str) -> list[Row]:
    """Yearly sums by ``dim`` and unit of each (source, reporting country) publishing ``flow``
    monthly (source, ref_area, ``dim``, year, unit, value; years, then ``dim``, then unit in
    order within each source; a row without a ``dim`` or unit code is left out)."""
    out: list[Row] = []
    for pair in distinct_rows(store, Selection().narrowed(flow=flow, freq="M"), ["source", "ref_area"]):
        source, ref_area = pair["source"], pair["ref_area"]
        rows = aggregate_rows(store, published_series("", str(source), (flow,), str(ref_area)), by=(dim,))
        yearly: dict[tuple[int, str, str], list[float]] = {}
        for r in rows:
            if r[dim] is None or r["unit"] is None:
                continue
            yearly.setdefault((r["period"].year, r[dim], r["unit"]), []).append(r["value"])
        out += [{"source": source, "ref_area": ref_area, dim: code, "year": year, "unit": unit,
                 "value": group_sum(values)} for (year, code, unit), values in sorted(yearly.items())]
    return out


# -- deaths and disappearances ---------------------------------------------------------------------


def deaths_source(store: Store) -> str | None:
    """The Missing Migrants source to read (the newer IOM copy when loaded)."""
    loaded = loaded_sources(store)
    return next((s for s in DEATH_SOURCES if s in loaded), None)


def deaths_incidents(store: Store) -> list[Row]:
    """Dead and missing migrants in the Americas: one row per place, route, cause, year, flow
    (year, route, cause, lon, lat, flow, value).

    The newer IOM copy gives dead and missing together (``DEAD_OR_MISSING``); the older
    download separates them.
    """
    source = deaths_source(store)
    if source is None:
        return []
    return page_reads.deaths_incidents(store, source)


def source_span(store: Store, source: str) -> tuple[date, date] | None:
    """The first and last period of a source's latest release (None: not loaded)."""
    return page_reads.source_span(store, source)


def source_observations(store: Store, source: str) -> Iterator[list[Row]]:
    """Every observation of a source's latest release, contract columns and attributes, in
    batches of rows (store/page_reads.py)."""
    return page_reads.source_observations(store, source)


def children_of_nationality(store: Store, iso3: str) -> list[Row]:
    """Children of one nationality encountered at the US border, monthly, by accompaniment
    (keys source, accompaniment, period, unit, value).

    CBP's own file breaks out only GTM, HND, SLV and MEX; IOM's copy of CBP's nationwide file
    names more nationalities and is read when CBP's has none.
    """
    for source in CHILDREN_ABROAD_SOURCES:
        spec = published_series("children_abroad", source, ENCOUNTER_FLOWS, "USA")
        rows = aggregate_rows(store, spec, by=("accompaniment",),
                              filters={"citizenship": iso3,
                                       "accompaniment": ("UNACCOMPANIED", "ACCOMPANIED")})
        if rows:
            return [{"source": source, "accompaniment": r["accompaniment"], "period": r["period"],
                     "unit": r["unit"], "value": r["value"]} for r in rows]
    return []


def source_units(store: Store, source: str) -> list[str]:
    """The units a source's latest observations are counted in (a forecast chart's unit)."""
    rows = distinct_rows(store, Selection(present=("unit",)).narrowed(source=source), ["unit"])
    return [str(r["unit"]) for r in rows]
