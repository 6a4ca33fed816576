"""Encoders of a query answer (an Arrow table) in every format the API offers.

Small answers are encoded whole (and cached by the HTTP layer); CSV-like formats can also be
streamed batch by batch so a large download never sits whole in memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from observatorio.formula_guard import neutral_table, neutral_value
from observatorio.publish.api.sdmx import (
    MEDIA_SDMX_CSV,
    MEDIA_SDMX_JSON,
    sdmx_frame,
    whole_numbers_as_text,
)


class Format(StrEnum):
    """Output formats of ``/api/v1/observations``."""

    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"
    sdmx_csv = "sdmx-csv"
    sdmx_json = "sdmx-json"


MEDIA_TYPES: dict[Format, str] = {
    Format.json: "application/json",
    Format.csv: "text/csv; charset=utf-8",
    Format.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.parquet: "application/vnd.apache.parquet",
    Format.sdmx_csv: MEDIA_SDMX_CSV,
    Format.sdmx_json: MEDIA_SDMX_JSON,
}
EXTENSIONS: dict[Format, str] = {
    Format.json: "json", Format.csv: "csv", Format.xlsx: "xlsx", Format.parquet: "parquet",
    Format.sdmx_csv: "csv", Format.sdmx_json: "json",
}  # fmt: skip

#: Most rows one answer may have, per format (docs/api.md: "Limits").
MAX_ROWS: dict[Format, int] = {
    Format.json: 50_000,  # per page; use limit/offset
    Format.xlsx: 200_000,
    Format.sdmx_json: 200_000,
    Format.parquet: 2_000_000,
    Format.csv: 10_000_000,  # streamed
    Format.sdmx_csv: 10_000_000,  # streamed
}
#: Rows per page of JSON when ``limit`` is not given.
DEFAULT_JSON_LIMIT = 1_000
#: From this size on, CSV answers are streamed instead of encoded whole.
STREAM_FROM_ROWS = 100_000

_CSV_OPTIONS = pa_csv.WriteOptions(include_header=True, quoting_style="needed")
_CSV_NO_HEADER = pa_csv.WriteOptions(include_header=False, quoting_style="needed")


def _plain_values(table: pa.Table) -> pa.Table:
    """The value column as text without a spurious ``.0`` (CSV, XLSX-free formats)."""
    for name in ("value", "OBS_VALUE"):
        if name in table.column_names:
            i = table.column_names.index(name)
            table = table.set_column(i, name, whole_numbers_as_text(table.column(name)))
    return table


def csv_bytes(table: pa.Table, header: bool = True) -> bytes:
    sink = io.BytesIO()
    pa_csv.write_csv(_plain_values(neutral_table(table)), sink, _CSV_OPTIONS if header else _CSV_NO_HEADER)
    return sink.getvalue()


def csv_stream(batches: pa.RecordBatchReader, sdmx_dataflow: str | None = None,
               sdmx: bool = False) -> Iterator[bytes]:
    """CSV (or SDMX-CSV) of a stream of record batches, header once."""
    first = True
    for batch in batches:
        table = pa.Table.from_batches([batch])
        if sdmx:
            table = sdmx_frame(table, sdmx_dataflow)
        yield csv_bytes(table, header=first)
        first = False
    if first:  # no rows: still a header
        yield csv_bytes(pa.Table.from_batches([], schema=batches.schema)
                        if not sdmx else sdmx_frame(batches.schema.empty_table(), sdmx_dataflow))


def json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as dicts; whole-number values as integers, dates as ISO text (by orjson)."""
    names = table.column_names
    columns = [_python_values(table.column(n), whole=n == "value") for n in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


_DAY_ZERO = date(1970, 1, 1).toordinal()
_DATES: dict[int, date] = {}  # days since 1970 → date object (a few thousand months at most)


def _python_values(column: pa.ChunkedArray, whole: bool = False) -> list[Any]:
    """``column.to_pylist()``, faster for dates and numbers (pyarrow makes a date object per
    cell slowly); with ``whole``, whole-number doubles become ints."""
    kind = column.type
    if column.null_count or not (pa.types.is_date32(kind) or pa.types.is_integer(kind)
                                 or pa.types.is_floating(kind)):
        values = column.to_pylist()
        if whole:
            return [int(v) if v is not None and float(v).is_integer() else v for v in values]
        return values
    if pa.types.is_date32(kind):
        days = column.cast(pa.int32()).to_numpy().tolist()
        if len(_DATES) > 100_000:
            _DATES.clear()
        found = [_DATES.get(d) for d in days]
        for i in [i for i, v in enumerate(found) if v is None]:
            found[i] = _DATES[days[i]] = date.fromordinal(days[i] + _DAY_ZERO)
        return found
    numbers = column.to_numpy()
    values = numbers.tolist()
    if whole and pa.types.is_floating(kind):
        with np.errstate(invalid="ignore"):
            for i in np.flatnonzero(np.isfinite(numbers) & (numbers == np.floor(numbers))).tolist():
                values[i] = int(values[i])
    return values


def json_bytes(payload: Any) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


@dataclass(frozen=True)
class XlsxAbout:
    """What the workbook's second sheet says about the answer."""

    url: str
    store_version: str
    licence_note: str


def xlsx_bytes(table: pa.Table, about: XlsxAbout) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append([neutral_value(n) for n in table.column_names])
    columns = json_rows(table)
    for row in columns:
        sheet.append([_cell(v) for v in row.values()])
    info = book.create_sheet("about")
    for key, text in (("url", about.url), ("store_version", about.store_version),
                      ("licence", about.licence_note)):
        info.append([key, neutral_value(text)])
    sink = io.BytesIO()
    book.save(sink)
    return sink.getvalue()


def _cell(value: Any) -> Any:
    # openpyxl writes any text starting with "=" as a live formula: neutralise every text cell.
    if isinstance(value, list | dict):
        return neutral_value(orjson.dumps(value).decode())
    return neutral_value(value)
