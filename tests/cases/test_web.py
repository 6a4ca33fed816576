"""Web login form and case list: session cookie, CSRF, throttling, escaping."""

from __future__ import annotations

import re

from observatorio.cases.web import PRELOGIN_COOKIE, SESSION_COOKIE

from .conftest import PASSWORD, login


def _csrf(html: str) -> str:
    m = re.search(r"name='csrf_token' value='([0-9a-f]+)'", html)
    assert m
    return m.group(1)


def _web_login(client, username: str = "gtm_head", password: str = PASSWORD):
    form = client.get("/cases/login")
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    return client.post("/cases/login", data={"username": username, "password": password,
                                             "csrf_token": _csrf(form.text)}, follow_redirects=False)


def test_login_and_list(client, seeded) -> None:
    r = _web_login(client)
    assert r.status_code == 303 and r.headers["location"] == "/cases/work?lang=es"
    cookie = r.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    page = client.get("/cases/")
    assert page.status_code == 200
    assert "caso gtm_mex" in page.text and "caso hnd_mex" not in page.text
    assert page.headers["x-frame-options"] == "DENY"


def test_login_requires_csrf(client, seeded) -> None:
    client.get("/cases/login")
    r = client.post("/cases/login", data={"username": "gtm_head", "password": PASSWORD, "csrf_token": "0" * 64},
                    follow_redirects=False)
    assert r.status_code == 403
    client.cookies.delete(PRELOGIN_COOKIE, path="/cases")
    r = client.post("/cases/login", data={"username": "gtm_head", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403


def test_logout_requires_csrf(client, seeded) -> None:
    _web_login(client)
    page = client.get("/cases/")
    assert client.post("/cases/logout", data={"csrf_token": "forged"}, follow_redirects=False).status_code == 403
    r = client.post("/cases/logout", data={"csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303


def test_signing_in_and_out_keep_the_language(client, seeded) -> None:
    # the officer who chose English lands on English pages, and a refusal is in English only
    form = client.get("/cases/login?lang=en")
    bad = client.post("/cases/login?lang=en", data={"username": "gtm_head", "password": "wrong password!",
                                                    "csrf_token": _csrf(form.text)}, follow_redirects=False)
    assert bad.status_code == 401 and " / " not in _notice(bad.text)
    form = client.get("/cases/login?lang=en")
    r = client.post("/cases/login?lang=en", data={"username": "gtm_head", "password": PASSWORD,
                                                  "csrf_token": _csrf(form.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cases/work?lang=en"
    page = client.get("/cases/?lang=en")
    out = client.post("/cases/logout?lang=en", data={"csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/cases/login?lang=en"


def _notice(html: str) -> str:
    found = re.search(r'role="alert"[^>]*>(.*?)<', html, re.S)
    assert found, html
    return found.group(1).strip()


def test_list_requires_session(client, seeded) -> None:
    r = client.get("/cases/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cases/login"
    # an API bearer token is not a session cookie
    token = login(client, "gtm_head")["Authorization"].split()[1]
    client.cookies.set(SESSION_COOKIE, token, path="/cases")
    assert client.get("/cases/", follow_redirects=False).status_code == 303


def test_web_login_throttled(client, rt, seeded) -> None:
    for _ in range(rt.config.max_failures_per_user_ip):
        assert _web_login(client, password="wrong").status_code == 401
    r = _web_login(client)
    assert r.status_code == 429 and "Demasiados" in r.text


def test_output_is_escaped(client, rt, seeded) -> None:
    h = login(client, "gtm_head")
    client.patch(f"/api/v1/cases/{seeded.cases['gtm_mex']}", json={"version": 1, "summary": "<script>x()</script>"},
                 headers=h)
    _web_login(client)
    page = client.get("/cases/")
    assert "<script>x()" not in page.text and "&lt;script&gt;" in page.text


def test_a_second_sign_in_tab_leaves_the_first_one_working(client, seeded) -> None:
    first = client.get("/cases/login")
    client.get("/cases/login")  # the same browser opens the form again in another tab
    r = client.post("/cases/login", data={"username": "gtm_head", "password": PASSWORD,
                                          "csrf_token": _csrf(first.text)}, follow_redirects=False)
    assert r.status_code == 303, r.text


def test_a_forged_pre_login_cookie_is_not_reused(client, seeded) -> None:
    client.cookies.set(PRELOGIN_COOKIE, "not a nonce;", path="/cases")
    form = client.get("/cases/login")
    assert "not a nonce" not in form.headers["set-cookie"]
