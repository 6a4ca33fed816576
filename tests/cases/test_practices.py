"""The directory and the good-practice registry (issue #16 items 5 and 6), on SQLite (FTS5)
and PostgreSQL (tsvector): submission, translation and moderation by editors, full-text search in
both languages with accents ignored, filters, the links from other countries' recommended
actions, public pages in both languages, editor-only writes (403 audited) and escaping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from observatorio.cases import directory, practices
from observatorio.cases.directory_models import Practice
from observatorio.cases.directory_schemas import Moderation, PracticeIn, PracticeTranslation
from observatorio.cases.models import AuditEntry
from observatorio.cases.runtime import Runtime
from observatorio.publish.web.practice_links import links_for_url

from .conftest import TEST_SETTINGS, World, ctx_for, login

THEME = "origin.integration.roots"  # a line of action of the CRM matrix (origin role)
OTHER_THEME = "origin.consular.network"
SPANISH_ONLY: dict[str, Any] = {
    "country": "GTM", "theme": THEME, "populations": ["returnees", "children"],
    "title_es": "Reintegración de niñez migrante retornada en comunidades de origen",
    "summary_es": "Acompañamiento psicosocial y educativo a niñas y niños retornados, con las alcaldías.",
    "description": "Programa municipal de reintegración.", "results": "Matrícula escolar sostenida.",
    "period_start": "2019", "period_end": "2023-06", "contact": "Oficina de prensa institucional",
}
ENGLISH = {"title_en": "Reintegration of returned migrant children in communities of origin",
           "summary_en": "Psychosocial and schooling support for returned girls and boys, with the municipalities."}


@pytest.fixture
def editor(world: World) -> str:
    """The test world's editor (role ``editor`` of the regional organisation)."""
    assert "editor" in world.users
    return "editor"


def directory_app(rt: Runtime, *, with_login: bool = True) -> FastAPI:
    """The directory API and public pages over ``rt`` (and the login API, for tokens)."""
    from observatorio.cases.api import router as cases_router
    from observatorio.cases.directory_api import router as api_router
    from observatorio.publish.web.directory_pages import router as pages_router

    app = FastAPI()
    app.state.settings = TEST_SETTINGS
    app.state.cases_runtime = rt
    for router in ((cases_router,) if with_login else ()) + (api_router, pages_router):
        app.include_router(router)
    return app


@pytest.fixture
def app_client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(directory_app(rt)) as client:
        yield client


def _publish_bilingual(rt: Runtime, world: World, editor: str, **changes: Any) -> int:
    """A Guatemalan practice submitted in Spanish; the editor adds English and publishes it."""
    with rt.sessions() as s:
        submitted = practices.submit(ctx_for(s, world, "gtm_supervisor"), PracticeIn(**(SPANISH_ONLY | changes)))
        practice_id = submitted.id
        assert practices.search(s, "reintegracion") == []  # not public before moderation
        translated = practices.translate(ctx_for(s, world, editor), practice_id,
                                         PracticeTranslation(version=submitted.version, **ENGLISH))
        assert translated.title_en == ENGLISH["title_en"]
        practices.moderate(ctx_for(s, world, editor), practice_id, Moderation(decision="publish"))
    return practice_id


def _ids(found: list[Any]) -> list[int]:
    return [p.id for p in found]


def test_practice_is_found_in_either_language_accents_ignored_and_by_theme(
        rt: Runtime, world: World, editor: str) -> None:
    practice_id = _publish_bilingual(rt, world, editor)
    with rt.sessions() as s:
        for query in ("niñez retornada", "NINEZ RETORNADA", "reintegracion", "reintegración",
                      "returned children", "psychosocial", "Psychosocíal", "municipal", "retorn"):
            assert _ids(practices.search(s, query)) == [practice_id], query
        assert practices.search(s, "niñez deportada") == []  # every word must be there
        assert _ids(practices.search(s, "children", theme=THEME)) == [practice_id]
        assert practices.search(s, "children", theme=OTHER_THEME) == []
        assert _ids(practices.search(s, "", country="GTM", population="returnees")) == [practice_id]
        assert practices.search(s, "", population="in_transit") == []
        assert practices.search(s, "", country="HND") == []
        # quotes and full-text operators are never syntax: words to find, or nothing
        assert practices.search(s, 'retornada" OR * NEAR( -') == []
        assert _ids(practices.search(s, '"*( -: ^')) == [practice_id]


