"""A real uvicorn server on loopback: a query under concurrent load returns the same bytes as
alone (bounded: 16 threads × 10 requests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from .helpers import CBP

QUERIES = [
    f"/api/v1/observations?source={CBP}&ref_area=USA&freq=M&group_by=flow,period",
    f"/api/v1/observations?source={CBP}&start=2023&end=2023&group_by=citizenship&format=csv",
    f"/api/v1/observations?source={CBP}&citizenship=GTM&group_by=period,sex&format=sdmx-csv",
    f"/sdmx/data/BORDER_ENFORCEMENT/M.USA........{CBP}?startPeriod=2022&format=sdmx-json",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(bundled_store_path: Path) -> Iterator[str]:
    port = _free_port()
    # No response cache: every request runs its query, concurrently, on DuckDB cursors.
    env = {**os.environ, "OBSERVATORIO_DB": str(bundled_store_path),
           "OBSERVATORIO_API_CACHE_MB": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "observatorio.publish.api.app:create_served_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to 60 s on a busy machine
            try:
                httpx.get(base + "/api/v1/codelists", timeout=1)
                break
            except httpx.TransportError as exc:
                if proc.poll() is not None:
                    message = proc.stderr.read().decode() if proc.stderr else "exited"
                    raise RuntimeError(message) from exc
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_same_bytes_under_load_as_alone(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as client:
        alone = {q: client.get(q).content for q in QUERIES}
    assert all(alone.values())

    def hammer(worker: int) -> list[tuple[str, bytes]]:
        out = []
        with httpx.Client(base_url=server, timeout=60) as client:
            for i in range(10):
                q = QUERIES[(worker + i) % len(QUERIES)]
                r = client.get(q)
                assert r.status_code == 200
                out.append((q, r.content))
        return out

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = [item for chunk in pool.map(hammer, range(16)) for item in chunk]
    assert len(results) == 160
    for query, body in results:
        assert body == alone[query], query
