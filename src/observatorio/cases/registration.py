"""A person's registration follows their last case out of an organisation.

A person is held by their registration and by their cases' holders (``policy.person_resource``),
and their identity is edited on the registration alone. When an organisation hands over (a
transfer accepted) or is relieved of (an assignment elsewhere) its last case of a person, a
registration left with it would let it read on (identity, contacts) about someone it no longer
works with, and leave the new holder unable to correct the identity its case rests on. The lists
follow by themselves: the person's SQL filter reads ``person.organisation_id`` and
``created_by_id`` (PERSON_REGISTRATION_COLUMNS).
"""

from __future__ import annotations

from sqlalchemy import func, select

from observatorio.cases.models import Case, Organisation, Person
from observatorio.cases.policy import Decision
from observatorio.cases.use_context import Ctx

#: The audit code of a registration moved with its person's last case.
PERSON_TRANSFERRED = "person.transfer"


def move_with_last_case(ctx: Ctx, case: Case, sender_id: int, receiver: Organisation,
                        registrant_id: int | None, d: Decision, because: str) -> bool:
    """Move the registration of ``case``'s person from ``sender_id`` to ``receiver`` when ``case``
    was the sender's last case of the person (True when moved). ``registrant_id`` becomes its
    ``created_by_id`` (the officer now holding the case; None: nobody's own); audited as
    ``person.transfer`` under ``d`` with ``because`` (e.g. ``referral:12``).

    It stays when the sender still holds another case of the person (of any status: it still
    works with, or keeps the file of, the person, and reaches them through that case anyway), and
    when another organisation registered the person: that registration was never the sender's to
    hand over. Cases of a capped type (a child) still cap the person wherever the registration is.

    The caller holds ``case``'s row lock and has not moved the case yet. The person's row is
    locked before the count, so two of the person's cases moved at once count one after the
    other (PostgreSQL: the second, once the first commits, sees its case gone and moves the
    registration; SQLite serialises writers anyway). Flushed and logged, not committed."""
    ctx.session.execute(select(Person.id).where(Person.id == case.person_id).with_for_update())
    person = ctx.session.get(Person, case.person_id, populate_existing=True)
    assert person is not None  # a case always has its person
    if person.organisation_id != sender_id:
        return False
    kept = ctx.session.scalar(select(func.count()).select_from(Case).where(
        Case.person_id == person.id, Case.organisation_id == sender_id, Case.id != case.id))
    if kept:
        return False
    person.organisation, person.created_by_id = receiver, registrant_id
    ctx.session.flush()
    ctx.log(d, PERSON_TRANSFERRED, "person", person.id, ["created_by_id", "organisation_id", because])
    return True