def test_practice_appears_on_the_matching_action_of_other_countries_only(
        rt: Runtime, world: World, editor: str, db_url: str) -> None:
    practice_id = _publish_bilingual(rt, world, editor)
    for lang, title in (("es", SPANISH_ONLY["title_es"]), ("en", ENGLISH["title_en"])):
        links = links_for_url(db_url, "HND", [THEME, OTHER_THEME], lang)
        assert list(links) == [THEME]
        assert links[THEME][0]["title"] == title
        assert links[THEME][0]["url"].endswith(f"/{practice_id}/")
    assert links_for_url(db_url, "GTM", [THEME], "es") == {}  # never the country's own practices


def test_a_decided_practice_is_not_decided_again(rt: Runtime, world: World, editor: str,
                                                app_client: TestClient) -> None:
    # published: neither rejected behind the queue nor published again (409, nothing written)
    practice_id = _publish_bilingual(rt, world, editor)
    headers = login(app_client, editor)
    with rt.sessions() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    for decision in ("reject", "publish"):
        again = app_client.post(f"/api/v1/practices/{practice_id}/moderation", json={"decision": decision},
                                headers=headers)
        assert again.status_code == 409, again.text
        assert "already published or rejected" in again.json()["detail"]["en"]
    with rt.sessions() as s:
        assert s.get(Practice, practice_id).status == "published"
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "practice.moderate", AuditEntry.id > before)) == 0


def test_publishing_needs_both_languages_and_bad_input_names_the_field(
        rt: Runtime, world: World, editor: str, app_client: TestClient) -> None:
    with rt.sessions() as s:
        practice_id = practices.submit(ctx_for(s, world, "gtm_supervisor"), PracticeIn(**SPANISH_ONLY)).id
    headers = login(app_client, editor)
    refused = app_client.post(f"/api/v1/practices/{practice_id}/moderation", json={"decision": "publish"},
                              headers=headers)
    assert refused.status_code == 422
    assert "title_en" in refused.json()["detail"]["en"]
    supervisor = login(app_client, "gtm_supervisor")
    bad = app_client.post("/api/v1/practices", json=SPANISH_ONLY | {"theme": "origin.nothing.here"},
                          headers=supervisor)
    assert bad.status_code == 422 and "theme" in bad.json()["detail"]["en"]
    surrogate = app_client.post("/api/v1/practices", headers={**supervisor, "Content-Type": "application/json"},
                                content=json.dumps(SPANISH_ONLY | {"description": "@"}).replace('"@"', '"\\ud800"'))
    assert surrogate.status_code == 422 and surrogate.json()["detail"]["es"]
    foreign = app_client.post("/api/v1/practices", json=SPANISH_ONLY | {"country": "HND"}, headers=supervisor)
    assert foreign.status_code == 403  # a national supervisor submits for its own country
    assert app_client.get("/api/v1/practices/queue", headers=headers).json()[0]["id"] == practice_id


def test_only_editors_write_the_directory_and_moderate_and_refusals_are_audited(
        rt: Runtime, world: World, editor: str, app_client: TestClient) -> None:
    org = {"slug": "casa-migrante", "kind": "civil_society", "country": "MEX",
           "name_es": "Casa del Migrante", "name_en": "Migrant House"}
    with rt.sessions() as s:
        practice_id = practices.submit(ctx_for(s, world, "gtm_head"), PracticeIn(**SPANISH_ONLY)).id
    for username in ("gtm_head", "gtm_supervisor", "admin", "auditor"):
        headers = login(app_client, username)
        assert app_client.put("/api/v1/directory/organisations", json=org, headers=headers).status_code == 403
        assert app_client.post(f"/api/v1/practices/{practice_id}/moderation", json={"decision": "publish"},
                               headers=headers).status_code == 403
    assert app_client.put("/api/v1/directory/organisations", json=org).status_code == 401
    with rt.sessions() as s:
        denied = s.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
        assert sorted({(e.actor, e.action) for e in denied}) == sorted(
            {(u, a) for u in ("gtm_head", "gtm_supervisor", "admin", "auditor")
             for a in ("directory.edit", "practice.moderate")})
    headers = login(app_client, editor)
    saved = app_client.put("/api/v1/directory/organisations", json=org, headers=headers)
    assert saved.status_code == 200, saved.text
    with rt.sessions() as s:
        granted = s.scalars(select(AuditEntry).where(AuditEntry.action == "directory.edit",
                                                     AuditEntry.outcome == "granted")).all()
        assert [e.actor for e in granted] == ["editor"]
    assert [o["slug"] for o in app_client.get("/api/v1/directory/organisations").json()] == ["casa-migrante"]


