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
from pathlib import Path
from typing import Any

import pandas as pd

from observatorio.analysis import dashboards as db
from observatorio.analysis.catalogue import load_catalogue
from observatorio.analysis.forecast import catalogue as forecast_catalogue
from observatorio.analysis.forecast.data import data_release, load_one, load_series
from observatorio.analysis.series import fetch_by_country, fetch_coverage
from observatorio.model.codelists import CRM_MEMBERS
from observatorio.store.duck import Store

DIGESTS = Path(__file__).with_name("selection_parity.json")
#: Columns that differ between two loads of the same files (when, not what).
_VOLATILE = ("loaded_at",)
#: Reads whose row order was not total before the builder (ties between two units of one
#: flow came in any order): their rows are compared as a set.
_ORDER_FREE = ("country_reporting:",)


def digest(frame: Any, ordered: bool = True) -> str:
    """A digest of a frame, a series, a list or a dict: values, column names and row order
    (unless ``ordered`` is false)."""
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


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    return str(value)


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
        yield f"children_of_nationality:{iso3}", lambda c=iso3: db.children_of_nationality(store, c)
        yield f"country_reporting:{iso3}", lambda c=iso3: db.country_reporting(store, c)
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
    yield "source_catalogue", lambda: db.source_catalogue(store)
    for source in sorted(db.loaded_sources(store)):
        yield f"source_units:{source}", lambda s=source: db.source_units(store, s)
    specs = {spec.identity(): spec for indicator in load_catalogue().indicators
             for spec in indicator.series}
    for n, spec in enumerate(sorted(specs.values(), key=lambda s: repr(s.identity()))):
        name = f"series:{n}:{spec.source}"
        yield f"{name}:by_country", lambda s=spec: fetch_by_country(store.con, s)
        yield f"{name}:coverage", lambda s=spec: fetch_coverage(store.con, s)
    catalogue = forecast_catalogue.load_catalogue()
    yield "forecast:load_series", lambda: {k: digest(v) for k, v in
                                           load_series(store.con, catalogue).items()}
    for defn in catalogue.series:
        yield f"forecast:load_one:{defn.id}", lambda i=defn.id: load_one(store.con, i, catalogue)
    yield "forecast:data_release", lambda: data_release(store.con, catalogue)


def digests(store: Store) -> dict[str, str]:
    return {name: digest(read(), ordered=not name.startswith(_ORDER_FREE))
            for name, read in inputs(store)}


if __name__ == "__main__":
    with Store.open(Path(sys.argv[1]), read_only=True) as opened:
        print(json.dumps(digests(opened), indent=1, sort_keys=True))
