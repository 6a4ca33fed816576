"""Sessions end when left idle (CasesConfig.session_idle_minutes, 30 by default), within their
absolute lifetime: an officer who walks away from a consulate PC does not leave a child's case
open for hours. A session used within the limit slides; its last use is written at most once a
minute (one conditional UPDATE), so the pages' statement budgets hold. Browser sessions and API
tokens are both sessions (auth_session rows) and follow the same rule: the page sends the officer
to the login form, which says the session expired; the API answers 401.

Sessions run on the real clock, as the token's expiry does (the pages' business clock,
``app.state.cases_clock``, is moved by days in other tests). Time is injected, never slept: over
HTTP a session's recorded last use is moved back; ``principal_of_token`` takes ``now`` for the
exact limits.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text, update

from observatorio.cases.auth import principal_of_token, start_session
from observatorio.cases.db import make_engine, upgrade
from observatorio.cases.errors import Unauthenticated
from observatorio.cases.models import AuthSession, utcnow
from observatorio.cases.runtime import Runtime
from observatorio.i18n import t

from .conftest import World, _require_pg, create_pg_database, login
from .test_roundtrips import statements
from .test_web import _web_login

RECORD_USE = "UPDATE auth_session SET"


def _aware(v: dt.datetime) -> dt.datetime:
    return v if v.tzinfo else v.replace(tzinfo=dt.UTC)


def _idle_for(rt: Runtime, **delta: float) -> dt.datetime:
    """Every session last used ``delta`` ago (as if nobody had used it since); that instant."""
    then = utcnow() - dt.timedelta(**delta)
    with rt.sessions() as s:
        s.execute(update(AuthSession).values(last_used_at=then))
        s.commit()
    return then


def _last_used(rt: Runtime) -> dt.datetime:
    with rt.sessions() as s:
        return _aware(s.scalars(select(AuthSession.last_used_at)).one())


def _me(client, headers: dict[str, str]) -> int:
    return client.get("/api/v1/auth/me", headers=headers).status_code


def test_default_idle_limit_is_thirty_minutes(rt: Runtime) -> None:
    assert rt.config.session_idle_minutes == 30
    assert rt.config.session_idle == dt.timedelta(minutes=30)


def test_api_token_idle_past_the_limit_is_refused(client, rt, world) -> None:
    h = login(client, "gtm_officer")
    _idle_for(rt, minutes=31)
    r = client.get("/api/v1/cases", headers=h)
    assert r.status_code == 401, r.text
    assert r.json()["detail"]["es"] == t("cases.refusal.session_idle", "es")
    assert r.json()["detail"]["en"] == t("cases.refusal.session_idle", "en")
    assert _me(client, h) == 401  # a refused session is not revived by the next request
    assert _me(client, login(client, "gtm_officer")) == 200  # signing in again works


def test_a_session_used_within_the_limit_slides(client, rt, world) -> None:
    h = login(client, "gtm_officer")
    for _ in range(3):  # each use within the limit starts it again
        before = _idle_for(rt, minutes=29)
        assert _me(client, h) == 200
        assert _last_used(rt) > before + dt.timedelta(minutes=28)


def test_last_use_is_written_at_most_once_a_minute(client, rt, world) -> None:
    h = login(client, "gtm_officer")
    assert _me(client, h) == 200  # warm-up

    def writes() -> int:
        with statements(rt) as seen:
            assert _me(client, h) == 200
        return sum(x == RECORD_USE for x in seen)

    assert writes() == 0  # just signed in
    _idle_for(rt, seconds=30)
    assert writes() == 0
    assert writes() == 0
    _idle_for(rt, seconds=61)
    assert writes() == 1
    assert writes() == 0  # recorded just now
    assert writes() == 0


def test_the_limits_exactly(rt, world: World) -> None:
    """Refused only past the limit; written from a minute on, never before (injected ``now``)."""
    user, idle = world.users["gtm_officer"], rt.config.session_idle
    start = utcnow()
    with rt.sessions() as s:
        start_session(s, user, rt.secret, 600, now=start)
        s.commit()
        jti = s.scalars(select(AuthSession.id)).one()

    def use(after: dt.timedelta) -> int:
        with rt.sessions() as s, statements(rt) as seen:
            principal_of_token(s, user, jti, idle, now=start + after)
            s.commit()
        return sum(x == RECORD_USE for x in seen)

    assert use(dt.timedelta(seconds=59)) == 0
    assert _last_used(rt) == start
    assert use(dt.timedelta(seconds=60)) == 1
    assert _last_used(rt) == start + dt.timedelta(seconds=60)
    mark = dt.timedelta(seconds=60) + idle
    assert use(mark) == 1  # exactly the limit since that use: still in use
    with rt.sessions() as s, pytest.raises(Unauthenticated) as refused:
        principal_of_token(s, user, jti, idle, now=start + mark + idle + dt.timedelta(microseconds=1))
    assert refused.value.key == "cases.refusal.session_idle"
    assert _last_used(rt) == start + mark  # the refusal wrote nothing


def test_idle_page_session_goes_to_the_login_form_saying_it_expired(client, rt, seeded) -> None:
    assert _web_login(client, "gtm_head").status_code == 303
    _idle_for(rt, minutes=20)
    assert client.get("/cases/", follow_redirects=False).status_code == 200
    _idle_for(rt, minutes=31)
    r = client.get("/cases/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cases/login?expired=1&lang=es"
    form = client.get(r.headers["location"])
    assert form.status_code == 200
    assert t("cases.refusal.session_expired", "es") in form.text  # in the page's language only
    assert t("cases.refusal.session_expired", "en") not in form.text
    english = client.get("/cases/login?expired=1&lang=en").text
    assert t("cases.refusal.session_expired", "en") in english
    assert t("cases.refusal.session_expired", "es") not in client.get("/cases/login").text
    # a form posted from the idle page is sent the same way, nothing written
    case_id = seeded.cases["gtm_mex"]
    r = client.post(f"/cases/c/{case_id}/tasks", data={"title": "x"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cases/login?expired=1&lang=es"


def test_migration_counts_existing_sessions_as_last_used_when_created(backend, pg, tmp_path) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'idle.sqlite'}"
    else:
        url = create_pg_database(_require_pg(pg), f"idle{tmp_path.name[-8:].lower()}")
    upgrade(url, "0013_reception_child_cases")
    engine = make_engine(url)
    created = dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC)
    with engine.begin() as c:
        c.execute(text("INSERT INTO app_user (id, username, full_name, password_hash, active, created_at) "
                       "VALUES (1, 'u', '', 'x', :t, :c)"), {"t": True, "c": created - dt.timedelta(days=1)})
        c.execute(text("INSERT INTO auth_session (id, user_id, kind, created_at, expires_at) "
                       "VALUES ('s1', 1, 'session', :c, :e)"), {"c": created, "e": created + dt.timedelta(hours=8)})
    engine.dispose()
    upgrade(url, "head")
    engine = make_engine(url)
    with engine.connect() as c:
        (used,) = c.execute(select(AuthSession.last_used_at)).one()
    engine.dispose()
    assert (used if used.tzinfo else used.replace(tzinfo=dt.UTC)) == created
