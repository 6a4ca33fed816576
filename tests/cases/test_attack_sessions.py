"""Adversarial review of the cases sign-in: the cookies' flags over HTTPS.

The deployment (docs/deployment.md) puts the servers behind a TLS proxy and names it in
OBSERVATORIO_FORWARDED_ALLOW_IPS, so uvicorn sees the request as ``https``; nothing there sets
OBSERVATORIO_CASES_SECURE_COOKIES. A session cookie without ``Secure`` is then sent by the
browser over any plain-HTTP request to the host (a typed ``http://`` address, an ``<img>`` on
another site), where anyone on the path reads it and signs in as the officer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from observatorio.cases.runtime import Runtime
from observatorio.cases.web import PRELOGIN_COOKIE, SESSION_COOKIE

from .conftest import PASSWORD, make_app


@pytest.fixture
def https_client(rt: Runtime) -> Iterator[TestClient]:
    """A client whose requests arrive over HTTPS (as behind the deployment's TLS proxy)."""
    with TestClient(make_app(rt), base_url="https://testserver") as c:
        yield c


def _set_cookie(response, name: str) -> str:
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return found[0]


def test_cookies_set_over_https_are_secure_without_any_setting(https_client, rt, world) -> None:
    assert rt.config.secure_cookies is False  # as deployed by docs/deployment.md
    form = https_client.get("/cases/login")
    assert "secure" in _set_cookie(form, PRELOGIN_COOKIE).lower().split("; ")
    csrf = re.search(r"name='csrf_token' value='([0-9a-f]+)'", form.text)
    assert csrf
    r = https_client.post("/cases/login", data={"username": "gtm_head", "password": PASSWORD,
                                                "csrf_token": csrf.group(1)}, follow_redirects=False)
    assert r.status_code == 303
    session = _set_cookie(r, SESSION_COOKIE)
    assert "secure" in session.lower().split("; "), session
    assert "httponly" in session.lower().split("; ")


def test_plain_http_keeps_working_for_a_local_trial(client, world) -> None:
    """Without HTTPS (a laptop, the tests) the cookie must still come back, so no Secure there."""
    form = client.get("/cases/login")
    assert "secure" not in _set_cookie(form, PRELOGIN_COOKIE).lower().split("; ")
