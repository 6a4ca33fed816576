"""A returnee found to have been a child after intake gets a child's case (reception/child_cases.py).

Review: a person received without a date of birth as a single adult, or with a wrong one, kept an
uncapped ``returnee_reintegration`` case when the date of birth was corrected or first entered,
so every officer of the centre still reached the child's case and person record, without the
child protocol or the mandated referral. Now the correction (``person_records.update_person``,
``PATCH /api/v1/people/{id}``) re-types the intake case in the same transaction, audited; a
child corrected to an adult keeps a child's case. SQLite and PostgreSQL (``rt``)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from observatorio.cases import accounts, case_records, person_records
from observatorio.cases.errors import Conflict, NotFound
from observatorio.cases.models import AuditEntry, Case, CaseRevision, CaseTask, Organisation, utcnow
from observatorio.cases.reception import arrivals, child_cases, intake
from observatorio.cases.reception.models import Intake
from observatorio.cases.reception.schemas import ArrivalIn, IntakeIn
from observatorio.cases.referral_models import Referral
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import PersonUpdate

from .conftest import PASSWORD, World, ctx_for, login
from .test_mandated_referrals import _hnd_child_agency

ARRIVED = dt.date(2025, 8, 14)
CHILD_BORN = dt.date(2010, 3, 1)  # 15 at the arrival
ADULT_BORN = dt.date(1990, 3, 1)
CHILD = {"accompaniment": "UNACCOMPANIED", "vulnerabilities": ["unaccompanied_child"]}


def _centre_staff(rt: Runtime, world: World) -> None:
    """At the centre: officer B (reception, did no intake), a child-protection officer who edits
    people (no referral.mandate), and an intake officer who also edits people."""
    with rt.sessions() as s:
        centre = s.get(Organisation, world.orgs["hnd_reception"])
        assert centre is not None
        for name, roles in (("hnd_reception_b", ["reception_officer"]), ("hnd_centre_protection", ["protection_officer"]),
                            ("hnd_intake_editor", ["reception_officer", "protection_officer"])):
            world.users[name] = accounts.add_user(s, name, PASSWORD, rt.config, [(centre, r) for r in roles]).id
        s.commit()


def _receive(rt: Runtime, world: World, officer: str = "hnd_reception", **fields: object) -> tuple[int, int]:
    """One returnee received off the manifest by ``officer``; (case id, person id)."""
    with rt.sessions() as s:
        ctx = ctx_for(s, world, officer)
        arrival = arrivals.create_arrival(ctx, ArrivalIn(mode="flight", arrival_date=ARRIVED, arriving_from="USA",
                                                         expected_count=1)).id
        out = intake.record_intake(ctx, arrival, IntakeIn(given_names="Ana", family_names="López", **fields), ARRIVED)
        return out.case_id, out.person_id


def _correct(rt: Runtime, world: World, editor: str, person_id: int, **fields: object) -> None:
    with rt.sessions() as s:
        ctx = ctx_for(s, world, editor)
        version = person_records.get_person(ctx, person_id).version
        person_records.update_person(ctx, person_id, PersonUpdate(version=version, **fields))  # type: ignore[arg-type]


def _case(rt: Runtime, case_id: int) -> Case:
    with rt.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        s.expunge(case)
        return case


def _reaches(rt: Runtime, world: World, user: str, case_id: int, person_id: int) -> bool:
    with rt.sessions() as s:
        ctx = ctx_for(s, world, user)
        try:
            case_records.get_case(ctx, case_id)
            person_records.get_person(ctx, person_id)
        except NotFound:
            return False
        return True


def _assert_protected(rt: Runtime, world: World, case_id: int, person_id: int,
                      intake_officer: str = "hnd_reception") -> Case:
    case = _case(rt, case_id)
    assert (case.case_type, case.protocol_version) == ("unaccompanied_child", "unaccompanied_child@3")
    assert not _reaches(rt, world, "hnd_reception_b", case_id, person_id), "the child's cap: officer B is out"
    assert _reaches(rt, world, intake_officer, case_id, person_id), "the intake officer keeps the child"
    with rt.sessions() as s:
        [revision] = s.scalars(select(CaseRevision).where(CaseRevision.case_id == case_id,
                                                          CaseRevision.version == case.version)).all()
        assert revision.changes["case_type"] == ["returnee_reintegration", "unaccompanied_child"]
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.retype",
                                                     AuditEntry.record_type == "case",
                                                     AuditEntry.record_id == str(case_id))).all()
        assert entry.outcome == "granted" and "case_type" in entry.fields
        # the intake now says what it was: a child received alone (the published returnee
        # tables read it; SINGLE_ADULT counted a child as a single adult)
        received = s.scalars(select(Intake).where(Intake.case_id == case_id)).one()
        assert received.accompaniment == "UNACCOMPANIED"
        [noted] = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.retype",
                                                     AuditEntry.record_type == "intake",
                                                     AuditEntry.record_id == str(received.id))).all()
        assert noted.outcome == "granted" and "accompaniment" in noted.fields
    return case


@pytest.mark.parametrize("correction", [{"date_of_birth": CHILD_BORN}, {"estimated_age": 16}])
def test_a_single_adult_without_a_date_of_birth_given_a_childs_gets_a_childs_case(
        rt: Runtime, world: World, correction: dict[str, object]) -> None:
    _centre_staff(rt, world)
    _hnd_child_agency(rt, world)
    case_id, person_id = _receive(rt, world, accompaniment="SINGLE_ADULT")
    before = _case(rt, case_id)
    assert before.case_type == "returnee_reintegration"
    assert _reaches(rt, world, "hnd_reception_b", case_id, person_id), "an adult's case: the whole centre"
    _correct(rt, world, "hnd_centre_protection", person_id, **correction)
    after = _assert_protected(rt, world, case_id, person_id)
    assert after.version == before.version + 1
    with rt.sessions() as s:  # the editor holds no referral.mandate: the need is a task for the case's officer
        [task] = s.scalars(select(CaseTask).where(CaseTask.case_id == case_id)).all()
        assert task.assignee_id == world.users["hnd_reception"] and "child_protection_agency" in task.title
        assert s.scalars(select(Referral).where(Referral.case_id == case_id)).unique().all() == []


def test_an_editor_holding_the_mandate_refers_the_child_to_child_protection(rt: Runtime, world: World) -> None:
    _centre_staff(rt, world)
    agency = _hnd_child_agency(rt, world)
    case_id, person_id = _receive(rt, world, "hnd_intake_editor", date_of_birth=ADULT_BORN, accompaniment="SINGLE_ADULT")
    _correct(rt, world, "hnd_intake_editor", person_id, date_of_birth=CHILD_BORN)  # a typo corrected
    _assert_protected(rt, world, case_id, person_id, "hnd_intake_editor")
    with rt.sessions() as s:
        [referral] = s.scalars(select(Referral).where(Referral.case_id == case_id)).unique().all()
        assert (referral.mandate, referral.to_organisation_id, referral.status) == ("child_protection_law", agency,
                                                                                    "pending")
        revision = s.scalars(select(CaseRevision).where(CaseRevision.case_id == case_id)
                             .order_by(CaseRevision.version.desc())).first()
        assert revision is not None and revision.changes["mandated_referrals"] == [None, [referral.id]]
        assert s.scalars(select(CaseTask).where(CaseTask.case_id == case_id)).all() == []
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "referral.mandate",
                                                    AuditEntry.record_id == str(case_id))) is not None


def test_an_accompanied_child_or_an_adult_keeps_a_returnees_case(rt: Runtime, world: World) -> None:
    """As at intake: a child with family gets a returnee's case; a date of birth of an adult changes nothing."""
    _centre_staff(rt, world)
    accompanied, accompanied_person = _receive(rt, world, accompaniment="FAMILY_UNIT")
    adult, adult_person = _receive(rt, world, accompaniment="SINGLE_ADULT")
    _correct(rt, world, "hnd_centre_protection", accompanied_person, date_of_birth=CHILD_BORN)
    _correct(rt, world, "hnd_centre_protection", adult_person, date_of_birth=ADULT_BORN)
    for case_id in (accompanied, adult):
        case = _case(rt, case_id)
        assert (case.case_type, case.version) == ("returnee_reintegration", 1)


