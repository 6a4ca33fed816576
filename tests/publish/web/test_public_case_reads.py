"""The portal's light reads of the application database (publish/web/public_case_reads.py, issue
#12): the same rows as the cases side's ORM reads, on SQLite and on PostgreSQL, without SQLAlchemy
in the serving process, and nothing (never a 500, never a new file) when the database is not
there, not migrated or not reachable."""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cases.conftest import BACKENDS, fresh_url
from observatorio.model.app_tables import text_in
from observatorio.publish.api.app import create_app
from observatorio.publish.web import public_case_reads
from observatorio.publish.web.cases_database import POSTGRESQL, SQLITE, read_url
from observatorio.publish.web.practice_links import links_for_url
from observatorio.publish.web.public_case_reads import organisation_names, practices_for_actions
from observatorio.settings import Settings
from publish.live_server import free_port
from registry_world import (
    SECRET,
    TITLES,
    app_database,
    editor_ctx,
    publish_guatemalan_practice,
    runtime,
)

THEMES = ["origin.integration.roots", "origin.consular.network", "transit.protection.shelters"]
COUNTRIES = ["GTM", "HND", "SLV", "MEX"]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, pg: Any, templates: dict[str, str],  # noqa: F811
           tmp_path: Path) -> str:
    return fresh_url(str(request.param), pg, templates, tmp_path)


def _fill(url: str) -> None:
    """Practices in every status, of several countries and themes (more than five on one theme
    of one country pair), some in one language only; directory organisations."""
    from observatorio.cases.directory_models import DirectoryOrganisation, Practice
    from observatorio.model.app_tables import PUBLISHED, REJECTED, SUBMITTED

    rt = runtime(url)
    try:
        with rt.sessions() as s:
            n = 0
            for status in (PUBLISHED, SUBMITTED, PUBLISHED, REJECTED, PUBLISHED):
                for country in COUNTRIES:
                    for theme in THEMES:
                        n += 1
                        spanish_only, english_only = n % 4 == 1, n % 4 == 2
                        s.add(Practice(
                            status=status, country=country, theme=theme, populations=["returnees"],
                            title_es=None if english_only else f"Práctica {n} ({country})",
                            title_en=None if spanish_only else f"Practice {n} ({country})",
                            summary_es=None if english_only else f"Resumen {n}",
                            summary_en="" if spanish_only else f"Summary {n}",
                            description="", results="", contact=""))
            for i, country in enumerate(COUNTRIES):
                s.add(DirectoryOrganisation(slug=f"org-{country.lower()}", kind="government",
                                            name_es=f"Instituto {i}", name_en=f"Institute {i}", country=country,
                                            data_contact=f"datos{i}@example.org"))
            s.commit()
    finally:
        rt.close()


def _orm_practices(url: str, action_ids: list[str], iso3: str, lang: str) -> dict[str, list[tuple[Any, ...]]]:
    from observatorio.cases import practices

    rt = runtime(url)
    try:
        with rt.sessions() as s:
            return {a: [(p.id, p.country, text_in(p, "title", lang), text_in(p, "summary", lang)) for p in items]
                    for a, items in practices.for_actions(s, action_ids, iso3).items()}
    finally:
        rt.close()


def test_the_light_reads_give_what_the_orm_gives(db_url: str) -> None:
    from observatorio.refresh.reminders import providers

    _fill(db_url)
    ids = [*THEMES, "destination.no.practices"]
    for iso3 in [*COUNTRIES, "CRI"]:
        for lang in ("es", "en"):
            light = practices_for_actions(db_url, ids, iso3)
            got = {a: [(p.id, p.country, text_in(p, "title", lang), text_in(p, "summary", lang)) for p in items]
                   for a, items in light.items()}
            assert got == _orm_practices(db_url, ids, iso3, lang), (iso3, lang)
    # what the comparison covers: the cap of five, newest first, other countries, one language
    some = practices_for_actions(db_url, THEMES, "HND")[THEMES[0]]
    assert len(some) == 5 and [p.id for p in some] == sorted((p.id for p in some), reverse=True)
    assert "HND" not in {p.country for p in some}
    assert any(p.title_en is None for p in some) and any(p.title_es is None for p in some)
    slugs = {"org-gtm", "org-mex", "not-in-the-directory"}
    assert organisation_names(db_url, slugs) == {
        slug: p.name for slug, p in providers(Settings(cases_db=db_url), slugs).items()}
    assert set(organisation_names(db_url, slugs)) == {"org-gtm", "org-mex"}
    assert organisation_names(db_url, set()) == {} and practices_for_actions(db_url, [], "HND") == {}


