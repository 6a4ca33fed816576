"""Signing in leads to the page asked for (``next``): a notice's link, a page left when the session
expired. ``next`` is an open redirect unless checked: every foreign or disguised value lands on
"my work", and the page landed on still applies its own policy."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi import Request
from sqlalchemy import select

from observatorio.cases.models import AuditEntry
from observatorio.cases.next_path import MY_WORK, landing, safe_next, wanted_page

from .conftest import PASSWORD
from .test_session_idle import _idle_for

#: Values an attacker may put in ``next`` (a link in a phishing mail, a forged form): none of them
#: may lead anywhere but "my work".
NASTY = [
    "https://evil.example/cases/", "http://evil.example", "//evil.example/cases/", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "/cases\\..\\..\\evil", "/cases/\\evil",
    "/%2F%2Fevil.example", "/cases/%2F%2Fevil.example", "%2Fcases%2Fwork", "/cases/%2e%2e/x", "/cases/%252e%252e/x",
    "/cases/../x", "/cases/./c/1", "/cases/c/../../admin", "/cases//evil.example", "/cases/c/1//",
    "/x/cases/c/1", "/casesx/c/1", "/cases", "cases/c/1", " /cases/c/1", "/cases/c/1 ", "/cases/c/1\r\nSet-Cookie: a=b",
    "/cases/c/1\x00", "/cases/c/1\t", "/cases/c/\u0131", "/cases/c/１", "/cases/c/1#frag",
    "/cases/c/1?x=%0d%0aLocation:%20//evil", "/cases/c/1?x=%00", "/cases/c/1?x=\x7f", "/cases/c/1?x=a b",
    "/cases/c/1?x=<script>", "/cases/c/1?u=http://evil", "/cases/c/1@evil.example", "/cases/c/1:80",
    "javascript:alert(1)", "data:text/html,x", "/cases/login", "/cases/login?next=//evil.example",
    "/cases/logout", "/cases/api/v1/cases", "", "/cases/" + "a" * 600,
    # downloads of personal data, not pages: a forged link must not start one at sign-in
    "/cases/export.csv", "/cases/export.csv?status=open", "/cases/referrals/incoming.csv",
]


@pytest.mark.parametrize("raw", NASTY)
def test_a_foreign_or_disguised_next_is_dropped(raw: str) -> None:
    assert safe_next(raw) is None
    assert landing(raw, "es") == f"{MY_WORK}?lang=es"


@pytest.mark.parametrize(("raw", "kept"), [
    ("/cases/c/12", "/cases/c/12"), ("/cases/referrals/3", "/cases/referrals/3"), ("/cases/inbox", "/cases/inbox"),
    ("/cases/c/12?lang=en", "/cases/c/12"), ("/cases/?status=open&lang=en&next=/cases/c/1", "/cases/?status=open"),
    ("/cases/?q=Mar%C3%ADa", "/cases/?q=Mar%C3%ADa"), ("/cases/c/12/trail", "/cases/c/12/trail"),
])
def test_a_page_of_the_officer_pages_is_kept_without_its_language(raw: str, kept: str) -> None:
    assert safe_next(raw) == kept
    assert landing(raw, "en") == f"{kept}{'&' if '?' in kept else '?'}lang=en"


def _csrf(html: str) -> str:
    m = re.search(r"name='csrf_token' value='([0-9a-f]+)'", html)
    assert m
    return m.group(1)


def _sign_in(client, login_url: str, username: str = "gtm_head", next_field: str | None = None):
    """Open the login form at ``login_url`` and send it as its page does (its hidden ``next``,
    unless ``next_field`` forges one)."""
    form = client.get(login_url)
    assert form.status_code == 200
    data = {"username": username, "password": PASSWORD, "csrf_token": _csrf(form.text)}
    hidden = re.search(r'name="next" value="([^"]*)"', form.text)
    if next_field is not None:
        data["next"] = next_field
    elif hidden:
        data["next"] = hidden.group(1).replace("&amp;", "&")
    lang = parse_qs(urlsplit(login_url).query).get("lang", ["es"])[0]
    return client.post(f"/cases/login?lang={lang}", data=data, follow_redirects=False)


def test_a_notice_link_leads_to_its_page_after_sign_in(client, seeded) -> None:
    case_id = seeded.cases["gtm_mex"]
    asked = client.get(f"/cases/c/{case_id}?lang=en", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == f"/cases/login?lang=en&next=%2Fcases%2Fc%2F{case_id}"
    r = _sign_in(client, asked.headers["location"])
    assert r.status_code == 303 and r.headers["location"] == f"/cases/c/{case_id}?lang=en"
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "caso gtm_mex" in page.text


def test_the_home_pages_and_forms_sent_without_a_session_carry_no_next(client, seeded) -> None:
    for home in ("/cases/work", "/cases/"):
        assert client.get(home, follow_redirects=False).headers["location"] == "/cases/login"
    case_id = seeded.cases["gtm_mex"]
    sent = client.post(f"/cases/c/{case_id}/notes", data={"body": "x"}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/cases/login"


@pytest.mark.parametrize(("raw_path", "query", "method", "wanted"), [
    (b"/cases/c/7", b"lang=en", "GET", "/cases/c/7"),
    (b"/cases/%2F%2Fevil.example", b"", "GET", None),  # decoded, the path would read /cases///evil.example
    (b"/cases/c/%2e%2e/%2e%2e/x", b"", "GET", None),
    (b"/cases/c/7", b"x=%0d%0a", "GET", None),
    (b"/cases/c/7", b"", "POST", None),
    (b"/cases/work", b"lang=en", "GET", None),
])
def test_the_page_asked_for_is_read_undecoded(raw_path: bytes, query: bytes, method: str, wanted: str | None) -> None:
    scope = {"type": "http", "method": method, "path": unquote(raw_path.decode()), "raw_path": raw_path,
             "query_string": query, "headers": [], "scheme": "http", "server": ("testserver", 80)}
    assert wanted_page(Request(scope)) == wanted


def test_an_expired_session_comes_back_to_its_page(client, rt, seeded) -> None:
    assert _sign_in(client, "/cases/login").headers["location"] == f"{MY_WORK}?lang=es"
    _idle_for(rt, minutes=31)
    case_id = seeded.cases["gtm_mex"]
    r = client.get(f"/cases/c/{case_id}", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/cases/login?expired=1&lang=es&next=%2Fcases%2Fc%2F{case_id}"
    form = client.get(r.headers["location"]).text
    assert "Su sesión expiró" in form and f'name="next" value="/cases/c/{case_id}"' in form
    again = _sign_in(client, r.headers["location"])
    assert again.headers["location"] == f"/cases/c/{case_id}?lang=es"


@pytest.mark.parametrize("raw", NASTY)
def test_a_forged_next_signs_in_to_my_work(client, seeded, raw: str) -> None:
    # the login form refuses to carry it, and a form sent with it anyway lands on "my work"
    form = client.get("/cases/login", params={"next": raw})
    assert form.status_code == 200 and 'name="next"' not in form.text
    r = _sign_in(client, "/cases/login", next_field=raw)
    assert r.status_code == 303 and r.headers["location"] == f"{MY_WORK}?lang=es"


def test_a_failed_sign_in_keeps_the_page_asked_for(client, seeded) -> None:
    case_id = seeded.cases["gtm_mex"]
    form = client.get(f"/cases/login?next=/cases/c/{case_id}")
    bad = client.post("/cases/login", data={"username": "gtm_head", "password": "wrong password!",
                                            "csrf_token": _csrf(form.text), "next": f"/cases/c/{case_id}"})
    assert bad.status_code == 401 and f'name="next" value="/cases/c/{case_id}"' in bad.text


def test_the_page_landed_on_still_refuses_an_officer_who_may_not_read_it(client, rt, seeded) -> None:
    case_id = seeded.cases["gtm_mex"]  # a Guatemalan consulate's case; hnd_officer may not read it
    asked = client.get(f"/cases/c/{case_id}", follow_redirects=False).headers["location"]
    r = _sign_in(client, asked, username="hnd_officer")
    assert r.headers["location"] == f"/cases/c/{case_id}?lang=es"
    page = client.get(r.headers["location"])
    assert page.status_code == 404  # the usual refusal: as if there were no such case
    assert "caso gtm_mex" not in page.text and "Persona gtm_mex" not in page.text
    with rt.sessions() as s:
        denied = s.scalars(select(AuditEntry).where(AuditEntry.actor == "hnd_officer",
                                                    AuditEntry.record_id == str(case_id))).all()
    assert [(e.action, e.outcome) for e in denied] == [("case.read", "denied")]
