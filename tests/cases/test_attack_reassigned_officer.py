"""Adversarial review: a case moved to another organisation must leave its old officer's reach.

``own`` reaches the records a user is assigned to (docs/cases.md, scopes), whatever their
organisation: assignment checks that the officer is a member of the case's holder. Assigning a
case to another organisation without naming an officer kept the old one, a member of the old
holder only, so an own-scope role (a partner caseworker) went on reading the case, its notes and
its person, and writing to it, after the case had left their organisation.
"""

from __future__ import annotations

from sqlalchemy import select

from observatorio.cases import accounts
from observatorio.cases.models import Membership, User
from observatorio.cases.runtime import Runtime
from observatorio.cases.vocab import OrgKind

from .conftest import PASSWORD, Seeded, login


def _second_mexican_organisation(rt: Runtime, seeded: Seeded) -> int:
    """Another organisation of Mexico, with a national supervisor who may move cases in Mexico."""
    with rt.sessions() as s:
        shelter = accounts.add_organisation(s, "Albergue (sociedad civil)", OrgKind.CIVIL_SOCIETY, "MEX", None,
                                            "Tapachula")
        accounts.add_user(s, "mex_supervisor", PASSWORD, rt.config, [(shelter, "national_supervisor")])
        accounts.add_user(s, "mex_shelter_worker", PASSWORD, rt.config, [(shelter, "caseworker")])
        s.commit()
        return shelter.id


def test_moving_a_case_without_naming_an_officer_ends_the_old_officers_reach(client, rt, seeded) -> None:
    case, person = seeded.cases["mex_ngo"], seeded.people["mex_ngo"]
    worker = login(client, "mex_caseworker")  # the case's officer at the NGO
    assert client.get(f"/api/v1/cases/{case}", headers=worker).status_code == 200
    shelter = _second_mexican_organisation(rt, seeded)
    sup = login(client, "mex_supervisor")
    moved = client.post(f"/api/v1/cases/{case}/assign", json={"version": 1, "organisation_id": shelter},
                        headers=sup)
    assert moved.status_code == 200, moved.text
    assert moved.json()["organisation_id"] == shelter
    # nobody of the old holder is assigned any more: the new holder assigns its own officer
    assert moved.json()["officer_id"] is None
    assert client.get(f"/api/v1/cases/{case}", headers=worker).status_code == 404
    assert client.get(f"/api/v1/cases/{case}/notes", headers=worker).status_code == 404
    assert client.post(f"/api/v1/cases/{case}/notes", json={"body": "sigo aquí"}, headers=worker).status_code == 404
    listed = client.get("/api/v1/cases", headers=worker).json()
    assert case not in [c["id"] for c in listed["items"]]
    # the NGO held no other case of the person: their registration went with the case
    # (registration.move_with_last_case; before, the NGO's caseworker kept reading the person)
    assert client.get(f"/api/v1/people/{person}", headers=worker).status_code == 404


def test_an_officer_who_is_a_member_of_the_new_holder_too_stays_assigned(client, rt, seeded) -> None:
    case = seeded.cases["mex_ngo"]
    shelter = _second_mexican_organisation(rt, seeded)
    with rt.sessions() as s:
        worker = s.scalar(select(User).where(User.username == "mex_caseworker"))
        assert worker is not None
        s.add(Membership(user_id=worker.id, organisation_id=shelter, role="caseworker"))
        s.commit()
    sup = login(client, "mex_supervisor")
    moved = client.post(f"/api/v1/cases/{case}/assign", json={"version": 1, "organisation_id": shelter},
                        headers=sup)
    assert moved.status_code == 200, moved.text
    assert moved.json()["officer_id"] == seeded.world.users["mex_caseworker"]
    assert client.get(f"/api/v1/cases/{case}", headers=login(client, "mex_caseworker")).status_code == 200


def test_naming_an_officer_of_the_new_holder_still_assigns_them(client, rt, seeded) -> None:
    case = seeded.cases["mex_ngo"]
    shelter = _second_mexican_organisation(rt, seeded)
    sup = login(client, "mex_supervisor")
    with rt.sessions() as s:
        new_officer = s.scalar(select(User.id).where(User.username == "mex_shelter_worker"))
    moved = client.post(f"/api/v1/cases/{case}/assign",
                        json={"version": 1, "organisation_id": shelter, "officer_id": new_officer}, headers=sup)
    assert moved.status_code == 200 and moved.json()["officer_id"] == new_officer
    assert client.get(f"/api/v1/cases/{case}", headers=login(client, "mex_shelter_worker")).status_code == 200
    assert client.get(f"/api/v1/cases/{case}", headers=login(client, "mex_caseworker")).status_code == 404
