"""The contract's dimensions in one place: every column list the query layer, the API, the SDMX
view, the portal and the analysis use is derived here from ``model/contract.py``.

Adding a dimension is one ``Column(..., key=True)`` in the contract (with ``default`` when the
sources that do not break it down should get a code, and ``totalled`` when ``_T`` means "all");
the API parameters and OpenAPI, the SDMX key, the answer columns and order, the in-memory
engine, the portal's filter list and the CSV columns follow (tests/model/test_dimensions.py
adds one in a fixture contract and checks each).
"""

from __future__ import annotations

from observatorio.model.contract import (
    CONTRACT_COLUMNS,
    KEY_COLUMNS,
    STORE_COLUMNS,
    column,
)

#: The time dimension: the observation's period.
TIME_COLUMN = "period"
#: Source-specific breakdowns (canonical JSON): part of the key, never a published dimension.
BREAKDOWN_COLUMN = "attributes"
#: Lineage an answer row carries after its values (which file, which row, which load).
ANSWER_LINEAGE: tuple[str, ...] = ("source_file", "source_row", "load_id")

#: Coded dimensions of the key, in contract order (``freq``, ``ref_area`` … ``unit``).
CODED_DIMENSIONS: tuple[str, ...] = tuple(c for c in KEY_COLUMNS if column(c).codelist)

#: Dimensions whose codes are countries (the ``area`` codelist).
AREA_DIMENSIONS: tuple[str, ...] = tuple(c for c in CODED_DIMENSIONS if column(c).codelist == "area")

#: Codelist of each coded column (dimensions and attributes, the dataflow too).
CODELIST_OF: dict[str, str] = {c.name: c.codelist for c in CONTRACT_COLUMNS if c.codelist}

#: Columns a query may filter on by name (``ref_area=GTM,HND``), in contract order: the API's
#: query parameters, the portal's filter list, the analysis selections' vetted names.
FILTER_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in STORE_COLUMNS if c.codelist or c.filterable)

#: Columns of one observation as the query layer returns it (lineage last): the CSV columns.
OBSERVATION_COLUMNS: tuple[str, ...] = (
    *(c.name for c in STORE_COLUMNS
      if c.name not in ANSWER_LINEAGE and c.name not in ("loaded_at",)),
    *ANSWER_LINEAGE,
)

#: Columns a query may group by; the other dimensions are summed.
GROUP_COLUMNS: tuple[str, ...] = tuple(
    c for c in OBSERVATION_COLUMNS if c not in ("value", *ANSWER_LINEAGE))

#: The order observations come in (stable, so that pages never overlap): the source, its key,
#: then the row it was read from.
ANSWER_ORDER: tuple[str, ...] = ("source", *KEY_COLUMNS, "source_row")

#: Order of the rows of ``observations_latest`` within a source: country and period first (a
#: country is a binary search in the in-memory engine, DuckDB's zonemaps skip row groups),
#: then the rest of the key.
LATEST_ORDER: tuple[str, ...] = (
    "source", "ref_area", TIME_COLUMN,
    *(c for c in KEY_COLUMNS if c not in ("ref_area", TIME_COLUMN)), "source_row",
)

#: What an aggregated answer groups by when the question names no group: every dimension.
DEFAULT_GROUP: tuple[str, ...] = (
    "dataflow", "source", *(c for c in KEY_COLUMNS if c != BREAKDOWN_COLUMN))

#: Columns of the SDMX series key, in key order: the coded dimensions (contract order), then
#: those whose codes are the store's own values — the publisher (two can count the same thing)
#: and the publisher's table. The period is the time dimension, not part of the series key.
SERIES_KEY: tuple[str, ...] = (
    *CODED_DIMENSIONS,
    "source",
    *(c for c in KEY_COLUMNS
      if not column(c).codelist and c not in (TIME_COLUMN, BREAKDOWN_COLUMN)),
)
