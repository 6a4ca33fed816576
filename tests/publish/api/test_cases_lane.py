"""The cases pages' lane past the statistics-side middleware (publish/api/cases_lane.py), on the
real application: pages come uncompressed and without CORS headers, and keep their security
headers, their CSRF check, their redirects and error pages; HEAD, preflights, the cases API and
the public reads keep the whole stack (without CORS on the cases side: test_cross_origin.py)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from observatorio.publish.api.cases_lane import exception_layer

from .officer_app import PASSWORD

#: What a browser from another site sends along: gzip would apply, and so would CORS.
BROWSER = {"Accept-Encoding": "gzip", "Origin": "https://elsewhere.example"}
SECURITY_HEADERS = {"cache-control": "no-store", "x-frame-options": "DENY", "referrer-policy": "no-referrer"}


def _csrf(html: str) -> str:
    found = re.search(r"name='csrf_token' value='([0-9a-f]+)'", html)
    assert found, html[:300]
    return found.group(1)


def _sign_in(officer_client: TestClient) -> None:
    form = officer_client.get("/cases/login")
    r = officer_client.post("/cases/login", data={"username": "oficial", "password": PASSWORD, "csrf_token": _csrf(form.text)})
    assert r.status_code == 303, r.text[:300]


def _assert_page_headers(r) -> None:  # type: ignore[no-untyped-def]
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (name, r.headers)
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "content-encoding" not in r.headers  # no compression of pages with a CSRF token (BREACH)
    assert "access-control-allow-origin" not in r.headers  # personal data: no CORS


def test_pages_are_neither_compressed_nor_cors_enabled(officer_client: TestClient) -> None:
    _sign_in(officer_client)
    for path in ("/cases/", "/cases/work", "/cases/login"):
        r = officer_client.get(path, headers=BROWSER)
        assert r.status_code == 200, (path, r.text[:300])
        assert len(r.content) > 1000, path  # large enough that gzip would have compressed it
        _assert_page_headers(r)


def test_public_reads_keep_compression_and_cors(officer_client: TestClient) -> None:
    r = officer_client.get("/api/v1/observations?limit=500", headers=BROWSER)
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers.get("etag")


def test_csrf_and_sign_in_still_enforced(officer_client: TestClient) -> None:
    r = officer_client.get("/cases/", headers=BROWSER)  # not signed in: to the login form
    assert r.status_code == 303 and r.headers["location"] == "/cases/login"
    forged = officer_client.post("/cases/login", data={"username": "oficial", "password": PASSWORD, "csrf_token": "0" * 64})
    assert forged.status_code == 403
    _assert_page_headers(forged)
    _sign_in(officer_client)
    logout = officer_client.post("/cases/logout", data={"csrf_token": "0" * 64}, headers=BROWSER)
    assert logout.status_code == 403
    _assert_page_headers(logout)
    assert officer_client.get("/cases/").status_code == 200  # the forged logout ended nothing


def test_error_pages_through_the_lane(officer_client: TestClient) -> None:
    _sign_in(officer_client)
    missing = officer_client.get("/cases/c/999999")
    assert missing.status_code == 404
    _assert_page_headers(missing)
    refused = officer_client.get("/cases/c/" + "9" * 30)  # no id a column holds: the not-found page too
    assert refused.status_code == 404
    _assert_page_headers(refused)


def test_head_preflight_and_api_keep_the_whole_stack(officer_client: TestClient) -> None:
    get, head = officer_client.get("/cases/login"), officer_client.head("/cases/login")
    assert head.status_code == get.status_code == 200 and head.content == b""
    api = officer_client.get("/api/v1/cases", headers=BROWSER)  # the whole stack, but no CORS (cross_origin.py)
    assert api.status_code == 401 and "access-control-allow-origin" not in api.headers


def test_exception_layer_is_required() -> None:
    async def bare(scope, receive, send):  # type: ignore[no-untyped-def]
        return None

    with pytest.raises(RuntimeError, match="no exception layer"):
        exception_layer(bare)
