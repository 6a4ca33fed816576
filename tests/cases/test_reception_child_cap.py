"""An unaccompanied child received at the returnee reception centre is protected as a child
(review: intake opened an adult's ``returnee_reintegration`` case for the child, so every
reception officer of the centre reached the child's case and person record, and neither the child
protocol nor its closure rule applied). Runs on SQLite and PostgreSQL (``rt``)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from observatorio.cases import accounts, case_records, case_writes, person_records
from observatorio.cases.errors import Conflict, Invalid, NotFound
from observatorio.cases.models import AuditEntry, Case, Organisation
from observatorio.cases.reception import arrivals, intake
from observatorio.cases.reception.schemas import ArrivalIn, IntakeIn
from observatorio.cases.reintegration import plans
from observatorio.cases.reintegration.schemas import PlanIn
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseTransition
from observatorio.cases.vocab import CaseStatus

from .conftest import PASSWORD, World, ctx_for, login
from .reception_files import csv_bytes, people
from .test_web import _web_login

ARRIVED = dt.date(2025, 8, 14)
CHILD = {"accompaniment": "UNACCOMPANIED", "vulnerabilities": ["unaccompanied_child"]}


def _second_reception_officer(rt: Runtime, world: World) -> None:
    """Officer B: a reception officer of the same centre who did not do the intake."""
    with rt.sessions() as s:
        centre = s.get(Organisation, world.orgs["hnd_reception"])
        assert centre is not None
        user = accounts.add_user(s, "hnd_reception_b", PASSWORD, rt.config, [(centre, "reception_officer")])
        s.commit()
        world.users["hnd_reception_b"] = user.id


def _receive(rt: Runtime, world: World, rows: list[list[str]], *intakes: dict[str, object],
             today: dt.date = ARRIVED) -> list[int]:
    """One arrival with ``rows`` on its manifest, each row received with the matching intake
    fields by the officer ``hnd_reception``; the case ids."""
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        arrival_id = arrivals.create_arrival(ctx, ArrivalIn(mode="flight", arrival_date=ARRIVED, arriving_from="USA",
                                                            expected_count=len(rows))).id
        arrivals.import_manifest(ctx, arrival_id, "m.csv", csv_bytes(rows), today)
        entries = [e.id for e in arrivals.get_arrival(ctx, arrival_id).manifest]
        return [intake.record_intake(ctx, arrival_id, IntakeIn(manifest_entry_id=e, **fields), today).case_id
                for e, fields in zip(entries, intakes, strict=True)]


def _denied(rt: Runtime, user_id: int) -> set[tuple[str, str, str | None]]:
    with rt.sessions() as s:
        rows = s.execute(select(AuditEntry.action, AuditEntry.record_type, AuditEntry.record_id)
                         .where(AuditEntry.actor_id == user_id, AuditEntry.outcome == "denied")).all()
        return {(a, t, r) for a, t, r in rows}


def test_only_the_intake_officer_and_the_national_supervisor_reach_a_received_child(rt: Runtime, world: World) -> None:
    _second_reception_officer(rt, world)
    rows = people(2, children=1)
    child_name, adult_name = rows[0][0], rows[1][0]
    child_case, adult_case = _receive(rt, world, rows, CHILD, {"accompaniment": "SINGLE_ADULT"})
    with rt.sessions() as s:
        case = s.get(Case, child_case)
        assert case is not None and case.case_type == "unaccompanied_child"
        child, adult = case.person_id, s.get(Case, adult_case).person_id  # type: ignore[union-attr]
    with rt.sessions() as s:  # officer B of the same centre: neither the case nor the person, by any path
        b = ctx_for(s, world, "hnd_reception_b")
        with pytest.raises(NotFound):
            case_records.get_case(b, child_case)
        with pytest.raises(NotFound):
            person_records.get_person(b, child)
        assert person_records.search_people(b, q=child_name).items == []
        assert [c.id for c in case_records.list_cases(b, q=child_name).items] == []
        assert child_case not in {c.id for c in case_records.list_cases(b, limit=100).items}
        # an adult received by the other officer stays reachable by the whole centre
        assert case_records.get_case(b, adult_case).id == adult_case
        assert [p.id for p in person_records.search_people(b, q=adult_name).items] == [adult]
    assert {("case.read", "case", str(child_case)), ("person.read", "person", str(child))} <= _denied(
        rt, world.users["hnd_reception_b"])
    for user in ("hnd_reception", "hnd_supervisor"):  # the intake officer (own), the supervisor (country)
        with rt.sessions() as s:
            ctx = ctx_for(s, world, user)
            assert case_records.get_case(ctx, child_case).case_type == "unaccompanied_child"
            assert person_records.get_person(ctx, child).id == child
            assert [p.id for p in person_records.search_people(ctx, q=child_name).items] == [child]
            assert [c.id for c in case_records.list_cases(ctx, q=child_name).items] == [child_case]


def test_the_received_child_follows_the_child_protocol_and_its_closure_rule(rt: Runtime, world: World) -> None:
    [child_case] = _receive(rt, world, people(1, children=1), CHILD)
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        case = s.get(Case, child_case)
        assert case is not None and case.protocol_version == "unaccompanied_child@3"
        with pytest.raises(Conflict) as refused:
            case_writes.transition_case(ctx, child_case, CaseTransition(version=case.version, to=CaseStatus.CLOSED))
        assert refused.value.extra["missing_steps"] == ["best_interests_determination"]
        s.rollback()
        assert s.get(Case, child_case, populate_existing=True).status == "open"  # type: ignore[union-attr]


def test_a_childs_case_holds_no_reintegration_plan_an_adults_does(rt: Runtime, world: World) -> None:
    """Decided (docs/cases.md): the child's future is the best-interests determination's, not an
    adult returnee's reintegration plan; the plan stays one per returnee case."""
    child_case, adult_case = _receive(rt, world, people(2, children=1), CHILD, {"accompaniment": "SINGLE_ADULT"})
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        with pytest.raises(Invalid, match="reintegration"):
            plans.create_plan(ctx, child_case, PlanIn(department="HN-CR"), ARRIVED)
        s.rollback()
        assert plans.create_plan(ctx, adult_case, PlanIn(department="HN-CR"), ARRIVED).department == "HN-CR"


