"""What an accepted transfer does to the person's registration: it moves with the person's last case.

A person is held by their registration and by the holders of their cases, and their identity is
edited on the registration alone. Before the fix the registration stayed with the sender after
it handed over the person's only case: the sender kept reading and finding the person (identity,
contacts) and the new holder could not correct the identity its case rests on. Now, when the
transfer leaves the sender holding no case of the person, the registration goes to the receiver
(the accepting officer as its registrant), audited ``person.transfer`` with the transfer's
referral; while the sender holds another case of the person, nothing changes. Runs on SQLite and
PostgreSQL (and a race of two transfers on PostgreSQL's row locks)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from observatorio.cases import (
    accounts,
    case_records,
    case_writes,
    person_records,
    person_rights,
    referrals,
)
from observatorio.cases.errors import Conflict, Forbidden, NotFound
from observatorio.cases.models import AuditEntry, Case, Organisation, Person
from observatorio.cases.referral_schemas import ConsentIn, ReferralAnswer, ReferralIn
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseAssign, CaseCreate, PersonCreate, PersonUpdate
from observatorio.cases.vocab import CaseType

from .conftest import PASSWORD, World, ctx_for, login
from .lock_race import LOCK_WAIT_LIMIT_S, holding_commit_until, in_thread, until_waiting
from .test_mandated_referrals import _hnd_child_agency
from .test_officer_web import _login
from .test_reception_child_correction import CHILD_BORN, _centre_staff, _receive
from .test_transfer_referrals import _refer
from .test_transfer_shares import _case, _reads_person, _transfer
from .test_web import _csrf

SENDERS = ("gtm_head", "gtm_officer", "gtm_officer2")  # the consulate in Tapachula


def _registration(rt: Runtime, person_id: int) -> tuple[int, int | None]:
    with rt.sessions() as s:
        person = s.get(Person, person_id)
        assert person is not None
        return person.organisation_id, person.created_by_id


def _finds(rt: Runtime, world: World, user: str, person_id: int) -> bool:
    with rt.sessions() as s:
        found = person_records.search_people(ctx_for(s, world, user), q="Trasladada", limit=200)
        return person_id in {p.id for p in found.items}


def _moves(rt: Runtime) -> list[AuditEntry]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "person.transfer")
                              .order_by(AuditEntry.id)))


def _rename(rt: Runtime, world: World, user: str, person_id: int, family_names: str) -> str | None:
    with rt.sessions() as s:
        ctx = ctx_for(s, world, user)
        version = person_records.get_person(ctx, person_id).version
        return person_records.update_person(ctx, person_id, PersonUpdate(
            version=version, family_names=family_names)).family_names


def _second_case(rt: Runtime, world: World, user: str, org_key: str, person_id: int) -> int:
    with rt.sessions() as s:
        return case_records.create_case(ctx_for(s, world, user), CaseCreate(
            case_type=CaseType.DETENTION, person_id=person_id, organisation_id=world.orgs[org_key],
            summary="otro caso de la misma persona")).id


def test_the_registration_moves_with_the_persons_only_case(rt: Runtime, world: World) -> None:
    case_id, person_id = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    assert all(_reads_person(rt, world, u, person_id) and _finds(rt, world, u, person_id) for u in SENDERS)
    ref_id = _transfer(rt, world, case_id, "gtm_head", "gtm_child", "gtm_protection")
    assert _registration(rt, person_id) == (world.orgs["gtm_child"], world.users["gtm_protection"])
    for former in SENDERS:  # neither a single read nor a search reaches the person any more
        assert not _reads_person(rt, world, former, person_id), former
        assert not _finds(rt, world, former, person_id), former
    with rt.sessions() as s, pytest.raises(NotFound):  # nor an edit by the former registrant
        person_records.update_person(ctx_for(s, world, "gtm_head"), person_id,
                                     PersonUpdate(version=1, family_names="Intento"))
    # the new holder corrects the identity its case rests on; the country's supervisor still reads
    assert _rename(rt, world, "gtm_protection", person_id, "Corregida") == "Corregida"
    assert _reads_person(rt, world, "gtm_supervisor", person_id)
    moved = _moves(rt)
    assert [(e.outcome, e.record_type, e.record_id, e.organisation_id, e.actor_id) for e in moved] == [
        ("granted", "person", str(person_id), world.orgs["gtm_child"], world.users["gtm_protection"])]
    assert json.loads(moved[0].fields) == ["created_by_id", "organisation_id", f"referral:{ref_id}"]
    with rt.sessions() as s:  # in the transfer's own transaction: just before the case moved
        transferred = s.scalars(select(AuditEntry.id).where(AuditEntry.action == "referral.transfer")).one()
    assert moved[0].id == transferred - 1


def test_a_sender_keeping_another_case_keeps_the_registration(rt: Runtime, world: World) -> None:
    """The sender still works with the person through their other case: nothing moves, and both
    sides read what they read before (the receiver the person, through its case; not the edit)."""
    case_id, person_id = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    _second_case(rt, world, "gtm_officer", "gtm_consulate_mex", person_id)
    _transfer(rt, world, case_id, "gtm_head", "gtm_child", "gtm_protection")
    assert _registration(rt, person_id) == (world.orgs["gtm_consulate_mex"], world.users["gtm_head"])
    assert _moves(rt) == []
    for user in (*SENDERS, "gtm_protection"):
        assert _reads_person(rt, world, user, person_id) and _finds(rt, world, user, person_id), user
    assert _rename(rt, world, "gtm_head", person_id, "Corregida") == "Corregida"
    with rt.sessions() as s, pytest.raises(Forbidden):  # the edit stays the registration's
        person_records.update_person(ctx_for(s, world, "gtm_protection"), person_id,
                                     PersonUpdate(version=2, family_names="Intento"))


def test_a_registration_of_another_organisation_stays_where_it_is(rt: Runtime, world: World) -> None:
    """The person's last case held by an organisation that never registered them moves on: the
    registration was not that sender's to hand over, and its holder keeps it."""
    first, person_id = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    _transfer(rt, world, first, "gtm_head", "gtm_child", "gtm_protection")  # the only case: it moves
    assert _registration(rt, person_id) == (world.orgs["gtm_child"], world.users["gtm_protection"])
    second = _second_case(rt, world, "gtm_protection", "gtm_child", person_id)
    _transfer(rt, world, second, "gtm_protection", "hnd_consulate_mex", "hnd_head")  # child protection keeps the first
    assert _registration(rt, person_id) == (world.orgs["gtm_child"], world.users["gtm_protection"])
    _transfer(rt, world, second, "hnd_head", "mex_ngo", "mex_caseworker")  # Honduras never registered them
    assert _registration(rt, person_id) == (world.orgs["gtm_child"], world.users["gtm_protection"])
    assert len(_moves(rt)) == 1
    assert not _reads_person(rt, world, "hnd_head", person_id)  # no case, no registration, no share


