"""The direct way to /api/v1/observations (publish/api/fast.py) and the in-memory columns give
the FastAPI route's own answers: same status, headers and bytes, errors included.

Two apps over the same store: one as served (fast path, columns read into memory), one with
neither (every request through FastAPI's parameter handling and DuckDB).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from observatorio.publish.api.app import create_app
from observatorio.publish.api.fast import PARAMETERS, ObservationsFastPath, _arguments
from observatorio.publish.api.params import declared_params
from observatorio.publish.api.store_access import get_handle
from observatorio.settings import Settings
from observatorio.store import memory

from .helpers import CBP, rows_of

OBS = "/api/v1/observations"
ON_BUNDLED = [
    # the benchmark's questions and the check value
    f"?source={CBP}&ref_area=USA&freq=M&group_by=flow,period",
    f"?source={CBP}&start=2023&end=2023&group_by=citizenship",
    f"?source={CBP}&ref_area=USA&citizenship=GTM&group_by=period,sex",
    f"?source={CBP}&start=2021-10&end=2022-09&group_by=source&format=csv",
    # pages, plain rows, formats, languages
    f"?source={CBP}",
    f"?source={CBP}&limit=10&offset=5",
    f"?source={CBP}&limit=0",
    f"?source={CBP}&offset=999999",
    f"?source={CBP}&limit=7&offset=3&group_by=citizenship,period",
    f"?source={CBP}&citizenship=GTM,HND&citizenship=SLV&group_by=citizenship&format=csv",
    f"?source={CBP}&group_by=citizenship&format=sdmx-csv",
    f"?source={CBP}&ref_area=USA&citizenship=MEX&format=sdmx-json&lang=en",
    f"?source={CBP}&group_by=sex&format=parquet",
    f"?source={CBP}&group_by=obs_status,flow",
    f"?source={CBP},{CBP}&group_by=release,attributes",
    "?source=iom_gdidata.wdi&ref_area=GTM,HND&group_by=ref_area,unit,period",
    "?ref_area=GTM&group_by=source,flow,freq,unit,table&start=2020",
    "?ref_area=GTM&freq=M&limit=50",
    f"?source={CBP}&as_of=2030-01-01&group_by=flow",
    f"?source={CBP}&release=1999-01-01",
    # what FastAPI or the query layer refuses
    "?source=nope", "?ref_area=GTMX", "?foo=1", "?limit=-1", "?limit=abc", "?limit=1.5",
    "?limit=", "?offset=", "?offset=-3", "?format=xml", "?lang=fr", "?start=2022-13",
    "?start=2023&end=2022", "?group_by=bogus", "?group_by=", "?source=",
    "?release=2024-01-01&as_of=2024-01-01", "?start=2020&start=2021", "?limit=1&limit=2",
    "?group_by=ref_area", f"?source={CBP}&format=json&format=csv", "?source=%C3%A9",
    "?limit=0012&offset=00", "?limit=%EF%BC%91",
]
ON_VINTAGES = [
    "?group_by=period", "?source=test_stock&group_by=citizenship",
    "?release=2024-01-01&group_by=source", f"?source={CBP}&group_by=release",
    f"?as_of=2024-06-01&source={CBP}&group_by=flow&start=2022", "?source=test_copy",
]


def _apps(db: Path) -> tuple[TestClient, TestClient]:
    served = create_app(Settings(db=db))
    assert memory.build(get_handle(served.state).store, 10_000_000) is not None
    plain = create_app(Settings(db=db))
    plain.user_middleware = [m for m in plain.user_middleware if m.cls is not ObservationsFastPath]
    return TestClient(served), TestClient(plain)


def _same_answers(served: TestClient, plain: TestClient, suffix: str) -> None:
    fast, slow = served.get(OBS + suffix), plain.get(OBS + suffix)
    assert fast.status_code == slow.status_code, (suffix, fast.text, slow.text)
    assert dict(fast.headers) == dict(slow.headers), suffix
    assert fast.content == slow.content, suffix


@pytest.fixture(scope="module")
def bundled_apps(bundled_store_path: Path) -> tuple[TestClient, TestClient]:
    return _apps(bundled_store_path)


@pytest.mark.parametrize("suffix", ON_BUNDLED)
def test_same_answer_as_the_route(bundled_apps: tuple[TestClient, TestClient], suffix: str) -> None:
    _same_answers(*bundled_apps, suffix)


@pytest.mark.parametrize("suffix", ON_VINTAGES)
def test_same_answer_as_the_route_on_vintages(vintage_store_path: Path, suffix: str) -> None:
    _same_answers(*_apps(vintage_store_path), suffix)


def test_parameters_are_the_routes() -> None:
    from observatorio.publish.api.routes.data import router

    route = next(r for r in router.routes if isinstance(r, APIRoute) and r.path == OBS)
    assert declared_params(route) == PARAMETERS


@pytest.mark.parametrize(("query", "handled"), [
    (f"source={CBP}&group_by=flow&limit=10&format=csv&lang=en", True),
    ("", True),
    ("start=2020&start=2021", False),  # FastAPI decides which one counts
    ("limit=-1", False), ("limit=1e3", False), ("format=XML", False), ("lang=", False),
    ("unknown=1", False),
])
def test_what_the_fast_path_takes(query: str, handled: bool) -> None:
    from starlette.requests import Request

    scope = {"type": "http", "method": "GET", "path": OBS, "query_string": query.encode(),
             "headers": []}
    assert (_arguments(Request(scope)) is not None) == handled


def test_a_served_app_reads_its_columns_at_start_and_joins_the_thread(
    bundled_store_path: Path,
) -> None:
    app = create_app(Settings(db=bundled_store_path))

    def warming() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "api-warm-up"]

    with TestClient(app) as client:
        deadline = time.monotonic() + 300
        while warming() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert memory.columns_of(get_handle(app.state).store) is not None
        assert client.get(OBS + f"?source={CBP}&group_by=source").status_code == 200
    assert not warming()


def test_no_columns_when_turned_off(bundled_store_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORIO_API_MEMORY_ROWS", "0")
    app = create_app(Settings(db=bundled_store_path))
    with TestClient(app) as client:
        for thread in [t for t in threading.enumerate() if t.name == "api-warm-up"]:
            thread.join(timeout=300)
        assert memory.columns_of(get_handle(app.state).store) is None
        r = client.get(OBS + f"?source={CBP}&start=2021-10&end=2022-09&group_by=source&format=csv")
        assert [row["value"] for row in rows_of("csv", r.content)] == ["2378944"]


def test_json_rows_are_the_plain_conversion() -> None:
    # formats.json_rows converts dates and numbers itself (pyarrow's per-cell dates are slow):
    # the same values as the plain to_pylist conversion, whole-number values as ints.
    from datetime import date

    import pyarrow as pa

    from observatorio.publish.api.formats import json_rows

    def plain(table: pa.Table) -> list[dict[str, object]]:
        rows = table.to_pylist()
        for row in rows:
            v = row.get("value")
            if v is not None and float(v).is_integer():
                row["value"] = int(v)
        return rows

    tables = [
        pa.table({"period": [date(2020, 1, 1), date(1999, 12, 1), date(2020, 1, 1)],
                  "value": [1.0, 2.5, -0.0], "obs_count": [1, 2, 3], "flow": ["A", None, "B"]}),
        pa.table({"period": pa.array([date(2020, 1, 1), None], pa.date32()),
                  "value": pa.array([None, 4.0], pa.float64()), "n": pa.array([None, 2], pa.int64())}),
        pa.table({"value": pa.array([], pa.float64()), "release": pa.array([], pa.date32())}),
    ]
    for table in tables:
        assert json_rows(table) == plain(table)
        assert [list(map(type, r.values())) for r in json_rows(table)] == [
            list(map(type, r.values())) for r in plain(table)]
