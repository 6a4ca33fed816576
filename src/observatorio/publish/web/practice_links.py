"""Under each recommended action of a country profile: published practices of OTHER countries
whose theme is that action (cases/practices.py), for the portal and the country bulletin.

The cases side (SQLAlchemy, its models) is imported when links are looked up, never with this
module: a statistics-only server (``OBSERVATORIO_CASES_WEB=false``) never loads it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from observatorio.model.codelists import country_label
from observatorio.publish.api.cases_paths import SLUGS
from observatorio.publish.web.cases_database import surely_absent

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Links = dict[str, list[dict[str, str]]]


def links_for(sessions: Callable[[], Session], iso3: str, action_ids: list[str], lang: str) -> Links:
    """Action id → [{title, summary, country, url}]; empty when the database is not there."""
    if not action_ids:
        return {}
    from sqlalchemy.exc import SQLAlchemyError

    from observatorio.cases import practices

    slug = SLUGS["practices"][lang]
    try:
        with sessions() as session:
            found = practices.for_actions(session, action_ids, iso3)
            return {action: [{"title": practices.text_in(p, "title", lang),
                              "summary": practices.text_in(p, "summary", lang),
                              "country": country_label(p.country, lang),
                              "url": f"/{lang}/{slug}/{p.id}/"} for p in items]
                    for action, items in found.items() if items}
    except SQLAlchemyError:  # no application database (a statistics-only deployment)
        return {}


def links_for_url(url: str, iso3: str, action_ids: list[str], lang: str) -> Links:
    """The same for a database URL (the bulletin, outside the web app); a SQLite file that does
    not exist is not created: no practices then."""
    from sqlalchemy.orm import sessionmaker

    from observatorio.cases.db import database_exists, make_engine

    if not database_exists(url):
        return {}
    engine = make_engine(url)
    try:
        return links_for(sessionmaker(engine), iso3, action_ids, lang)
    finally:
        engine.dispose()


def practice_links(request: Any, lang: str, iso3: str, context: dict[str, Any]) -> Links:
    """The links for a built country page context (its ``analysis.actions``)."""
    analysis = context.get("analysis") or {}
    ids = [a["id"] for a in analysis.get("actions", []) if a.get("id")]
    settings = getattr(request.app.state, "settings", None)
    if not ids or (settings is not None and not settings.cases_web):
        return {}  # a statistics-only server: no practice pages to link to
    # A statistics-only deployment: no application database to create here, told before the
    # cases side is imported (cases_database.py: a worker that serves only the portal never loads it).
    if getattr(request.app.state, "cases_runtime", None) is None and settings is not None \
            and surely_absent(settings.cases_db_url):
        return {}
    from observatorio.cases.api import get_runtime
    from observatorio.cases.errors import CasesError

    try:
        runtime = get_runtime(request)
    except CasesError:  # the application database is misconfigured: the profile still renders
        return {}
    return links_for(runtime.sessions, iso3, ids, lang)
