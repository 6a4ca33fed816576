"""Every analysis read that goes through the store's selection builder, with a digest of its
answer on the bundled data.

``selection_parity.json`` holds the digests the analysis' own SQL gave before the builder
replaced it (recorded with the code of main at that time): the builder must answer every one of
these inputs identically. When the bundled data changes on purpose, record them again:

    PYTHONPATH=src python tests/store/selection_parity.py STORE.duckdb > tests/store/selection_parity.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatorio.analysis import dashboards as db
from observatorio.analysis.catalogue import load_catalogue
from observatorio.analysis.forecast import catalogue as forecast_catalogue
from observatorio.analysis.forecast.data import data_release, load_series
from observatorio.analysis.forecast.history import load_one
from observatorio.analysis.series import fetch_by_country, fetch_coverage
from observatorio.model.codelists import CRM_MEMBERS
from observatorio.store.duck import Store

DIGESTS = Path(__file__).with_name("selection_parity.json")
#: Columns that differ between two loads of the same files (when, not what).
_VOLATILE = ("loaded_at",)
#: Reads whose row order was not total before the builder (ties between two units of one
#: flow came in any order): their rows are compared as a set.
_ORDER_FREE = ("country_reporting:",)
#: The columns of the reads that answer rows (for the digest of an answer with no row).
REPORTING_COLUMNS = ["source", "flow", "unit", "first_period", "last_period", "rows", "start_freq",
                     "end_freq", "release", "loaded_at", "publisher", "title_es", "title_en"]
CATALOGUE_COLUMNS = ["source", "publisher", "title_es", "title_en", "licence", "dataflow", "url",
                     "homepage", "caveats_es", "caveats_en", "release", "rows", "period_start",
                     "period_end", "loaded_at", "source_file", "releases", "start_freq", "end_freq"]


def digest(frame: Any, ordered: bool = True) -> str:
    """A digest of a frame, a series, a list or a dict: values, column names and row order
    (unless ``ordered`` is false)."""
    if isinstance(frame, list) and frame and all(isinstance(r, dict) for r in frame):
        frame = pd.DataFrame(frame)  # rows (store/rows.py): digested as the frame they replace
    if isinstance(frame, pd.Series):
        frame = frame.rename("value").rename_axis("index").reset_index()
    if isinstance(frame, pd.DataFrame):
        frame = frame.drop(columns=[c for c in _VOLATILE if c in frame.columns])
        rows = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
        if not ordered:
            rows.sort(key=repr)
        text = json.dumps([list(frame.columns), rows], default=_plain, sort_keys=True)
    else:
        text = json.dumps(frame, default=_plain, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def as_frame(rows: list[dict[str, Any]], columns: list[str], *, as_duckdb: bool = False) -> pd.DataFrame:
    """Rows (store/rows.py) as the frame the read answered before it gave rows, digested alike:
    ``columns`` when there is no row; ``as_duckdb``: typed as DuckDB's own frames are (dates
    as timestamps, lists as arrays), for a read that was a DuckDB frame."""
    frame = pd.DataFrame(rows, columns=columns)
    if as_duckdb:
        for name in columns:
            values = [v for v in frame[name] if v is not None]
            if values and all(isinstance(v, date) for v in values):
                frame[name] = pd.to_datetime(frame[name])
            elif values and all(isinstance(v, list) for v in values):
                frame[name] = [None if v is None else np.array(v, dtype=object) for v in frame[name]]
    return frame


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    return str(value)


#: The columns of a selection's sums per country (series.fetch_by_country).
BY_COUNTRY = ("country", "freq", "period", "value", "n_values", "release")


def _dated(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Rows as the frame the digests were recorded from (its dates as timestamps)."""
    frame = pd.DataFrame(rows, columns=list(columns))
    for name in ("period", "release"):
        if name in frame.columns:
            frame[name] = pd.to_datetime(frame[name])
    return frame
#: The columns of the reads that answer rows (the digests were recorded on their frames).
ROUTE_STEPS = ["order", "step", "source", "period", "unit", "value"]
RETURN_PAIRS = ["returning", "origin", "executed", "received", "months"]
MIRROR = ["side", "source", "period", "unit", "value"]
INCIDENTS = ["year", "route", "cause", "lon", "lat", "flow", "value"]


