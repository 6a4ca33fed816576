"""The case-publication route on a running app whose store publishes through snapshots: it
writes a new snapshot (the store the app reads stays untouched and open) and the app's next
request reads the published counts (before, the route wrote into the very file the server held
open)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient

from observatorio.cases.runtime import Runtime
from observatorio.loading import load_file
from observatorio.publish.api.app import create_app
from observatorio.store import Store, snapshots
from publish.snapshot_example import FILE, adapter

from .conftest import TEST_SETTINGS, Seeded, login
from .test_publication import SOURCE_ID, _in_august


def test_case_publication_route_publishes_a_snapshot_the_app_switches_to(
        rt: Runtime, seeded: Seeded, tmp_path: Path) -> None:
    _in_august(rt)
    db = tmp_path / "stats.duckdb"
    with Store.open(db) as store:
        load_file(store, adapter(), FILE)
    snapshots.enable(db)
    first = os.path.realpath(db)
    app = create_app(TEST_SETTINGS.model_copy(update={"db": db}))
    app.state.cases_runtime = rt
    with TestClient(app) as client:
        sources = {row["source"] for row in client.get("/api/v1/sources").json()}
        assert SOURCE_ID not in sources
        ok = client.post("/api/v1/cases/publication", json={"period": "2025-08"},
                         headers=login(client, "stats_publisher"))
        assert ok.status_code == 200, ok.text
        assert os.path.realpath(db) != first
        sources = {row["source"] for row in client.get("/api/v1/sources").json()}
        assert SOURCE_ID in sources
