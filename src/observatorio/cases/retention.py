"""Retention and erasure: after the retention period, personal data are pseudonymised.

What remains is what aggregates and the audit need: case type, status, dates, risk,
organisation and country. Names, documents, contacts, family links, free text and the
sensitive fields are removed. The audit log holds field names only, never values, so it
stays intact and verifiable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, not_, null, or_, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from observatorio.cases.models import (
    Case,
    CaseNote,
    CaseService,
    CaseShare,
    CaseStep,
    CaseTask,
    FamilyLink,
    Person,
    utcnow,
)
from observatorio.cases.reception.models import Intake, ManifestEntry
from observatorio.cases.referral_models import Referral, ReferralConsent
from observatorio.cases.referral_schemas import CASE_TRANSFERRED, CONSENT_WITHDRAWN
from observatorio.cases.reintegration_models import ReintegrationFollowUp, ReintegrationPlan
from observatorio.cases.transition_models import CaseTransitionReason

PERSON_FIELDS = ("given_names", "family_names", "date_of_birth", "documents", "contacts", "family_links")
#: What an erased name reads as where its column takes no NULL (a manifest row's names).
ERASED_NAME = "—"
CASE_FIELDS = ("summary", "location", "health_details", "trafficking_details", "child_protection_details")


def pseudonym_for(person_id: int, key: str) -> str:
    """A stable pseudonym: the same person keeps it, nobody can reverse it without the key."""
    digest = hmac.new(key.encode(), f"person:{person_id}".encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:16].upper()}"


def pseudonymise_person(session: Session, person: Person, key: str) -> int:
    """Erase a person's identifying data and the free text of all their cases; returns cases touched."""
    now = utcnow()
    pseudonymise_identity(session, person, key, now)
    return erase_cases(session, list(session.scalars(select(Case.id).where(Case.person_id == person.id))), now)


def pseudonymise_identity(session: Session, person: Person, key: str, now: dt.datetime) -> None:
    """Erase the identifying data of the person row itself (not their cases)."""
    # Keep an age so age-group aggregates survive; the exact birth date goes.
    if person.date_of_birth and person.estimated_age is None:
        person.estimated_age = max(0, (now.date() - person.date_of_birth).days // 365)
    person.given_names = None
    person.family_names = None
    person.date_of_birth = None
    person.documents = []
    person.contacts = []
    person.pseudonym = pseudonym_for(person.id, key)
    person.erased_at = now
    session.execute(
        delete(FamilyLink).where(or_(FamilyLink.person_id == person.id, FamilyLink.relative_id == person.id))
    )
    # The arrival's manifest row the person was received from holds their name and birth date
    # too; its sex and the row itself stay (the arrival's counts need them).
    received_from = select(Intake.manifest_entry_id).where(Intake.person_id == person.id,
                                                           Intake.manifest_entry_id.is_not(None))
    session.execute(update(ManifestEntry).where(ManifestEntry.id.in_(received_from))
                    .values(given_names=ERASED_NAME, family_names=ERASED_NAME, date_of_birth=None))


def erase_cases(session: Session, case_ids: list[int], now: dt.datetime) -> int:
    """Erase the free text of these cases and of their notes, services, tasks, transition reasons,
    reintegration plans, protocol step records, shares' reasons, consents and referrals; returns
    how many."""
    if case_ids:
        session.execute(
            update(Case)
            .where(Case.id.in_(case_ids))
            .values({**dict.fromkeys(CASE_FIELDS), "erased_at": now, "version": Case.version + 1})
            .execution_options(synchronize_session=False)
        )
        session.execute(update(CaseNote).where(CaseNote.case_id.in_(case_ids)).values(body=None))
        session.execute(update(CaseService).where(CaseService.case_id.in_(case_ids)).values(description=None))
        session.execute(update(CaseTask).where(CaseTask.case_id.in_(case_ids)).values(title="—"))
        session.execute(update(CaseTransitionReason).where(CaseTransitionReason.case_id.in_(case_ids))
                        .values(reason=None))
        # What protocol steps recorded (a child's views), the consents (a guardian's name) and the
        # referrals (the reasons sent abroad, the answers, an override's justification) are free
        # text about the person too; the facts the lifecycle needs stay: a step done, a consent
        # given or withdrawn, a referral's state (a withdrawal still says so, in the reader's
        # language: tests/cases/test_attack_erasure_leftovers.py).
        session.execute(update(CaseStep).where(CaseStep.case_id.in_(case_ids)).values(record={}))
        session.execute(update(CaseShare).where(CaseShare.case_id.in_(case_ids)).values(reason=None))
        session.execute(update(ReferralConsent).where(ReferralConsent.case_id.in_(case_ids))
                        .values(guardian_name=None, given_to="—", purpose="—"))
        session.execute(update(Referral).where(Referral.case_id.in_(case_ids)).values(
            # an override keeps a (blank) justification: the referral's basis stays checkable
            reason="—", override_justification=sql_case((Referral.override_justification.is_(None), null()),
                                                        else_="—"),
            response_reason=sql_case((Referral.response_reason.in_((CONSENT_WITHDRAWN, CASE_TRANSFERRED)),
                                      Referral.response_reason), else_=null())))
        # reintegration plans: the goals (free text) and the answers go; the scores stay, as counts do
        plans = select(ReintegrationPlan.id).where(ReintegrationPlan.case_id.in_(case_ids))
        session.execute(update(ReintegrationPlan).where(ReintegrationPlan.case_id.in_(case_ids))
                        .values(economic_goal=None, social_goal=None, psychosocial_goal=None))
        session.execute(update(ReintegrationFollowUp).where(ReintegrationFollowUp.plan_id.in_(plans)).values(answers=None))
    return len(case_ids)


@dataclass(frozen=True)
class RetentionCandidate:
    person_id: int
    last_closed: dt.datetime


def due_for_erasure(session: Session, days: int, now: dt.datetime | None = None) -> list[int]:
    """People not yet erased whose cases are all closed for longer than ``days``."""
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    still_needed = exists(
        select(Case.id).where(
            Case.person_id == Person.id,
            or_(Case.closed_at.is_(None), Case.closed_at >= cutoff),
        )
    )
    has_cases = exists(select(Case.id).where(Case.person_id == Person.id))
    stmt = select(Person.id).where(and_(Person.erased_at.is_(None), has_cases, not_(still_needed)))
    return list(session.scalars(stmt.order_by(Person.id)))


@dataclass(frozen=True)
class RetentionReport:
    days: int
    people: list[int]
    cases: int
    dry_run: bool


def run_retention(session: Session, days: int, key: str, *, dry_run: bool = False,
                  now: dt.datetime | None = None, actor: str = "system:retention") -> RetentionReport:
    """Pseudonymise everyone past the retention period; each erasure is audited."""
    from observatorio.cases.audit import AccessEvent, Actor, append

    ids = due_for_erasure(session, days, now)
    touched = 0
    if not dry_run:
        events = []
        for pid in ids:
            person = session.get(Person, pid)
            assert person is not None
            touched += pseudonymise_person(session, person, key)
            events.append(AccessEvent("retention.erase", "person", str(pid), PERSON_FIELDS))
        append(session, Actor(None, actor, None), events)
        session.commit()
    return RetentionReport(days, ids, touched, dry_run)
