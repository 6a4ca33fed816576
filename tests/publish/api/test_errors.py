"""Errors for people: 400 naming the parameter, in Spanish and English, with closest codes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .helpers import CBP

CASES = [
    # (url, parameter, code, a closest value or None)
    ("/api/v1/observations?colour=red", "colour", "unknown_parameter", None),
    ("/api/v1/observations?refarea=GTM", "refarea", "unknown_parameter", "ref_area"),
    ("/api/v1/observations?ref_area=Guatemala", "ref_area", "unknown_code", "GTM"),
    ("/api/v1/observations?flow=RETURN", "flow", "unknown_code", "RETURN_RECEIVED"),
    ("/api/v1/observations?source=cbp", "source", "unknown_value", CBP),
    ("/api/v1/observations?start=2022-13", "start", "bad_period", None),
    ("/api/v1/observations?end=22", "end", "bad_period", None),
    ("/api/v1/observations?start=2023&end=2022", "end", "bad_range", None),
    ("/api/v1/observations?group_by=country", "group_by", "bad_group_by", None),
    ("/api/v1/observations?release=2024-01-01&as_of=2024-01-01", "as_of", "conflict", None),
    ("/api/v1/observations?release=yesterday", "release", "bad_date", None),
    ("/api/v1/observations?release=1999-01-01", "release", "unknown_release", None),
    ("/api/v1/observations?limit=-1", "limit", "invalid_value", None),
    ("/api/v1/observations?limit=many", "limit", "invalid_value", None),
    ("/api/v1/observations?format=pdf", "format", "invalid_value", None),
    ("/api/v1/observations?limit=60000", "limit", "too_large", None),
    ("/api/v1/codelists/areas", "codelist_id", "not_found", "area"),
    ("/api/v1/sources?verbose=1", "verbose", "unknown_parameter", None),
    ("/sdmx/data/BORDER_ENFORCEMENT/M.USA.1.2.3.4.5.6.7.8.9.10", "key", "bad_key", None),
    ("/sdmx/data/BORDER/M", "dataflow", "not_found", "BORDER_ENFORCEMENT"),
    ("/sdmx/data/BORDER_ENFORCEMENT/M.XXX", "ref_area", "unknown_code", None),
    ("/sdmx/data/BORDER_ENFORCEMENT/M?startPeriod=soon", "startPeriod", "bad_period", None),
]


@pytest.mark.parametrize(("url", "parameter", "code", "closest"), CASES)
def test_errors_name_the_parameter(client: TestClient, url: str, parameter: str, code: str,
                                   closest: str | None) -> None:
    r = client.get(url)
    assert r.status_code in (400, 404), r.text
    error = r.json()["error"]
    assert error["code"] == code
    assert error["parameter"] == parameter
    assert error["message"]["es"] and error["message"]["en"]
    assert error["message"]["es"] != error["message"]["en"]
    if closest is not None:
        assert closest in error["closest"]
    assert r.headers["cache-control"] == "no-store"


def test_too_large_json_without_limit_is_paged_not_refused(client: TestClient) -> None:
    r = client.get("/api/v1/observations")
    assert r.status_code == 200
    assert r.json()["meta"]["limit"] == 1000


@pytest.mark.parametrize("url", [
    "/api/v1/observations?limit=0", "/api/v1/observations?limit=0&offset=5",
    f"/api/v1/observations?source={CBP}&limit=0",
])
def test_limit_zero_is_refused_so_no_page_points_at_itself(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["parameter"] == "limit"
    assert "Link" not in r.headers


@pytest.mark.parametrize(("query", "parameter"), [
    ("offset=9223372036854775808", "offset"), ("offset=99999999999999999999", "offset"),
    ("limit=9223372036854775808", "limit"), ("offset=999999999999999", None),
])
def test_huge_paging_numbers_are_400_not_500(client: TestClient, query: str,
                                              parameter: str | None) -> None:
    r = client.get(f"/api/v1/observations?{query}")
    if parameter is None:  # within bounds: an empty page
        assert r.status_code == 200, r.text
        assert r.json()["meta"]["next"] is None
    else:
        assert r.status_code == 400, r.text
        assert r.json()["error"]["parameter"] == parameter
