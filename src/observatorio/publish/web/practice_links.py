"""Under each recommended action of a country profile: published practices of OTHER countries
whose theme is that action (cases/practices.py), for the portal and the country bulletin."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from observatorio.cases import practices
from observatorio.cases.errors import CasesError
from observatorio.cases.runtime import Runtime
from observatorio.model.codelists import country_label


def links_for(runtime: Runtime, iso3: str, action_ids: list[str], lang: str) -> dict[str, list[dict[str, str]]]:
    """Action id → [{title, summary, country, url}]; empty when the database is not there."""
    if not action_ids:
        return {}
    slug = "buenas-practicas" if lang == "es" else "good-practices"
    try:
        with runtime.sessions() as session:
            found = practices.for_actions(session, action_ids, iso3)
            return {action: [{"title": practices.text_in(p, "title", lang),
                              "summary": practices.text_in(p, "summary", lang),
                              "country": country_label(p.country, lang),
                              "url": f"/{lang}/{slug}/{p.id}/"} for p in items]
                    for action, items in found.items() if items}
    except SQLAlchemyError:  # no application database (a statistics-only deployment)
        return {}


def practice_links(request: Any, lang: str, iso3: str, context: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """The links for a built country page context (its ``analysis.actions``)."""
    from observatorio.cases.api import get_runtime

    analysis = context.get("analysis") or {}
    ids = [a["id"] for a in analysis.get("actions", []) if a.get("id")]
    try:
        runtime = get_runtime(request)
    except CasesError:  # the application database is misconfigured: the profile still renders
        return {}
    return links_for(runtime, iso3, ids, lang)
