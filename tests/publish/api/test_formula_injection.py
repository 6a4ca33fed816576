"""No export carries a live spreadsheet formula: a loaded file named like one is shown as text
in CSV, XLSX, SDMX-CSV, /api/v1/loads and the portal's downloads (#10 item 5)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from observatorio.formula_guard import neutral_table, neutral_text
from observatorio.formula_guard_frame import neutral_frame
from observatorio.loading import load_file
from observatorio.sources.base import get_adapter
from observatorio.store import Store

from .conftest import make_client
from .helpers import CBP

EVIL = '=HYPERLINK("https:evil.example","open")+1.csv'


@pytest.fixture(scope="module")
def evil_client(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> TestClient:
    adapter = get_adapter(CBP)
    folder = tmp_path_factory.mktemp("evil")
    renamed = folder / EVIL
    shutil.copy(adapter.bundled_path(data_dir), renamed)
    db = folder / "observatorio.duckdb"
    with Store.open(db) as store:
        load_file(store, adapter, renamed)
    return make_client(db)


def _risky(text: object) -> bool:
    return isinstance(text, str) and text[:1] in "=+-@\t\r" and text != "" and text != neutral_text(text)


@pytest.mark.parametrize("fmt", ["csv", "sdmx-csv"])
def test_csv_exports_show_the_name_as_text(evil_client: TestClient, fmt: str) -> None:
    body = evil_client.get(f"/api/v1/observations?source={CBP}&format={fmt}&limit=5").text
    assert "HYPERLINK" in body or fmt == "sdmx-csv"
    for line in body.splitlines():
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith("=")


def test_xlsx_export_has_no_formula(evil_client: TestClient) -> None:
    body = evil_client.get(f"/api/v1/observations?source={CBP}&format=xlsx&limit=5").content
    book = load_workbook(io.BytesIO(body))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert any("HYPERLINK" in str(c.value) for c in cells)
    assert all(c.data_type != "f" for c in cells)


def test_loads_and_json_show_the_neutralised_name(evil_client: TestClient) -> None:
    names = {entry["source_file"] for entry in evil_client.get("/api/v1/loads").json()}
    assert names == {"'" + EVIL}
    rows = evil_client.get(f"/api/v1/observations?source={CBP}&limit=2").json()["data"]
    assert {r["source_file"] for r in rows} == {"'" + EVIL}


def test_portal_source_download_is_neutral(evil_client: TestClient) -> None:
    body = evil_client.get(f"/es/datos/download/{CBP}.csv")
    assert body.status_code == 200
    assert not any(cell.lstrip('"').startswith(("=", "@")) for line in body.text.splitlines()
                   for cell in line.split(","))


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=x", "'\t=x"), ("\r=x", "'\r=x"), ("-12", "-12"), ("+3.5", "+3.5"), ("-1e5", "-1e5"),
    ("Guatemala", "Guatemala"), ("", ""),
])
def test_neutral_text(text: str, expected: str) -> None:
    assert neutral_text(text) == expected


def test_neutral_table_and_frame_agree() -> None:
    values = ["=1+1", "ok", None, "-7", "@x"]
    table = neutral_table(pa.table({"a": values, "n": [1, 2, 3, 4, 5]}))
    assert table.column("a").to_pylist() == ["'=1+1", "ok", None, "-7", "'@x"]
    dictionary = neutral_table(pa.table({"a": pa.array(values).dictionary_encode()}))
    assert dictionary.column("a").to_pylist() == table.column("a").to_pylist()
    frame = neutral_frame(pa.table({"a": values}).to_pandas())
    assert frame["a"].tolist() == table.column("a").to_pylist()
