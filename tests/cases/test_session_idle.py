"""Sessions end when left idle (CasesConfig.session_idle_minutes, 30 by default), within their
absolute lifetime: an officer who walks away from a consulate PC does not leave a child's case
open for hours. A session used within the limit slides; its last use is written at most once a
minute (one conditional UPDATE), so the pages' statement budgets hold. Browser sessions and API
tokens are both sessions (auth_session rows) and follow the same rule: the page sends the officer
to the login form, which says the session expired; the API answers 401.

The clock is injected (``app.state.cases_clock``, read by ``page_kit.now_of``): no sleeping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from observatorio.cases.db import make_engine, upgrade
from observatorio.cases.models import AuthSession, utcnow
from observatorio.cases.runtime import Runtime
from observatorio.i18n import t

from .conftest import World, _require_pg, create_pg_database, login, make_app
from .test_roundtrips import statements
from .test_web import _web_login

RECORD_USE = "UPDATE auth_session SET"


class Clock:
    """The app's clock, moved by the test from where it started."""

    def __init__(self) -> None:
        self.start = self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, **delta: float) -> None:
        self.now = self.start + dt.timedelta(**delta)


@pytest.fixture
def clock(world: World) -> Clock:
    """Started once the accounts exist (a session older than its account is refused)."""
    return Clock()


@pytest.fixture
def timed_client(rt: Runtime, clock: Clock) -> Iterator[TestClient]:
    app = make_app(rt)
    app.state.cases_clock = clock
    with TestClient(app) as c:
        yield c


def _me(client: TestClient, headers: dict[str, str]) -> int:
    return client.get("/api/v1/auth/me", headers=headers).status_code


def _last_used(rt: Runtime) -> list[dt.datetime]:
    with rt.sessions() as s:
        return [v if v.tzinfo else v.replace(tzinfo=dt.UTC)
                for v in s.scalars(select(AuthSession.last_used_at).order_by(AuthSession.created_at))]


def test_default_idle_limit_is_thirty_minutes(rt: Runtime) -> None:
    assert rt.config.session_idle_minutes == 30
    assert rt.config.session_idle == dt.timedelta(minutes=30)


def test_api_token_idle_past_the_limit_is_refused(timed_client, clock, world) -> None:
    h = login(timed_client, "gtm_officer")
    clock.at(minutes=30)
    assert _me(timed_client, h) == 200  # exactly the limit: still in use
    clock.at(minutes=60, seconds=1)  # 30 minutes and a second since that use
    r = timed_client.get("/api/v1/cases", headers=h)
    assert r.status_code == 401, r.text
    assert r.json()["detail"]["es"] == t("cases.refusal.session_idle", "es")
    assert r.json()["detail"]["en"] == t("cases.refusal.session_idle", "en")
    clock.at(minutes=60, seconds=30)
    assert _me(timed_client, h) == 401  # a refused session is not revived by the next request
    assert _me(timed_client, login(timed_client, "gtm_officer")) == 200  # signing in again works


def test_a_session_used_within_the_limit_slides(timed_client, clock, world) -> None:
    h = login(timed_client, "gtm_officer")
    for minute in (25, 50, 75, 100, 125):  # two hours, never 30 minutes unused
        clock.at(minutes=minute)
        assert _me(timed_client, h) == 200, minute
    clock.at(minutes=125 + 29)
    assert _me(timed_client, h) == 200


def test_last_use_is_written_at_most_once_a_minute(timed_client, clock, rt, world) -> None:
    h = login(timed_client, "gtm_officer")
    assert _me(timed_client, h) == 200  # warm-up

    def writes_at(**delta: float) -> int:
        clock.at(**delta)
        with statements(rt) as seen:
            assert _me(timed_client, h) == 200
        return sum(s == RECORD_USE for s in seen)

    assert writes_at(seconds=30) == 0
    assert writes_at(seconds=59) == 0
    assert writes_at(seconds=60) == 1  # a minute since the recorded use (login)
    assert _last_used(rt) == [clock.start + dt.timedelta(seconds=60)]
    assert writes_at(seconds=61) == 0
    assert writes_at(seconds=119) == 0
    assert writes_at(seconds=125) == 1
    assert writes_at(seconds=125) == 0
    assert _last_used(rt) == [clock.start + dt.timedelta(seconds=125)]


def test_idle_page_session_goes_to_the_login_form_saying_it_expired(timed_client, clock, world) -> None:
    assert _web_login(timed_client, "gtm_head").status_code == 303
    clock.at(minutes=20)
    assert timed_client.get("/cases/", follow_redirects=False).status_code == 200
    clock.at(minutes=45)  # 25 minutes since the last page: it slid
    assert timed_client.get("/cases/", follow_redirects=False).status_code == 200
    clock.at(minutes=75, seconds=1)
    r = timed_client.get("/cases/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cases/login?expired=1"
    form = timed_client.get(r.headers["location"])
    assert form.status_code == 200
    for lang in ("es", "en"):
        assert t("cases.refusal.session_expired", lang) in form.text
    assert t("cases.refusal.session_expired", "es") not in timed_client.get("/cases/login").text
    # and a form posted from the idle page is refused the same way, nothing written
    r = timed_client.post("/cases/c/1/tasks", data={}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cases/login?expired=1"


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
