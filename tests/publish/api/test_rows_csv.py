"""CSV written from rows is byte for byte what the Arrow writer of the API writes (#12)."""

from __future__ import annotations

import math
import random

import pyarrow as pa

from observatorio.publish.api.formats import csv_bytes
from observatorio.publish.api.rows_csv import float_text, rows_csv

FLOATS = [0.0, -0.0, 1.0, -3.0, 0.1, 3.2e-05, 1e-06, 1.5e-06, 1e-07, 5e-324, 123456789.5, 1e9,
          1234567890.0, 1e10, 12345678901.5, 1e15 + 0.5, 1e16, 1e21, 2.5e22, 9737.98696591961,
          1.7976931348623157e308, math.inf, -math.inf]


def _arrow_csv(columns: list[str], records: list[dict[str, object]]) -> bytes:
    return csv_bytes(pa.Table.from_pylist(records).select(columns))


def test_floats_print_as_arrow_prints_them() -> None:
    rng = random.Random(12)
    values = FLOATS + [rng.uniform(-1, 1) * 10 ** rng.randint(-9, 14) for _ in range(2000)]
    values += [float(round(v)) for v in values[:500] if math.isfinite(v)]
    expected = _arrow_csv(["v"], [{"v": v} for v in values]).decode().splitlines()[1:]
    assert [float_text(v) for v in values] == expected


def test_rows_as_the_arrow_writer_writes_them() -> None:
    columns = ["run_id", "label", "parent", "horizon", "mean", "p_surge", "flag"]
    records: list[dict[str, object]] = [
        {"run_id": None, "label": 'EE. UU.: "CBP", 2025', "parent": None, "horizon": 1,
         "mean": 9737.98696591961, "p_surge": 0.0, "flag": True},
        {"run_id": "20261205T105053-5136d014", "label": "=HYPERLINK(1)", "parent": "usbp",
         "horizon": 36, "mean": 12.0, "p_surge": None, "flag": False},
        {"run_id": "x", "label": "-12", "parent": "+ñ", "horizon": -2, "mean": 1e-7,
         "p_surge": 3.2e-05, "flag": None},
    ]
    assert rows_csv(columns, records) == _arrow_csv(columns, records)
    empty = pa.table({c: pa.array([], pa.string()) for c in columns})
    assert rows_csv(columns, []) == csv_bytes(empty)