def test_links_for_url_builds_the_links_of_the_light_read(db_url: str) -> None:
    _fill(db_url)
    links = links_for_url(db_url, "HND", [THEMES[0], "destination.no.practices"], "en")
    assert list(links) == [THEMES[0]]  # an action without practices has no entry
    first = practices_for_actions(db_url, [THEMES[0]], "HND")[THEMES[0]][0]
    assert links[THEMES[0]][0] == {"title": text_in(first, "title", "en"), "summary": text_in(first, "summary", "en"),
                                   "country": links[THEMES[0]][0]["country"], "url": f"/en/good-practices/{first.id}/"}
    assert links[THEMES[0]][0]["country"] not in ("", first.country)  # a label, not the code


@pytest.mark.parametrize(("url", "backend", "where"), [
    ("sqlite:////var/app/cases.sqlite", SQLITE, "/var/app/cases.sqlite"),
    ("sqlite+pysqlite:///relative/a%20space.sqlite?timeout=5", SQLITE, "relative/a space.sqlite"),
    ("sqlite://", SQLITE, ""), ("sqlite:///:memory:", SQLITE, ""),
    ("postgresql+psycopg://u:p%40ss@db.example:5433/cases?sslmode=require", POSTGRESQL,
     "host='db.example' port='5433' user='u' password='p@ss' dbname='cases' sslmode='require'"),
    ("postgresql://u@db/cases", POSTGRESQL, "host='db' user='u' dbname='cases'"),
    # SQLAlchemy takes a literal "%" (libpq's URI parser would refuse it, echoing the password)
    ("postgresql+psycopg://obs:s3cr%et@db/obs", POSTGRESQL, "host='db' user='obs' password='s3cr%et' dbname='obs'"),
    ("postgresql://u:it's\\x@/cases?host=/run/postgresql", POSTGRESQL,
     "host='/run/postgresql' user='u' password='it\\'s\\\\x' dbname='cases'"),
    ("mysql+pymysql://u@db/cases", "mysql", ""), ("not a url", "", ""),
])
def test_read_url(url: str, backend: str, where: str) -> None:
    parsed = read_url(url)
    assert parsed.backend == backend
    assert (parsed.conninfo if backend == POSTGRESQL else parsed.sqlite_file) == where


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://u:p%40ss@db.example:5433/cases?sslmode=require",
    "postgresql+psycopg://obs:s3cr%et@db/obs", "postgresql://u@db/cases",
    "postgresql+psycopg://us%20er:a'b@[::1]:5432/d%2Fb?application_name=portal"])
def test_read_url_reads_what_sqlalchemy_reads(url: str) -> None:
    from psycopg.conninfo import conninfo_to_dict
    from sqlalchemy.engine import make_url

    theirs = make_url(url)
    ours = conninfo_to_dict(read_url(url).conninfo)
    assert ours == {k: str(v) for k, v in {
        "host": theirs.host, "port": theirs.port, "user": theirs.username, "password": theirs.password,
        "dbname": theirs.database, **theirs.query}.items() if v is not None}


def test_an_unreadable_postgresql_database_is_logged_without_its_password(caplog: pytest.LogCaptureFixture) -> None:
    # nothing listens on port 1: libpq refuses, and its message (which may repeat parameters)
    # stays out of the log, and so does the URL
    url = "postgresql+psycopg://obs:s3cr%et-unique@127.0.0.1:1/obs?connect_timeout=2"
    with caplog.at_level(logging.WARNING, logger="observatorio.publish.web.public_case_reads"):
        assert practices_for_actions(url, THEMES, "HND") == {theme: [] for theme in THEMES}
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "could not be read" in logged and "s3cr" not in logged and "unique" not in logged



SERVE_A_COUNTRY_PAGE = """
import json, sys
from fastapi.testclient import TestClient
from observatorio.publish.api.app import create_app
from observatorio.settings import Settings
store, url, secret = sys.argv[1:4]
with TestClient(create_app(Settings(db=store, cases_db=url, secret_key=secret))) as client:
    country = client.get("/es/paises/HND/")
    calendar = client.get("/es/calendario/")
print(json.dumps({"country": [country.status_code, country.text], "calendar": [calendar.status_code, calendar.text],
                  "sqlalchemy": sorted(m for m in sys.modules if m.split(".")[0] == "sqlalchemy"),
                  "cases": sorted(m for m in sys.modules if m.startswith("observatorio.cases"))}))
"""


