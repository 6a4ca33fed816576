"""The SDMX view of the store: one data structure (DSD), a dataflow per domain, series keys,
and the SDMX-CSV 2.0 and SDMX-JSON 2.0 data messages.

Series keys must be unique, so ``SOURCE`` and ``TABLE`` are dimensions (two publishers can
count the same thing differently) and source-specific breakdowns (the ``attributes`` column) are
summed within their table — which never double counts (DATA_CONTRACT invariant 1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from observatorio.model.codelists import get_codelist
from observatorio.model.contract import CODED_COLUMNS, column
from observatorio.model.dimensions import SERIES_KEY, TIME_COLUMN
from observatorio.store.catalogue import closest_texts
from observatorio.store.periods import format_period
from observatorio.store.query_errors import QueryError

AGENCY = "OMR"
VERSION = "1.0"
DSD_ID = "DSD_MIGRATION"
SCHEMA_URL = (
    "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/"
    "2.0.0/sdmx-json-data-schema.json"
)
MEDIA_SDMX_CSV = "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8"
MEDIA_SDMX_JSON = "application/vnd.sdmx.data+json; version=2.0.0; charset=utf-8"


@dataclass(frozen=True)
class Dimension:
    """One SDMX dimension and the contract column it comes from."""

    id: str
    column: str
    codelist: str | None  # None: codes are the store's own values (source, table)


#: Contract columns whose SDMX component id is not the column name upper-cased (SDMX's own
#: cross-domain concepts).
SDMX_NAMES: dict[str, str] = {"unit": "UNIT_MEASURE", "period": "TIME_PERIOD", "value": "OBS_VALUE"}


def sdmx_id(name: str) -> str:
    """The SDMX component id of a contract column (``unit`` → ``UNIT_MEASURE``)."""
    return SDMX_NAMES.get(name, name.upper())


#: Key order of the DSD, derived from the contract (model/dimensions.py SERIES_KEY and the
#: codelist of each column): ``/sdmx/data/{dataflow}/M.USA.GTM...`` follows it.
DIMENSIONS: tuple[Dimension, ...] = tuple(
    Dimension(sdmx_id(c), c, column(c).codelist) for c in SERIES_KEY)

#: Coded contract columns that are neither dimensions nor the dataflow itself: observation
#: attributes (``obs_status`` → ``OBS_STATUS``).
ATTRIBUTES: tuple[Dimension, ...] = tuple(
    Dimension(sdmx_id(c), c, column(c).codelist) for c in CODED_COLUMNS
    if c != "dataflow" and c not in {d.column for d in DIMENSIONS}
)

#: Contract columns → SDMX component ids (others are upper-cased).
SDMX_ID: dict[str, str] = {d.column: d.id for d in DIMENSIONS + ATTRIBUTES} | {
    TIME_COLUMN: sdmx_id(TIME_COLUMN), "value": sdmx_id("value"),
}
#: The grouping that gives one observation per SDMX series key and period.
SERIES_GROUP: tuple[str, ...] = (*(d.column for d in DIMENSIONS), TIME_COLUMN)

_NOT_ID = re.compile(r"[^A-Za-z0-9_@$-]")


def sdmx_code(value: str | None) -> str:
    """A store value as an SDMX id (``iom_gdidata.irreg_darien`` → ``iom_gdidata-irreg_darien``)."""
    if value is None:
        return "_Z"
    return _NOT_ID.sub("-", value)


def dataflows() -> list[str]:
    """Ids of the dataflows (the ``dataflow`` codelist)."""
    return list(get_codelist("dataflow").codes)


def structure_id(dataflow: str | None) -> tuple[str, str]:
    """(STRUCTURE, STRUCTURE_ID) of SDMX-CSV 2.0 for one dataflow, or the DSD for several."""
    if dataflow:
        return "dataflow", f"{AGENCY}:{dataflow}({VERSION})"
    return "datastructure", f"{AGENCY}:{DSD_ID}({VERSION})"


def key_filters(
    key: str, store_values: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """An SDMX key (``M.USA..GTM+HND``) as filters on contract columns; ``all`` = everything."""
    if key in ("all", "*", ""):
        return {}
    parts = key.split(".")
    if len(parts) > len(DIMENSIONS):
        raise QueryError("bad_key", "key", "api.bad_key", value=key, parts=len(parts),
                         expected=len(DIMENSIONS),
                         dimensions=".".join(d.id for d in DIMENSIONS))
    filters: dict[str, tuple[str, ...]] = {}
    for dim, part in zip(DIMENSIONS, parts, strict=False):
        if not part or part == "*":
            continue
        codes = tuple(part.split("+"))
        if dim.codelist is None:
            # SOURCE and TABLE ids are the store's values made SDMX-safe: map them back.
            back = {sdmx_code(v): v for v in store_values.get(dim.column, ())}
            unknown = [c for c in codes if c not in back]
            if unknown:
                raise QueryError("unknown_value", dim.id, "api.unknown_value",
                                 closest_texts(unknown[0], sorted(back)), value=unknown[0])
            codes = tuple(back[c] for c in codes)
        filters[dim.column] = codes
    return filters


# -- SDMX-CSV 2.0 ---------------------------------------------------------------------------


def _time_period(table: pa.Table) -> list[str]:
    periods = table.column("period").to_pylist()
    if "freq" in table.column_names:
        freqs = table.column("freq").to_pylist()
        return [_sdmx_period(p, f) if p else "" for p, f in zip(periods, freqs, strict=True)]
    return [p.isoformat() if p else "" for p in periods]


def _sdmx_period(period: Any, freq: str) -> str:
    """SDMX time period; a year not starting in January (a US fiscal year, aggregate=FY) is an
    SDMX time range: ``2023-10-01/P1Y``."""
    if freq == "A" and period.month != 1:
        return f"{period.isoformat()}/P1Y"
    return format_period(period, freq)


#: The code of a dimension the answer summed over (``group_by`` left it out): SDMX's "total".
TOTAL_CODE = "_T"
#: Columns every SDMX answer keeps even when ``group_by`` leaves them out: a sum only adds rows
#: of one frequency, source, table and unit (the no-double-count rule), so keeping them changes
#: no number, and the frequency is what writes TIME_PERIOD in SDMX form (``2023-01``).
SDMX_KEPT_COLUMNS: tuple[str, ...] = ("freq", "source", "table", "unit")


def sdmx_group_by(group_by: str) -> str:
    """``group_by`` of an SDMX answer: the asked columns, then SDMX_KEPT_COLUMNS. Without
    ``period`` the answer is a total over the periods asked and has no TIME_PERIOD."""
    asked = [c.strip() for c in group_by.split(",") if c.strip()]
    return ",".join(dict.fromkeys([*asked, *SDMX_KEPT_COLUMNS]))


def sdmx_frame(table: pa.Table, dataflow: str | None) -> pa.Table:
    """The answer with SDMX-CSV 2.0 columns: STRUCTURE, STRUCTURE_ID, ACTION, every dimension
    in DSD order (``_T`` where the answer summed over it), TIME_PERIOD, OBS_VALUE, OBS_STATUS."""
    kind, sid = structure_id(dataflow)
    n = table.num_rows
    cols: dict[str, pa.Array | pa.ChunkedArray] = {
        "STRUCTURE": pa.array([kind] * n, pa.string()),
        "STRUCTURE_ID": pa.array([sid] * n, pa.string()),
        "ACTION": pa.array(["I"] * n, pa.string()),
    }
    for dim in DIMENSIONS:
        if dim.column not in table.column_names:
            cols[dim.id] = pa.array([TOTAL_CODE] * n, pa.string())
        elif dim.column in ("source", "table"):
            cols[dim.id] = pa.array([sdmx_code(v) for v in table.column(dim.column).to_pylist()],
                                    pa.string())
        else:
            cols[dim.id] = table.column(dim.column)
    if TIME_COLUMN in table.column_names:
        cols["TIME_PERIOD"] = pa.array(_time_period(table), pa.string())
    cols["OBS_VALUE"] = table.column("value")
    if "obs_status" in table.column_names:
        cols["OBS_STATUS"] = table.column("obs_status")
    return pa.table(cols)


# -- SDMX-JSON 2.0 --------------------------------------------------------------------------


def _every_dimension(table: pa.Table) -> pa.Table:
    """The answer's columns with every dimension in DSD order first (``_T`` where it was summed
    over), so that SDMX-JSON series keys have the DSD's positions like SDMX-CSV's columns."""
    n = table.num_rows
    for dim in DIMENSIONS:
        if dim.column not in table.column_names:
            table = table.append_column(dim.column, pa.array([TOTAL_CODE] * n, pa.string()))
    first = [d.column for d in DIMENSIONS]
    return table.select([*first, *(c for c in table.column_names if c not in first)])


def _label(codelist: str | None, code: str, lang: str) -> dict[str, Any]:
    if codelist is None:
        return {"id": code, "name": code}
    cl = get_codelist(codelist)
    return {"id": code, "name": cl.label(code, lang),
            "names": {"es": cl.label(code, "es"), "en": cl.label(code, "en")}}


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def sdmx_json(
    table: pa.Table, dataflow: str | None, lang: str, message_id: str, prepared: str,
    with_observations: bool = True,
) -> bytes:
    """An SDMX-JSON 2.0.0 data message with one dataset of series (TIME_PERIOD at observation);
    without observations, the series keys only (SDMX REST ``detail=serieskeysonly``)."""
    table = _every_dimension(table)
    if not with_observations:
        table = table.drop_columns([c for c in ("period", "obs_status")
                                    if c in table.column_names])
    codelist_of = {d.column: d.codelist for d in DIMENSIONS}
    series_cols = [c for c in table.column_names
                   if c not in ("period", "value", "obs_status", "obs_count", "months")]
    values: dict[str, list[str]] = {}
    columns: dict[str, list[Any]] = {}
    for c in series_cols:
        raw = table.column(c).to_pylist()
        coded = [sdmx_code(v) if c in ("source", "table") else ("" if v is None else str(v))
                 for v in raw]
        columns[c] = coded
        values[c] = list(dict.fromkeys(coded))
    times = _time_period(table) if "period" in table.column_names else []
    time_values = list(dict.fromkeys(times))
    time_index = {t: i for i, t in enumerate(time_values)}
    index = {c: {v: i for i, v in enumerate(values[c])} for c in series_cols}
    obs_values = table.column("value").to_pylist()
    statuses = table.column("obs_status").to_pylist() if "obs_status" in table.column_names else []
    status_values = list(dict.fromkeys(s for s in statuses if s))
    status_index = {s: i for i, s in enumerate(status_values)}
    series: dict[str, dict[str, Any]] = {}
    for row in range(table.num_rows):
        key = ":".join(str(index[c][columns[c][row]]) for c in series_cols) or "0"
        entry = series.setdefault(key, {"attributes": [], "observations": {}})
        if not with_observations:
            continue
        obs_key = str(time_index[times[row]]) if times else "0"
        point: list[Any] = [_number(obs_values[row])]
        if statuses:
            point.append(status_index.get(statuses[row]))
        entry["observations"][obs_key] = point
    structure: dict[str, Any] = {
        "name": dataflow or DSD_ID,
        "dimensions": {
            "dataSet": [],
            "series": [
                {"id": SDMX_ID.get(c, c.upper()), "keyPosition": i,
                 "values": [_label(codelist_of.get(c), v, lang) for v in values[c]]}
                for i, c in enumerate(series_cols) if values[c]
            ],
            "observation": (
                [{"id": "TIME_PERIOD", "keyPosition": len(series_cols), "roles": ["TIME_PERIOD"],
                  "values": [{"value": t} for t in time_values]}]
                if time_values else []
            ),
        },
        "measures": {"observation": [{"id": "OBS_VALUE", "name": "OBS_VALUE"}]},
        "attributes": {
            "dataSet": [], "series": [],
            "observation": (
                [{"id": "OBS_STATUS", "relationship": {"observation": {}},
                  "values": [_label("obs_status", s, lang) for s in status_values]}]
                if status_values else []
            ),
        },
    }
    kind, sid = structure_id(dataflow)
    urn_kind = "Dataflow" if kind == "dataflow" else "DataStructure"
    urn = f"urn:sdmx:org.sdmx.infomodel.datastructure.{urn_kind}={sid}"
    message = {
        "meta": {
            "schema": SCHEMA_URL,
            "id": message_id,
            "test": False,
            "prepared": prepared,  # the store version: same data, same bytes
            "contentLanguages": [lang],
            "sender": {"id": AGENCY, "name": "Observatorio Migratorio Regional"},
        },
        "data": {
            "structures": [{**structure, "links": [{"rel": kind, "urn": urn}], "dataSets": [0]}],
            "dataSets": [{"structure": 0, "action": "Information",
                          "links": [{"rel": kind, "urn": urn}], "series": series}],
        },
    }
    return orjson.dumps(message)


def whole_numbers_as_text(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Counts as ``2378944``, not ``2378944.0``; fractions stay as they are; null stays null."""
    as_float = pc.cast(values, pa.float64())
    whole = pc.equal(as_float, pc.floor(as_float))
    ints = pc.cast(pc.cast(pc.if_else(whole, as_float, 0.0), pa.int64()), pa.string())
    result: pa.ChunkedArray = pc.if_else(whole, ints, pc.cast(as_float, pa.string()))
    return result
