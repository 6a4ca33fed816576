"""Read a value back from an answer in any format (the test side of publish/api/formats.py)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pyarrow.parquet as pq
from openpyxl import load_workbook
from pysdmx.io import read_sdmx

CBP = "cbp_sw_land_border_encounters"
FORMATS = ("json", "csv", "xlsx", "parquet", "sdmx-csv", "sdmx-json")


def rows_of(fmt: str, body: bytes) -> list[dict[str, Any]]:
    """The rows of an answer as dicts (value column named ``value``)."""
    if fmt == "json":
        import json

        return list(json.loads(body)["data"])
    if fmt == "csv":
        return [dict(r) for r in csv.DictReader(io.StringIO(body.decode("utf-8")))]
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(body), read_only=True)["data"]
        values = list(sheet.iter_rows(values_only=True))
        return [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    if fmt == "parquet":
        return list(pq.read_table(io.BytesIO(body)).to_pylist())
    if fmt == "sdmx-csv":
        if body.count(b"\n") <= 1:  # header only: pysdmx reads no empty message
            return []
        frame = read_sdmx(body.decode("utf-8")).data[0].data
        return [{**r, "value": r["OBS_VALUE"]} for r in frame.to_dict("records")]
    if fmt == "sdmx-json":
        return sdmx_json_rows(body)
    raise ValueError(fmt)


def sdmx_json_rows(body: bytes) -> list[dict[str, Any]]:
    """Observations of an SDMX-JSON 2.0 data message, with their dimension codes."""
    import json

    message = json.loads(body)
    structure = message["data"]["structures"][0]
    series_dims = structure["dimensions"]["series"]
    obs_dims = structure["dimensions"]["observation"]
    out = []
    for key, series in message["data"]["dataSets"][0]["series"].items():
        codes = {}
        if series_dims:
            for dim, index in zip(series_dims, key.split(":"), strict=True):
                codes[dim["id"]] = dim["values"][int(index)]["id"]
        for obs_key, point in series["observations"].items():
            row = dict(codes)
            if obs_dims:
                row["TIME_PERIOD"] = obs_dims[0]["values"][int(obs_key)]["value"]
            row["value"] = point[0]
            out.append(row)
    return out


def total(fmt: str, body: bytes) -> float:
    """Sum of the value column."""
    return sum(float(r["value"]) for r in rows_of(fmt, body) if r["value"] not in (None, ""))
