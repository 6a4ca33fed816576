"""HEAD answers like GET without a body on every GET route of the OpenAPI document (issue #11
item 9), and CORS preflight (OPTIONS) where browsers need it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from .helpers import CBP

#: A value for each path parameter (examples in the document where they fit every route).
PATH_VALUES = {
    "codelist_id": "area", "indicator_id": None, "iso3": "GTM", "dataflow": "RETURNS",
    "key": "M.GTM..MEX.RETURN_RECEIVED", "agencyID": "OMR", "version": "latest",
    "person_id": "1", "case_id": "1", "provider": "all", "referral_id": "1", "arrival_id": "1",
    "practice_id": "1",
}
RESOURCE_OF_KIND = {"datastructure": "DSD_MIGRATION", "dataflow": "RETURNS",
                    "codelist": "CL_AREA", "conceptscheme": "CS_MIGRATION"}
#: Routes whose plain GET is refused as too large: the same question, smaller.
QUERIES = {"/api/v1/observations": "?limit=100", "/api/v1/revisions": f"?source={CBP}&citizenship=GTM"}
#: The restricted cases side answers 401 to an anonymous GET: HEAD must say the same.
RESTRICTED = ("/api/v1/auth", "/api/v1/cases", "/api/v1/people", "/api/v1/audit", "/api/v1/referrals",
              "/api/v1/reception", "/api/v1/practices/queue", "/api/v1/reintegration",
              "/api/v1/notifications")
#: Public reads of the application database (directory, practices): this app has none initialised,
#: so they answer 503 with what to do (tests/cases/test_practices.py covers them with a database).
APP_DATABASE = ("/api/v1/directory", "/api/v1/practices")


def _get_urls(client: TestClient) -> list[str]:
    document: dict[str, Any] = client.get("/api/openapi.json").json()
    values = dict(PATH_VALUES)
    values["indicator_id"] = client.get("/api/v1/indicators").json()[0]["id"]
    urls = []
    for path, operations in document["paths"].items():
        if "get" not in operations:
            continue
        kind = path.split("/")[2] if path.startswith("/sdmx/") else ""
        url = path.replace("{resourceID}", RESOURCE_OF_KIND.get(kind, ""))
        for name, value in values.items():
            url = url.replace("{" + name + "}", str(value))
        assert "{" not in url, f"no test value for a parameter of {path}"
        urls.append(url + QUERIES.get(path, ""))
    return urls


def test_head_answers_like_get_on_every_get_route(client: TestClient) -> None:
    urls = _get_urls(client)
    assert len(urls) > 30
    for url in urls:
        get = client.get(url)
        head = client.head(url)
        assert head.status_code == get.status_code, url
        assert head.content == b"", url
        assert head.headers.get("content-type") == get.headers.get("content-type"), url
        if url.startswith(APP_DATABASE) and not url.startswith(RESTRICTED):
            assert get.status_code in (200, 503), (url, get.text[:300])  # 200: no database needed
        elif not url.startswith(RESTRICTED):
            assert get.status_code == 200, (url, get.text[:300])
            assert head.headers.get("etag") == get.headers.get("etag"), url


def test_conditional_head_answers_304(client: TestClient) -> None:
    first = client.head("/api/v1/sources")
    assert first.status_code == 200
    again = client.head("/api/v1/sources", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_cors_preflight_for_public_reads(client: TestClient, method: str) -> None:
    pre = client.options("/sdmx/data/RETURNS/all", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "Accept"})
    assert pre.status_code == 200
    assert method in pre.headers["access-control-allow-methods"]
