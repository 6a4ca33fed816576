"""The harmonized observation (DATA_CONTRACT.md): column names, types and which codelist each uses.

These names are the contract that tests, benchmarks and the API depend on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of the harmonized observation."""

    name: str
    sql_type: str
    codelist: str | None = None  # id of the codelist its values must belong to
    nullable: bool = False
    doc: str = ""
    #: part of the key that identifies one observation within a (source, release)
    key: bool = False
    #: its ``_T`` code means "all values" (a table must not mix ``_T`` with detail codes)
    totalled: bool = False
    #: a query may filter on it by name (every coded column may, and these lineage columns)
    filterable: bool = False
    #: the code of a row whose table does not break this column down (None: no default)
    default: str | None = None


CONTRACT_COLUMNS: tuple[Column, ...] = (
    Column("dataflow", "VARCHAR", "dataflow", doc="statistical domain"),
    Column("source", "VARCHAR", filterable=True, doc="adapter that produced the row"),
    Column("source_file", "VARCHAR", filterable=True,
           doc="file name the number was read from, as published"),
    Column("source_row", "BIGINT", nullable=True, doc="1-based row/line in that file"),
    Column("table", "VARCHAR", nullable=True, key=True, filterable=True,
           doc="publisher table (workbook sheet) when several"),
    Column("release", "DATE", doc="publisher release (vintage)"),
    Column("freq", "VARCHAR", "freq", key=True),
    Column("period", "DATE", key=True, doc="first day of the calendar reference period"),
    Column("ref_area", "VARCHAR", "area", key=True, doc="reporting country (ISO3)"),
    Column("citizenship", "VARCHAR", "area", key=True, totalled=True, default="_T"),
    Column("counterpart_area", "VARCHAR", "area", key=True, totalled=True, default="_Z"),
    Column("flow", "VARCHAR", "flow", key=True),
    Column("sex", "VARCHAR", "sex", key=True, totalled=True, default="_T"),
    Column("age", "VARCHAR", "age", key=True, totalled=True, default="_T"),
    Column("accompaniment", "VARCHAR", "accompaniment", key=True, totalled=True,
           default="_T"),
    Column("unit", "VARCHAR", "unit", key=True),
    Column("value", "DOUBLE", nullable=True),
    Column("obs_status", "VARCHAR", "obs_status", default="A"),
)

#: Columns added by the observatory beyond the contract.
#: ``attributes`` holds source-specific breakdowns (CBP component, USBP sector, route…) as
#: canonical JSON (sorted keys) so it can take part in key-uniqueness checks and GROUP BY.
EXTRA_COLUMNS: tuple[Column, ...] = (
    Column("attributes", "VARCHAR", key=True, default="{}", doc="canonical JSON of source-specific breakdowns"),
)

#: Lineage columns the store adds at load time.
LINEAGE_COLUMNS: tuple[Column, ...] = (
    Column("load_id", "VARCHAR", filterable=True,
           doc="the load (file checksum + release) that wrote the row"),
    Column("loaded_at", "TIMESTAMP", doc="when the row was loaded"),
)

CONTRACT_NAMES: tuple[str, ...] = tuple(c.name for c in CONTRACT_COLUMNS)
FRAME_COLUMNS: tuple[Column, ...] = CONTRACT_COLUMNS + EXTRA_COLUMNS
FRAME_NAMES: tuple[str, ...] = tuple(c.name for c in FRAME_COLUMNS)
STORE_COLUMNS: tuple[Column, ...] = FRAME_COLUMNS + LINEAGE_COLUMNS

#: Columns whose values are codes of a codelist (the coded dimensions and attributes).
CODED_COLUMNS: tuple[str, ...] = tuple(c.name for c in CONTRACT_COLUMNS if c.codelist)

#: Dimensions that identify one observation within a (source, release), in contract order.
KEY_COLUMNS: tuple[str, ...] = tuple(c.name for c in FRAME_COLUMNS if c.key)

#: Dimensions whose `_T` code means "all values": a table must not mix `_T` with detail codes.
TOTALLED_DIMENSIONS: tuple[str, ...] = tuple(c.name for c in CONTRACT_COLUMNS if c.totalled)

#: Units that count people or events: values must be whole, non-negative numbers.
COUNT_UNITS: frozenset[str] = frozenset({"PERSONS", "EVENTS"})

#: Count flows that are balances and can be negative (net migration = immigrants − emigrants);
#: the non-negative check on counts does not apply to them.
SIGNED_FLOWS: frozenset[str] = frozenset({"NET_MIGRATION"})

#: Flows that are end-of-period stocks: summing them over periods is meaningless.
STOCK_FLOWS: frozenset[str] = frozenset(
    {
        "REFUGEE_STOCK",
        "ASYLUM_SEEKER_STOCK",
        "OIP_STOCK",
        "STATELESS_STOCK",
        "IDP_STOCK",
        "OTHER_OF_CONCERN_STOCK",
        "HOST_COMMUNITY_STOCK",
        "MIGRANT_STOCK",
        "POPULATION",
    }
)


def column(name: str) -> Column:
    """The column named ``name`` (KeyError if it is not part of the frame)."""
    for c in STORE_COLUMNS:
        if c.name == name:
            return c
    raise KeyError(name)
