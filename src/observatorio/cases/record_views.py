"""What a reader is shown of a case, a person and a note: the public views the use-cases
return, with the sensitive fields, notes and shares the reader's grants do not cover withheld."""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from observatorio.cases.models import Case, FamilyLink, Person
from observatorio.cases.policy import Decision, person_scope_clause, sensitive_case_fields
from observatorio.cases.schemas import CaseOut, FamilyLinkOut, NoteOut, PersonOut
from observatorio.cases.use_context import Ctx

PERSON_READ_FIELDS = ("given_names", "family_names", "date_of_birth", "estimated_age", "sex",
                      "nationality", "documents", "contacts", "family_links")
CASE_READ_FIELDS = ("case_type", "status", "risk_level", "summary", "location", "person_id",
                    "health_details", "trafficking_details", "child_protection_details")


def _visible_shares(case: Case, decision: Decision) -> list[int]:
    """The organisations a case is shared with, as the reader may know them: the owner's country
    sees every share; an organisation reading through a share sees only itself, never which other
    organisations (of other countries) the case went to."""
    shares = sorted(s.organisation_id for s in case.shares)
    acting = decision.acting
    if acting is None or acting.country == case.country or acting.organisation_id == case.organisation_id:
        return shares
    return [org for org in shares if org == acting.organisation_id]


def case_out(case: Case, decision: Decision) -> CaseOut:
    """The public view of a case, with sensitive fields the role lacks withheld."""
    hidden = sorted(decision.hidden_fields)
    data: dict[str, Any] = {
        "id": case.id, "reference": case.reference, "case_type": case.case_type, "status": case.status,
        "risk_level": case.risk_level, "summary": case.summary, "location": case.location,
        "person_id": case.person_id, "organisation_id": case.organisation_id, "country": case.country,
        "officer_id": case.officer_id, "shared_with": _visible_shares(case, decision),
        "opened_at": case.opened_at, "closed_at": case.closed_at, "version": case.version,
        "hidden_fields": hidden,
    }
    for f in sensitive_case_fields():
        data[f] = None if f in decision.hidden_fields else getattr(case, f)
    return CaseOut(**data)


def visible_case_fields(decision: Decision) -> list[str]:
    return [f for f in CASE_READ_FIELDS if f not in decision.hidden_fields]


def person_out(ctx: Ctx, person: Person, new: bool = False) -> PersonOut:
    """The public view of a person (``new``: just registered, so no family links to look up).

    Family links name only relatives the user may read: a link must not reveal that a person
    held elsewhere exists, nor how they are related."""
    links = [] if new else ctx.session.scalars(
        select(FamilyLink).join(Person, Person.id == FamilyLink.relative_id)
        .where(FamilyLink.person_id == person.id, person_scope_clause(ctx.principal, "person.read"))
        .order_by(FamilyLink.id)).all()
    return person_out_of(person, links)


def person_out_of(person: Any, links: Iterable[Any]) -> PersonOut:
    """The person as read: ``person`` an ORM Person or a row with the same names (the case
    page reads rows: case_page_person.py), ``links`` the family links already scoped to what
    the reader may see."""
    return PersonOut(
        id=person.id, given_names=person.given_names, family_names=person.family_names,
        date_of_birth=person.date_of_birth, estimated_age=person.estimated_age, sex=person.sex,
        nationality=person.nationality, documents=list(person.documents or []),
        contacts=list(person.contacts or []), organisation_id=person.organisation_id,
        family_links=[FamilyLinkOut(relative_id=fl.relative_id, kind=fl.kind) for fl in links],
        pseudonym=person.pseudonym, erased=person.erased_at is not None, version=person.version,
    )


class NoteRow(typing.Protocol):
    """What ``note_out`` reads of a note: a ``CaseNote`` or a plain row of its table."""

    @property
    def id(self) -> int: ...
    @property
    def case_id(self) -> int: ...
    @property
    def author_id(self) -> int | None: ...
    @property
    def body(self) -> str | None: ...
    @property
    def sensitivity(self) -> str | None: ...
    @property
    def created_at(self) -> dt.datetime: ...


def note_out(n: NoteRow, d: Decision) -> NoteOut:
    hidden = n.sensitivity is not None and n.sensitivity not in d.field_groups
    return NoteOut(id=n.id, case_id=n.case_id, author_id=n.author_id, body=None if hidden else n.body,
                   sensitivity=n.sensitivity, hidden=hidden, created_at=n.created_at)