def test_age_is_taken_at_the_arrival_date_and_a_child_is_never_a_single_adult(rt: Runtime, world: World) -> None:
    """17 on the arrival date, 18 at the (later) intake: still a child, unaccompanied, capped.
    Under 18 recorded as a single adult or with the accompaniment unknown: refused, nothing written."""
    later = ARRIVED + dt.timedelta(days=3)
    turned = [["Ana 0", "López", "2007-08-15", "F"]]  # 18 on 2025-08-15, after the arrival
    [case_id] = _receive(rt, world, turned, CHILD, today=later)
    with rt.sessions() as s:
        assert s.get(Case, case_id).case_type == "unaccompanied_child"  # type: ignore[union-attr]
    for fields in ({"accompaniment": "SINGLE_ADULT"}, {"accompaniment": "_U"}, {}):
        with pytest.raises(Invalid) as refused:
            _receive(rt, world, people(1, children=1), fields)
        assert refused.value.extra == {"field": "accompaniment"}
        assert "años" in refused.value.es and "years" in refused.value.en


def test_officer_b_gets_the_not_found_page_and_api_answer_the_intake_officer_the_case(
        rt: Runtime, world: World, client) -> None:
    """The same through the officer pages and the API: the case page, the case list's name
    search and the API's person search."""
    _second_reception_officer(rt, world)
    rows = people(1, children=1)
    [child_case] = _receive(rt, world, rows, CHILD)
    assert _web_login(client, "hnd_reception_b").status_code == 303
    assert client.get(f"/cases/c/{child_case}").status_code == 404
    assert f"/cases/c/{child_case}" not in client.get("/cases/", params={"q": rows[0][0]}).text
    client.cookies.clear()
    b = login(client, "hnd_reception_b")
    assert client.get("/api/v1/people", params={"q": rows[0][0]}, headers=b).json()["items"] == []
    assert client.get(f"/api/v1/cases/{child_case}", headers=b).status_code == 404
    assert _web_login(client, "hnd_reception").status_code == 303
    assert client.get(f"/cases/c/{child_case}").status_code == 200
    a = login(client, "hnd_reception")
    assert [p["given_names"] for p in client.get("/api/v1/people", params={"q": rows[0][0]},
                                                 headers=a).json()["items"]] == [rows[0][0]]
