"""Officer pages of returnee reception: arrivals, manifest import, and the one-page intake form
(keyboard only: autofocus on the first field, fields in working order, Enter submits, then the
next person on the manifest opens with the outcome of the last one on top).

The pages act through the same use-cases as the API (arrivals.py, intake.py), so the one policy
function decides and every read of personal data is audited. Rendering, the session check and
CSRF come from the officer pages (officer_web)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import UploadFile

from observatorio.cases.bounds import PathId, id_of
from observatorio.cases.errors import CasesError, Invalid
from observatorio.cases.models import Case, Organisation
from observatorio.cases.page_kit import (
    Officer,
    OfficerDep,
    RuntimeDep,
    as_error,
    csrf_refused,
    error_text,
    lang_of,
    now_of,
    page_router,
    render,
)
from observatorio.cases.reception import arrivals, geography, intake, screening
from observatorio.cases.reception.manifest import MAX_BYTES
from observatorio.cases.reception.models import Arrival, Intake
from observatorio.cases.reception.schemas import ArrivalDetail, ArrivalIn, IntakeIn
from observatorio.cases.referral_models import Referral
from observatorio.cases.vocab import Sex

router = page_router()
ACCOMPANIMENTS = ("SINGLE_ADULT", "FAMILY_UNIT", "ACCOMPANIED", "UNACCOMPANIED", "_U")
INTAKE_FIELDS = ("given_names", "family_names", "date_of_birth", "sex", "department", "municipality_code",
                 "municipality_text", "accompaniment")


def _country(me: Officer, arrival_id: int) -> str:
    """The country of the arrival's centre (departments and protocol variants are its own)."""
    arrival = me.ctx.session.get(Arrival, arrival_id)
    return arrival.organisation.country if arrival else ""


@router.get("/cases/reception")
def reception_home(request: Request, me: OfficerDep) -> Response:
    """Recent arrivals of the officer's centre and the form that records a new one."""
    return render(request, "reception_home.html", me=me, arrivals=arrivals.list_arrivals(me.ctx), values={})


@router.post("/cases/reception/arrivals")
async def arrival_submit(request: Request, me: OfficerDep, rt: RuntimeDep) -> Response:
    form = {k: str(v)[:200] for k, v in (await request.form()).items()}
    if refused := csrf_refused(request, me, rt, form.get("csrf_token", "")):
        return refused
    fields = {k: form[k].strip() for k in ("mode", "arrival_date", "arriving_from", "expected_count")
              if form.get(k, "").strip()}
    if "arriving_from" in fields:
        fields["arriving_from"] = fields["arriving_from"].upper()
    try:
        out = arrivals.create_arrival(me.ctx, ArrivalIn.model_validate(fields))
    except (ValidationError, CasesError) as exc:
        err = as_error(exc)
        # the form again with what was typed; its language switch leads to the form's own address
        return render(request, "reception_home.html", err.status, switch_to="/cases/reception", me=me,
                      arrivals=arrivals.list_arrivals(me.ctx), values=fields, error=error_text(request, err))
    return RedirectResponse(f"/cases/reception/a/{out.id}?lang={lang_of(request)}", status_code=303)


def _arrival_page(request: Request, me: Officer, arrival_id: int, status: int = 200, **extra: Any) -> Response:
    """The arrival's page; after a refused manifest its language switch leads to the arrival's
    own address (the post's answers no GET)."""
    back = f"/cases/reception/a/{arrival_id}"
    try:
        detail = arrivals.get_arrival(me.ctx, arrival_id)
    except CasesError as exc:
        return render(request, "cases_error.html", exc.status, switch_to=back, me=me,
                      message=error_text(request, exc))
    return render(request, "reception_arrival.html", status, switch_to=back, me=me, detail=detail, **extra)


@router.get("/cases/reception/a/{arrival_id}")
def arrival_page(request: Request, me: OfficerDep, arrival_id: PathId) -> Response:
    """An arrival: counts, the manifest import, and the manifest with who was received."""
    return _arrival_page(request, me, arrival_id)


@router.post("/cases/reception/a/{arrival_id}/manifest")
async def manifest_submit(request: Request, me: OfficerDep, rt: RuntimeDep, arrival_id: PathId) -> Response:
    """Import the manifest file; bad rows are listed by row and column and nothing is imported."""
    form = await request.form()
    if refused := csrf_refused(request, me, rt, str(form.get("csrf_token", ""))):
        return refused
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid(key="refusal.reception.choose_file", detail={"field": "file"})
        content = await upload.read(MAX_BYTES + 1)
        imported = arrivals.import_manifest(me.ctx, arrival_id, upload.filename, content, now_of(request).date())
    except CasesError as exc:
        problems = exc.extra.get("errors", [])
        return _arrival_page(request, me, arrival_id, exc.status, error=error_text(request, exc), problems=problems)
    return RedirectResponse(f"/cases/reception/a/{arrival_id}?lang={lang_of(request)}&imported={imported}",
                            status_code=303)