def test_an_erased_case_is_left_erased(rt: Runtime, world: World) -> None:
    """An erased intake case (its person kept for another organisation's case) gets no new work:
    no re-typing, no referral, no task (found by the final review)."""
    _centre_staff(rt, world)
    case_id, person_id = _receive(rt, world, accompaniment="SINGLE_ADULT")
    with rt.sessions() as s:
        s.execute(update(Case).where(Case.id == case_id).values(erased_at=utcnow(), summary=None))
        s.commit()
    _correct(rt, world, "hnd_centre_protection", person_id, date_of_birth=CHILD_BORN)
    case = _case(rt, case_id)
    assert (case.case_type, case.version) == ("returnee_reintegration", 1)
    with rt.sessions() as s:
        assert s.scalars(select(CaseTask).where(CaseTask.case_id == case_id)).all() == []
        assert s.scalars(select(Referral).where(Referral.case_id == case_id)).unique().all() == []


def test_a_child_corrected_to_an_adult_keeps_a_childs_case(rt: Runtime, world: World) -> None:
    """Decided (docs/cases.md): protection is never lifted by a correction."""
    _centre_staff(rt, world)
    case_id, person_id = _receive(rt, world, date_of_birth=CHILD_BORN, **CHILD)
    _correct(rt, world, "hnd_centre_protection", person_id, date_of_birth=ADULT_BORN)
    case = _case(rt, case_id)
    assert case.case_type == "unaccompanied_child"
    assert not _reaches(rt, world, "hnd_reception_b", case_id, person_id)
    with rt.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "person.update",
                                                   AuditEntry.record_id == str(person_id))).one()
        assert "date_of_birth" in entry.fields


