"""What an accepted transfer does to the case's other referrals (found beside "shares survive a
transfer"): the referrals the old holder left pending are its decisions, not the new holder's.
Before the fix their receivers kept reading the new holder's work through the minimised view, and
a second pending transfer, accepted later, took the case away from the new holder without it
ever deciding. Now they are withdrawn with the transfer (audited, receivers told); accepted
referrals go on; a pending transfer whose sender no longer holds the case cannot be accepted.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from observatorio.cases import accounts, case_records, case_writes, notifications, referrals
from observatorio.cases.errors import Conflict, Invalid
from observatorio.cases.models import AuditEntry, Case
from observatorio.cases.reception import arrivals, intake
from observatorio.cases.reception.schemas import ArrivalIn, IntakeIn
from observatorio.cases.referral_schemas import ConsentIn, ReferralAnswer, ReferralIn
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseAssign, CaseUpdate
from observatorio.cases.vocab import OrgKind

from .conftest import PASSWORD, World, ctx_for
from .reception_files import csv_bytes, people
from .test_transfer_shares import _case
from .test_web import _web_login


def _refer(rt: Runtime, world: World, case_id: int, to_key: str, *, transfer: bool) -> int:
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "gtm_head")
        consent = referrals.record_consent(ctx, case_id, ConsentIn(
            given_by="person", given_at=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), given_to="la receptora",
            purpose="asistencia legal"))
        return referrals.create_referral(ctx, case_id, ReferralIn(
            to_organisation_id=world.orgs[to_key], profile="legal_aid", services=["legal"], reason="remisión",
            consent_id=consent.id, transfer=transfer)).id


def _answer(rt: Runtime, world: World, user: str, referral_id: int) -> str:
    with rt.sessions() as s:
        return referrals.answer_referral(ctx_for(s, world, user), referral_id, ReferralAnswer(accept=True)).status


def _holder(rt: Runtime, case_id: int) -> int:
    with rt.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.organisation_id


def test_a_transfer_withdraws_the_referrals_the_old_holder_left_pending(rt: Runtime, world: World) -> None:
    case_id, _ = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    accepted = _refer(rt, world, case_id, "mex_ngo", transfer=False)
    assert _answer(rt, world, "mex_caseworker", accepted) == "accepted"
    other_transfer = _refer(rt, world, case_id, "hnd_reception", transfer=True)
    pending = _refer(rt, world, case_id, "hnd_consulate_mex", transfer=False)
    transfer = _refer(rt, world, case_id, "gtm_child", transfer=True)
    assert _answer(rt, world, "gtm_protection", transfer) == "accepted"
    with rt.sessions() as s:  # the new holder writes
        ctx = ctx_for(s, world, "gtm_protection")
        version = case_records.get_case(ctx, case_id).version
        case_writes.update_case(ctx, case_id, CaseUpdate(version=version, summary="trabajo de la nueva titular"))

    with rt.sessions() as s:  # the pending referral's receiver reads nothing of it any more
        view = referrals.referral_view(ctx_for(s, world, "hnd_head"), pending)
    assert view.referral.status == "withdrawn" and view.case == {} and view.person == {}
    assert view.referral.response_reason_key == "referrals.reason.case_transferred"
    assert "nueva titular" not in view.model_dump_json()
    with pytest.raises(Conflict):  # the other transfer no longer takes the case from its new holder
        _answer(rt, world, "hnd_reception", other_transfer)
    assert _holder(rt, case_id) == world.orgs["gtm_child"]
    with rt.sessions() as s:  # the accepted referral goes on (the person consented; services under way)
        view = referrals.referral_view(ctx_for(s, world, "mex_caseworker"), accepted)
    assert view.referral.status == "accepted" and view.case["summary"] == "trabajo de la nueva titular"
    with rt.sessions() as s:  # the new holder sees what happened on its case
        listed = {r.id: (r.status, r.response_reason_key)
                  for r in referrals.case_referrals(ctx_for(s, world, "gtm_protection"), case_id)}
    assert listed == {accepted: ("accepted", None), transfer: ("accepted", None),
                      other_transfer: ("withdrawn", "referrals.reason.case_transferred"),
                      pending: ("withdrawn", "referrals.reason.case_transferred")}

    with rt.sessions() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "referral.withdraw_by_transfer")
                                 .order_by(AuditEntry.id)))
        for user in ("hnd_head", "hnd_reception"):
            kinds = [(i.kind, i.referral_id) for i in notifications.inbox(s, world.users[user])]
            assert ("referral_case_transferred", pending if user == "hnd_head" else other_transfer) in kinds, user
    assert [(e.record_type, e.record_id, e.outcome, e.organisation_id, json.loads(e.fields)) for e in entries] == [
        ("referral", str(rid), "granted", world.orgs["gtm_child"], ["reason:transfer", f"referral:{transfer}", "status"])
        for rid in (other_transfer, pending)]


def test_a_pending_transfer_whose_sender_no_longer_holds_the_case_is_refused(rt: Runtime, world: World) -> None:
    """The consulate sends a transfer; meanwhile its national supervisor assigns the case to the
    consulate in Houston. Accepting the stale transfer would move the case out of Houston's hands
    without Houston deciding it."""
    case_id, _ = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    transfer = _refer(rt, world, case_id, "hnd_reception", transfer=True)
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "gtm_supervisor")
        version = case_records.get_case(ctx, case_id).version
        case_writes.assign_case(ctx, case_id, CaseAssign(version=version, organisation_id=world.orgs["gtm_consulate_usa"]))
    with pytest.raises(Conflict) as refused:
        _answer(rt, world, "hnd_reception", transfer)
    assert "ya no tiene el caso" in refused.value.es and "no longer holds the case" in refused.value.en
    assert _holder(rt, case_id) == world.orgs["gtm_consulate_usa"]


def test_a_referral_made_by_legal_mandate_stays_pending(rt: Runtime, world: World) -> None:
    """An unaccompanied child's referral to child protection is the law's, not the old holder's
    (mandated_referrals.py): a transfer leaves it pending for the child-protection agency."""
    today = dt.date(2025, 8, 14)
    with rt.sessions() as s:
        dinaf = accounts.add_organisation(s, "DINAF", OrgKind.CHILD_PROTECTION, "HND", None, "Tegucigalpa")
        accounts.add_user(s, "hnd_dinaf", PASSWORD, rt.config, [(dinaf, "protection_officer")])
        s.commit()
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        arrival = arrivals.create_arrival(ctx, ArrivalIn(mode="flight", arrival_date=today, arriving_from="USA",
                                                         expected_count=1)).id
        arrivals.import_manifest(ctx, arrival, "m.csv", csv_bytes(people(1, children=1)), today)
        [entry] = arrivals.get_arrival(ctx, arrival).manifest
        out = intake.record_intake(ctx, arrival, IntakeIn(manifest_entry_id=entry.id, accompaniment="UNACCOMPANIED",
                                                          vulnerabilities=["unaccompanied_child"]), today)
        mandated = out.required_referrals[0].referral_id
        assert mandated is not None
        consent = referrals.record_consent(ctx, out.case_id, ConsentIn(
            given_by="guardian", guardian_name="Tía", given_at=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC),
            given_to="la receptora", purpose="traslado"))
        transfer = referrals.create_referral(ctx, out.case_id, ReferralIn(
            to_organisation_id=world.orgs["gtm_child"], profile="child_protection", services=["child_protection"],
            reason="traslado", consent_id=consent.id, transfer=True)).id
    assert _answer(rt, world, "gtm_protection", transfer) == "accepted"
    with rt.sessions() as s:
        listed = {r.id: r.status for r in referrals.case_referrals(ctx_for(s, world, "gtm_protection"), out.case_id)}
    assert listed == {mandated: "pending", transfer: "accepted"}


def test_the_officer_pages_say_why(rt: Runtime, world: World, client) -> None:
    case_id, _ = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    pending = _refer(rt, world, case_id, "hnd_consulate_mex", transfer=False)
    _answer(rt, world, "gtm_protection", _refer(rt, world, case_id, "gtm_child", transfer=True))
    assert _web_login(client, "gtm_protection").status_code == 303
    page = client.get(f"/cases/c/{case_id}")
    assert page.status_code == 200 and "el caso fue transferido a otra organización" in page.text
    client.cookies.clear()
    assert _web_login(client, "hnd_head").status_code == 303
    assert "Remisión retirada (el caso fue transferido)" in client.get("/cases/inbox").text
    view = client.get(f"/cases/referrals/{pending}")
    assert view.status_code == 200 and "el caso fue transferido a otra organización" in view.text
    assert client.get(f"/cases/c/{case_id}").status_code == 404


def test_a_case_transferred_on_closes_the_earlier_transfer_s_view(rt: Runtime, world: World) -> None:
    """X transfers the case to A (accepted), A transfers it to C (accepted): A's old transfer is
    completed, so A reads nothing C writes through that referral's minimised view (nor sees the
    reference in its notices); the completion is audited with the second transfer."""
    from .test_transfer_shares import _transfer

    case_id, _ = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    first = _transfer(rt, world, case_id, "gtm_head", "gtm_child", "gtm_protection")
    second = _transfer(rt, world, case_id, "gtm_protection", "mex_ngo", "mex_caseworker")
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "mex_caseworker")
        version = case_records.get_case(ctx, case_id).version
        case_writes.update_case(ctx, case_id, CaseUpdate(version=version, summary="SECRETO de la nueva titular"))
    with rt.sessions() as s:
        view = referrals.referral_view(ctx_for(s, world, "gtm_protection"), first)
        assert view.referral.status == "completed"
        assert "SECRETO" not in view.model_dump_json() and not view.case and not view.person
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == referrals.COMPLETED_BY_TRANSFER)).all()
        assert [(e.record_id, json.loads(e.fields)) for e in entries] == [
            (str(first), [f"referral:{second}", "status"])]  # the audit sorts the fields


def test_the_new_holder_asks_for_consent_again(rt: Runtime, world: World) -> None:
    """A consent is given to the organisation that asked for it. After the transfer, child
    protection could refer the case onward resting on the consulate's consent (before: accepted,
    as any consent on the case was); now it is refused, audited, not offered on the page, and
    a consent it records itself works."""
    case_id, _ = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    transfer = _refer(rt, world, case_id, "gtm_child", transfer=True)
    assert _answer(rt, world, "gtm_protection", transfer) == "accepted"
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "gtm_protection")
        old = referrals.case_consents(ctx, case_id)
        assert [c.organisation_id for c in old] == [world.orgs["gtm_consulate_mex"]]
    onward = {"to_organisation_id": world.orgs["hnd_reception"], "profile": "legal_aid", "services": ["legal"],
              "reason": "remisión"}
    with rt.sessions() as s, pytest.raises(Invalid) as refused:
        referrals.create_referral(ctx_for(s, world, "gtm_protection"), case_id,
                                  ReferralIn(**onward, consent_id=old[0].id))
    assert refused.value.key == "refusal.referral.consent_of_previous_holder"
    with rt.sessions() as s:
        denied = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.refer",
                                                    AuditEntry.outcome == "denied")).all()
        assert [e.actor_id for e in denied] == [world.users["gtm_protection"]]
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "gtm_protection")
        mine = referrals.record_consent(ctx, case_id, ConsentIn(
            given_by="person", given_at=dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC), given_to="Honduras",
            purpose="asistencia legal"))
        assert mine.organisation_id == world.orgs["gtm_child"]
        sent = referrals.create_referral(ctx, case_id, ReferralIn(**onward, consent_id=mine.id))
    assert sent.status == "pending"


def test_consents_recorded_before_0015_belong_to_their_cases_holder(rt: Runtime, world: World) -> None:
    """Migration 0015 gives each existing consent its case's present holder (the most it can
    know), on SQLite and PostgreSQL: down to 0014 and up again keeps the rule working."""
    from alembic import command

    from observatorio.cases.db import alembic_config

    case_id, _ = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    _refer(rt, world, case_id, "gtm_child", transfer=False)
    rt.engine.dispose()
    command.downgrade(alembic_config(rt.url), "0014_session_idle")
    command.upgrade(alembic_config(rt.url), "head")
    with rt.sessions() as s:
        consents = referrals.case_consents(ctx_for(s, world, "gtm_head"), case_id)
    assert [c.organisation_id for c in consents] == [world.orgs["gtm_consulate_mex"]]
