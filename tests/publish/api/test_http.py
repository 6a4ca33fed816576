"""ETag / Last-Modified, 304, gzip, CORS and Cache-Control on public reads."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .helpers import CBP

URL = f"/api/v1/observations?source={CBP}&group_by=flow"


def test_validators_and_cache_control(client: TestClient) -> None:
    r = client.get(URL)
    assert r.status_code == 200, r.text
    assert r.headers["etag"].startswith('W/"')
    assert r.headers["last-modified"].endswith("GMT")
    assert "public" in r.headers["cache-control"]


def test_conditional_requests_answer_304(client: TestClient) -> None:
    first = client.get(URL)
    again = client.get(URL, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    since = client.get(URL, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    other = client.get(URL, headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200


def test_same_question_same_etag_whatever_the_parameter_order(client: TestClient) -> None:
    a = client.get("/api/v1/observations?flow=EXPULSION&group_by=source")
    b = client.get("/api/v1/observations?group_by=source&flow=EXPULSION")
    assert a.headers["etag"] == b.headers["etag"]
    assert a.content == b.content


def test_gzip_when_asked(client: TestClient) -> None:
    r = client.get("/api/v1/observations?limit=500", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    plain = client.get("/api/v1/observations?limit=500", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert r.json() == plain.json()


def test_cors_for_public_reads(client: TestClient) -> None:
    r = client.get(URL, headers={"Origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "ETag" in r.headers["access-control-expose-headers"]
    pre = client.options(URL, headers={"Origin": "https://example.org",
                                       "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 200


def test_errors_are_not_cached(client: TestClient) -> None:
    r = client.get("/api/v1/observations?ref_area=XX")
    assert r.status_code == 400
    assert "etag" not in r.headers
    assert r.headers["cache-control"] == "no-store"
