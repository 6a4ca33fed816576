"""Adversarial review of erasure: no free text about the person survives an erased case.

docs/cases.md (retention): names, documents, contacts, family links, case free text, sensitive
fields, note bodies and service descriptions go. Erasing a case left the free text of the
records hung on it: what a protocol step recorded (a child's own views), the consent (the
guardian's name, to whom and for what it was given) and the referrals (the reason sent abroad,
the receiver's answer, an override's justification), and why it was shared. The case page, the
API and the receiver's referral view went on showing the consents and referrals after the
person's right to erasure was honoured; the rest stayed in the database (and its backups).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from observatorio.cases import case_writes, person_records, referrals, steps
from observatorio.cases.case_records import create_case
from observatorio.cases.errors import Conflict
from observatorio.cases.models import Case, CaseShare, CaseStep
from observatorio.cases.person_rights import erase_person
from observatorio.cases.referral_models import Referral, ReferralConsent
from observatorio.cases.referral_schemas import (
    CONSENT_WITHDRAWN,
    ConsentIn,
    ReferralAnswer,
    ReferralIn,
)
from observatorio.cases.retention import run_retention
from observatorio.cases.schemas import CaseCreate, CaseShareIn, PersonCreate
from observatorio.cases.vocab import CaseType

from .conftest import World, ctx_for

MARK = "MARCA-PRIVADA"
NOW = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)


def _case_with_free_text_around_it(rt, world: World) -> tuple[int, int]:
    """A child's case of the Tapachula consulate, shared with a reason, with a completed protocol
    step, a guardian's consent and referrals (one declined, one withdrawn with the consent, one on an override),
    every free text marked; (person id, case id)."""
    with rt.sessions() as s:
        head = ctx_for(s, world, "gtm_head")
        org = world.orgs["gtm_consulate_mex"]
        person = person_records.create_person(head, PersonCreate(given_names="Ana", family_names="Prueba",
                                                                 date_of_birth=dt.date(2015, 3, 2),
                                                                 organisation_id=org))
        case = create_case(head, CaseCreate(case_type=CaseType.UNACCOMPANIED_CHILD, person_id=person.id, organisation_id=org,
                                            summary=f"{MARK} resumen"))
        case_writes.share_case(head, case.id, CaseShareIn(organisation_id=world.orgs["gtm_child"],
                                                          reason=f"{MARK} por qué se comparte"))
        _, states = steps.case_checklist(head, case.id, NOW)
        step = next(st.step for st in states if st.step.record and steps.decide_step(
            head.principal, s.get(Case, case.id), st.step).allowed)
        steps.complete_step(head, case.id, step.id, {f.id: f"{MARK} {f.id}" for f in step.record}, NOW)
        consent = referrals.record_consent(head, case.id, ConsentIn(
            given_by="guardian", guardian_name=f"{MARK} tutora", given_at=NOW, given_to=f"{MARK} consulado",
            purpose=f"{MARK} propósito"))
        other = referrals.record_consent(head, case.id, ConsentIn(
            given_by="person", given_at=NOW, given_to="Consulado", purpose=f"{MARK} otro propósito"))
        declined = referrals.create_referral(head, case.id, ReferralIn(
            to_organisation_id=world.orgs["gtm_child"], profile="legal_aid", services=["legal"],
            reason=f"{MARK} motivo", consent_id=consent.id))
        referrals.create_referral(head, case.id, ReferralIn(
            to_organisation_id=world.orgs["hnd_consulate_mex"], profile="legal_aid", services=["legal"],
            reason=f"{MARK} motivo retirado", consent_id=other.id))
        referrals.answer_referral(ctx_for(s, world, "gtm_protection"), declined.id,
                                  ReferralAnswer(accept=False, reason=f"{MARK} respuesta"))
        referrals.withdraw_consent(head, case.id, other.id)
        referrals.create_referral(head, case.id, ReferralIn(
            to_organisation_id=world.orgs["gtm_ministry"], profile="child_protection",
            services=["child_protection"], reason=f"{MARK} urgente",
            override_justification=f"{MARK} justificación"))
        return person.id, case.id


def _leftovers(rt, case_id: int) -> list[str]:
    """Every text still stored about the case's step records, consents and referrals that holds the mark."""
    with rt.sessions() as s:
        texts: list[object] = []
        texts.extend(s.scalars(select(CaseShare.reason).where(CaseShare.case_id == case_id)))
        for st in s.scalars(select(CaseStep).where(CaseStep.case_id == case_id)):
            texts.extend((st.record or {}).values())
        for c in s.scalars(select(ReferralConsent).where(ReferralConsent.case_id == case_id)):
            texts.extend((c.guardian_name, c.given_to, c.purpose))
        for r in s.scalars(select(Referral).where(Referral.case_id == case_id)).unique():
            texts.extend((r.reason, r.response_reason, r.override_justification))
    return [str(t) for t in texts if t and MARK in str(t)]


def test_erasing_a_case_erases_the_free_text_of_its_steps_consents_and_referrals(rt, world) -> None:
    person_id, case_id = _case_with_free_text_around_it(rt, world)
    assert len(_leftovers(rt, case_id)) >= 11  # the marks are there to be found
    with rt.sessions() as s:
        out = erase_person(ctx_for(s, world, "gtm_head"), person_id)
    assert out.cases == 1
    assert _leftovers(rt, case_id) == []
    with rt.sessions() as s, pytest.raises(Conflict):  # no new free text on the erased case
        case_writes.share_case(ctx_for(s, world, "gtm_head"), case_id, CaseShareIn(
            organisation_id=world.orgs["gtm_child"], reason=f"{MARK} después"))
    assert _leftovers(rt, case_id) == []
    with rt.sessions() as s:
        # what the lifecycle still needs stays: the step is done, the consent withdrawn, the
        # referrals' states (a withdrawal still says so in the reader's language)
        assert s.scalar(select(CaseStep.id).where(CaseStep.case_id == case_id)) is not None
        statuses = sorted(s.scalars(select(Referral.status).where(Referral.case_id == case_id)))
        assert statuses == ["declined", "pending", "withdrawn"]
        withdrawn = s.scalars(select(Referral).where(Referral.case_id == case_id, Referral.status == "withdrawn")).unique().one()
        assert withdrawn.response_reason == CONSENT_WITHDRAWN
        assert sorted(c.withdrawn_at is not None for c in s.scalars(
            select(ReferralConsent).where(ReferralConsent.case_id == case_id))) == [False, True]


def test_the_retention_run_erases_them_too(rt, world) -> None:
    person_id, case_id = _case_with_free_text_around_it(rt, world)
    with rt.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.status, case.closed_at = "closed", NOW - dt.timedelta(days=4000)
        s.commit()
        report = run_retention(s, 1825, "pseudonym-key", now=NOW)
    assert report.people == [person_id]
    assert _leftovers(rt, case_id) == []
