"""REST API of referrals, consent and the inbox: routes translate HTTP to cases/referrals.py and
cases/notifications.py (policy and audit live there), with the cases API's error handling."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from observatorio.api_texts import api_text
from observatorio.cases import notifications, referrals
from observatorio.cases.api import NOT_PERSONAL, PERSONAL, CasesRoute, CtxDep
from observatorio.cases.bounds import PathId
from observatorio.cases.inbox_view import inbox_notices
from observatorio.cases.referral_profiles import get_profiles
from observatorio.cases.referral_schemas import (
    ConsentIn,
    ConsentOut,
    ReferralAnswer,
    ReferralIn,
    ReferralOut,
    ReferralView,
)

router = APIRouter(route_class=CasesRoute, tags=["cases"])


@router.get("/api/v1/referral-profiles", openapi_extra=NOT_PERSONAL,
            summary=api_text("api.doc.referrals.profiles.summary"),
            description=api_text("api.doc.referrals.profiles.description"))
def profiles() -> dict[str, Any]:
    """The data-minimisation profiles and the services a referral may request (public)."""
    cat = get_profiles()
    return {"services": cat.services,
            "profiles": {k: {"label": p.label, "person_fields": list(p.person_fields),
                             "case_fields": list(p.case_fields), "override_allowed": p.override_allowed}
                         for k, p in cat.profiles.items()}}


@router.post("/api/v1/cases/{case_id}/consents", status_code=201, response_model=ConsentOut, openapi_extra=PERSONAL,
             summary=api_text("api.doc.referrals.record_consent.summary"),
             description=api_text("api.doc.referrals.record_consent.description"))
def record_consent(ctx: CtxDep, case_id: PathId, body: ConsentIn) -> ConsentOut:
    """Record the consent a referral may rest on."""
    return referrals.record_consent(ctx, case_id, body)


@router.get("/api/v1/cases/{case_id}/consents", response_model=list[ConsentOut], openapi_extra=PERSONAL,
            summary=api_text("api.doc.referrals.list_consents.summary"),
            description=api_text("api.doc.referrals.list_consents.description"))
def list_consents(ctx: CtxDep, case_id: PathId) -> list[ConsentOut]:
    """The consents recorded on a case."""
    return referrals.case_consents(ctx, case_id)


@router.post("/api/v1/cases/{case_id}/consents/{consent_id}/withdraw", response_model=ConsentOut,
             openapi_extra=PERSONAL,
             summary=api_text("api.doc.referrals.withdraw_consent.summary"),
             description=api_text("api.doc.referrals.withdraw_consent.description"))
def withdraw_consent(ctx: CtxDep, case_id: PathId, consent_id: PathId) -> ConsentOut:
    """Record a withdrawal of consent; the referrals resting on it end."""
    return referrals.withdraw_consent(ctx, case_id, consent_id)


@router.post("/api/v1/cases/{case_id}/referrals", status_code=201, response_model=ReferralOut,
             openapi_extra=PERSONAL,
             summary=api_text("api.doc.referrals.create_referral.summary"),
             description=api_text("api.doc.referrals.create_referral.description"))
def create_referral(ctx: CtxDep, case_id: PathId, body: ReferralIn) -> ReferralOut:
    """Refer or transfer a case to another organisation (any country)."""
    return referrals.create_referral(ctx, case_id, body)


@router.get("/api/v1/cases/{case_id}/referrals", response_model=list[ReferralOut], openapi_extra=PERSONAL,
            summary=api_text("api.doc.referrals.case_referrals.summary"))
def case_referrals(ctx: CtxDep, case_id: PathId) -> list[ReferralOut]:
    """The referrals of a case."""
    return referrals.case_referrals(ctx, case_id)


@router.get("/api/v1/referrals", response_model=list[ReferralOut], openapi_extra=PERSONAL,
            summary=api_text("api.doc.referrals.incoming.summary"),
            description=api_text("api.doc.referrals.incoming.description"))
def incoming(ctx: CtxDep) -> list[ReferralOut]:
    """Pending and accepted referrals sent to the user's organisations."""
    return referrals.incoming_referrals(ctx)


@router.get("/api/v1/referrals/{referral_id}", response_model=ReferralView, openapi_extra=PERSONAL,
            summary=api_text("api.doc.referrals.view.summary"),
            description=api_text("api.doc.referrals.view.description"))
def view(ctx: CtxDep, referral_id: PathId) -> ReferralView:
    """A referral; its receiver sees only the fields of the referral's profile."""
    return referrals.referral_view(ctx, referral_id)


@router.post("/api/v1/referrals/{referral_id}/answer", response_model=ReferralOut, openapi_extra=PERSONAL,
             summary=api_text("api.doc.referrals.answer.summary"),
             description=api_text("api.doc.referrals.answer.description"))
def answer(ctx: CtxDep, referral_id: PathId, body: ReferralAnswer) -> ReferralOut:
    """Accept, or decline with a reason."""
    return referrals.answer_referral(ctx, referral_id, body)


@router.post("/api/v1/referrals/{referral_id}/complete", response_model=ReferralOut, openapi_extra=PERSONAL,
             summary=api_text("api.doc.referrals.complete.summary"),
             description=api_text("api.doc.referrals.complete.description"))
def complete(ctx: CtxDep, referral_id: PathId) -> ReferralOut:
    """Mark an accepted referral complete."""
    return referrals.complete_referral(ctx, referral_id)


@router.get("/api/v1/notifications", openapi_extra=PERSONAL,
            summary=api_text("api.doc.referrals.inbox.summary"),
            description=api_text("api.doc.referrals.inbox.description"))
def inbox(ctx: CtxDep) -> list[dict[str, Any]]:
    """The user's notices, each with its case's reference where the user may see the case: the
    inbox page's rule and audit (inbox_view.py), so the API shows no more than the page."""
    return [{"id": n.id, "kind": n.kind, "link": n.link, "created_at": n.created_at.isoformat(), "read": n.read,
             "case_reference": n.reference} for n in inbox_notices(ctx)]


@router.post("/api/v1/notifications/{notification_id}/read", status_code=204, openapi_extra=NOT_PERSONAL,
             summary=api_text("api.doc.referrals.mark_read.summary"),
             description=api_text("api.doc.referrals.mark_read.description"))
def mark_read(ctx: CtxDep, notification_id: PathId) -> None:
    """Mark one of the user's notices read."""
    notifications.mark_read(ctx.session, ctx.principal.user_id, notification_id)