def _duplicates_page_names(client, user: str) -> bool:
    """Whether the officer's registration page, given the person's names, offers them as a
    possible duplicate (the page lists people the officer may read)."""
    _login(client, user)
    token = _csrf(client.get("/cases/people/new").text)
    r = client.post("/cases/people/new", follow_redirects=False, data={
        "csrf_token": token, "given_names": "Persona", "family_names": "Trasladada"})
    return "Posibles duplicados" in r.text


def test_api_and_officer_page_follow_the_registration(rt: Runtime, world: World, client) -> None:
    case_id, person_id = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    head = login(client, "gtm_head")
    assert client.get(f"/api/v1/people/{person_id}", headers=head).status_code == 200
    assert _duplicates_page_names(client, "gtm_head")
    _transfer(rt, world, case_id, "gtm_head", "gtm_child", "gtm_protection")
    assert client.get(f"/api/v1/people/{person_id}", headers=head).status_code == 404
    listed = client.get("/api/v1/people", headers=head, params={"q": "Trasladada"})
    assert listed.status_code == 200 and person_id not in {p["id"] for p in listed.json()["items"]}
    assert not _duplicates_page_names(client, "gtm_head")
    assert _duplicates_page_names(client, "gtm_protection")
    protection = login(client, "gtm_protection")
    person = client.get(f"/api/v1/people/{person_id}", headers=protection).json()
    edited = client.patch(f"/api/v1/people/{person_id}", headers=protection,
                          json={"version": person["version"], "family_names": "Corregida"})
    assert edited.status_code == 200 and edited.json()["family_names"] == "Corregida"


