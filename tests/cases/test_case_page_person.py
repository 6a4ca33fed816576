"""The case page's own read of the person (cases/case_page_person.py) against the use-case it stands
in for (person_records.get_person): for every role of the matrix and every person of the seeded
world (plus a child under the case-type cap, a person with cases of two organisations, family links
to a readable and an unreadable relative, a missing person), the same answer (every field, or the
same refusal) and the same audit entries, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from observatorio.cases import case_records, case_writes, person_records
from observatorio.cases.case_page_person import read_page_person
from observatorio.cases.errors import CasesError
from observatorio.cases.models import AuditEntry, Case, FamilyLink
from observatorio.cases.schemas import CaseCreate, CaseShareIn, FamilyLinkIn, PersonCreate
from observatorio.cases.vocab import CaseType

from .conftest import USERS, ctx_for


def _entries_after(session, last_id: int) -> list[tuple]:
    return [(e.action, e.record_type, e.record_id, e.fields, e.organisation_id, e.outcome, e.actor_id)
            for e in session.scalars(select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id))]


def _last_id(session) -> int:
    return session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0


def _answer(read, session, world, username: str, person_id: int) -> tuple:
    try:
        out = read(ctx_for(session, world, username), person_id)
    except CasesError as exc:
        return ("refused", type(exc).__name__, exc.status, exc.key, exc.es, exc.en, exc.values)
    return ("read", out.model_dump())


def _more_people(rt, seeded) -> list[int]:
    """People the seeded world lacks: a child (capped case type) with an adult case a colleague
    holds; the Honduran person's second case, shared twice, then held by the Mexican NGO; family links from
    that person to a readable and to an unreadable relative."""
    w = seeded.world
    with rt.sessions() as s:
        officer = ctx_for(s, w, "gtm_officer")
        child = person_records.create_person(officer, PersonCreate(
            given_names="Niña", family_names="Tope", nationality="GTM", organisation_id=w.orgs["gtm_consulate_mex"])).id
        case_records.create_case(ctx_for(s, w, "gtm_officer2"), CaseCreate(
            case_type=CaseType.DETENTION, person_id=child, organisation_id=w.orgs["gtm_consulate_mex"]))
        case_records.create_case(officer, CaseCreate(
            case_type=CaseType.UNACCOMPANIED_CHILD, person_id=child, organisation_id=w.orgs["gtm_consulate_mex"]))
        head = ctx_for(s, w, "hnd_head")
        second = case_records.create_case(head, CaseCreate(
            case_type=CaseType.DETENTION, person_id=seeded.people["hnd_shared"],
            organisation_id=w.orgs["hnd_consulate_mex"]))
        for org in ("mex_ngo", "gtm_consulate_usa"):
            case_writes.share_case(head, second.id, CaseShareIn(organisation_id=w.orgs[org]))
        s.execute(update(Case).where(Case.id == second.id).values(  # held by the NGO now
            organisation_id=w.orgs["mex_ngo"], country=w.countries["mex_ngo"], officer_id=None))
        s.commit()
        person_records.add_family_link(head, seeded.people["hnd_shared"],
                                       FamilyLinkIn(relative_id=seeded.people["hnd_mex"], kind="sibling"))
        tapachula = ctx_for(s, w, "gtm_head")
        person_records.add_family_link(tapachula, seeded.people["gtm_mex"],
                                       FamilyLinkIn(relative_id=child, kind="child"))
        # a relative registered by the consulate in the USA (not the Tapachula consulate's to link)
        s.add(FamilyLink(person_id=seeded.people["gtm_mex"], relative_id=seeded.people["gtm_usa"], kind="sibling"))
        s.commit()
    return [child]


@pytest.mark.parametrize("username", sorted(USERS))
def test_same_person_refusal_and_audit_as_get_person_for_every_role(rt, seeded, username) -> None:
    people = sorted(seeded.people.values()) + _more_people(rt, seeded) + [10**6]  # the last is missing
    read_any = False
    for person_id in people:
        out = []
        for read in (person_records.get_person, read_page_person):
            with rt.sessions() as s:
                before = _last_id(s)
                answer = _answer(read, s, seeded.world, username, person_id)
                out.append((answer, _entries_after(s, before)))
        assert out[1] == out[0], (username, person_id)
        assert out[0][1], (username, person_id)  # audited either way
        read_any |= out[0][0][0] == "read"
    if username in {"gtm_officer", "gtm_head", "hnd_head", "gtm_supervisor", "mex_caseworker"}:
        assert read_any  # the comparison covers reads, not refusals alone
