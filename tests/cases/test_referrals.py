"""Cross-border referrals (cases/referrals.py) on SQLite and PostgreSQL: consent or a justified
child-protection override, the minimised view, answers, transfers, consent withdrawal, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from observatorio.cases import (
    case_records,
    case_writes,
    notifications,
    person_records,
    referrals,
    schemas,
)
from observatorio.cases.errors import Conflict, Forbidden, Invalid, NotFound
from observatorio.cases.models import AuditEntry, Case
from observatorio.cases.referral_models import Referral
from observatorio.cases.referral_schemas import (
    CONSENT_WITHDRAWN,
    ConsentIn,
    ReferralAnswer,
    ReferralIn,
)
from observatorio.cases.schemas import CaseCreate, Contact, Document, PersonCreate
from observatorio.cases.vocab import CaseType

from .conftest import ctx_for

JUSTIFICATION = "Niño de 9 años solo en la frontera; sin tutor localizable en 24 horas."


def _child_case(rt, world, user: str = "gtm_officer") -> int:
    with rt.sessions() as s:
        ctx = ctx_for(s, world, user)
        org = world.orgs["gtm_consulate_mex"]
        p = person_records.create_person(ctx, PersonCreate(
            given_names="Niño", family_names="Prueba", date_of_birth=dt.date(2016, 5, 1), nationality="GTM",
            organisation_id=org, documents=[Document(kind="passport", number="P123")],
            contacts=[Contact(kind="phone", value="+502 5555 0000")]))
        return case_records.create_case(ctx, CaseCreate(
            case_type=CaseType.UNACCOMPANIED_CHILD, person_id=p.id, organisation_id=org, summary="solo en Tapachula",
            health_details="asma")).id


def _consent(rt, world, case_id: int, user: str = "gtm_officer") -> int:
    with rt.sessions() as s:
        return referrals.record_consent(ctx_for(s, world, user), case_id, ConsentIn(
            given_by="guardian", guardian_name="Tía materna", given_at=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC),
            given_to="Consulado de Guatemala en Tapachula", purpose="remisión a protección de la niñez")).id


def _refer(rt, world, case_id: int, user: str = "gtm_officer", **kw):
    data = {"to_organisation_id": world.orgs["gtm_child"], "profile": "child_protection",
            "services": ["child_protection", "family_tracing"], "reason": "NNA no acompañado"} | kw
    with rt.sessions() as s:
        return referrals.create_referral(ctx_for(s, world, user), case_id, ReferralIn.model_validate(data))


def _entries(rt, action: str) -> list[AuditEntry]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_no_consent_no_referral_and_the_refusal_is_audited(rt, world) -> None:
    case_id = _child_case(rt, world)
    with pytest.raises(Invalid) as err:
        _refer(rt, world, case_id)
    assert "consent" in err.value.en and "consentimiento" in err.value.es
    with rt.sessions() as s:
        assert s.scalar(select(Referral.id)) is None  # nothing half-written
    assert [e.outcome for e in _entries(rt, "case.refer")] == ["denied"]


def test_receiver_sees_only_the_profile_fields_and_a_third_country_nothing(rt, world) -> None:
    case_id = _child_case(rt, world)
    ref = _refer(rt, world, case_id, consent_id=_consent(rt, world, case_id))
    assert ref.status == "pending" and not ref.override
    with rt.sessions() as s:
        view = referrals.referral_view(ctx_for(s, world, "gtm_protection"), ref.id)
    assert view.person == {"given_names": "Niño", "family_names": "Prueba", "date_of_birth": "2016-05-01",
                           "estimated_age": None, "sex": "unknown", "nationality": "GTM"}
    assert set(view.case) == {"case_type", "risk_level", "summary", "location", "child_protection_details"}
    assert "asma" not in view.model_dump_json() and "P123" not in view.model_dump_json()  # not in the profile
    # the receiver does not read the case itself: a referral is not a share
    with rt.sessions() as s, pytest.raises(NotFound):
        case_records.get_case(ctx_for(s, world, "gtm_protection"), case_id)
    for outsider in ("hnd_head", "hnd_supervisor", "mex_caseworker"):
        with rt.sessions() as s, pytest.raises(NotFound):
            referrals.referral_view(ctx_for(s, world, outsider), ref.id)
    reads = _entries(rt, "referral.read")
    assert [e.outcome for e in reads] == ["granted", "denied", "denied", "denied"]
    assert "person.given_names" in reads[0].fields and reads[0].record_id == str(case_id)


def test_sensitive_profile_fields_are_withheld_from_a_receiver_without_the_group(rt, world) -> None:
    case_id = _child_case(rt, world, "gtm_head")
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "gtm_head")
        c = case_records.get_case(ctx, case_id)
        case_writes.update_case(ctx, case_id, schemas.CaseUpdate(version=c.version, child_protection_details="riesgo alto"))
    ref = _refer(rt, world, case_id, "gtm_head", to_organisation_id=world.orgs["hnd_reception"],
                 consent_id=_consent(rt, world, case_id, "gtm_head"))
    with rt.sessions() as s:
        view = referrals.referral_view(ctx_for(s, world, "hnd_reception"), ref.id)  # reception_officer: no groups
    assert view.withheld_fields == ["child_protection_details"]
    assert "riesgo alto" not in view.model_dump_json()


def test_override_needs_the_role_a_child_protection_profile_and_is_audited(rt, world) -> None:
    case_id = _child_case(rt, world, "gtm_head")
    with pytest.raises(Forbidden):  # a consular officer may not override (own case or not)
        _refer(rt, world, _child_case(rt, world), "gtm_officer", override_justification=JUSTIFICATION)
    with pytest.raises(Forbidden):  # the override is for child protection only
        _refer(rt, world, case_id, "gtm_head", profile="legal_aid", services=["legal"],
               override_justification=JUSTIFICATION)
    with pytest.raises(Exception, match="at least 20"):  # a justification in words, not "ok"
        _refer(rt, world, case_id, "gtm_head", override_justification="ok")
    ref = _refer(rt, world, case_id, "gtm_head", override_justification=JUSTIFICATION)
    assert ref.override and ref.consent_id is None
    overrides = _entries(rt, "referral.override_consent")
    assert [e.outcome for e in overrides] == ["denied", "denied", "granted"]
    assert f"referral:{ref.id}" in overrides[-1].fields


def test_withdrawing_consent_ends_the_receivers_view(rt, world) -> None:
    case_id = _child_case(rt, world)
    consent_id = _consent(rt, world, case_id)
    ref = _refer(rt, world, case_id, consent_id=consent_id)
    with rt.sessions() as s:
        referrals.withdraw_consent(ctx_for(s, world, "gtm_officer"), case_id, consent_id)
    with rt.sessions() as s:
        view = referrals.referral_view(ctx_for(s, world, "gtm_protection"), ref.id)
        assert view.referral.status == "withdrawn" and view.person == {} and view.case == {}
        assert view.referral.reason == ""  # free text about the person goes too
        # stored as a marker, not a text; the API's JSON tells it in both languages
        assert view.referral.response_reason == CONSENT_WITHDRAWN
        assert view.referral.response_reason_key == "referrals.reason.consent_withdrawn"
        assert view.referral.model_dump(mode="json")["response_reason"] == "consentimiento retirado / consent withdrawn"
    with rt.sessions() as s, pytest.raises(Conflict):  # a withdrawn referral takes no answer
        referrals.answer_referral(ctx_for(s, world, "gtm_protection"), ref.id, ReferralAnswer(accept=True))
    with pytest.raises(Invalid):  # and the withdrawn consent carries no new referral
        _refer(rt, world, case_id, consent_id=consent_id)


def test_decline_needs_a_reason_accept_then_complete(rt, world) -> None:
    case_id = _child_case(rt, world)
    ref = _refer(rt, world, case_id, consent_id=_consent(rt, world, case_id))
    with rt.sessions() as s, pytest.raises(Invalid):
        referrals.answer_referral(ctx_for(s, world, "gtm_protection"), ref.id, ReferralAnswer(accept=False))
    with rt.sessions() as s, pytest.raises(NotFound):  # only the receiving organisation answers
        referrals.answer_referral(ctx_for(s, world, "hnd_head"), ref.id, ReferralAnswer(accept=True))
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "gtm_protection")
        assert referrals.answer_referral(ctx, ref.id, ReferralAnswer(accept=True)).status == "accepted"
        assert referrals.complete_referral(ctx, ref.id).status == "completed"
        assert referrals.referral_view(ctx, ref.id).person == {}  # completed: the view is closed
    with rt.sessions() as s:
        listed = referrals.case_referrals(ctx_for(s, world, "gtm_officer"), case_id)
        assert [r.status for r in listed] == ["completed"]


def test_a_declined_referral_tells_the_sender_why(rt, world) -> None:
    case_id = _child_case(rt, world)
    ref = _refer(rt, world, case_id, consent_id=_consent(rt, world, case_id))
    with rt.sessions() as s:
        out = referrals.answer_referral(ctx_for(s, world, "gtm_protection"), ref.id,
                                        ReferralAnswer(accept=False, reason="fuera de nuestra competencia"))
        assert out.status == "declined" and out.response_reason == "fuera de nuestra competencia"
        kinds = [i.kind for i in notifications.inbox(s, world.users["gtm_officer"])]
        assert kinds == ["referral_answered"]


def test_an_accepted_transfer_moves_the_case(rt, world) -> None:
    case_id = _child_case(rt, world)
    ref = _refer(rt, world, case_id, consent_id=_consent(rt, world, case_id), transfer=True)
    with rt.sessions() as s:
        inbox = notifications.inbox(s, world.users["gtm_protection"])
        assert [(i.kind, i.link) for i in inbox] == [("referral_new", f"/cases/referrals/{ref.id}")]
        referrals.answer_referral(ctx_for(s, world, "gtm_protection"), ref.id, ReferralAnswer(accept=True))
    with rt.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        assert (case.organisation_id, case.officer_id) == (world.orgs["gtm_child"], world.users["gtm_protection"])
        assert case_records.get_case(ctx_for(s, world, "gtm_protection"), case_id).organisation_id == world.orgs["gtm_child"]
    with rt.sessions() as s, pytest.raises(NotFound):  # the consulate no longer holds it
        case_records.get_case(ctx_for(s, world, "gtm_officer"), case_id)
    assert [e.outcome for e in _entries(rt, "referral.transfer")] == ["granted"]


def test_unknown_profile_service_or_organisation_are_clear_errors(rt, world) -> None:
    case_id = _child_case(rt, world)
    consent_id = _consent(rt, world, case_id)
    with pytest.raises(Invalid, match="Unknown referral type"):
        _refer(rt, world, case_id, consent_id=consent_id, profile="everything")
    with pytest.raises(Invalid, match="Unknown services"):
        _refer(rt, world, case_id, consent_id=consent_id, services=["spa"])
    with pytest.raises(NotFound):
        _refer(rt, world, case_id, consent_id=consent_id, to_organisation_id=999999)
    _refer(rt, world, case_id, consent_id=consent_id)
    with pytest.raises(Conflict):  # one open referral per case and receiver
        _refer(rt, world, case_id, consent_id=consent_id)


def test_a_share_reader_of_another_country_sees_no_referrals(rt, seeded) -> None:
    """Like shared_with, the referrals of a case held in Honduras and shared with the Guatemalan
    consulate do not tell that consulate where else the case went."""
    world, case_id = seeded.world, seeded.cases["hnd_shared"]
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_head")
        consent = referrals.record_consent(ctx, case_id, ConsentIn(
            given_by="person", given_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), given_to="Consulado",
            purpose="recepción"))
        referrals.create_referral(ctx, case_id, ReferralIn(
            to_organisation_id=world.orgs["hnd_reception"], profile="returnee_reception", services=["reception"],
            reason="retorno", consent_id=consent.id))
    with rt.sessions() as s:
        assert referrals.case_referrals_and_consents(ctx_for(s, world, "gtm_head"), case_id) == ([], [])
        with pytest.raises(NotFound):  # nor through the referral's own page
            referrals.referral_view(ctx_for(s, world, "gtm_head"), s.scalar(select(Referral.id)))
        sent, consents = referrals.case_referrals_and_consents(ctx_for(s, world, "hnd_head"), case_id)
        assert len(sent) == 1 and len(consents) == 1


def test_the_case_pages_referrals_are_referral_out_of_each_referral(rt, world) -> None:
    """referrals_of_case reads plain rows (the case page's latency): the same ReferralOut as
    referral_out of the ORM object, for a consented, an override and a mandate-free referral,
    answered or not, and the same consents."""
    case_id = _child_case(rt, world)
    consent_id = _consent(rt, world, case_id)
    first = _refer(rt, world, case_id, consent_id=consent_id)
    _refer(rt, world, case_id, user="gtm_head", consent_id=consent_id, to_organisation_id=world.orgs["gtm_ministry"],
           services=["family_tracing"], reason="búsqueda de familia")
    with rt.sessions() as s:
        referrals.answer_referral(ctx_for(s, world, "gtm_protection"), first.id,
                                  ReferralAnswer(accept=False, reason="sin cupo"))
    with rt.sessions() as s:
        sent, consents = referrals.case_referrals_and_consents(ctx_for(s, world, "gtm_head"), case_id)
        orm = s.scalars(select(Referral).where(Referral.case_id == case_id).order_by(Referral.id)).unique().all()
        assert len(sent) == 2 and sent == [referrals.referral_out(r) for r in orm]
        assert [c.id for c in consents] == [consent_id] and consents[0].guardian_name == "Tía materna"


def test_a_receivers_reason_cannot_pass_for_a_marker() -> None:
    """"@" starts the system's own reasons (CONSENT_WITHDRAWN): a receiver's text cannot."""
    with pytest.raises(ValidationError, match="'@'"):
        ReferralAnswer(accept=False, reason=CONSENT_WITHDRAWN)
    assert ReferralAnswer(accept=False, reason="sin cupo @ hoy").reason == "sin cupo @ hoy"
