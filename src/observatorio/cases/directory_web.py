"""Editors' browser forms of the directory, on the signed-in cases pages:

    /cases/directory                 the entries, each with its edit form link
    /cases/directory/organisation    create or edit an organisation (?slug= to edit)
    /cases/directory/mechanism       create or edit a joint mechanism and its members

The forms call the audited use cases of cases/directory.py; anyone without ``directory.edit``
gets a 403 page, and a submitted form from them leaves a "denied" audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from observatorio.cases import directory
from observatorio.cases.directory_schemas import MechanismIn, OrganisationIn
from observatorio.cases.errors import CasesError, forbidden
from observatorio.cases.page_kit import (
    Officer,
    OfficerDep,
    RuntimeDep,
    as_error,
    csrf_refused,
    error_text,
    lang_of,
    page_router,
    render,
)
from observatorio.cases.policy import Resource, authorize

router = page_router()
ORG_FIELDS = ("slug", "kind", "country", "name_es", "name_en", "acronym", "description_es", "description_en",
              "website", "data_contact")
MECHANISM_FIELDS = ("slug", "kind", "country", "name_es", "name_en", "description_es", "description_en")


def _editor(request: Request, me: Officer) -> Response | None:
    """None for an editor, else the 403 page (reading these forms changes nothing: not audited)."""
    if authorize(me.principal, directory.EDIT, Resource(countries=frozenset({""}))).allowed:
        return None
    return render(request, "cases_error.html", 403, me=me,
                  message=error_text(request, forbidden(directory.EDIT)))


@router.get("/cases/directory")
def directory_index(request: Request, me: OfficerDep) -> Response:
    if refused := _editor(request, me):
        return refused
    return render(request, "cases_directory.html", me=me, orgs=directory.organisations(me.ctx.session),
                  mechanisms=directory.mechanisms(me.ctx.session), done=request.query_params.get("done"))


@router.get("/cases/directory/organisation")
def organisation_form(request: Request, me: OfficerDep, slug: str | None = None) -> Response:
    if refused := _editor(request, me):
        return refused
    org = directory.organisation(me.ctx.session, slug) if slug and len(slug) <= 40 else None
    values = directory.organisation_out(org) | {"data_contact": org.data_contact} if org else {}
    return render(request, "cases_directory_organisation.html", me=me, values=values)


@router.post("/cases/directory/organisation")
async def organisation_save(request: Request, me: OfficerDep, rt: RuntimeDep) -> Response:
    form = {k: str(v)[:8000] for k, v in (await request.form()).items()}
    if refused := csrf_refused(request, me, rt, form.get("csrf_token", "")):
        return refused
    values: dict[str, Any] = {k: form[k].strip() for k in ORG_FIELDS if form.get(k, "").strip()}
    values["sources"] = [s.strip() for s in form.get("sources", "").replace(",", "\n").splitlines() if s.strip()]
    return _save(request, me, "cases_directory_organisation.html", values,
                 lambda: directory.save_organisation(me.ctx, OrganisationIn.model_validate(values)).slug)


@router.get("/cases/directory/mechanism")
def mechanism_form(request: Request, me: OfficerDep, slug: str | None = None) -> Response:
    if refused := _editor(request, me):
        return refused
    found = [m for m in directory.mechanisms(me.ctx.session) if m.slug == slug]
    values = directory.mechanism_out(found[0]) if found else {}
    return render(request, "cases_directory_mechanism.html", me=me, values=values)


@router.post("/cases/directory/mechanism")
async def mechanism_save(request: Request, me: OfficerDep, rt: RuntimeDep) -> Response:
    form = {k: str(v)[:8000] for k, v in (await request.form()).items()}
    if refused := csrf_refused(request, me, rt, form.get("csrf_token", "")):
        return refused
    values: dict[str, Any] = {k: form[k].strip() for k in MECHANISM_FIELDS if form.get(k, "").strip()}
    # one member a line: a directory slug (lower case) or a member state's ISO3 code (upper case)
    values["members"] = [{"country": line} if line.isupper() else {"organisation": line}
                         for line in (x.strip() for x in form.get("members", "").splitlines()) if line][:200]
    return _save(request, me, "cases_directory_mechanism.html", values,
                 lambda: directory.save_mechanism(me.ctx, MechanismIn.model_validate(values)).slug)


def _save(request: Request, me: Officer, template: str, values: dict[str, Any], save: Callable[[], str]) -> Response:
    """Run ``save`` (returns the entry's slug); a refusal re-shows the form with the reason."""
    try:
        slug = save()
    except (ValidationError, CasesError) as exc:
        err = as_error(exc)
        return render(request, template, err.status, me=me, values=values, error=error_text(request, err))
    return RedirectResponse(f"/cases/directory?lang={lang_of(request)}&done={slug}", status_code=303)
