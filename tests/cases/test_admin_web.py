"""Account administration in the browser (cases/admin_web.py): only ``user.manage`` opens the
pages, every other role's attempt is a 403 with a "denied" audit entry, a form without its CSRF
token changes nothing; what an administrator does there takes effect (a new account signs in with
the password shown once, a granted or revoked role changes what the account can open, a
deactivated account's session stops); the last administrator is kept; the shown password is in
no audit entry and no later page. Both backends (the ``rt`` fixture)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from observatorio.cases.models import AuditEntry, Membership, Organisation, User

from .conftest import PASSWORD, USERS, make_app
from .test_web import _csrf, _web_login

SECRET = re.compile(r'<code class="cases-secret">([^<]+)</code>')


@pytest.fixture
def app(rt) -> FastAPI:
    from observatorio.cases.admin_web import router as admin_router

    app = make_app(rt)
    app.include_router(admin_router)
    return app


@pytest.fixture
def web(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def other(app) -> Iterator[TestClient]:
    """A second browser: the account the administrator changes."""
    with TestClient(app) as client:
        yield client


def _sign_in(client: TestClient, user: str, password: str = PASSWORD) -> str:
    """Sign ``user`` in; their CSRF token (from "my work")."""
    client.cookies.clear()
    assert _web_login(client, user, password).status_code == 303, user
    return _csrf(client.get("/cases/work").text)


def _audit(rt) -> list[AuditEntry]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _routes(world) -> list[tuple[str, str, dict[str, str]]]:
    target, org = world.users["gtm_officer"], world.orgs["gtm_consulate_mex"]
    return [
        ("GET", "/cases/admin/users", {}),
        ("GET", f"/cases/admin/users?org={org}", {}),
        ("GET", "/cases/admin/users/new", {}),
        ("POST", "/cases/admin/users/new", {"username": "intrusa", "organisation_id": str(org),
                                            "role": "admin"}),
        ("GET", f"/cases/admin/users/{target}", {}),
        ("POST", f"/cases/admin/users/{target}/grant", {"organisation_id": str(org), "role": "admin"}),
        ("POST", f"/cases/admin/users/{target}/revoke", {"organisation_id": str(org), "role": "consular_officer"}),
        ("POST", f"/cases/admin/users/{target}/deactivate", {}),
        ("POST", f"/cases/admin/users/{target}/activate", {}),
        ("POST", f"/cases/admin/users/{target}/password", {}),
        ("GET", "/cases/admin/organisations", {}),
        ("POST", "/cases/admin/organisations", {"name": "Intrusa", "kind": "civil_society", "country": "GTM"}),
    ]


def _state(rt) -> tuple:
    """What the pages could change: accounts (with their hashes), roles, organisations."""
    with rt.sessions() as s:
        return (sorted(s.execute(select(User.username, User.active, User.password_hash)).all()),
                sorted(s.execute(select(Membership.user_id, Membership.organisation_id, Membership.role)).all()),
                s.scalar(select(func.count()).select_from(Organisation)))


def test_only_user_manage_opens_the_pages_and_every_refusal_is_audited(web, rt, world) -> None:
    routes = _routes(world)
    before = _state(rt)
    for user, (_org, role) in USERS.items():
        if role == "admin":
            continue
        token = _sign_in(web, user)
        nav = web.get("/cases/work").text
        assert "/cases/admin/users" not in nav, user  # no menu link to a page that answers 403
        for method, path, data in routes:
            seen = len(_audit(rt))
            r = web.request(method, path, data={**data, "csrf_token": token} if method == "POST" else None,
                            follow_redirects=False)
            assert r.status_code == 403, (user, method, path, r.status_code)
            assert "Gestionar usuarios y organizaciones" in unescape(r.text), (user, path)
            new = _audit(rt)[seen:]
            assert [(e.actor, e.outcome) for e in new] == [(user, "denied")], (user, method, path)
    assert _state(rt) == before  # nothing any of them sent was written
    # anonymous: the sign-in form, nothing shown
    web.cookies.clear()
    for method, path, data in routes:
        r = web.request(method, path, data=data or None, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/cases/login"), (method, path)
    # the administrator: every page opens, and the menu leads there
    _sign_in(web, "admin")
    assert 'href="/cases/admin/users?lang=es"' in web.get("/cases/work").text
    for method, path, _data in routes:
        if method == "GET":
            assert web.get(path).status_code == 200, path


def _create(web: TestClient, token: str, world, username: str, role: str = "consular_officer",
            lang: str = "es") -> tuple[int, str]:
    r = web.post(f"/cases/admin/users/new?lang={lang}", data={
        "csrf_token": token, "username": username, "full_name": "Ana Nueva",
        "organisation_id": str(world.orgs["gtm_consulate_mex"]), "role": role})
    assert r.status_code == 200, r.text
    password = unescape(SECRET.search(r.text).group(1))
    user_id = int(re.search(r'href="/cases/admin/users/(\d+)\?', r.text).group(1))
    return user_id, password


def test_a_created_account_signs_in_with_the_password_shown_once(web, other, rt, world) -> None:
    token = _sign_in(web, "admin")
    user_id, password = _create(web, token, world, "ana.nueva")
    assert len(password) >= 12
    _sign_in(other, "ana.nueva", password)
    assert other.get("/cases/").status_code == 200  # a consular officer reads the case list
    # the password is in no audit entry, and no later page shows it
    for entry in _audit(rt):
        assert password not in " ".join(str(getattr(entry, c.key)) for c in AuditEntry.__table__.columns)
    assert [e.action for e in _audit(rt) if e.actor == "admin" and e.record_id == str(user_id)][-2:] == \
        ["user.create", "user.grant"]
    for page in ("/cases/admin/users", f"/cases/admin/users/{user_id}", "/cases/admin/users/new",
                 f"/cases/admin/users?org={world.orgs['gtm_consulate_mex']}", "/cases/admin/organisations"):
        shown = web.get(page)
        assert shown.status_code == 200 and password not in shown.text, page
    listing = web.get("/cases/admin/users").text
    assert "ana.nueva" in listing and "Ana Nueva" in listing
    # a taken name is refused with the service's message, nothing written
    before = _state(rt)
    again = web.post("/cases/admin/users/new", data={"csrf_token": token, "username": "ana.nueva",
                                                      "organisation_id": str(world.orgs["gtm_consulate_mex"]),
                                                      "role": "consular_officer"})
    assert again.status_code == 409 and "ana.nueva" in unescape(again.text) and not SECRET.search(again.text)
    assert _state(rt) == before


def test_a_new_password_replaces_the_old_and_ends_the_sessions(web, other, rt, world) -> None:
    token = _sign_in(web, "admin")
    _sign_in(other, "gtm_officer")
    target = world.users["gtm_officer"]
    r = web.post(f"/cases/admin/users/{target}/password?lang=en", data={"csrf_token": token})
    assert r.status_code == 200 and "Password of 'gtm_officer' changed" in unescape(r.text)
    password = unescape(SECRET.search(r.text).group(1))
    assert other.get("/cases/work", follow_redirects=False).status_code == 303  # the session ended
    other.cookies.clear()
    assert _web_login(other, "gtm_officer").status_code == 401  # the old password stops working
    _sign_in(other, "gtm_officer", password)
    assert password not in web.get(f"/cases/admin/users/{target}").text
    assert all(password not in (e.fields + e.actor + (e.record_id or "")) for e in _audit(rt))


def test_granted_and_revoked_roles_change_what_the_account_can_do(web, other, rt, world) -> None:
    token = _sign_in(web, "admin")
    target, regional = world.users["gtm_officer"], world.orgs["regional_io"]
    _sign_in(other, "gtm_officer")
    assert other.get("/cases/admin/users").status_code == 403
    r = web.post(f"/cases/admin/users/{target}/grant", data={"csrf_token": token, "organisation_id": str(regional),
                                                             "role": "admin"}, follow_redirects=False)
    assert r.status_code == 303
    assert "Rol concedido" in web.get(r.headers["location"]).text
    assert other.get("/cases/admin/users").status_code == 200  # granted: read per request
    assert "/cases/admin/users" in other.get("/cases/work").text  # and the menu offers it
    r = web.post(f"/cases/admin/users/{target}/revoke", data={"csrf_token": token, "organisation_id": str(regional),
                                                              "role": "admin"}, follow_redirects=False)
    assert r.status_code == 303
    assert other.get("/cases/admin/users", follow_redirects=False).status_code == 303  # sessions ended
    _sign_in(other, "gtm_officer")
    assert other.get("/cases/admin/users").status_code == 403
    # an unknown role: the service's refusal naming the policy's roles, nothing written
    before = _state(rt)
    bad = web.post(f"/cases/admin/users/{target}/grant", data={"csrf_token": token,
                                                               "organisation_id": str(regional), "role": "jefa"})
    assert bad.status_code == 422 and "jefa" in unescape(bad.text) and "consular_officer" in bad.text
    assert _state(rt) == before


def test_a_deactivated_account_stops_at_once_and_can_come_back(web, other, rt, world) -> None:
    token = _sign_in(web, "admin")
    target = world.users["gtm_officer"]
    _sign_in(other, "gtm_officer")
    r = web.post(f"/cases/admin/users/{target}/deactivate", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "Cuenta desactivada" in web.get(r.headers["location"]).text
    assert other.get("/cases/work", follow_redirects=False).status_code == 303
    other.cookies.clear()
    assert _web_login(other, "gtm_officer").status_code != 303
    r = web.post(f"/cases/admin/users/{target}/activate", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    _sign_in(other, "gtm_officer")


@pytest.mark.parametrize(("lang", "text"), [("es", "es la última cuenta activa"), ("en", "is the last active")])
def test_the_last_administrator_is_kept(web, rt, world, lang, text) -> None:
    token = _sign_in(web, "admin")
    admin, regional = world.users["admin"], world.orgs["regional_io"]
    before, audited = _state(rt), len(_audit(rt))
    for path, data in ((f"/cases/admin/users/{admin}/deactivate", {}),
                       (f"/cases/admin/users/{admin}/revoke", {"organisation_id": str(regional), "role": "admin"})):
        r = web.post(f"{path}?lang={lang}", data={"csrf_token": token, **data})
        assert r.status_code == 409 and text in unescape(r.text), path
        assert f'<html lang="{lang}">' in r.text
    assert _state(rt) == before and len(_audit(rt)) == audited  # nothing written, not even the audit
    assert web.get("/cases/admin/users").status_code == 200  # still signed in, still administering


def test_a_form_without_its_csrf_token_changes_nothing(web, rt, world) -> None:
    token = _sign_in(web, "admin")
    before, audited = _state(rt), len(_audit(rt))
    for method, path, data in _routes(world):
        if method != "POST":
            continue
        for forged in (None, "f" * 64):
            body = dict(data) | ({"csrf_token": forged} if forged else {})
            assert web.post(path, data=body, follow_redirects=False).status_code == 403, path
    assert _state(rt) == before and len(_audit(rt)) == audited
    assert token  # the session's own token was never sent


def test_organisations_are_created_through_the_service_checks(web, rt, world) -> None:
    token = _sign_in(web, "admin")
    before = _state(rt)
    bad = web.post("/cases/admin/organisations?lang=en", data={"csrf_token": token, "name": "Consulado nuevo",
                                                                "kind": "consulate", "country": "GTM"})
    assert bad.status_code == 422 and "needs its host country" in unescape(bad.text)  # the form's words
    assert "--host-country" not in bad.text  # not the CLI's option
    assert 'value="Consulado nuevo"' in bad.text  # the form keeps what was typed
    nowhere = web.post("/cases/admin/organisations", data={"csrf_token": token, "name": "X", "kind": "civil_society",
                                                            "country": "ZZZ"})
    assert nowhere.status_code == 422 and "País: «ZZZ»" in unescape(nowhere.text)
    # a city longer than its column (120) is the service's refusal, in the form's words (the
    # page once checked 200 on its own, and PostgreSQL failed the insert between the two)
    far = web.post("/cases/admin/organisations?lang=en", data={"csrf_token": token, "name": "Y",
                                                                "kind": "civil_society", "country": "GTM",
                                                                "city": "C" * 121})
    assert far.status_code == 422 and "City is too long (121 characters): use at most 120." in unescape(far.text)
    assert "--city" not in far.text
    assert _state(rt) == before
    ok = web.post("/cases/admin/organisations", data={"csrf_token": token, "name": "Consulado nuevo",
                                                       "kind": "consulate", "country": "gtm", "host_country": "USA",
                                                       "city": "Miami"}, follow_redirects=False)
    assert ok.status_code == 303
    page = web.get(ok.headers["location"]).text
    assert "Organización creada" in page and "Consulado nuevo" in page
    assert [e.action for e in _audit(rt)][-1] == "organisation.create"
    # the new organisation is offered where an account gets a role
    assert "Consulado nuevo" in web.get("/cases/admin/users/new").text


def test_out_of_range_ids_are_answered_as_missing(web, rt, world) -> None:
    token = _sign_in(web, "admin")
    assert web.get("/cases/admin/users/999999").status_code == 404
    assert web.get("/cases/admin/users?org=99999999999999999999").status_code == 404
    r = web.post(f"/cases/admin/users/{world.users['gtm_officer']}/grant",
                 data={"csrf_token": token, "organisation_id": "99999999999999999999", "role": "admin"})
    assert r.status_code == 404


@pytest.fixture
def country_admin(monkeypatch):
    """The policy with ``user.manage`` held by ``admin`` at country scope only (the bundled one
    holds it region-wide): what a narrower grant would let an administrator see and change."""
    import dataclasses

    from observatorio.cases import policy

    load = policy._load

    def narrowed(text: str) -> policy.Policy:
        loaded = load(text)
        admin = loaded.roles["admin"]
        roles = loaded.roles | {"admin": dataclasses.replace(admin, grants=admin.grants | {"user.manage": "country"})}
        return dataclasses.replace(loaded, roles=roles)

    policy.get_policy.cache_clear()
    monkeypatch.setattr(policy, "_load", narrowed)
    yield
    monkeypatch.undo()
    policy.get_policy.cache_clear()


def test_nothing_outside_the_grant_scope_is_shown_or_changed(country_admin, web, rt, world) -> None:
    """The admin of the regional office (CRI) at country scope: accounts whose every role is in a
    CRI organisation only; a Guatemalan account or organisation is answered as missing (and the
    attempt audited), never listed, never changed."""
    token = _sign_in(web, "admin")
    gtm_user, gtm_org, regional = world.users["gtm_officer"], world.orgs["gtm_consulate_mex"], world.orgs["regional_io"]
    listing = web.get("/cases/admin/users").text
    assert "auditor" in listing and "gtm_officer" not in listing and "hnd_head" not in listing
    assert "Consulado de Guatemala" not in listing  # not even offered in the filter
    before = _state(rt)
    attempts = [("GET", f"/cases/admin/users/{gtm_user}", {}), ("GET", f"/cases/admin/users?org={gtm_org}", {}),
                ("POST", f"/cases/admin/users/{gtm_user}/deactivate", {}),
                ("POST", f"/cases/admin/users/{gtm_user}/password", {}),
                ("POST", f"/cases/admin/users/{world.users['auditor']}/grant",
                 {"organisation_id": str(gtm_org), "role": "admin"}),
                ("POST", "/cases/admin/users/new", {"username": "fuera", "organisation_id": str(gtm_org),
                                                    "role": "consular_officer"})]
    for method, path, data in attempts:
        seen = len(_audit(rt))
        r = web.request(method, path, data={**data, "csrf_token": token} if method == "POST" else None)
        assert r.status_code == 404 and "gtm_officer" not in r.text and not SECRET.search(r.text), path
        assert [(e.actor, e.outcome) for e in _audit(rt)[seen:]] == [("admin", "denied")], path
    r = web.post("/cases/admin/organisations", data={"csrf_token": token, "name": "Otra", "kind": "civil_society",
                                                     "country": "GTM"})
    assert r.status_code == 403 and _audit(rt)[-1].outcome == "denied"
    assert _state(rt) == before
    # inside the grant, a role that reaches no wider than the administrator (country) is given
    ok = web.post(f"/cases/admin/users/{world.users['auditor']}/grant",
                  data={"csrf_token": token, "organisation_id": str(regional), "role": "caseworker"},
                  follow_redirects=False)
    assert ok.status_code == 403  # … but not to the auditor, whose own role reads the whole region
    created = web.post("/cases/admin/users/new", data={"csrf_token": token, "username": "nueva.caso",
                                                       "organisation_id": str(regional), "role": "caseworker"})
    assert created.status_code == 200 and "nueva.caso" in created.text
    # a region-reaching role is neither given nor taken over by a new password (review finding)
    for path, data in (("/cases/admin/users/new", {"username": "otra.auditora", "organisation_id": str(regional),
                                                   "role": "auditor"}),
                       (f"/cases/admin/users/{world.users['auditor']}/password", {})):
        seen = len(_audit(rt))
        r = web.post(path + "?lang=en", data={**data, "csrf_token": token})
        assert r.status_code == 403 and "auditor" in r.text and not SECRET.search(r.text), path
        assert [(e.actor, e.outcome) for e in _audit(rt)[seen:]] == [("admin", "denied")], path


def test_an_administrator_of_narrower_reach_makes_no_administrator(country_admin, web, rt, world) -> None:
    """Inside their own reach, the country-scope admin still cannot give a role that manages
    accounts (it would reach every organisation its grant scope names, perhaps wider than theirs):
    refused, audited, nothing written; other roles are given as before."""
    token = _sign_in(web, "admin")
    regional, auditor = world.orgs["regional_io"], world.users["auditor"]
    before = _state(rt)
    for path, data in ((f"/cases/admin/users/{auditor}/grant", {"organisation_id": str(regional), "role": "admin"}),
                       ("/cases/admin/users/new", {"username": "otra.admin", "organisation_id": str(regional),
                                                   "role": "admin"})):
        seen = len(_audit(rt))
        r = web.post(path + "?lang=en", data={**data, "csrf_token": token})
        assert r.status_code == 403 and "only an administrator of that reach gives it" in r.text, path
        assert [(e.actor, e.outcome) for e in _audit(rt)[seen:]] == [("admin", "denied")], path
    assert _state(rt) == before


def test_a_change_asked_again_by_get_lands_on_the_account(web, rt, world) -> None:
    """The password page's language switch (or a reload) asks for the POST's address by GET: it
    leads to the account's page and redoes nothing (no new password, no second entry)."""
    token = _sign_in(web, "admin")
    target = world.users["gtm_officer"]
    shown = web.post(f"/cases/admin/users/{target}/password?lang=es", data={"csrf_token": token})
    switch = re.search(r'class="lang-switch" href="([^"]+)"', shown.text).group(1).replace("&amp;", "&")
    before, audited = _state(rt), len(_audit(rt))
    r = web.get(switch, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/cases/admin/users/{target}?lang=en"
    assert _state(rt) == before and len(_audit(rt)) == audited
    assert web.get(f"/cases/admin/users/{target}/other").status_code == 404


def test_a_name_longer_than_its_column_is_refused_by_its_label(web, rt, world) -> None:
    token = _sign_in(web, "admin")
    before = _state(rt)
    r = web.post("/cases/admin/users/new?lang=en", data={
        "csrf_token": token, "username": "larga", "full_name": "N" * 250,
        "organisation_id": str(world.orgs["gtm_consulate_mex"]), "role": "consular_officer"})
    assert r.status_code == 422 and "Full name is too long (250 characters): use at most 200." in unescape(r.text)
    assert not SECRET.search(r.text) and _state(rt) == before


def test_no_role_or_organisation_is_chosen_for_the_administrator(web, world) -> None:
    """The forms that give a role start on a blank choice (required): the first role of the list,
    the administrator's own, is never given by a form sent as it came."""
    _sign_in(web, "admin")
    for path in ("/cases/admin/users/new", f"/cases/admin/users/{world.users['auditor']}"):
        page = web.get(path + "?lang=en").text
        for name in ("role", "organisation_id"):
            select = re.search(rf'<select name="{name}" required>(.*?)</select>', page, flags=re.S)
            assert select, (path, name)
            assert select.group(1).startswith('<option value="">— Choose —</option>'), (path, name)
            assert " selected" not in select.group(1), (path, name)
