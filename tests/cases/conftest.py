"""Fixtures: every database-backed test runs on SQLite and on a real PostgreSQL server
that this test run starts itself (initdb in a temporary folder)."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from observatorio.cases import accounts, case_records, case_writes, person_records, use_context
from observatorio.cases.auth import principal_of
from observatorio.cases.config import CasesConfig
from observatorio.cases.models import Organisation, User
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseCreate, CaseShareIn, PersonCreate
from observatorio.cases.vocab import CaseType, OrgKind
from observatorio.settings import Settings

from . import pgserver

# Hashing dominates test time at production cost; tests use the weakest legal argon2 setting.
TEST_CONFIG = CasesConfig(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)
# 64 bytes, like the product's generated key (secrets.token_urlsafe(48)): long enough for every
# HMAC algorithm a forged-token test signs with (HS512 needs 64), so PyJWT warns of no weak key.
TEST_SETTINGS = Settings(secret_key="test-secret-key-not-for-production-0123456789abcdefghijklmnopqrs")
PASSWORD = "correct horse battery staple"

BACKENDS = [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]


# `pg` and `templates` (the session's PostgreSQL server, the migrated template databases) are
# defined in the root conftest: one server for every folder of tests that uses them.


_counter = itertools.count()


def _require_pg(pg: pgserver.PgServer | None) -> pgserver.PgServer:
    if pg is None:
        msg = "PostgreSQL binaries not found (install postgresql; looked in pg_config --bindir and /usr/lib/postgresql/*/bin)"
        # A missing server is a failure: only an explicit opt-out turns these tests into skips
        # (the root conftest lets a skip pass only when its reason names a set opt-out).
        if os.environ.get("OBSERVATORIO_SKIP_POSTGRES", "") == "1":
            pytest.skip(f"{msg}; skipped because OBSERVATORIO_SKIP_POSTGRES=1")
        pytest.fail(f"{msg}; set OBSERVATORIO_SKIP_POSTGRES=1 to skip the PostgreSQL tests")
    return pg


def fresh_url(backend: str, pg: pgserver.PgServer | None, templates: dict[str, str], tmp: Path) -> str:
    """A new, migrated, empty database of the given backend."""
    if backend == "sqlite":
        target = tmp / f"cases-{next(_counter)}.sqlite"
        shutil.copy(templates["sqlite"], target)
        return f"sqlite:///{target}"
    return create_pg_database(_require_pg(pg), f"t{os.getpid()}_{next(_counter)}", "cases_template")


def create_pg_database(server: pgserver.PgServer, name: str, template: str | None = None) -> str:
    """A new database on the test server (a copy of ``template`` if given); its URL."""
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"' + (f" TEMPLATE {template}" if template else "")))
    admin.dispose()
    return server.url(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, pg: pgserver.PgServer | None, templates: dict[str, str], tmp_path: Path) -> str:
    return fresh_url(backend, pg, templates, tmp_path)


@pytest.fixture
def rt(db_url: str) -> Iterator[Runtime]:
    runtime = Runtime.from_url(db_url, TEST_SETTINGS, TEST_CONFIG)
    yield runtime
    runtime.close()


@dataclass
class World:
    """Organisations of three countries and one user per role, for permission tests."""

    orgs: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)  # org key -> country


ORGS = {
    # key: (name, kind, country, host, city)
    "gtm_consulate_mex": ("Consulado de Guatemala en Tapachula", OrgKind.CONSULATE, "GTM", "MEX", "Tapachula"),
    "gtm_consulate_usa": ("Consulado de Guatemala en Houston", OrgKind.CONSULATE, "GTM", "USA", "Houston"),
    "gtm_ministry": ("Ministerio de Relaciones Exteriores de Guatemala", OrgKind.FOREIGN_MINISTRY, "GTM", None, "Ciudad de Guatemala"),
    "gtm_child": ("Procuraduría General de la Nación (niñez)", OrgKind.CHILD_PROTECTION, "GTM", None, None),
    "hnd_consulate_mex": ("Consulado de Honduras en Tapachula", OrgKind.CONSULATE, "HND", "MEX", "Tapachula"),
    "hnd_reception": ("Centro de Atención al Migrante Retornado", OrgKind.RECEPTION_CENTRE, "HND", None, "San Pedro Sula"),
    "hnd_ministry": ("Secretaría de Relaciones Exteriores de Honduras", OrgKind.FOREIGN_MINISTRY, "HND", None, "Tegucigalpa"),
    "mex_ngo": ("Casa del Migrante (sociedad civil)", OrgKind.CIVIL_SOCIETY, "MEX", None, "Tapachula"),
    "regional_io": ("Organización internacional (oficina regional)", OrgKind.INTERNATIONAL, "CRI", None, "San José"),
}

USERS = {
    # username: (org key, role)
    "gtm_officer": ("gtm_consulate_mex", "consular_officer"),
    "gtm_officer2": ("gtm_consulate_mex", "consular_officer"),
    "gtm_head": ("gtm_consulate_mex", "consular_head"),
    "gtm_usa_officer": ("gtm_consulate_usa", "consular_officer"),
    "gtm_supervisor": ("gtm_ministry", "national_supervisor"),
    "gtm_protection": ("gtm_child", "protection_officer"),
    "hnd_officer": ("hnd_consulate_mex", "consular_officer"),
    "hnd_head": ("hnd_consulate_mex", "consular_head"),
    "hnd_reception": ("hnd_reception", "reception_officer"),
    "hnd_supervisor": ("hnd_ministry", "national_supervisor"),
    "mex_caseworker": ("mex_ngo", "caseworker"),
    "mex_caseworker2": ("mex_ngo", "caseworker"),
    "auditor": ("regional_io", "auditor"),
    "admin": ("regional_io", "admin"),
    "stats_publisher": ("regional_io", "publisher"),
    "stats_provider": ("hnd_reception", "provider"),
    "stats_reviewer": ("regional_io", "reviewer"),
    "directory_editor": ("regional_io", "editor"),
    "editor": ("regional_io", "editor"),
}


def build_world(rt: Runtime) -> World:
    world = World()
    with rt.sessions() as s:
        orgs: dict[str, Organisation] = {}
        for key, (name, kind, country, host, city) in ORGS.items():
            orgs[key] = accounts.add_organisation(s, name, kind, country, host, city)
            world.orgs[key] = orgs[key].id
            world.countries[key] = country
        for username, (org_key, role) in USERS.items():
            u: User = accounts.add_user(s, username, PASSWORD, rt.config, [(orgs[org_key], role)])
            world.users[username] = u.id
        s.commit()
    return world


@pytest.fixture
def world(rt: Runtime) -> World:
    return build_world(rt)


@pytest.fixture
def pg_rt(pg: pgserver.PgServer | None, templates: dict[str, str], tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on PostgreSQL only: races that need row locks (lock_race.py)."""
    runtime = Runtime.from_url(fresh_url("postgresql", pg, templates, tmp_path), TEST_SETTINGS, TEST_CONFIG)
    yield runtime
    runtime.close()