def test_a_childs_registration_moves_and_stays_capped(rt: Runtime, world: World) -> None:
    """A child's only case moves from Honduras's consulate to the reception centre: the
    registration goes with it, and a reception officer (capped at ``own`` for a child's case)
    who is not the case's officer does not reach the child through the registration."""
    with rt.sessions() as s:
        org = s.get(Organisation, world.orgs["hnd_reception"])
        assert org is not None
        world.users["hnd_reception2"] = accounts.add_user(s, "hnd_reception2", PASSWORD, rt.config,
                                                          [(org, "reception_officer")]).id
        s.commit()
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_head")
        person_id = person_records.create_person(ctx, PersonCreate(
            given_names="Niño", family_names="Trasladada", nationality="HND",
            organisation_id=world.orgs["hnd_consulate_mex"])).id
        case_id = case_records.create_case(ctx, CaseCreate(
            case_type=CaseType.UNACCOMPANIED_CHILD, person_id=person_id,
            organisation_id=world.orgs["hnd_consulate_mex"])).id
    _transfer(rt, world, case_id, "hnd_head", "hnd_reception", "hnd_reception")
    assert _registration(rt, person_id) == (world.orgs["hnd_reception"], world.users["hnd_reception"])
    assert _reads_person(rt, world, "hnd_reception", person_id)  # the case's officer: within the cap
    for outside in ("hnd_reception2", "hnd_head", "hnd_officer"):  # the cap; the former holder
        assert not _reads_person(rt, world, outside, person_id), outside
        with rt.sessions() as s:
            found = person_records.search_people(ctx_for(s, world, outside), q="Trasladada", limit=200)
        assert person_id not in {p.id for p in found.items}, outside
    assert _reads_person(rt, world, "hnd_supervisor", person_id)  # capped at country: still reached


# ---------------------------------------------------------------- two transfers at once (PostgreSQL)


@pytest.mark.postgres
def test_two_transfers_of_the_persons_two_cases_at_once(pg_rt: Runtime, pg_world: World) -> None:
    """The sender's two cases of the person go to two receivers at the same moment. Each counts
    the sender's other cases after the other's commit (the person's row is locked first), so the
    second sees the sender left with none and takes the registration; without the lock both would
    count the other's case still at the sender and the registration would stay with nobody's case."""
    rt, world = pg_rt, pg_world
    first_case, person_id = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    second_case = _second_case(rt, world, "gtm_head", "gtm_consulate_mex", person_id)
    first = _refer(rt, world, first_case, "gtm_child", transfer=True)
    second = _refer(rt, world, second_case, "hnd_reception", transfer=True)

    def accept_second() -> object:
        with rt.sessions() as s:
            return referrals.answer_referral(ctx_for(s, world, "hnd_reception"), second,
                                             ReferralAnswer(accept=True)).status

    with rt.sessions() as s:
        box = holding_commit_until(rt, s, accept_second)
        referrals.answer_referral(ctx_for(s, world, "gtm_protection"), first, ReferralAnswer(accept=True))
    box["worker"].join(LOCK_WAIT_LIMIT_S)
    assert box["outcome"]["value"] == "accepted", box["outcome"]
    assert _registration(rt, person_id) == (world.orgs["hnd_reception"], world.users["hnd_reception"])
    moved = _moves(rt)
    assert len(moved) == 1 and f"referral:{second}" in json.loads(moved[0].fields)


