"""Under each recommended action of a country profile: published practices of OTHER countries
whose theme is that action (cases/practices.py), for the portal and the country bulletin.

They are read with the DB-API driver (public_case_reads.py), never through the cases side: a
portal worker that shows them does not load SQLAlchemy and the models (issue #12).
"""

from __future__ import annotations

from typing import Any

from observatorio.model.app_tables import text_in
from observatorio.model.codelists import country_label
from observatorio.publish.api.cases_paths import SLUGS
from observatorio.publish.web.cases_database import surely_absent
from observatorio.publish.web.public_case_reads import practices_for_actions

Links = dict[str, list[dict[str, str]]]


def links_for_url(url: str, iso3: str, action_ids: list[str], lang: str) -> Links:
    """Action id → [{title, summary, country, url}] from the application database at ``url``;
    empty when it is not there (a SQLite file that does not exist is not created), not
    migrated or not reachable."""
    if not action_ids or surely_absent(url):
        return {}
    slug = SLUGS["practices"][lang]
    found = practices_for_actions(url, action_ids, iso3)
    return {action: [{"title": text_in(p, "title", lang), "summary": text_in(p, "summary", lang),
                      "country": country_label(p.country, lang), "url": f"/{lang}/{slug}/{p.id}/"}
                     for p in items]
            for action, items in found.items() if items}


def practice_links(request: Any, lang: str, iso3: str, context: dict[str, Any]) -> Links:
    """The links for a built country page context (its ``analysis.actions``), from the server's
    application database (``settings.cases_db_url``, the one its cases side uses)."""
    analysis = context.get("analysis") or {}
    ids = [a["id"] for a in analysis.get("actions", []) if a.get("id")]
    settings = getattr(request.app.state, "settings", None)
    if not ids or settings is None or not settings.cases_web:
        return {}  # a statistics-only server: no practice pages to link to
    return links_for_url(settings.cases_db_url, iso3, ids, lang)
