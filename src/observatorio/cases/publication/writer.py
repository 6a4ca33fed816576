"""Suppressed tables → rows of the harmonized observation (contract columns and codes) → one
release of the ``cases_publication`` source in the statistics store.

The cases package does not import the store: the writer takes any object with the store's
``find_load`` and ``load_frame`` (observatorio.store.duck.Store)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import pandas as pd

from observatorio.cases.publication.specs import DIMENSION_COLUMN
from observatorio.cases.publication.tables import Table

SOURCE_ID = "cases_publication"
TOTAL = "_T"

#: Contract values shared by every published row (dimensions a table does not break down).
FIXED: dict[str, Any] = {
    "dataflow": "CONSULAR", "source": SOURCE_ID, "source_row": None, "freq": "M",
    "ref_area": TOTAL, "citizenship": TOTAL, "counterpart_area": "_Z", "flow": "CONSULAR_CASE",
    "sex": TOTAL, "age": TOTAL, "accompaniment": TOTAL, "unit": "CASES",
}
#: The columns of ``observation_frame``, in order.
FRAME_COLUMNS: tuple[str, ...] = (*FIXED, "period", "table", "attributes", "value", "obs_status", "release",
                                  "source_file")

SOURCE_META: dict[str, Any] = {
    "publisher": "Observatorio Migratorio Regional — gestión de casos / case management",
    "title_es": "Casos consulares, de protección y de reintegración (agregados con control de divulgación)",
    "title_en": "Consular, protection and reintegration cases (disclosure-controlled aggregates)",
    "licence": "CC-BY-4.0",
    "dataflow": "CONSULAR",
    "url": None,
    "homepage": None,
    "caveats_es": ["Celdas pequeñas y sus complementos suprimidos (estado C); los casos sintéticos no se cuentan."],
    "caveats_en": ["Small cells and their complements are suppressed (status C); synthetic cases are not counted."],
}


class StoreWriter(Protocol):
    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame: ...

    def find_load(self, source: str, sha256: str, release: dt.date) -> str | None: ...

    def load_frame(self, frame: pd.DataFrame, *, source: str, release: dt.date, source_file: str,
                   sha256: str, source_meta: dict[str, Any] | None = None,
                   warnings: pd.DataFrame | None = None) -> Any: ...


def _cell(table: Table, i: int, j: int, names: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """One published entry: its dimensions (``_T`` on a margin) and value or suppression; a
    dimension kept in attributes gets its name beside its code where ``names`` has one."""
    spec = table.spec
    m, n = len(table.row_codes), len(table.column_codes)
    row: dict[str, Any] = dict(FIXED) | dict(spec.fixed)
    attributes: dict[str, str] = {}
    suffix = {(True, True): "", (True, False): ".row_totals", (False, True): ".column_totals",
              (False, False): ".total"}[(i < m, j < n)]
    values = dict(zip(spec.layers, table.layer, strict=True))
    values[spec.rows] = table.row_codes[i] if i < m else TOTAL
    values[spec.columns] = table.column_codes[j] if j < n else TOTAL
    for dimension, value in values.items():
        if DIMENSION_COLUMN[dimension] == "attributes":
            attributes[dimension] = value
            if (name := names.get(dimension, {}).get(value)) is not None:
                attributes[f"{dimension}_name"] = name
        else:
            row[DIMENSION_COLUMN[dimension]] = value
    row["table"] = spec.name + suffix
    row["attributes"] = json.dumps(attributes, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    hidden = bool(table.suppressed[i, j])
    row["value"] = None if hidden else float(table.counts[i, j])
    row["obs_status"] = "C" if hidden else "A"
    return row


#: The columns that say which published entry a row is: two releases' rows with equal values in
#: these (municipality names left out of ``attributes``: a renamed municipality is the same entry)
#: publish the same number (publication/revisions.py).
ENTRY_COLUMNS: tuple[str, ...] = ("table", "period", "ref_area", "citizenship", "sex", "age", "attributes",
                                  "accompaniment", "counterpart_area")


def entry_identity(row: Mapping[Any, Any]) -> tuple[Any, ...]:
    """A published row's entry (``ENTRY_COLUMNS``), the period as a date, names left out."""
    attributes = {k: v for k, v in json.loads(row["attributes"] or "{}").items() if not k.endswith("_name")}
    period = row["period"]
    period = period.date() if isinstance(period, pd.Timestamp | dt.datetime) else period
    return tuple(json.dumps(attributes, sort_keys=True) if c == "attributes" else period if c == "period" else row[c]
                 for c in ENTRY_COLUMNS)


def cell_identity(table: Table, i: int, j: int) -> tuple[Any, ...]:
    """The entry (i, j) of ``table`` is published as (``entry_identity`` of its row)."""
    return entry_identity(_cell(table, i, j, {}))


def observation_frame(tables: Iterable[Table], release: dt.date, source_file: str,
                      names: Mapping[str, Mapping[str, str]] | None = None) -> pd.DataFrame:
    """Every cell and margin of every table as contract rows (suppressed: value null, status C).
    ``names``: dimension -> code -> name, for codes published in attributes (municipalities)."""
    rows = [_cell(t, i, j, names or {}) for t in tables for i in range(t.counts.shape[0]) for j in range(t.counts.shape[1])]
    frame = pd.DataFrame(rows, columns=[*FIXED, "period", "table", "attributes", "value", "obs_status"])
    frame["release"] = release
    frame["source_file"] = source_file
    frame["value"] = frame["value"].astype("float64")
    frame["source_row"] = frame["source_row"].astype("Int64")
    return ordered(frame)


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """A release's rows in their published order (the checksum depends on it)."""
    return frame.sort_values(list(ENTRY_COLUMNS), kind="stable").reset_index(drop=True)


def frame_sha256(frame: pd.DataFrame) -> str:
    """Checksum of the published content: the same data published again is recognised."""
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