def test_directory_pages_in_both_languages(rt: Runtime, world: World, editor: str,
                                           app_client: TestClient) -> None:
    with rt.sessions() as s:
        added = directory.load_seed(ctx_for(s, world, editor))
        assert added == (len(directory.bundled_seed().organisations), len(directory.bundled_seed().mechanisms))
        assert directory.load_seed(ctx_for(s, world, editor)) == (0, 0)  # a second run adds nothing
    practice_id = _publish_bilingual(rt, world, editor, organisations=["gtm-igm"])
    es = app_client.get("/es/directorio/")
    en = app_client.get("/en/directory/")
    assert es.status_code == en.status_code == 200
    assert 'lang="es"' in es.text and "Mecanismos conjuntos" in es.text and "Guatemala" in es.text
    assert 'lang="en"' in en.text and "Joint mechanisms" in en.text
    assert "Regional Conference on Migration (RCM)" in en.text and "Belize" in en.text
    assert 'href="/en/directory/"' in es.text  # the language switch
    cbp = app_client.get("/en/directory/us-cbp/")
    assert cbp.status_code == 200 and "<code>cbp_sw_land_border_encounters</code>" in cbp.text
    igm = app_client.get("/es/directorio/gtm-igm/")
    assert f'href="/es/buenas-practicas/{practice_id}/"' in igm.text
    page = app_client.get(f"/en/good-practices/{practice_id}/")
    assert page.status_code == 200 and ENGLISH["title_en"] in page.text
    found = app_client.get("/es/buenas-practicas/", params={"q": "ninez", "theme": THEME})
    assert found.status_code == 200 and SPANISH_ONLY["title_es"] in found.text
    assert app_client.get("/es/buenas-practicas/", params={"theme": "nope"}).status_code == 400
    assert app_client.get("/es/directorio/no-such-org/").status_code == 404
    assert app_client.get("/en/good-practices/99999/").status_code == 404


def test_every_form_field_is_escaped(rt: Runtime, world: World, editor: str, app_client: TestClient) -> None:
    attack = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    headers = login(app_client, editor)
    org = {"slug": "xss-org", "kind": "civil_society", "country": "MEX", "name_es": attack, "name_en": attack,
           "acronym": attack[:40], "description_es": attack, "description_en": attack}
    assert app_client.put("/api/v1/directory/organisations", json=org, headers=headers).status_code == 200
    mech = {"slug": "xss-mech", "kind": "network", "name_es": attack, "name_en": attack,
            "description_es": attack, "description_en": attack, "members": [{"organisation": "xss-org"}]}
    assert app_client.put("/api/v1/directory/mechanisms", json=mech, headers=headers).status_code == 200
    body = SPANISH_ONLY | ENGLISH | {"title_es": attack, "summary_es": attack, "title_en": attack,
                                     "summary_en": attack, "description": attack, "results": attack,
                                     "contact": attack, "organisations": ["xss-org"]}
    created = app_client.post("/api/v1/practices", json=body, headers=headers)
    assert created.status_code == 201, created.text
    app_client.post(f"/api/v1/practices/{created.json()['id']}/moderation", json={"decision": "publish"},
                    headers=headers).raise_for_status()
    scripted_link = app_client.put("/api/v1/directory/organisations", headers=headers,
                                   json=org | {"website": "javascript:alert(3)"})
    assert scripted_link.status_code == 422
    for path in ("/es/directorio/", "/en/directory/xss-org/", f"/es/buenas-practicas/{created.json()['id']}/",
                 "/en/good-practices/?q=" + attack):
        html = app_client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;" in html, path


def test_without_an_initialised_database_pages_are_empty_and_the_api_says_what_to_do(tmp_path) -> None:
    rt = Runtime.from_url(f"sqlite:///{tmp_path / 'never-initialised.sqlite'}", TEST_SETTINGS)
    with TestClient(directory_app(rt, with_login=False)) as client:
        assert client.get("/es/directorio/").status_code == 200
        assert client.get("/en/good-practices/?q=x").status_code == 200
        assert client.get("/en/directory/us-cbp/").status_code == 404
        answer = client.get("/api/v1/practices")
        assert answer.status_code == 503 and "cases init" in answer.json()["detail"]["en"]
    rt.close()


def test_portal_pages_never_create_the_application_database(tmp_path) -> None:
    from observatorio.publish.api.app import create_app
    from observatorio.settings import Settings

    missing = tmp_path / "absent.sqlite"
    settings = Settings(db=tmp_path / "store.duckdb", cases_db=f"sqlite:///{missing}", secret_key="x" * 64)
    with TestClient(create_app(settings)) as client:
        assert client.get("/en/directory/").status_code == 200
        assert client.get("/es/buenas-practicas/?q=ninez").status_code == 200
    assert not missing.exists()