@pytest.mark.postgres
def test_an_age_correction_while_the_persons_case_is_transferred(pg_rt: Runtime, pg_world: World) -> None:
    """A returnee's date of birth corrected (their intake case locked to become a child's case)
    while the centre's transfer of that case is accepted: the transfer locks the case, then the
    person (to move the registration); the correction writes the person, then locks the case.
    The correction takes the person's cases before writing the person, the order the transfer
    takes them in, so one waits for the other and both complete (before: a deadlock, one of
    the two aborted by PostgreSQL)."""
    rt, world = pg_rt, pg_world
    _centre_staff(rt, world)
    _hnd_child_agency(rt, world)
    case_id, person_id = _receive(rt, world, accompaniment="SINGLE_ADULT")
    transfer = _transfer_pending(rt, world, "hnd_reception", case_id, "hnd_consulate_mex")

    def accept() -> object:
        with rt.sessions() as s:
            return referrals.answer_referral(ctx_for(s, world, "hnd_head"), transfer, ReferralAnswer(accept=True)).status

    box: dict[str, Any] = {}

    def hold(session: Session, flush_context: object) -> None:  # the person's row written, not committed
        box["worker"], box["outcome"] = in_thread(accept)
        until_waiting(rt, box["worker"])

    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_centre_protection")
        version = person_records.get_person(ctx, person_id).version
        event.listen(s, "after_flush", hold, once=True)
        corrected = person_records.update_person(ctx, person_id, PersonUpdate(version=version, date_of_birth=CHILD_BORN))
    box["worker"].join(LOCK_WAIT_LIMIT_S)
    assert box["outcome"]["value"] == "accepted", box["outcome"]
    assert corrected.date_of_birth == CHILD_BORN
    with rt.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        assert (case.case_type, case.organisation_id) == ("unaccompanied_child", world.orgs["hnd_consulate_mex"])
    assert _registration(rt, person_id) == (world.orgs["hnd_consulate_mex"], world.users["hnd_head"])


def _transfer_pending(rt: Runtime, world: World, sender: str, case_id: int, to_key: str) -> int:
    with rt.sessions() as s:
        ctx = ctx_for(s, world, sender)
        consent = referrals.record_consent(ctx, case_id, ConsentIn(
            given_by="person", given_at=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), given_to="la receptora",
            purpose="traslado del caso"))
        return referrals.create_referral(ctx, case_id, ReferralIn(
            to_organisation_id=world.orgs[to_key], profile="legal_aid", services=["legal"],
            reason="traslado", consent_id=consent.id, transfer=True)).id


@pytest.mark.postgres
def test_an_erasure_waiting_for_the_transfer_is_decided_after_it(pg_rt: Runtime, pg_world: World) -> None:
    """The consulate's head asks to erase the person while child protection accepts the
    transfer of the person's only case. The erasure waits for the transfer, then reads the
    person as it now is: no longer the consulate's (404), nothing erased. Before: it had decided
    on the registration as it was and then failed on the person's changed row."""
    rt, world = pg_rt, pg_world
    case_id, person_id = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    transfer = _refer(rt, world, case_id, "gtm_child", transfer=True)

    def erase() -> object:
        with rt.sessions() as s:
            return person_rights.erase_person(ctx_for(s, world, "gtm_head"), person_id)

    with rt.sessions() as s:
        box = holding_commit_until(rt, s, erase)
        referrals.answer_referral(ctx_for(s, world, "gtm_protection"), transfer, ReferralAnswer(accept=True))
    box["worker"].join(LOCK_WAIT_LIMIT_S)
    assert isinstance(box["outcome"]["value"], NotFound), box["outcome"]
    assert _registration(rt, person_id) == (world.orgs["gtm_child"], world.users["gtm_protection"])
    with rt.sessions() as s:
        person = s.get(Person, person_id)
        assert person is not None and person.erased_at is None and person.family_names == "Trasladada"


@pytest.mark.postgres
def test_a_transfer_waiting_for_an_erasure_never_deadlocks(pg_rt: Runtime, pg_world: World) -> None:
    """The erasure has written the person (and not yet the case) when the transfer is accepted:
    the erasure holds the person's cases already, so the transfer waits for it, then goes on
    (before: the transfer took the case, waited for the person, and the erasure, waiting for
    the case, deadlocked with it)."""
    rt, world = pg_rt, pg_world
    case_id, person_id = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    transfer = _refer(rt, world, case_id, "gtm_child", transfer=True)

    def accept() -> object:
        with rt.sessions() as s:
            return referrals.answer_referral(ctx_for(s, world, "gtm_protection"), transfer,
                                             ReferralAnswer(accept=True)).status

    box: dict[str, Any] = {}

    def hold(session: Session, flush_context: object) -> None:  # the person's row written, not the case
        if "worker" not in box:
            box["worker"], box["outcome"] = in_thread(accept)
            until_waiting(rt, box["worker"])

    with rt.sessions() as s:
        event.listen(s, "after_flush", hold)
        erased = person_rights.erase_person(ctx_for(s, world, "gtm_head"), person_id)
    box["worker"].join(LOCK_WAIT_LIMIT_S)
    assert erased.person_erased and erased.cases == 1
    # it waited, then found the case erased: nothing to take on (before: accepted, moving an
    # erased case and the erased person's registration)
    assert isinstance(box["outcome"]["value"], Conflict), box["outcome"]
    assert _registration(rt, person_id)[0] == world.orgs["gtm_consulate_mex"]


