"""A child's person record is capped like the child's case (policy.yaml case_type_caps,
docs/cases.md "A child's person record"): a role that may not open the child's case does not
read the child's name, date of birth or documents on any path either — single read (API and
service), name search, possible duplicates at registration (service and officer page), family
links, export, editing, the officer case page of another case about the child, and the
minimised view of a referral. Every refusal is audited as denied, as for cases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from observatorio.cases import case_records, person_records, person_rights, referrals
from observatorio.cases.duplicates import possible_duplicates
from observatorio.cases.errors import NotFound
from observatorio.cases.models import AuditEntry, Case
from observatorio.cases.schemas import CaseCreate, FamilyLinkIn, PersonCreate, PersonUpdate
from observatorio.cases.vocab import CaseType

from .conftest import ctx_for, login
from .test_officer_web import _login
from .test_referrals import _consent, _refer
from .test_web import _csrf

BORN = dt.date(2015, 2, 3)
SURNAME = "Oculta Reservada"


def _child(rt, world, with_adult_case_by: str | None = None) -> tuple[int, int]:
    """A child registered by a consular officer of the consulate in Tapachula, with their
    unaccompanied child's case (and, first, an adult-type case a colleague holds)."""
    org = world.orgs["gtm_consulate_mex"]
    with rt.sessions() as s:
        p = person_records.create_person(ctx_for(s, world, "gtm_officer"), PersonCreate(
            given_names="Niña", family_names=SURNAME, date_of_birth=BORN, nationality="GTM", organisation_id=org))
        if with_adult_case_by:
            case_records.create_case(ctx_for(s, world, with_adult_case_by), CaseCreate(
                case_type=CaseType.DETENTION, person_id=p.id, organisation_id=org))
        case = case_records.create_case(ctx_for(s, world, "gtm_officer"), CaseCreate(
            case_type=CaseType.UNACCOMPANIED_CHILD, person_id=p.id, organisation_id=org))
        return p.id, case.id


def _denials(rt, action: str, person_id: int) -> list[AuditEntry]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.record_type == "person",
            AuditEntry.record_id == str(person_id), AuditEntry.outcome == "denied")))


def test_a_colleague_of_the_registering_organisation_does_not_read_the_child(rt, world) -> None:
    child, _ = _child(rt, world)
    with rt.sessions() as s:
        with pytest.raises(NotFound):
            person_records.get_person(ctx_for(s, world, "gtm_officer2"), child)
        # those the cap allows still do: the officer of the case, the head, the supervisor
        for user in ("gtm_officer", "gtm_head", "gtm_supervisor"):
            assert person_records.get_person(ctx_for(s, world, user), child).family_names == SURNAME
    [denied] = _denials(rt, "person.read", child)
    assert denied.actor_id == world.users["gtm_officer2"]


def test_api_answers_404_and_searches_leave_the_child_out(client, rt, world) -> None:
    child, _ = _child(rt, world)
    h = login(client, "gtm_officer2")
    r = client.get(f"/api/v1/people/{child}", headers=h)
    assert r.status_code == 404 and SURNAME not in r.text
    r = client.get("/api/v1/people", params={"q": "Oculta"}, headers=h)
    assert r.status_code == 200 and r.json()["items"] == [] and SURNAME not in r.text
    head = login(client, "gtm_head")
    assert [p["id"] for p in client.get("/api/v1/people", params={"q": "Oculta"}, headers=head).json()["items"]] \
        == [child]
    assert len(_denials(rt, "person.read", child)) == 1


def test_possible_duplicates_at_registration_leave_the_child_out(client, rt, world) -> None:
    child, _ = _child(rt, world)
    with rt.sessions() as s:
        assert possible_duplicates(ctx_for(s, world, "gtm_officer2"), "Niña", SURNAME, BORN) == []
        assert [c.person_id for c in possible_duplicates(ctx_for(s, world, "gtm_head"), "Niña", SURNAME, BORN)] \
            == [child]
    _login(client, "gtm_officer2")
    token = _csrf(client.get("/cases/people/new").text)
    r = client.post("/cases/people/new", follow_redirects=False, data={
        "csrf_token": token, "given_names": "Nina", "family_names": "Oculta Reservada",
        "date_of_birth": BORN.isoformat()})
    assert SURNAME not in r.text and "Posibles duplicados" not in r.text


