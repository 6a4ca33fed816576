"""Every cases route that takes an integer id (path or form) answers a huge one with a 404 or a
422 naming it, never a 500 — on PostgreSQL an id beyond INTEGER/BIGINT fails in the driver."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from observatorio.cases.bounds import MAX_ID
from observatorio.cases.page_kit import PageRoute
from observatorio.cases.runtime import Runtime
from publish.app_routes import flat_routes  # tests/ is on sys.path (root conftest)

from .conftest import PASSWORD, TEST_SETTINGS
from .test_web import _csrf, _web_login

HUGE = [str(2**31), "99999999999999999999"]
# Form fields that carry an id (the form posts of the older officer routes)
FORM_IDS = ("person_id", "assignee_id", "organisation_id", "relative_id", "consent_id", "version",
            "provider_organisation_id", "to_organisation_id")


def _is_cases(route: APIRoute) -> bool:
    return route.endpoint.__module__.startswith(("observatorio.cases", "observatorio.submissions"))


def _int_params(route: APIRoute) -> list[str]:
    return [p.name for p in route.dependant.path_params if p.field_info.annotation is int]


@pytest.fixture
def full_app(rt: Runtime) -> FastAPI:
    from observatorio.publish.api.app import create_app
    from observatorio.publish.api.cases_side import load_cases_side

    app = create_app(TEST_SETTINGS)
    app.state.cases_runtime = rt
    load_cases_side(app)  # its routes are walked before any request would load them
    return app


def _cases_routes(app: FastAPI) -> list[APIRoute]:
    return [r for r in flat_routes(app.routes) if isinstance(r, APIRoute) and _is_cases(r)]


def test_the_walk_finds_the_routes(full_app) -> None:
    walked = {(next(iter(r.methods)), r.path) for r in _cases_routes(full_app) if _int_params(r)}
    # a positive control: the walk sees old and new routes, pages and API
    assert {("POST", "/cases/c/{case_id}/transition"), ("GET", "/api/v1/cases/{case_id}"),
            ("POST", "/cases/submissions/{submission_id}/decision")} <= walked
    assert len(walked) > 40


def test_every_integer_path_parameter_is_bounded(full_app) -> None:
    """The class, statically: an integer path id of a cases route is a bounds.PathId (a new
    route with a bare ``int`` fails here before it can reach the database)."""
    unbounded = []
    for route in _cases_routes(full_app):
        for param in route.dependant.path_params:
            if param.field_info.annotation is not int:
                continue
            highest = [m.le for m in param.field_info.metadata if getattr(m, "le", None) is not None]
            if not highest or highest[0] > MAX_ID:
                unbounded.append((route.path, param.name))
    assert not unbounded


def test_every_page_route_answers_refusals_as_pages(full_app) -> None:
    pages = [r for r in _cases_routes(full_app) if r.path.startswith("/cases/")]
    assert pages and all(isinstance(r, PageRoute) for r in pages), [r.path for r in pages
                                                                   if not isinstance(r, PageRoute)]


def _url(route: APIRoute, value: str) -> str:
    ints = set(_int_params(route))
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: value if m.group(1) in ints else "x", route.path)


def _send(client: TestClient, method: str, url: str, token: str, bearer: dict[str, str],
          form: dict[str, str] | None = None) -> Any:
    if url.startswith("/api/"):
        body = dict.fromkeys(FORM_IDS, int(form["version"])) if form else {}
        return client.request(method, url, json=body if method != "GET" else None, headers=bearer)
    if method == "GET":
        return client.get(url, follow_redirects=False)
    return client.post(url, data={"csrf_token": token, **(form or {})}, follow_redirects=False)


@pytest.fixture
def signed_in(full_app, seeded) -> Iterator[tuple[TestClient, str, dict[str, str]]]:
    with TestClient(full_app, raise_server_exceptions=False) as client:
        assert _web_login(client, "gtm_head").status_code == 303
        token = _csrf(client.get("/cases/work").text)
        api = client.post("/api/v1/auth/token", data={"username": "gtm_head", "password": PASSWORD})
        yield client, token, {"Authorization": f"Bearer {api.json()['access_token']}"}


def test_every_integer_path_id_beyond_the_column_is_a_4xx(full_app, signed_in) -> None:
    client, token, bearer = signed_in
    failures = []
    for route in _cases_routes(full_app):
        if not _int_params(route):
            continue
        for method in route.methods:
            for value in HUGE:
                url = _url(route, value)
                r = _send(client, method, url, token, bearer)
                page = url.startswith("/cases/")
                if r.status_code not in (404, 422) or (page and not r.headers["content-type"].startswith("text/html")):
                    failures.append((method, url, r.status_code))
                elif page:  # the not-found page, in the page's language
                    assert "No existe ese registro" in r.text, (method, url)
    assert not failures, "\n".join(map(str, failures))
    en = client.get(f"/cases/submissions/{HUGE[1]}?lang=en")
    assert en.status_code == 404 and "No such record" in en.text


def test_huge_form_and_query_ids_never_reach_the_database(full_app, seeded, signed_in) -> None:
    """Every form post of a cases route (on a real case) with every id field huge: a refusal,
    never a 500."""
    client, token, bearer = signed_in
    case = str(seeded.cases["gtm_mex"])
    failures = []
    for route in _cases_routes(full_app):
        for method in route.methods - {"GET"}:
            for value in HUGE:
                url = _url(route, case)
                r = _send(client, method, url, token, bearer, dict.fromkeys(FORM_IDS, value))
                if r.status_code >= 500:
                    failures.append((method, url, r.status_code))
    for url in (f"/cases/c/new?person_id={HUGE[1]}", f"/cases/reception/a/1/intake?after={HUGE[0]}&entry={HUGE[1]}"):
        r = client.get(url)
        if r.status_code >= 500:
            failures.append(("GET", url, r.status_code))
    r = client.post("/cases/submissions/", data={"csrf_token": token, "source": f"{HUGE[1]}:x"},
                    files={"file": ("a.csv", b"x,y\n")})
    if r.status_code >= 500:
        failures.append(("POST", "/cases/submissions/", r.status_code))
    assert not failures, "\n".join(map(str, failures))


def test_a_refused_form_field_is_a_bilingual_page_naming_it(seeded, signed_in) -> None:
    client, token, _ = signed_in
    case = seeded.cases["gtm_mex"]
    for lang, word in (("es", "body"), ("en", "body")):
        r = client.post(f"/cases/c/{case}/notes?lang={lang}", data={"csrf_token": token, "body": "x" * 20001})
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), r.text[:200]
        assert word in r.text and "Traceback" not in r.text
    es = client.post(f"/cases/c/{case}/notes?lang=es", data={"csrf_token": token, "body": "x" * 20001}).text
    en = client.post(f"/cases/c/{case}/notes?lang=en", data={"csrf_token": token, "body": "x" * 20001}).text
    assert es != en


def test_a_form_without_its_required_fields_is_a_page(client) -> None:
    """The login form posted without its fields: FastAPI's English JSON before, a page now."""
    for lang, says in (("es", "username"), ("en", "username")):
        r = client.post(f"/cases/login?lang={lang}", data={})
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), r.text[:200]
        assert says in r.text
