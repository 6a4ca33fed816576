"""Officer web pages of referrals: record consent, refer or transfer a case, the receiver's
minimised view with accept / decline / complete, and the inbox of notices.

Same rules as officer_web.py: every action goes through the use-cases (cases/referrals.py),
which decide with the one policy function and audit; every form carries the session's CSRF
token; texts come from the portal's catalogue (keys ``referrals.*``), Spanish first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from observatorio.cases import inbox_view, notifications, referrals
from observatorio.cases.bounds import PathId
from observatorio.cases.case_records import get_case
from observatorio.cases.confirm_page import cancelled, confirm_page, confirmed
from observatorio.cases.errors import CasesError
from observatorio.cases.models import Organisation
from observatorio.cases.page_kit import (
    OfficerDep,
    RuntimeDep,
    as_error,
    csrf_refused,
    error_text,
    lang_of,
    page_router,
    render,
)
from observatorio.cases.referral_profiles import get_profiles
from observatorio.cases.referral_schemas import ConsentIn, ReferralAnswer, ReferralIn, ReferralOut
from observatorio.formula_guard import neutral_value
from observatorio.i18n import fmt_datetime_utc
from observatorio.publish.web.texts import Texts

router = page_router()
MAX_FIELD = 5000


def _form_error(request: Request, me: Any, exc: CasesError) -> Response:
    return render(request, "cases_error.html", exc.status, me=me, message=error_text(request, exc))


async def _button(request: Request, me: Any, rt: Any, act: Callable[[], object],
                  path: str, fragment: str = "") -> Response:
    """A form that is only a button: the CSRF token, the action, then ``path``."""
    form = await request.form()
    if refused := csrf_refused(request, me, rt, str(form.get("csrf_token", ""))):
        return refused
    try:
        act()
    except CasesError as exc:
        return _form_error(request, me, exc)
    return RedirectResponse(f"{path}?lang={lang_of(request)}{fragment}", status_code=303)


def _refer_context(me: Any, case_id: int) -> dict[str, Any]:
    case = get_case(me.ctx, case_id)
    # the consents a referral may rest on: not withdrawn, given to the case's present holder
    consents = [c for c in referrals.case_consents(me.ctx, case_id)
                if c.withdrawn_at is None and c.organisation_id == case.organisation_id]
    orgs = me.ctx.session.scalars(select(Organisation).where(Organisation.id != case.organisation_id)
                                  .order_by(Organisation.country, Organisation.name)).all()
    return {"case": case, "consents": consents, "orgs": orgs, "catalogue": get_profiles()}


def _refer_page(request: Request, me: Any, case_id: int, status: int = 200, error: str | None = None,
                values: dict[str, Any] | None = None) -> Response:
    """The consent and refer form; after a post (a refusal, a cancelled question) it holds what
    was typed, and its language switch leads to the form's own address (the post's answers no GET)."""
    try:
        context = _refer_context(me, case_id)
    except CasesError as exc:
        return _form_error(request, me, exc)
    return render(request, "cases_refer.html", status, switch_to=f"/cases/c/{case_id}/refer", me=me, error=error,
                  values=values or {}, **context)


@router.get("/cases/c/{case_id}/refer")
def refer_form(request: Request, me: OfficerDep, case_id: PathId) -> Response:
    """Record consent and refer (or transfer) the case."""
    return _refer_page(request, me, case_id)


@router.post("/cases/c/{case_id}/consents")
async def consent_submit(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId) -> Response:
    form = {k: str(v)[:MAX_FIELD] for k, v in (await request.form()).items()}
    if refused := csrf_refused(request, me, rt, form.get("csrf_token", "")):
        return refused
    fields = {k: form[k].strip() for k in ("given_by", "guardian_name", "given_at", "given_to", "purpose")
              if form.get(k, "").strip()}
    try:
        referrals.record_consent(me.ctx, case_id, ConsentIn.model_validate(fields))
    except (ValidationError, CasesError) as exc:
        err = as_error(exc)
        return _refer_page(request, me, case_id, err.status, error_text(request, err), fields)
    return RedirectResponse(f"/cases/c/{case_id}/refer?lang={lang_of(request)}#refer", status_code=303)


@router.post("/cases/c/{case_id}/consents/{consent_id}/withdraw")
async def consent_withdraw(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId, consent_id: PathId) -> Response:
    form = await request.form()
    if not confirmed(form):  # the first post: the same checks, then the question
        if refused := csrf_refused(request, me, rt, str(form.get("csrf_token", ""))):
            return refused
        if cancelled(form):  # nothing was typed: back to the case
            return RedirectResponse(f"/cases/c/{case_id}?lang={lang_of(request)}#referrals", status_code=303)
        try:
            reference = referrals.check_withdraw(me.ctx, case_id, consent_id)
        except CasesError as exc:
            return _form_error(request, me, exc)
        tx = Texts(lang_of(request))
        return confirm_page(request, me, lines=[tx("confirm.withdraw_consent", id=consent_id, reference=reference)],
                            action=f"/cases/c/{case_id}/consents/{consent_id}/withdraw", fields=[],
                            cancel=f"/cases/c/{case_id}#referrals", confirm_label=tx("confirm.withdraw_consent.button"))
    return await _button(request, me, rt,
                         lambda: referrals.withdraw_consent(me.ctx, case_id, consent_id),
                         f"/cases/c/{case_id}", "#referrals")


@router.post("/cases/c/{case_id}/referrals")
async def referral_submit(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId) -> Response:
    raw = await request.form()
    if refused := csrf_refused(request, me, rt, str(raw.get("csrf_token", ""))):
        return refused
    form = {k: str(v)[:MAX_FIELD].strip() for k, v in raw.items() if k != "services"}
    data: dict[str, Any] = {k: form[k] for k in ("to_organisation_id", "profile", "reason", "consent_id",
                                                  "override_justification") if form.get(k)}
    data["services"] = [str(s)[:40] for s in raw.getlist("services")][:10]
    data["transfer"] = form.get("transfer") == "1"
    if cancelled(raw):  # the question's Cancel: the form again, holding what was typed
        return _refer_page(request, me, case_id, values=data)
    try:
        wanted = ReferralIn.model_validate(data)
        if not confirmed(raw):  # the first post: the same checks, then the question
            return _confirm_referral(request, me, case_id, referrals.check_referral(me.ctx, case_id, wanted), data)
        referrals.create_referral(me.ctx, case_id, wanted)
    except (ValidationError, CasesError) as exc:
        err = as_error(exc)
        return _refer_page(request, me, case_id, err.status, error_text(request, err), data)
    return RedirectResponse(f"/cases/c/{case_id}?lang={lang_of(request)}#referrals", status_code=303)


def _confirm_referral(request: Request, me: Any, case_id: int, preview: referrals.ReferralPreview,
                      data: dict[str, Any]) -> Response:
    tx = Texts(lang_of(request))
    kind = "confirm.transfer" if preview.transfer else "confirm.refer"
    fields = [(k, str(v)) for k, v in data.items() if k not in ("services", "transfer")]
    fields += [("services", s) for s in data["services"]]
    if preview.transfer:
        fields.append(("transfer", "1"))
    return confirm_page(request, me, lines=[tx(kind, reference=preview.reference, organisation=preview.to_organisation,
                                                country=preview.to_country)],
                        action=f"/cases/c/{case_id}/referrals", fields=fields,
                        cancel=f"/cases/c/{case_id}/refer#refer", confirm_label=tx(f"{kind}.button"))


def _confirm_answer(request: Request, me: Any, r: ReferralOut, step: str, fields: list[tuple[str, str]],
                    action: str) -> Response:
    """The question before answering or completing referral ``r`` (the receiver's view of it)."""
    tx = Texts(lang_of(request))
    key = "confirm.accept_transfer" if step == "accept" and r.transfer else f"confirm.{step}"
    line = tx(key, reference=r.reference, sender=r.from_organisation, receiver=r.to_organisation)
    return confirm_page(request, me, lines=[line], action=action, fields=fields,
                        cancel=f"/cases/referrals/{r.id}", confirm_label=tx(f"confirm.{step}.button"))


@router.get("/cases/referrals/{referral_id:int}")
def referral_page(request: Request, me: OfficerDep, referral_id: PathId) -> Response:
    """A referral: the receiver sees only the profile's fields, and may answer or complete it."""
    return _referral_page(request, me, referral_id)


def _referral_page(request: Request, me: Any, referral_id: int, values: dict[str, str] | None = None) -> Response:
    """The referral's page; after a cancelled answer it holds the typed reason, and its language
    switch leads to the referral's own address (the answer's answers no GET)."""
    try:
        view = referrals.referral_view(me.ctx, referral_id)
    except CasesError as exc:
        return _form_error(request, me, exc)
    receiving = any(g.organisation_id == view.referral.to_organisation_id for g in me.principal.grants)
    may_accept = receiving and view.referral.status == "pending" and referrals.receiver_may_accept(me.ctx, referral_id)
    return render(request, "cases_referral.html", switch_to=f"/cases/referrals/{referral_id}", me=me, view=view,
                  receiving=receiving, may_accept=may_accept, catalogue=get_profiles(), values=values or {})


@router.post("/cases/referrals/{referral_id}/answer")
async def referral_answer(request: Request, me: OfficerDep, rt: RuntimeDep, referral_id: PathId) -> Response:
    form = {k: str(v)[:MAX_FIELD] for k, v in (await request.form()).items()}
    if refused := csrf_refused(request, me, rt, form.get("csrf_token", "")):
        return refused
    if cancelled(form):  # the question's Cancel: the referral again, holding the typed reason
        return _referral_page(request, me, referral_id, {"reason": form.get("reason", "")})
    try:
        answer = ReferralAnswer(accept=form.get("decision") == "accept", reason=form.get("reason", "").strip())
        if not confirmed(form):  # the first post: the same checks, then the question
            step = "accept" if answer.accept else "decline"
            return _confirm_answer(request, me, referrals.check_answer(me.ctx, referral_id, answer), step,
                                   [("decision", step), ("reason", answer.reason)],
                                   f"/cases/referrals/{referral_id}/answer")
        out = referrals.answer_referral(me.ctx, referral_id, answer)
    except (ValidationError, CasesError) as exc:
        return _form_error(request, me, as_error(exc))
    target = f"/cases/c/{out.case_id}" if out.transfer and out.status == "accepted" else f"/cases/referrals/{referral_id}"
    return RedirectResponse(f"{target}?lang={lang_of(request)}", status_code=303)


@router.post("/cases/referrals/{referral_id}/complete")
async def referral_complete(request: Request, me: OfficerDep, rt: RuntimeDep, referral_id: PathId) -> Response:
    form = await request.form()
    if not confirmed(form):  # the first post: the same checks, then the question
        if refused := csrf_refused(request, me, rt, str(form.get("csrf_token", ""))):
            return refused
        if cancelled(form):  # nothing was typed: back to the referral
            return RedirectResponse(f"/cases/referrals/{referral_id}?lang={lang_of(request)}", status_code=303)
        try:
            r = referrals.check_complete(me.ctx, referral_id)
        except CasesError as exc:
            return _form_error(request, me, exc)
        return _confirm_answer(request, me, r, "complete", [], f"/cases/referrals/{referral_id}/complete")
    return await _button(request, me, rt, lambda: referrals.complete_referral(me.ctx, referral_id),
                         f"/cases/referrals/{referral_id}")


CSV_COLUMNS = ("id", "reference", "from_organisation", "to_organisation", "to_country", "profile", "transfer",
               "services", "status", "reason", "response_reason", "created_at")


# "incoming.csv" never reaches the referral page: its path takes integers only ({referral_id:int})
@router.get("/cases/referrals/incoming.csv")
def incoming_csv(me: OfficerDep) -> Response:
    """The referrals received by the user's organisations, as CSV (every text cell neutralised
    against spreadsheet formulas; no personal data beyond the case reference)."""
    rows = referrals.incoming_referrals(me.ctx, statuses=referrals.STATUSES, limit=10000)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        values = r.model_dump(mode="json")
        values["services"] = " ".join(r.services)
        writer.writerow([neutral_value(values[c]) for c in CSV_COLUMNS])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Cache-Control": "no-store",
                             "Content-Disposition": 'attachment; filename="remisiones-referrals.csv"'})


@router.get("/cases/inbox")
def inbox_page(request: Request, me: OfficerDep) -> Response:
    """The user's notices: a kind and a link each, and the case's reference where the user may
    see the case (inbox_view.py: policy and audit); no personal data."""
    items = inbox_view.inbox_notices(me.ctx)
    lang = lang_of(request)
    return render(request, "cases_inbox.html", me=me, items=items, when=lambda at: fmt_datetime_utc(at, lang))


@router.post("/cases/inbox/{notification_id}/read")
async def inbox_read(request: Request, me: OfficerDep, rt: RuntimeDep, notification_id: PathId) -> Response:
    return await _button(request, me, rt,
                         lambda: notifications.mark_read(me.ctx.session, me.principal.user_id, notification_id),
                         "/cases/inbox")