@pytest.fixture
def pg_world(pg_rt: Runtime) -> World:
    return build_world(pg_rt)


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    app = make_app(rt)
    with TestClient(app) as c:
        yield c


def make_app(rt: Runtime) -> FastAPI:
    """An app with only the cases routers, so other areas' work in progress cannot break these
    tests; test_app_wiring checks the real create_app mounts the same routers."""
    from observatorio.cases.api import router
    from observatorio.cases.officer_forms import router as forms_router
    from observatorio.cases.officer_web import router as officer_router
    from observatorio.cases.reception.api import router as reception_api_router
    from observatorio.cases.reception.web import router as reception_web_router
    from observatorio.cases.referral_api import router as referral_router
    from observatorio.cases.referral_web import router as referral_web_router
    from observatorio.cases.web import router as web_router

    app = FastAPI()
    app.state.settings = TEST_SETTINGS
    app.state.cases_runtime = rt
    app.include_router(router)
    app.include_router(web_router)
    app.include_router(officer_router)
    app.include_router(reception_api_router)
    app.include_router(reception_web_router)
    app.include_router(forms_router)
    app.include_router(referral_router)
    app.include_router(referral_web_router)
    return app


@pytest.fixture
def server(rt: Runtime) -> Iterator[str]:
    """The cases routers and the portal's static files (its stylesheet) on a live loopback
    server, for the browser tests."""
    from observatorio.publish.web.routes import router as portal_router
    from publish.live_server import serving  # tests/ is on sys.path (root conftest)

    app = make_app(rt)
    app.include_router(portal_router)
    with serving(app) as url:
        yield url


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization header for a user (real OAuth2 password flow)."""
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def ctx_for(session: Session, world: World, username: str, ip: str = "10.0.0.1") -> use_context.Ctx:
    """A service unit of work acting as ``username``."""
    return use_context.Ctx(session, principal_of(session, world.users[username]), ip, "pseudonym-key")


SENSITIVE_ALL = {"health_details": "diabetes", "trafficking_details": "indicios de trata",
                 "child_protection_details": "separado de su madre"}

# case key: (creating user, organisation key, sensitive fields, share with organisation key)
SEED_CASES: dict[str, tuple[str, str, dict[str, str], str | None]] = {
    "gtm_mex": ("gtm_head", "gtm_consulate_mex", SENSITIVE_ALL, None),
    "gtm_mex_own": ("gtm_officer", "gtm_consulate_mex", {"health_details": "fractura"}, None),
    "gtm_usa": ("gtm_usa_officer", "gtm_consulate_usa", {}, None),
    "gtm_child": ("gtm_protection", "gtm_child", {"child_protection_details": "NNA no acompañado"}, None),
    "hnd_mex": ("hnd_head", "hnd_consulate_mex", SENSITIVE_ALL, None),
    "hnd_shared": ("hnd_head", "hnd_consulate_mex", {"trafficking_details": "posible trata"}, "gtm_consulate_mex"),
    "hnd_reception": ("hnd_reception", "hnd_reception", {}, None),
    "mex_ngo": ("mex_caseworker", "mex_ngo", {}, None),
}


@dataclass
class Seeded:
    world: World
    cases: dict[str, int]
    people: dict[str, int]


def seed(rt: Runtime, world: World) -> Seeded:
    """One person and one case per SEED_CASES entry, created through the service as real users."""
    cases: dict[str, int] = {}
    people: dict[str, int] = {}
    with rt.sessions() as s:
        for key, (user, org_key, sensitive, share) in SEED_CASES.items():
            ctx = ctx_for(s, world, user)
            org_id = world.orgs[org_key]
            p = person_records.create_person(ctx, PersonCreate(given_names=f"Persona {key}", family_names="Prueba",
                                                               nationality=world.countries[org_key],
                                                               organisation_id=org_id))
            c = case_records.create_case(ctx, CaseCreate(case_type=CaseType.DETENTION, person_id=p.id,
                                                         organisation_id=org_id, summary=f"caso {key}",
                                                         **sensitive))
            if share:
                case_writes.share_case(ctx, c.id, CaseShareIn(organisation_id=world.orgs[share]))
            cases[key], people[key] = c.id, p.id
    return Seeded(world, cases, people)


@pytest.fixture
def seeded(rt: Runtime, world: World) -> Seeded:
    return seed(rt, world)
