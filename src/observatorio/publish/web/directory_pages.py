"""Public portal pages of the directory and the good-practice registry, in both languages:

    /es/directorio/            /en/directory/              organisations and joint mechanisms
    /es/directorio/<slug>/     /en/directory/<slug>/       one organisation: datasets, mechanisms, practices
    /es/buenas-practicas/      /en/good-practices/         search (words, theme, country, population)
    /es/buenas-practicas/<id>/ /en/good-practices/<id>/    one published practice

They read the application database (cases runtime) and are never cached: editors change them
without a data load. A database not initialised yet shows empty pages, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from observatorio.cases import directory, practices
from observatorio.cases.api import get_runtime
from observatorio.cases.db import database_exists
from observatorio.cases.directory_schemas import POPULATIONS
from observatorio.cases.errors import CasesError
from observatorio.model.app_tables import text_in
from observatorio.model.codelists import CRM_MEMBERS, country_label
from observatorio.publish.api.cases_paths import SLUGS
from observatorio.publish.web import pages, routes
from observatorio.publish.web.texts import Texts
from observatorio.sources.catalogue import source_titles

router = APIRouter(include_in_schema=False)
HEADERS = {"Cache-Control": "no-cache", "X-Frame-Options": "DENY"}


def url(lang: str, section: str, item: object | None = None) -> str:
    base = f"/{lang}/{SLUGS[section][lang]}/"
    return f"{base}{item}/" if item is not None else base


def _read(request: Request, query: Callable[[Session], dict[str, Any]], empty: dict[str, Any]) -> dict[str, Any]:
    """``query``'s context from the application database, or ``empty`` when there is none yet
    (a statistics-only deployment): the pages then say there is nothing, never an error."""
    settings = getattr(request.app.state, "settings", None)
    if getattr(request.app.state, "cases_runtime", None) is None and settings is not None \
            and not database_exists(settings.cases_db_url):
        return empty  # reading must not create the SQLite file
    try:
        with get_runtime(request).sessions() as session:
            return query(session)
    except (SQLAlchemyError, CasesError):
        return empty


def _render(request: Request, lang: str, template: str, section: str, item: object | None,
            status: int = 200, **context: Any) -> Response:
    other = "en" if lang == "es" else "es"
    base = routes._base_context(lang, None, None, request)
    query = f"?{request.url.query}" if request.url.query else ""
    base |= {"switch_url": url(other, section, item) + query, "nav_current": section,
             "alternates": {code: url(code, section, item) for code in ("es", "en")}, "has_charts": False}
    html = routes._env.get_template(template).render(
        **base, **context, tx=Texts(lang), country=lambda iso3: country_label(iso3, lang),
        dir_url=lambda item=None: url(lang, "directory", item),
        practice_url=lambda item=None: url(lang, "practices", item),
        text_in=lambda p, field: text_in(p, field, lang))
    return Response(html, status_code=status, media_type=routes.HTML_TYPE, headers=HEADERS)


def _sources_by_id(lang: str) -> dict[str, str]:
    return source_titles(lang)


def directory_page(request: Request, lang: str) -> Response:
    context = _read(request, lambda s: {"orgs": directory.organisations(s), "mechanisms": directory.mechanisms(s)},
                    {"orgs": [], "mechanisms": []})
    return _render(request, lang, "directory.html", "directory", None,
                   kinds=("state_institution", "civil_society", "international"), **context)


def organisation_page(request: Request, lang: str, slug: str) -> Response:
    titles = _sources_by_id(lang)

    def query(session: Session) -> dict[str, Any]:
        org = directory.organisation(session, slug)
        if org is None:
            return {}
        linked = [p for p in practices.search(session, limit=1000)
                  if any(link.organisation_id == org.id for link in p.organisations)]
        return {"org": org, "mechanisms": directory.mechanisms_of(session, org.id), "practices": linked,
                "provided": [(s, titles[s]) for s in directory.provided_sources(org, list(titles))]}

    context = _read(request, query, {})
    if not context:
        return _missing(request, lang, "directory")
    return _render(request, lang, "directory_organisation.html", "directory", slug,
                   data_url=pages.page_url(lang, "data"), **context)


def practices_page(request: Request, lang: str) -> Response:
    q = request.query_params
    query = q.get("q", "")[:200]
    theme = q.get("theme") or None
    country = q.get("country") or None
    population = q.get("population") or None
    known = practices.themes()
    problems = [name for name, value, allowed in (
        ("theme", theme, known), ("country", country, CRM_MEMBERS), ("population", population, POPULATIONS))
        if value is not None and value not in allowed]
    found = [] if problems else _read(
        request, lambda s: {"found": practices.search(s, query, theme, country, population)}, {"found": []})["found"]
    return _render(request, lang, "practices.html", "practices", None, status=400 if problems else 200,
                   found=found, problems=problems, query=query, theme=theme, country_code=country,
                   population=population, themes=list(known.values()), members=CRM_MEMBERS,
                   populations=POPULATIONS)


def practice_page(request: Request, lang: str, ident: str) -> Response:
    if not (ident.isdecimal() and len(ident) < 10):
        return _missing(request, lang, "practices")
    found = _read(request, lambda s: {"practice": practices.published(s, int(ident))}, {}).get("practice")
    if found is None:
        return _missing(request, lang, "practices")
    return _render(request, lang, "practice.html", "practices", found.id, practice=found,
                   theme=practices.themes().get(found.theme))


def _missing(request: Request, lang: str, section: str) -> Response:
    return _render(request, lang, "not_found.html", section, None, status=404, charts={})


def _route(section: str, lang: str) -> None:
    slug = SLUGS[section][lang]
    listing = directory_page if section == "directory" else practices_page
    single = organisation_page if section == "directory" else practice_page

    @router.get(f"/{lang}/{slug}/", name=f"{section}-{lang}")
    def _list(request: Request) -> Response:
        return listing(request, lang)

    @router.get(f"/{lang}/{slug}", name=f"{section}-{lang}-redirect")
    def _slash(request: Request) -> Response:
        return RedirectResponse(url(lang, section), status_code=307)

    @router.get(f"/{lang}/{slug}/{{item}}/", name=f"{section}-{lang}-item")
    def _item(request: Request, item: str) -> Response:
        return single(request, lang, item)


for _section in SLUGS:
    for _lang in ("es", "en"):
        _route(_section, _lang)
