"""REST API of the directory and the good-practice registry.

Reads are public (``/api/v1/directory/…``, ``/api/v1/practices``: published practices only);
writes take the bearer token of ``/api/v1/auth/token`` and the policy decides (editors for the
directory and for moderation; organisations' roles for submitting).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy.exc import OperationalError, ProgrammingError

from observatorio.api_texts import api_text
from observatorio.cases import directory, practices
from observatorio.cases.api import SAFE_TEXT, CasesRoute, CtxDep, SessionDep
from observatorio.cases.bounds import PathId
from observatorio.cases.directory_schemas import (
    POPULATIONS,
    MechanismIn,
    Moderation,
    OrganisationIn,
    PracticeIn,
    PracticeTranslation,
)
from observatorio.cases.errors import Misconfigured, not_found
from observatorio.sources.catalogue import all_source_infos

router = APIRouter(route_class=CasesRoute, tags=["cases", "directory"])  # fuzzed with the cases API
PUBLIC = {"x-personal-data": False}
# Practices carry an institutional contact: writes and the moderation queue are audited.
AUDITED = {"x-personal-data": True}
SlugPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]


@contextmanager
def _database_ready() -> Iterator[None]:
    """A public read of a database never initialised answers 503 with what to do, not a 500."""
    try:
        yield
    except (OperationalError, ProgrammingError) as exc:
        raise Misconfigured(key="refusal.directory.database_not_initialised") from exc


def _known_sources() -> list[str]:
    return sorted(info.id for info in all_source_infos())


@router.get("/api/v1/directory/organisations", openapi_extra=PUBLIC,
            summary=api_text("api.doc.directory.list_organisations.summary"),
            description=api_text("api.doc.directory.list_organisations.description"))
def list_organisations(session: SessionDep) -> list[dict[str, Any]]:
    """Every organisation of the directory, with the registered sources it provides."""
    known = _known_sources()
    with _database_ready():
        return [directory.organisation_out(o) | {"provides": directory.provided_sources(o, known)}
                for o in directory.organisations(session)]


@router.get("/api/v1/directory/mechanisms", openapi_extra=PUBLIC,
            summary=api_text("api.doc.directory.list_mechanisms.summary"),
            description=api_text("api.doc.directory.list_mechanisms.description"))
def list_mechanisms(session: SessionDep) -> list[dict[str, Any]]:
    """Joint mechanisms (CRM working groups, national roundtables, networks) and their members."""
    with _database_ready():
        return [directory.mechanism_out(m) for m in directory.mechanisms(session)]


@router.put("/api/v1/directory/organisations", openapi_extra=AUDITED,
            summary=api_text("api.doc.directory.put_organisation.summary"),
            description=api_text("api.doc.directory.put_organisation.description"))
def put_organisation(ctx: CtxDep, body: OrganisationIn) -> dict[str, Any]:
    """Create or replace an organisation (identified by its slug). Editors only."""
    return directory.organisation_out(directory.save_organisation(ctx, body))


@router.put("/api/v1/directory/mechanisms", openapi_extra=AUDITED,
            summary=api_text("api.doc.directory.put_mechanism.summary"),
            description=api_text("api.doc.directory.put_mechanism.description"))
def put_mechanism(ctx: CtxDep, body: MechanismIn) -> dict[str, Any]:
    """Create or replace a joint mechanism and its member list. Editors only."""
    return directory.mechanism_out(directory.save_mechanism(ctx, body))


@router.delete("/api/v1/directory/organisations/{slug}", status_code=204, openapi_extra=AUDITED,
               summary=api_text("api.doc.directory.delete_organisation.summary"),
               description=api_text("api.doc.directory.delete_organisation.description"))
def delete_organisation(ctx: CtxDep, slug: SlugPath) -> None:
    """Remove an organisation from the directory. Editors only."""
    directory.delete_organisation(ctx, slug)


@router.get("/api/v1/practices/themes", openapi_extra=PUBLIC,
            summary=api_text("api.doc.directory.practice_themes.summary"),
            description=api_text("api.doc.directory.practice_themes.description"))
def practice_themes() -> dict[str, Any]:
    """The themes (lines of action of the CRM matrix) and the populations a practice may name."""
    return {"themes": [{"id": a.id, "role": a.role, "subtheme": a.subtheme, "es": a.text_es, "en": a.text_en}
                       for a in practices.themes().values()],
            "populations": list(POPULATIONS)}


@router.get("/api/v1/practices", openapi_extra=PUBLIC,
            summary=api_text("api.doc.directory.search_practices.summary"),
            description=api_text("api.doc.directory.search_practices.description"))
def search_practices(
    session: SessionDep,
    q: Annotated[str, Query(max_length=200, pattern=SAFE_TEXT)] = "",
    theme: Annotated[str | None, Query(max_length=80, pattern=r"^[a-z_.]+$")] = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    population: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z_]+$")] = None,
) -> list[dict[str, Any]]:
    """Published practices: words in either language (accents ignored), theme, country, population."""
    with _database_ready():
        return [practices.practice_out(p) for p in practices.search(session, q, theme, country, population)]


@router.get("/api/v1/practices/queue", openapi_extra=AUDITED,
            summary=api_text("api.doc.directory.moderation_queue.summary"),
            description=api_text("api.doc.directory.moderation_queue.description"))
def moderation_queue(ctx: CtxDep) -> list[dict[str, Any]]:
    """Practices awaiting moderation. Editors only."""
    return [practices.practice_out(p, with_status=True) for p in practices.queue(ctx)]


@router.get("/api/v1/practices/{practice_id}", openapi_extra=PUBLIC,
            summary=api_text("api.doc.directory.get_practice.summary"))
def get_practice(session: SessionDep, practice_id: PathId) -> dict[str, Any]:
    with _database_ready():
        found = practices.published(session, practice_id)
    if found is None:
        raise not_found("practice", practice_id)
    return practices.practice_out(found)


@router.post("/api/v1/practices", status_code=201, openapi_extra=AUDITED,
             summary=api_text("api.doc.directory.submit_practice.summary"),
             description=api_text("api.doc.directory.submit_practice.description"))
def submit_practice(ctx: CtxDep, body: PracticeIn) -> dict[str, Any]:
    """Submit a practice for moderation (roles with practice.submit)."""
    return practices.practice_out(practices.submit(ctx, body), with_status=True)


@router.patch("/api/v1/practices/{practice_id}", openapi_extra=AUDITED,
              summary=api_text("api.doc.directory.translate_practice.summary"),
              description=api_text("api.doc.directory.translate_practice.description"))
def translate_practice(ctx: CtxDep, practice_id: PathId, body: PracticeTranslation) -> dict[str, Any]:
    """Add or correct titles and summaries (the second language). Editors only."""
    return practices.practice_out(practices.translate(ctx, practice_id, body), with_status=True)


@router.post("/api/v1/practices/{practice_id}/moderation", openapi_extra=AUDITED,
             summary=api_text("api.doc.directory.moderate_practice.summary"),
             description=api_text("api.doc.directory.moderate_practice.description"))
def moderate_practice(ctx: CtxDep, practice_id: PathId, body: Moderation) -> dict[str, Any]:
    """Publish or reject a submitted practice. Editors only."""
    return practices.practice_out(practices.moderate(ctx, practice_id, body), with_status=True)