def test_family_links_do_not_name_the_child(rt, world) -> None:
    child, _ = _child(rt, world)
    with rt.sessions() as s:
        mother = person_records.create_person(ctx_for(s, world, "gtm_officer"), PersonCreate(
            given_names="Madre", organisation_id=world.orgs["gtm_consulate_mex"])).id
        linked = person_records.add_family_link(ctx_for(s, world, "gtm_head"), mother,
                                                FamilyLinkIn(relative_id=child, kind="child"))
        assert [fl.relative_id for fl in linked.family_links] == [child]
        assert person_records.get_person(ctx_for(s, world, "gtm_officer2"), mother).family_links == []


def test_export_and_edit_follow_the_childs_case_not_the_registration(rt, world) -> None:
    """The child's case moves to the child-protection authority: the consulate that registered
    the child no longer reads, exports or edits them; the authority and the supervisor do."""
    child, case_id = _child(rt, world)
    with rt.sessions() as s:
        s.execute(update(Case).where(Case.id == case_id).values(
            organisation_id=world.orgs["gtm_child"], officer_id=None, created_by_id=None))
        s.commit()
    with rt.sessions() as s:
        for user in ("gtm_head", "gtm_officer"):
            with pytest.raises(NotFound):
                person_rights.export_person(ctx_for(s, world, user), child)
            with pytest.raises(NotFound):
                person_records.update_person(ctx_for(s, world, user), child, PersonUpdate(version=1, given_names="X"))
        assert person_rights.export_person(ctx_for(s, world, "gtm_supervisor"), child)["person"]["family_names"] == SURNAME
        assert person_records.get_person(ctx_for(s, world, "gtm_protection"), child).family_names == SURNAME
    assert len(_denials(rt, "person.export", child)) == 2
    assert len(_denials(rt, "person.update", child)) == 2


def test_an_adult_case_does_not_reveal_the_child(client, rt, world) -> None:
    """The colleague holds a detention case about the child: they read that case, never the
    child's person record (on the officer's case page the person is left out)."""
    child, _ = _child(rt, world, with_adult_case_by="gtm_officer2")
    with rt.sessions() as s:
        adult = s.scalar(select(Case.id).where(Case.person_id == child, Case.case_type == "detention"))
        assert case_records.get_case(ctx_for(s, world, "gtm_officer2"), adult).id == adult
        with pytest.raises(NotFound):
            person_records.get_person(ctx_for(s, world, "gtm_officer2"), child)
    _login(client, "gtm_officer2")
    page = client.get(f"/cases/c/{adult}")
    assert page.status_code == 200 and SURNAME not in page.text and "2015-02-03" not in page.text


def test_a_referral_receiver_the_cap_leaves_out_sees_no_identity(rt, world) -> None:
    _, case_id = _child(rt, world)
    ref = _refer(rt, world, case_id, to_organisation_id=world.orgs["mex_ngo"],
                 consent_id=_consent(rt, world, case_id))
    with rt.sessions() as s:
        view = referrals.referral_view(ctx_for(s, world, "mex_caseworker"), ref.id)
    assert view.person == {} and view.case == {}
    assert "person.family_names" in view.withheld_fields and SURNAME not in view.model_dump_json()


def test_a_case_search_does_not_match_a_capped_childs_name(rt, world) -> None:
    """Searching the cases one reads by a person's name must not confirm the name of a child one
    may not read (the colleague reads the adult-type case, not the child)."""
    child, _ = _child(rt, world, with_adult_case_by="gtm_officer2")
    with rt.sessions() as s:
        adult = s.scalar(select(Case.id).where(Case.person_id == child, Case.case_type == "detention"))
        assert [c.id for c in case_records.list_cases(ctx_for(s, world, "gtm_officer2"), q="oculta").items] == []
        assert adult in {c.id for c in case_records.list_cases(ctx_for(s, world, "gtm_officer2")).items}
        assert adult in {c.id for c in case_records.list_cases(ctx_for(s, world, "gtm_head"), q="oculta").items}
