"""CORS answers the public statistics API only (publish/api/cross_origin.py): on the real
application, a preflight and a simple request with ``Origin`` get no ``Access-Control-Allow-*``
header on any path of the cases side (its JSON API and its pages), signed in or not, while the
statistics API and SDMX keep answering any origin. Before, the cases API answered
``Access-Control-Allow-Origin: *`` and a preflight to a cases page was granted."""

from __future__ import annotations

from fastapi.testclient import TestClient

from observatorio.cases.http_errors import under_cases_api
from observatorio.publish.api.cases_paths import API_V1
from observatorio.publish.api.cross_origin import cross_origin_allowed

from .officer_app import PASSWORD

ORIGIN = "https://elsewhere.example"
#: a browser's preflight before a script's cross-origin request with a bearer token
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "authorization"}
CASES_API = ["/api/v1/cases", "/api/v1/people", "/api/v1/auth/me", "/api/v1/cases/publication",
             "/api/v1/reception/arrivals", "/api/v1/directory/organisations", "/api/v1/practices"]
CASES_PAGES = ["/cases/", "/cases/work", "/cases/login", "/cases"]


def _no_cors(r) -> None:  # type: ignore[no-untyped-def]
    granted = sorted(h for h in r.headers if h.startswith("access-control-"))
    assert not granted, (r.request.method, r.request.url.path, r.status_code, granted)


def _token(officer_client: TestClient) -> dict[str, str]:
    r = officer_client.post("/api/v1/auth/token", data={"username": "oficial", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_the_cases_api_answers_no_cross_origin_request(officer_client: TestClient) -> None:
    bearer = _token(officer_client)
    for path in CASES_API:
        _no_cors(officer_client.options(path, headers=PREFLIGHT))
        _no_cors(officer_client.get(path, headers={"Origin": ORIGIN}))
        signed_in = officer_client.get(path, headers={"Origin": ORIGIN, **bearer})
        _no_cors(signed_in)
    listed = officer_client.get("/api/v1/cases", headers={"Origin": ORIGIN, **bearer})
    assert listed.status_code == 200, listed.text  # a real answer of personal data, still no CORS
    _no_cors(listed)


def test_the_cases_pages_answer_no_cross_origin_request(officer_client: TestClient) -> None:
    for path in CASES_PAGES:
        _no_cors(officer_client.options(path, headers=PREFLIGHT))
        _no_cors(officer_client.get(path, headers={"Origin": ORIGIN}))
        _no_cors(officer_client.head(path, headers={"Origin": ORIGIN}))
        _no_cors(officer_client.request("PUT", path, headers={"Origin": ORIGIN}))  # the whole stack's way


def test_the_statistics_api_keeps_answering_any_origin(officer_client: TestClient) -> None:
    r = officer_client.get("/api/v1/sources", headers={"Origin": ORIGIN})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    assert "etag" in r.headers["access-control-expose-headers"].lower()
    pre = officer_client.options("/api/v1/observations", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "*"
    assert "GET" in pre.headers["access-control-allow-methods"]
    sdmx = officer_client.options("/sdmx/dataflow", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert sdmx.status_code == 200 and sdmx.headers["access-control-allow-origin"] == "*"


def test_only_the_public_api_may_answer_cross_origin() -> None:
    assert cross_origin_allowed("/api/v1/observations") and cross_origin_allowed("/sdmx/data/x")
    assert cross_origin_allowed("/api/v1/casesx")  # a look-alike is not a cases prefix
    for path in [*API_V1, *(p + "/1" for p in API_V1), "/cases/", "/cases", "/cases/api/v1/cases", "/es/",
                 "/static/site.css", "/", "/api", "/sdmxx"]:
        assert not cross_origin_allowed(path), path
    assert under_cases_api("/api/v1/people/3")  # the cases side's errors read the same one list