def _yearly(dim: str) -> list[str]:
    return ["source", "ref_area", dim, "year", "unit", "value"]


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """A read's rows as the frame it answered before (#12): the same digest for the same
    values, columns and order."""
    assert all(list(row) == columns for row in rows), columns
    return pd.DataFrame(rows, columns=columns)


def inputs(store: Store) -> Iterator[tuple[str, Callable[[], Any]]]:
    """(name, read) for every input: the portal's dashboards, the indicator and mirror series,
    the forecast catalogue."""
    yield "headline_figures", lambda: db.headline_figures(store)
    yield "trends", lambda: db.trends(store)
    for indicator in db.MAP_INDICATORS:
        yield f"map_indicator:{indicator.key}", lambda i=indicator: db.map_indicator(store, i)
    nationalities = db.route_nationalities(store)
    yield "route_nationalities", lambda: nationalities
    for iso3 in sorted({*nationalities, *CRM_MEMBERS}):
        yield f"route_steps:{iso3}", lambda c=iso3: _frame(db.route_steps(store, c), ROUTE_STEPS)
    for iso3 in CRM_MEMBERS:
        yield f"profile_flows:{iso3}", lambda c=iso3: db.profile_flows(store, c)
        yield f"children_of_nationality:{iso3}", lambda c=iso3: as_frame(
            db.children_of_nationality(store, c), ["source", "accompaniment", "period", "unit", "value"])
        yield f"country_reporting:{iso3}", lambda c=iso3: as_frame(
            db.country_reporting(store, c), REPORTING_COLUMNS, as_duckdb=True)
    yield "children", lambda: db.children(store)
    pairs = db.return_pairs(store)
    yield "return_pairs", lambda: _frame(pairs, RETURN_PAIRS)
    for returning, origin in [(p["returning"], p["origin"]) for p in pairs[:12]]:
        yield (f"returns_mirror:{returning}:{origin}",
               lambda r=returning, o=origin: _frame(db.returns_mirror(store, r, o), MIRROR))
    yield "returns_received", lambda: _frame(db.returns_received_by_returning_country(store),
                                             _yearly("counterpart_area"))
    yield "returns_executed", lambda: _frame(db.returns_executed_by_nationality(store),
                                             _yearly("citizenship"))
    yield "deaths_incidents", lambda: _frame(db.deaths_incidents(store), INCIDENTS)
    yield "source_catalogue", lambda: as_frame(db.source_catalogue(store), CATALOGUE_COLUMNS,
                                               as_duckdb=True)
    for source in sorted(db.loaded_sources(store)):
        yield f"source_units:{source}", lambda s=source: db.source_units(store, s)
    specs = {spec.identity(): spec for indicator in load_catalogue().indicators
             for spec in indicator.series}
    for n, spec in enumerate(sorted(specs.values(), key=lambda s: repr(s.identity()))):
        name = f"series:{n}:{spec.source}"
        yield f"{name}:by_country", lambda s=spec: _dated(fetch_by_country(store.con, s), BY_COUNTRY)
        yield f"{name}:coverage", lambda s=spec: _dated(fetch_coverage(store.con, s), ("freq", "period"))
    catalogue = forecast_catalogue.load_catalogue()
    yield "forecast:load_series", lambda: {k: digest(v) for k, v in
                                           load_series(store.con, catalogue).items()}
    for defn in catalogue.series:
        yield f"forecast:load_one:{defn.id}", lambda i=defn.id: _as_series(load_one(store.con, i, catalogue))
    yield "forecast:data_release", lambda: data_release(store.con, catalogue)


def _as_series(history: list[tuple[Any, float]]) -> pd.Series:
    # load_one gives (month, value) pairs now (#12); digested as the monthly Series it gave
    return pd.Series([v for _, v in history], dtype=float,
                     index=pd.DatetimeIndex([pd.Timestamp(m) for m, _ in history]))


def digests(store: Store) -> dict[str, str]:
    return {name: digest(read(), ordered=not name.startswith(_ORDER_FREE))
            for name, read in inputs(store)}


if __name__ == "__main__":
    with Store.open(Path(sys.argv[1]), read_only=True) as opened:
        print(json.dumps(digests(opened), indent=1, sort_keys=True))