def test_an_erased_case_is_neither_transferred_nor_taken_on(rt: Runtime, world: World) -> None:
    """A referral pending when the person's data is erased can be declined, not accepted: the
    case holds nothing to work on, and a transfer would hand the erased person's registration to
    the receiver (before: accepted, case and registration moved)."""
    case_id, person_id = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    transfer = _refer(rt, world, case_id, "gtm_child", transfer=True)
    with rt.sessions() as s:
        assert person_rights.erase_person(ctx_for(s, world, "gtm_head"), person_id).cases == 1
    with rt.sessions() as s, pytest.raises(Conflict) as refused:
        referrals.answer_referral(ctx_for(s, world, "gtm_protection"), transfer, ReferralAnswer(accept=True))
    assert refused.value.key == "refusal.case.erased_case"
    with rt.sessions() as s, pytest.raises(Conflict):  # the confirmation step refuses alike
        referrals.check_answer(ctx_for(s, world, "gtm_protection"), transfer, ReferralAnswer(accept=True))
    with rt.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.organisation_id == world.orgs["gtm_consulate_mex"]
    assert _registration(rt, person_id)[0] == world.orgs["gtm_consulate_mex"]
    with rt.sessions() as s:
        answered = referrals.answer_referral(ctx_for(s, world, "gtm_protection"), transfer,
                                             ReferralAnswer(accept=False, reason="caso borrado"))
    assert answered.status == "declined"


def _assign(rt: Runtime, world: World, case_id: int, org_key: str) -> None:
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "gtm_supervisor")  # moves cases between Guatemala's organisations
        version = case_records.get_case(ctx, case_id).version
        case_writes.assign_case(ctx, case_id, CaseAssign(version=version, organisation_id=world.orgs[org_key]))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_registration_moves_with_the_last_case_assigned_elsewhere(
        backend: str, request: pytest.FixtureRequest) -> None:
    """The national supervisor moves the person's only case from the consulate in Tapachula to
    the one in Houston: the registration goes too (before: Tapachula kept reading and finding the
    person after it held none of their cases), audited with the case; the new holder corrects the
    identity. With a second case kept in Tapachula, nothing moves."""
    rt: Runtime = request.getfixturevalue("pg_rt" if backend == "postgres" else "rt")
    world: World = request.getfixturevalue("pg_world" if backend == "postgres" else "world")
    case_id, person_id = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    kept_case, kept_person = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    _second_case(rt, world, "gtm_head", "gtm_consulate_mex", kept_person)
    _assign(rt, world, case_id, "gtm_consulate_usa")
    _assign(rt, world, kept_case, "gtm_consulate_usa")
    assert _registration(rt, person_id) == (world.orgs["gtm_consulate_usa"], None)
    assert _registration(rt, kept_person)[0] == world.orgs["gtm_consulate_mex"]
    assert not any(_reads_person(rt, world, u, person_id) for u in SENDERS)
    assert all(_reads_person(rt, world, u, kept_person) for u in SENDERS)
    moves = _moves(rt)
    assert [(m.outcome, m.record_id, m.actor_id) for m in moves] == [
        ("granted", str(person_id), world.users["gtm_supervisor"])]
    assert sorted(json.loads(moves[0].fields)) == [f"case:{case_id}", "created_by_id", "organisation_id"]
    assert _rename(rt, world, "gtm_usa_officer", person_id, "Corregida") == "Corregida"