def test_the_api_route_that_edits_a_person_protects_the_child(rt: Runtime, world: World, client) -> None:
    _centre_staff(rt, world)
    case_id, person_id = _receive(rt, world, accompaniment="_U")
    child_id, child_person = _receive(rt, world, date_of_birth=CHILD_BORN, **CHILD)
    editor = login(client, "hnd_centre_protection")
    for pid, born in ((person_id, CHILD_BORN), (child_person, ADULT_BORN)):
        version = client.get(f"/api/v1/people/{pid}", headers=editor).json()["version"]
        r = client.patch(f"/api/v1/people/{pid}", json={"version": version, "date_of_birth": born.isoformat()},
                         headers=editor)
        assert r.status_code == 200, r.text
    _assert_protected(rt, world, case_id, person_id)
    assert _case(rt, child_id).case_type == "unaccompanied_child"  # the other way: kept
    b = login(client, "hnd_reception_b")
    assert client.get(f"/api/v1/cases/{case_id}", headers=b).status_code == 404
    assert client.get(f"/api/v1/people/{person_id}", headers=b).status_code == 404


def test_a_case_edited_meanwhile_makes_the_correction_a_conflict_with_nothing_written(
        rt: Runtime, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit of the case lands between the correction's read of the case and its re-typing (a
    row update of the case's version at that moment, run by wrapping the protocol look-up the
    re-typing makes, in the correction's own connection: SQLite lets no other writer in then):
    the re-typing's optimistic lock sees it, and the whole correction is a 409, nothing written."""
    _centre_staff(rt, world)
    case_id, person_id = _receive(rt, world, accompaniment="SINGLE_ADULT")
    real = child_cases.protocols.for_new_case
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_centre_protection")

        def edited_meanwhile(case_type: str, country: str) -> tuple[str | None, str | None]:
            s.execute(update(Case).where(Case.id == case_id).values(version=Case.version + 1)
                      .execution_options(synchronize_session=False))
            return real(case_type, country)

        monkeypatch.setattr(child_cases.protocols, "for_new_case", edited_meanwhile)
        version = person_records.get_person(ctx, person_id).version
        with pytest.raises(Conflict):
            person_records.update_person(ctx, person_id, PersonUpdate(version=version, date_of_birth=CHILD_BORN))
    monkeypatch.undo()
    case = _case(rt, case_id)
    assert (case.case_type, case.version) == ("returnee_reintegration", 1)
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_centre_protection")
        assert person_records.get_person(ctx, person_id).date_of_birth is None, "nothing written"
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action.in_(["case.retype", "person.update"]))) is None
