"""One catalogue series as observed, read without pandas: what a server worker draws behind a
forecast and scores a past alert against (issue #12).

The series is a list of ``(first day of the month, value)`` pairs, month after month from its
first to its last month in the store, a month without a figure counting 0: the same months and
values as the engine's monthly series (data.py's ``load_series``), read through the same
selection (:func:`series_selection`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from observatorio.analysis.forecast.catalogue import Catalogue, SeriesDef
from observatorio.analysis.months import month_starts
from observatorio.model.dimensions import FILTER_COLUMNS
from observatorio.store.selection import Selection, sum_rows

History = list[tuple[date, float]]


def series_selection(defn: SeriesDef, dims: list[str], source: str) -> Selection:
    """The definition's rows of ``source``: its filters (but the dimensions split on), monthly
    rows unless it says otherwise, only rows with a figure."""
    chosen: dict[str, tuple[str | None, ...]] = {"source": (source,)}
    if "freq" not in defn.filters:
        chosen["freq"] = ("M",)
    for col, codes in defn.filters.items():
        if col in dims:
            continue
        if col not in FILTER_COLUMNS:
            raise ValueError(f"series {defn.id!r}: cannot filter on column {col!r}")
        chosen[col] = tuple(codes)
    return Selection(filters=chosen, present=("value",))


def _month_sums(con: Any, defn: SeriesDef, source: str) -> list[tuple[date, float]]:
    rows = sum_rows(con, series_selection(defn, [], source), ["period"], {"y": "sum"})
    return [(r["period"], float(r["y"])) for r in rows]




def load_one(con: Any, series_id: str, catalogue: Catalogue) -> History:
    """One catalogue series read on its own (a child is otherwise read only with its parent);
    empty for a residual series or one the store does not hold.

    The primary publisher's months, preceded by the earlier-months copy's (``earlier_source``)
    where it has none; missing months inside the span are 0.
    """
    defn = catalogue.by_id.get(series_id)
    if defn is None or defn.residual_of:
        return []
    sums = _month_sums(con, defn, defn.source)
    if defn.earlier_source is not None:
        earlier = _month_sums(con, defn, defn.earlier_source)
        if sums:
            first = min(p for p, _ in sums)
            earlier = [(p, y) for p, y in earlier if p < first]
        sums = earlier + sums
    if not sums:
        return []
    by_month: dict[date, float] = {}
    for period, y in sums:  # the SQL gives each month once per source; the sources never overlap
        by_month[period] = by_month.get(period, 0.0) + y
    months = month_starts(min(by_month), max(by_month))
    return [(m, float(by_month.get(m, 0.0))) for m in months]
