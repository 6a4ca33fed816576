"""Large answers stream (header once, every row); ``serve`` loads the store only when needed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient

from observatorio.publish.api.formats import STREAM_FROM_ROWS
from observatorio.publish.cli import _needs_load


def test_large_csv_streams_every_row_once(client: TestClient) -> None:
    sources = client.get("/api/v1/sources").json()
    big = [s for s in sources if STREAM_FROM_ROWS < s["rows"] < 400_000]
    assert big, "some bundled source must be large enough to stream"
    source = min(big, key=lambda s: s["rows"])
    r = client.get("/api/v1/observations", params={"source": source["source"], "format": "csv"})
    assert r.status_code == 200
    assert "etag" in r.headers
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:2] == ["dataflow", "source"]
    assert sum(1 for row in rows if row[:2] == ["dataflow", "source"]) == 1
    assert len(rows) - 1 == int(r.headers["x-total-count"]) == source["rows"]


def test_serve_loads_only_a_missing_or_empty_store(tmp_path: Path,
                                                   bundled_store_path: Path) -> None:
    assert _needs_load(tmp_path / "absent.duckdb")
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a database")
    assert _needs_load(broken)
    assert not _needs_load(bundled_store_path)