def test_a_country_page_with_an_application_database_loads_no_sqlalchemy(
        portal_store_path: Path, tmp_path: Path) -> None:
    from observatorio.cases.directory_models import DirectoryOrganisation

    url = app_database(tmp_path)
    rt = runtime(url)
    ctx = editor_ctx(rt)
    practice_id = publish_guatemalan_practice(ctx, "origin.integration.roots")
    ctx.session.add(DirectoryOrganisation(slug="us-cbp", kind="government", name_es="Aduanas (nombre de prueba)",
                                          name_en="Customs (test name)", country="USA"))
    ctx.session.commit()
    ctx.session.close()
    rt.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SERVE_A_COUNTRY_PAGE, str(portal_store_path), url, SECRET],
        env=env, capture_output=True, text=True, timeout=600, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    status, html = seen["country"]
    assert status == 200 and seen["calendar"][0] == 200
    assert f'<a href="/es/buenas-practicas/{practice_id}/">{TITLES["es"]}</a>' in html  # it did read
    assert "Aduanas (nombre de prueba)" in seen["calendar"][1]  # the provider's name from the directory
    assert seen["sqlalchemy"] == [] and seen["cases"] == []


@pytest.fixture
def unreadable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path | None]]:
    """An application database URL that names something unreadable, and the file it names."""
    kind = request.param
    if kind == "missing":
        yield f"sqlite:///{tmp_path / 'absent.sqlite'}", tmp_path / "absent.sqlite"
    elif kind == "unmigrated":
        path = tmp_path / "unmigrated.sqlite"
        with sqlite3.connect(path) as c:
            c.execute("CREATE TABLE something_else (id INTEGER)")
        yield f"sqlite:///{path}", path
    else:  # a PostgreSQL server that is not there
        yield f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/cases", None


@pytest.mark.parametrize("unreadable", ["missing", "unmigrated", "unreachable"], indirect=True)
def test_an_unreadable_database_gives_no_links_and_the_page_renders(
        portal_store_path: Path, unreadable: tuple[str, Path | None], caplog: pytest.LogCaptureFixture) -> None:
    url, path = unreadable
    before = path.read_bytes() if path is not None and path.exists() else None
    settings = Settings(db=portal_store_path, cases_db=url, secret_key=SECRET)
    with caplog.at_level(logging.WARNING, logger="observatorio.publish.web.public_case_reads"), \
            TestClient(create_app(settings)) as client:
        for _ in range(2):
            page = client.get("/en/countries/HND/")
            assert page.status_code == 200 and not re.search(r"/en/good-practices/\d", page.text)
        assert client.get("/en/calendar/").status_code == 200
    assert links_for_url(url, "HND", THEMES, "en") == {}
    if path is not None:  # read-only: never created, never written
        assert (path.read_bytes() if path.exists() else None) == before
        assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name)) == \
            ([path.name] if before is not None else [])
    warnings = [r for r in caplog.records if r.name.endswith("public_case_reads")]
    # a missing SQLite file is told without reading (cases_database.surely_absent): no warning
    assert len(warnings) == (0 if url.endswith("absent.sqlite") else 1)
    if warnings:
        assert "nobody" not in warnings[0].getMessage()  # the URL (and any password) is not logged


@pytest.mark.postgres
def test_a_kept_postgresql_connection_is_reused_and_replaced_once_dropped(
        pg: Any, templates: dict[str, str], tmp_path: Path,  # noqa: F811
        caplog: pytest.LogCaptureFixture) -> None:
    import psycopg

    url = fresh_url("postgresql", pg, templates, tmp_path)
    _fill(url)
    conninfo = read_url(url).conninfo
    first = practices_for_actions(url, THEMES, "HND")

    def kept() -> list[int]:
        return [c.info.backend_pid for c in public_case_reads._idle.get(conninfo, [])]

    [pid] = kept()
    assert practices_for_actions(url, THEMES, "HND") == first and kept() == [pid]  # the same connection
    with psycopg.connect(conninfo, autocommit=True) as admin:  # the server drops it (a restart, a timeout)
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    with caplog.at_level(logging.WARNING, logger="observatorio.publish.web.public_case_reads"):
        assert practices_for_actions(url, THEMES, "HND") == first  # read again on a new connection
    assert not [r for r in caplog.records if r.name.endswith("public_case_reads")]
    [replaced] = kept()
    assert replaced != pid