def _next_entry(detail: ArrivalDetail, after: int | None = None) -> int | None:
    """The next manifest row nobody has received yet (after ``after`` first, then from the top)."""
    open_rows = [e.id for e in detail.manifest if e.intake_id is None]
    later = [e for e in open_rows if after is not None and e > after]
    candidates = later or open_rows
    return candidates[0] if candidates else None


def _last_outcome(me: Officer, intake_id: int | None) -> dict[str, Any] | None:
    """What the last intake of this officer produced: the case and the referrals required
    (re-derived from the recorded screening, so no personal data is read again)."""
    if intake_id is None:
        return None
    row = me.ctx.session.get(Intake, intake_id)
    if row is None or row.created_by_id != me.principal.user_id:
        return None
    try:  # the screening is the person's data: read under the arrival's grant, audited
        arrival, decision = arrivals.load_arrival(me.ctx, row.arrival_id, "reception.read", "reception.intake.read")
    except CasesError:
        return None
    reference = me.ctx.session.scalar(select(Case.reference).where(Case.id == row.case_id))
    mandated = me.ctx.session.scalars(select(Organisation.name).join(Referral, Referral.to_organisation_id ==
                                                                      Organisation.id)
                                      .where(Referral.case_id == row.case_id, Referral.mandate.is_not(None))
                                      .order_by(Referral.id)).all()
    me.ctx.log(decision, "reception.intake.read", "person", row.person_id, ["vulnerabilities"])
    me.ctx.commit()
    return {"case_id": row.case_id, "reference": reference, "mandated": list(mandated),
            "referrals": screening.required_referrals(list(row.vulnerabilities), arrival.organisation.country)}


def _intake_form(request: Request, me: Officer, arrival_id: int, entry_id: int | None, status: int = 200,
                 values: dict[str, Any] | None = None, error: str | None = None,
                 last: dict[str, Any] | None = None) -> Response:
    try:
        detail = arrivals.get_arrival(me.ctx, arrival_id)
    except CasesError as exc:
        return render(request, "cases_error.html", exc.status, me=me, message=error_text(request, exc))
    entry = next((e for e in detail.manifest if e.id == entry_id), None)
    country = _country(me, arrival_id)
    if values is None:
        # a received row the officer may not read has no identity to fill in (arrivals.get_arrival)
        values = ({"given_names": entry.given_names or "", "family_names": entry.family_names or "",
                   "date_of_birth": entry.date_of_birth.isoformat() if entry.date_of_birth else "",
                   "sex": entry.sex or ""} if entry else {})
    has_list = geography.has_municipality_list(me.ctx.session, country)
    municipalities = []
    if has_list:
        municipalities = [m for d in geography.departments(country)
                          for m in geography.municipalities(me.ctx.session, d.code)]
    return render(request, "reception_intake.html", status, me=me, detail=detail, entry=entry, values=values,
                  departments=geography.departments(country), has_list=has_list, municipalities=municipalities,
                  accompaniments=ACCOMPANIMENTS, flags=screening.flags(), services=screening.services(),
                  sexes=list(Sex), error=error, last=last)


@router.get("/cases/reception/a/{arrival_id}/intake")
def intake_form(request: Request, me: OfficerDep, arrival_id: PathId, entry: str | None = None,
                after: str | None = None) -> Response:
    """The intake form for one manifest row (``entry``), or for someone not on the manifest."""
    entry_id = id_of(entry)
    last = _last_outcome(me, id_of(after))
    return _intake_form(request, me, arrival_id, entry_id, last=last)


@router.post("/cases/reception/a/{arrival_id}/intake")
async def intake_submit(request: Request, me: OfficerDep, rt: RuntimeDep, arrival_id: PathId) -> Response:
    """Record the intake, then open the form of the next person on the manifest."""
    form = await request.form()
    if refused := csrf_refused(request, me, rt, str(form.get("csrf_token", ""))):
        return refused
    values = {k: str(form.get(k, ""))[:200].strip() for k in (*INTAKE_FIELDS, "manifest_entry_id")}
    fields: dict[str, Any] = {k: v for k, v in values.items() if v}
    fields["vulnerabilities"] = [str(v)[:40] for v in form.getlist("vulnerabilities")][:20]
    fields["services"] = [str(v)[:40] for v in form.getlist("services")][:20]
    entry_id = id_of(values["manifest_entry_id"])
    try:
        out = intake.record_intake(me.ctx, arrival_id, IntakeIn.model_validate(fields), now_of(request).date())
    except (ValidationError, CasesError) as exc:
        me.ctx.session.rollback()
        err = as_error(exc)
        return _intake_form(request, me, arrival_id, entry_id, err.status, values=fields,
                            error=error_text(request, err))
    detail = arrivals.get_arrival(me.ctx, arrival_id)
    following = _next_entry(detail, entry_id)
    target = f"/cases/reception/a/{arrival_id}/intake?after={out.id}&lang={lang_of(request)}"
    if following is not None:
        target += f"&entry={following}"
    return RedirectResponse(target, status_code=303)
