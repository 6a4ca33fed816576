"""/static answers only files that exist: odd names are 404, and nothing else is ever cached."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observatorio.publish.api.app import create_app
from observatorio.publish.web import assets
from observatorio.settings import Settings


@pytest.fixture()
def static_client(tmp_path: Path) -> TestClient:
    # No store is needed to serve static files; not entering the client skips the warm-up.
    return TestClient(create_app(Settings(db=tmp_path / "none.duckdb")))


@pytest.mark.parametrize("name", ["%00", "a%00b.css", "x" * 300, "y" * 300 + "/z", "%2e%2e/app.py"])
def test_odd_static_names_are_404_not_500(static_client: TestClient, name: str) -> None:
    assert static_client.get(f"/static/{name}").status_code == 404


def test_static_serves_real_files(static_client: TestClient) -> None:
    response = static_client.get("/static/portal.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


def test_unknown_static_names_are_not_cached(static_client: TestClient) -> None:
    before = assets._static_asset.cache_info().currsize
    for i in range(200):
        assert static_client.get(f"/static/missing-{i}.css").status_code == 404
    static_client.get("/static/portal.css")
    assert assets._static_asset.cache_info().currsize <= before + 1
    assert all(path.is_file() for path in assets.static_files().values())


def test_made_up_subdivision_codes_do_not_grow_the_cache(static_client: TestClient) -> None:
    # /static/geo/admin1/{iso3}: the code is the client's; the cache keeps a bounded few.
    from observatorio.publish.web import admin1_map

    for i in range(admin1_map.ASSET_CACHE_SIZE * 3):
        url = admin1_map.admin1_url(f"Z{i:02d}")
        assert static_client.get(url).status_code == 404
    assert admin1_map.admin1_asset.cache_info().currsize <= admin1_map.ASSET_CACHE_SIZE
    assert static_client.get(admin1_map.admin1_url("GTM")).status_code == 200
