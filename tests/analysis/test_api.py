"""The analysis routes of the API on the bundled store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observatorio.publish.api.app import create_app
from observatorio.settings import Settings


@pytest.fixture(scope="module")
def api(analysis_store_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=analysis_store_path))) as client:
        yield client


def test_indicator_catalogue(api: TestClient) -> None:
    body = api.get("/api/v1/indicators", params={"lang": "en"}).json()
    first = body[0]
    assert {"id", "name", "definition", "unit", "formula", "sources", "caveats"} <= set(first)


def test_indicator_values(api: TestClient) -> None:
    body = api.get("/api/v1/indicators/returns_received_from_mexico",
                   params={"country": "GTM", "freq": "A", "from": 2021, "to": 2021}).json()
    assert body["values"][0]["value"] == 45_714
    assert body["releases"] == {"iom_gdidata.irreg_guatemala": "2025-06-19"}


def test_unknown_indicator_is_404(api: TestClient) -> None:
    response = api.get("/api/v1/indicators/encounter_abroad")
    assert response.status_code == 404
    assert "encounters_abroad" in response.json()["error"]["closest"]


def test_roles(api: TestClient) -> None:
    body = api.get("/api/v1/roles", params={"country": "MEX", "year": 2024, "lang": "en"}).json()
    assert {"origin", "transit", "destination"} <= set(body[0]["roles_held"])
    assert body[0]["roles"][1]["name"] == "Transit"


def test_profile(api: TestClient) -> None:
    body = api.get("/api/v1/profiles/GTM").json()
    assert {"origin", "return"} <= set(body["roles_held"]) and body["actions"]
    assert api.get("/api/v1/profiles/VEN").status_code == 404


def test_mirror(api: TestClient) -> None:
    body = api.get("/api/v1/mirror", params={"freq": "A", "pair": "gtm_mex_returns"}).json()
    row = next(r for r in body["rows"] if r["period"] == "2021-01-01")
    assert (row["a"], row["b"]) == (45_714, 53_156)
    assert body["pairs"][0]["reasons"]


@pytest.mark.parametrize(("url", "parameter"), [
    ("/api/v1/roles?nation=GTM", "nation"),
    ("/api/v1/roles?country=XXX", "country"),
    ("/api/v1/mirror?freq=Q", "freq"),
    ("/api/v1/mirror?pair=nope", "pair"),
    ("/api/v1/indicators/population?freq=M", "freq"),
    ("/api/v1/indicators?foo=1", "foo"),
])
def test_bad_requests_name_the_parameter(api: TestClient, url: str, parameter: str) -> None:
    response = api.get(url)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["parameter"] == parameter
    assert error["message"]["es"] and error["message"]["en"]
