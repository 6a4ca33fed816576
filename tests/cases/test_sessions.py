"""Server-side sessions: logout, password change and deactivation end tokens at once, and a
deleted user's token never passes for a later user given the same id (#10 items 3, 4)."""

from __future__ import annotations

import re

from sqlalchemy import delete, select

from observatorio.cases import accounts
from observatorio.cases.models import AuthSession, Organisation, User
from observatorio.cases.web import SESSION_COOKIE

from .conftest import PASSWORD, login

NEW_PASSWORD = "another-long-passphrase"


def _ok(client, headers) -> bool:
    r = client.get("/api/v1/auth/me", headers=headers)
    assert r.status_code in (200, 401), r.text
    return r.status_code == 200


def test_api_logout_revokes_the_token(client, world) -> None:
    h = login(client, "gtm_head")
    other = login(client, "gtm_head")  # a second session of the same user is not touched
    assert _ok(client, h)
    assert client.post("/api/v1/auth/logout", headers=h).status_code == 204
    assert not _ok(client, h)
    r = client.get("/api/v1/cases", headers=h)
    assert r.status_code == 401 and r.json()["detail"]["es"] and r.json()["detail"]["en"]
    assert _ok(client, other)


def test_web_logout_revokes_the_cookie(client, world) -> None:
    form = client.get("/cases/login")
    csrf = re.search(r"name='csrf_token' value='([0-9a-f]+)'", form.text)
    assert csrf
    r = client.post("/cases/login", data={"username": "gtm_head", "password": PASSWORD,
                                          "csrf_token": csrf.group(1)}, follow_redirects=False)
    cookie = r.cookies[SESSION_COOKIE]
    page = client.get("/cases/")
    token = re.search(r"name='csrf_token' value='([0-9a-f]+)'", page.text)
    assert page.status_code == 200 and token
    assert client.post("/cases/logout", data={"csrf_token": token.group(1)},
                       follow_redirects=False).status_code == 303
    # The stolen or kept cookie no longer opens the list.
    client.cookies.set(SESSION_COOKIE, cookie, path="/cases")
    again = client.get("/cases/", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/cases/login"


def test_password_change_ends_every_session(client, world) -> None:
    first, second = login(client, "gtm_officer"), login(client, "gtm_officer")
    wrong = client.post("/api/v1/auth/password", headers=first,
                        json={"current_password": "not-the-password", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 401 and _ok(client, first)
    short = client.post("/api/v1/auth/password", headers=first,
                        json={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422 and _ok(client, first)
    r = client.post("/api/v1/auth/password", headers=first,
                    json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 204, r.text
    assert not _ok(client, first) and not _ok(client, second)
    assert client.post("/api/v1/auth/token",
                       data={"username": "gtm_officer", "password": PASSWORD}).status_code == 401
    assert _ok(client, login(client, "gtm_officer", NEW_PASSWORD))


def test_operator_password_reset_and_deactivation_end_sessions(client, rt, world) -> None:
    reset, deactivated = login(client, "hnd_officer"), login(client, "hnd_head")
    with rt.sessions() as s:
        accounts.set_password(s, s.get(User, world.users["hnd_officer"]), NEW_PASSWORD, rt.config)
        head = s.get(User, world.users["hnd_head"])
        accounts.deactivate_user(s, head)
        s.commit()
        head.active = True  # reactivated later: the old tokens stay dead
        s.commit()
    assert not _ok(client, reset)
    assert not _ok(client, deactivated)
    assert _ok(client, login(client, "hnd_head"))


def test_deleted_users_token_does_not_pass_for_the_next_user(client, rt, world, backend) -> None:
    with rt.sessions() as s:
        org = s.get(Organisation, world.orgs["regional_io"])
        doomed = accounts.add_user(s, "zz_doomed", PASSWORD, rt.config, [(org, "consular_officer")])
        s.commit()
        doomed_id = doomed.id
    h = login(client, "zz_doomed")
    assert _ok(client, h)
    with rt.sessions() as s:
        s.delete(s.get(User, doomed_id))
        s.commit()
        assert s.scalar(select(AuthSession).where(AuthSession.user_id == doomed_id)) is None
        org = s.get(Organisation, world.orgs["regional_io"])
        newcomer = accounts.add_user(s, "zz_newcomer", PASSWORD, rt.config, [(org, "auditor")])
        s.commit()
        if backend == "sqlite":
            assert newcomer.id == doomed_id  # the reuse that made the old token dangerous
    assert not _ok(client, h)


def test_tokens_without_a_session_row_are_refused(client, rt, world) -> None:
    h = login(client, "gtm_head")
    with rt.sessions() as s:
        s.execute(delete(AuthSession))
        s.commit()
    assert not _ok(client, h)


def test_operator_commands_end_sessions(client, rt, world, db_url) -> None:
    from typer.testing import CliRunner

    from observatorio.cases.cli import app

    runner = CliRunner()
    officer, head = login(client, "mex_caseworker"), login(client, "mex_caseworker2")
    r = runner.invoke(app, ["user", "set-password", "mex_caseworker", "--url", db_url],
                      input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["user", "deactivate", "mex_caseworker2", "--url", db_url])
    assert r.exit_code == 0 and "desactivada" in r.output, r.output
    assert not _ok(client, officer) and not _ok(client, head)
    assert _ok(client, login(client, "mex_caseworker", NEW_PASSWORD))
    r = runner.invoke(app, ["user", "deactivate", "nobody", "--url", db_url])
    assert r.exit_code != 0 and "nobody" in r.output
