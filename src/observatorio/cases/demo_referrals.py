"""The referral part of the demo world (``cases demo``): a child referred by the Guatemalan
consulate in Tapachula to Guatemala's returnee reception and on to child protection, a declined
referral, and an unaccompanied-child case whose first protocol steps are overdue.

Everything goes through the same use-cases as the pages (so the audit and the inboxes are as
they would be), and is labelled [SINTÉTICO] like the rest of the demo."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from observatorio.cases import (
    case_records,
    notifications,
    person_records,
    referrals,
    steps,
    use_context,
)
from observatorio.cases.auth import principal_of
from observatorio.cases.models import Case, User, utcnow
from observatorio.cases.referral_schemas import ConsentIn, ReferralAnswer, ReferralIn
from observatorio.cases.schemas import CaseCreate, PersonCreate
from observatorio.cases.vocab import CaseType, RiskLevel, Sex

LABEL = "[SINTÉTICO]"


def _ctx(session: Session, users: dict[str, User], username: str) -> use_context.Ctx:
    return use_context.Ctx(session, principal_of(session, users[username].id), "127.0.0.1", "demo")


def _child_case(ctx: use_context.Ctx, given: str, case_type: CaseType = CaseType.UNACCOMPANIED_CHILD) -> int:
    org = ctx.principal.grants[0].organisation_id
    person = person_records.create_person(ctx, PersonCreate(
        given_names=given, family_names=f"Demo {LABEL}", estimated_age=14, sex=Sex.FEMALE, nationality="GTM",
        organisation_id=org))
    return case_records.create_case(ctx, CaseCreate(
        case_type=case_type, person_id=person.id, organisation_id=org, risk_level=RiskLevel.HIGH,
        summary=f"{LABEL} Niña no acompañada detectada en Tapachula", location=f"Tapachula ({LABEL})")).id


def _consent(ctx: use_context.Ctx, case_id: int, purpose: str,
             given_to: str = "Consulado de Guatemala en Tapachula") -> int:
    return referrals.record_consent(ctx, case_id, ConsentIn(
        given_by="guardian", guardian_name=f"Tía materna {LABEL}", given_at=utcnow() - dt.timedelta(hours=2),
        given_to=given_to, purpose=purpose)).id


def build(session: Session, users: dict[str, User], orgs: dict[str, int], now: dt.datetime | None = None) -> int:
    """Add the referral scenes; the number of referrals made."""
    now = now or utcnow()
    # 1. Tapachula consulate → returnee reception (a transfer, accepted) → child protection (pending)
    consul = _ctx(session, users, "demo.jefa.gtm")
    case_id = _child_case(consul, "Ana")
    steps.complete_step(consul, case_id, "identify", {"age_basis": f"Partida de nacimiento {LABEL}"}, now)
    consent = _consent(consul, case_id, "Recepción en Guatemala y protección de la niñez")
    first = referrals.create_referral(consul, case_id, ReferralIn(
        to_organisation_id=orgs["gtm_igm"], profile="returnee_reception", services=["reception", "shelter"],
        reason=f"{LABEL} Retorno asistido de una niña no acompañada", consent_id=consent, transfer=True))
    reception = _ctx(session, users, "demo.recepcion.gtm")
    referrals.answer_referral(reception, first.id, ReferralAnswer(accept=True, reason="Recibida en el aeropuerto"))
    # the new holder asks again: the guardian's consent was given to the consulate
    consent = _consent(reception, case_id, "Protección de la niñez y búsqueda familiar",
                       given_to="Instituto Guatemalteco de Migración")
    referrals.create_referral(reception, case_id, ReferralIn(
        to_organisation_id=orgs["gtm_pgn"], profile="child_protection",
        services=["child_protection", "family_tracing"], reason=f"{LABEL} Medidas de protección y búsqueda familiar",
        consent_id=consent))
    # 2. a declined referral: Houston consulate → Honduran migration institute
    houston = _ctx(session, users, "demo.jefe.hnd")
    other = _child_case(houston, "Karla", CaseType.FAMILY_SEPARATION)
    declined = referrals.create_referral(houston, other, ReferralIn(
        to_organisation_id=orgs["hnd_inm"], profile="legal_aid", services=["legal"],
        reason=f"{LABEL} Orientación legal para reunificación",
        consent_id=_consent(houston, other, "Asesoría legal para la reunificación familiar")))
    referrals.answer_referral(_ctx(session, users, "demo.recepcion.hnd"), declined.id, ReferralAnswer(
        accept=False, reason="Fuera de nuestra competencia: remitir a la Procuraduría de la niñez"))
    # 3. an overdue step: a case opened three days ago whose first steps were never done
    protection = _ctx(session, users, "demo.proteccion.gtm")
    late = _child_case(protection, "Lucía")
    session.execute(update(Case).where(Case.id == late).values(opened_at=now - dt.timedelta(days=3))
                    .execution_options(synchronize_session=False))
    session.commit()
    notifications.scan(session, now)  # overdue steps and assignments into the inboxes
    return 3
