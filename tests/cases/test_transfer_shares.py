"""What an accepted transfer does to the case's shares (review: "shares survive a transfer").

The shares a holder granted are its decisions; once a transfer is accepted the receiver holds
the case and is its data controller, so every share ends with the transfer (each ending audited,
naming the share's organisation and the transfer) and the new holder shares again if it wants
to. Before the fix an organisation the old holder had shared with kept reading the case, its
person and everything the new holder wrote; a share to an organisation that later held the case
outlived its holding and let it read on after it transferred the case away. Runs on SQLite and
PostgreSQL; through the API and the officer page as well as the services."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from observatorio.cases import case_records, case_writes, person_records, referrals
from observatorio.cases.errors import NotFound
from observatorio.cases.models import AuditEntry, CaseShare
from observatorio.cases.referral_schemas import ConsentIn, ReferralAnswer, ReferralIn
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseCreate, CaseShareIn, PersonCreate
from observatorio.cases.vocab import CaseType

from .conftest import World, ctx_for, login
from .test_web import _web_login


def _case(rt: Runtime, world: World, user: str, org_key: str) -> tuple[int, int]:
    """A detention case (no case-type cap) of ``org_key`` opened by ``user``: (case, person)."""
    with rt.sessions() as s:
        ctx = ctx_for(s, world, user)
        org = world.orgs[org_key]
        p = person_records.create_person(ctx, PersonCreate(given_names="Persona", family_names="Trasladada",
                                                           nationality="GTM", organisation_id=org))
        c = case_records.create_case(ctx, CaseCreate(case_type=CaseType.DETENTION, person_id=p.id,
                                                     organisation_id=org, summary="detenida en Tapachula"))
        return c.id, p.id


def _share(rt: Runtime, world: World, user: str, case_id: int, org_key: str) -> None:
    with rt.sessions() as s:
        case_writes.share_case(ctx_for(s, world, user), case_id, CaseShareIn(organisation_id=world.orgs[org_key]))


def _transfer(rt: Runtime, world: World, case_id: int, sender: str, to_key: str, receiver: str) -> int:
    """``sender`` records consent and transfers the case to ``to_key``; ``receiver`` accepts."""
    with rt.sessions() as s:
        ctx = ctx_for(s, world, sender)
        consent = referrals.record_consent(ctx, case_id, ConsentIn(
            given_by="person", given_at=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), given_to="la receptora",
            purpose="traslado del caso"))
        ref = referrals.create_referral(ctx, case_id, ReferralIn(
            to_organisation_id=world.orgs[to_key], profile="legal_aid", services=["legal"],
            reason="traslado", consent_id=consent.id, transfer=True))
    with rt.sessions() as s:
        out = referrals.answer_referral(ctx_for(s, world, receiver), ref.id, ReferralAnswer(accept=True))
    assert out.status == "accepted"
    return ref.id


def _reads(rt: Runtime, world: World, user: str, case_id: int) -> bool:
    with rt.sessions() as s:
        try:
            case_records.get_case(ctx_for(s, world, user), case_id)
        except NotFound:
            return False
        return True


def _reads_person(rt: Runtime, world: World, user: str, person_id: int) -> bool:
    with rt.sessions() as s:
        try:
            person_records.get_person(ctx_for(s, world, user), person_id)
        except NotFound:
            return False
        return True


def _lists(rt: Runtime, world: World, user: str, case_id: int) -> bool:
    with rt.sessions() as s:
        return case_id in {c.id for c in case_records.list_cases(ctx_for(s, world, user), limit=200).items}


def _entries(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_a_transfer_ends_the_shares_the_old_holder_granted(rt: Runtime, world: World) -> None:
    case_id, person_id = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    _share(rt, world, "gtm_head", case_id, "hnd_consulate_mex")  # organisation scope
    _share(rt, world, "gtm_head", case_id, "hnd_reception")
    assert _reads(rt, world, "hnd_head", case_id) and _reads(rt, world, "hnd_reception", case_id)
    assert _reads(rt, world, "hnd_supervisor", case_id)  # country scope through a share
    ref_id = _transfer(rt, world, case_id, "gtm_head", "gtm_child", "gtm_protection")
    for former_sharer in ("hnd_head", "hnd_officer", "hnd_reception", "hnd_supervisor"):
        assert not _reads(rt, world, former_sharer, case_id), former_sharer
        assert not _lists(rt, world, former_sharer, case_id), former_sharer
        assert not _reads_person(rt, world, former_sharer, person_id), former_sharer
    for former_holder in ("gtm_head", "gtm_officer"):  # no rule grants the old holder the case
        assert not _reads(rt, world, former_holder, case_id), former_holder
        assert not _lists(rt, world, former_holder, case_id), former_holder
    # nor the person: its registration went with the person's only case (test_transfer_person.py)
    assert not _reads_person(rt, world, "gtm_head", person_id)
    with rt.sessions() as s:
        assert s.scalars(select(CaseShare).where(CaseShare.case_id == case_id)).all() == []
        assert case_records.get_case(ctx_for(s, world, "gtm_protection"), case_id).shared_with == []
    ended = _entries(rt, "case.share.end")
    assert [(e.outcome, e.record_type, e.record_id, e.organisation_id) for e in ended] == [
        ("granted", "case", str(case_id), world.orgs["gtm_child"])] * 2
    assert [json.loads(e.fields) for e in ended] == [  # stored sorted, as JSON
        ["reason:transfer", f"referral:{ref_id}", f"shared_with:{world.orgs[key]}"]
        for key in ("hnd_consulate_mex", "hnd_reception")]
    # appended with the transfer itself (one transaction: the shares end, then the case moves)
    # (and, the person's only case moving, its registration: test_transfer_person.py)
    moved, registration = _entries(rt, "referral.transfer"), _entries(rt, "person.transfer")
    assert [e.id for e in registration] == [ended[-1].id + 1]
    assert len(moved) == 1 and moved[0].id == ended[-1].id + 2


def test_the_new_holder_shares_again_and_that_share_works(rt: Runtime, world: World) -> None:
    case_id, _ = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    _share(rt, world, "gtm_head", case_id, "hnd_consulate_mex")
    _transfer(rt, world, case_id, "gtm_head", "gtm_child", "gtm_protection")
    assert not _reads(rt, world, "hnd_head", case_id)
    _share(rt, world, "gtm_supervisor", case_id, "hnd_consulate_mex")  # the new holder's country decides
    assert _reads(rt, world, "hnd_head", case_id) and _lists(rt, world, "hnd_head", case_id)
    with rt.sessions() as s:
        assert case_records.get_case(ctx_for(s, world, "gtm_protection"), case_id).shared_with == [
            world.orgs["hnd_consulate_mex"]]
    with rt.sessions() as s, pytest.raises(NotFound):  # the old holder cannot share it any more
        case_writes.share_case(ctx_for(s, world, "gtm_head"), case_id,
                               CaseShareIn(organisation_id=world.orgs["mex_ngo"]))


def test_a_share_to_a_later_holder_does_not_outlive_its_holding(rt: Runtime, world: World) -> None:
    """Honduras shares the case with Guatemala's consulate, then transfers it there; the consulate
    transfers it on to child protection. The old share must not let the consulate read on."""
    case_id, _ = _case(rt, world, "hnd_head", "hnd_consulate_mex")
    _share(rt, world, "hnd_head", case_id, "gtm_consulate_mex")
    _transfer(rt, world, case_id, "hnd_head", "gtm_consulate_mex", "gtm_head")
    assert _reads(rt, world, "gtm_officer", case_id) and not _reads(rt, world, "hnd_head", case_id)
    _transfer(rt, world, case_id, "gtm_head", "gtm_child", "gtm_protection")
    for former_holder in ("gtm_head", "gtm_officer", "hnd_head"):
        assert not _reads(rt, world, former_holder, case_id), former_holder
        assert not _lists(rt, world, former_holder, case_id), former_holder
    assert _reads(rt, world, "gtm_protection", case_id)


def test_api_and_officer_page_after_the_transfer(rt: Runtime, world: World, client) -> None:
    case_id, _ = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    head = login(client, "gtm_head")
    r = client.post(f"/api/v1/cases/{case_id}/shares", headers=head,
                    json={"organisation_id": world.orgs["hnd_consulate_mex"]})
    assert r.status_code == 200 and r.json()["shared_with"] == [world.orgs["hnd_consulate_mex"]]
    hnd = login(client, "hnd_head")
    assert client.get(f"/api/v1/cases/{case_id}", headers=hnd).status_code == 200
    _transfer(rt, world, case_id, "gtm_head", "gtm_child", "gtm_protection")
    assert client.get(f"/api/v1/cases/{case_id}", headers=hnd).status_code == 404
    assert case_id not in {c["id"] for c in client.get("/api/v1/cases", headers=hnd).json()["items"]}
    got = client.get(f"/api/v1/cases/{case_id}", headers=login(client, "gtm_protection"))
    assert got.status_code == 200 and got.json()["shared_with"] == []
    assert client.get(f"/api/v1/cases/{case_id}", headers=head).status_code == 404
    assert _web_login(client, "hnd_head").status_code == 303
    assert client.get(f"/cases/c/{case_id}").status_code == 404
