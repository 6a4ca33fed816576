"""unaccompanied children received before the fix get a child's case (data only, no schema change)

Revision ID: 0013_reception_child_cases
Revises: 0012_referral_mandate
Create Date: 2026-12-05 05:30:00

Reception intake used to open a ``returnee_reintegration`` case for every returnee, so the case
and person record of an unaccompanied child were reached by every reception officer of the centre,
without the child protocol or its closure rule. Intake now opens an ``unaccompanied_child`` case
(``intake.case_type_of``, ``case_records.open_case_row``); this revision re-types the cases opened
before, so the child caps of ``policy.yaml`` reach those children too.

A case is re-typed when an intake opened it, it is still ``returnee_reintegration``, and the
intake's own record makes the person an unaccompanied child by the rule intake applies now: the
screening flag ``unaccompanied_child`` (``case_type_of``), which intake always required to agree
with the accompaniment ``UNACCOMPANIED`` (and intake refused that flag to anyone 18 or older at
the intake date, so no later age rule can exclude such a row). Open, closed and erased cases
alike: the cap protects what is left of each. Per case, in the migration's one transaction:

* ``case_type`` becomes ``unaccompanied_child`` and the protocol the one ``open_case_row`` gives
  a new case of that type in the case's country (``protocols.for_new_case``). A
  ``returnee_reintegration`` case has no protocol, so it has no completed steps to lose; the
  child protocol's deadlines count from the case's opening, so its steps show overdue at once,
  which is the point. The closure rule applies to the next closing (a closed case stays closed).
* the version goes up by one and a ``case_revision`` (no user: the system) records
  ``[old, new]`` of the three fields, so the case history and a stale edit's 409 show it.
* one audit entry per case (action ``case.retype``, actor ``system:migration:<this revision>``,
  fields only), appended with the chain's own ``audit.append``, so ``verify_audit`` holds.
* a reintegration plan, if one was opened, is kept as it is (personal data is not deleted): it
  stays readable by whoever can read the child's case, now capped, and can no longer be written
  (``refusal.reintegration.wrong_case_type``).
* the open "required referral" tasks the old intake left are kept; no mandated referral is
  created here (it is made by an officer holding ``referral.mandate``, and announced to the
  receiver), the protocol's ``notify_child_protection`` step asks for it.

Intakes of people under 18 at the arrival date recorded as a single adult or with the
accompaniment unknown (intake refuses both now) are not re-typed — the record does not say
the child was unaccompanied — but their intake ids are logged as a warning for review.

Downgrade is a no-op: handing the children back an adult's, uncapped case is not a valid
downgrade, and the schema of 0012 holds ``unaccompanied_child`` cases as they are.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.orm import Session

revision = "0013_reception_child_cases"
down_revision = "0012_referral_mandate"
branch_labels = None
depends_on = None

OLD_TYPE = "returnee_reintegration"
ACTOR = f"system:migration:{revision}"
ACTION = "case.retype"
FIELDS = ("case_type", "protocol_version", "protocol_variant")
#: events per append: today's append is one statement of the same size for any number of events,
#: but a migration must not lean on the code of its day (an earlier append was one VALUES list of
#: 14 parameters an event, over PostgreSQL's 65,535 at 4,681 events); batches keep it bounded
BATCH = 500

log = logging.getLogger("alembic.runtime.migration")

_intake = sa.table("reception_intake", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer),
                   sa.column("arrival_id", sa.Integer), sa.column("person_id", sa.Integer),
                   sa.column("accompaniment", sa.String), sa.column("vulnerabilities", sa.JSON))
_case = sa.table("case_file", sa.column("id", sa.Integer), sa.column("case_type", sa.String),
                 sa.column("organisation_id", sa.Integer), sa.column("country", sa.String),
                 sa.column("version", sa.Integer), sa.column("protocol_version", sa.String),
                 sa.column("protocol_variant", sa.String), sa.column("updated_at", sa.DateTime(timezone=True)))
_revision = sa.table("case_revision", sa.column("case_id", sa.Integer), sa.column("version", sa.Integer),
                     sa.column("user_id", sa.Integer), sa.column("changes", sa.JSON),
                     sa.column("created_at", sa.DateTime(timezone=True)))
_arrival = sa.table("reception_arrival", sa.column("id", sa.Integer), sa.column("arrival_date", sa.Date))
_person = sa.table("person", sa.column("id", sa.Integer), sa.column("date_of_birth", sa.Date))


def upgrade() -> None:
    if context.is_offline_mode():
        raise RuntimeError(f"{revision} re-types cases from what the database holds: run it against the "
                           "database (observatorio cases init), not as offline SQL (--sql)")
    # The rule and the protocol come from the code intake runs, so they cannot drift apart.
    from observatorio.cases.audit import AccessEvent, Actor, append
    from observatorio.cases.protocols.loader import for_new_case
    from observatorio.cases.reception.intake import CHILD_ACCOMPANIMENTS, age_at, case_type_of
    from observatorio.cases.vocab import CaseType

    new_type = CaseType.UNACCOMPANIED_CHILD.value
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_intake.c.id, _intake.c.accompaniment, _intake.c.vulnerabilities, _case.c.id.label("case_id"),
                  _case.c.organisation_id, _case.c.country, _case.c.version, _case.c.protocol_version,
                  _case.c.protocol_variant, _arrival.c.arrival_date, _person.c.date_of_birth)
        .join(_case, _case.c.id == _intake.c.case_id)
        .join(_arrival, _arrival.c.id == _intake.c.arrival_id)
        .join(_person, _person.c.id == _intake.c.person_id)
        .where(_case.c.case_type == OLD_TYPE).order_by(_case.c.id)).all()
    now = dt.datetime.now(dt.UTC)
    events: list[Any] = []
    unclear: list[int] = []
    for r in rows:
        flags = [str(f) for f in (r.vulnerabilities or [])]
        if case_type_of(flags).value != new_type and r.accompaniment != "UNACCOMPANIED":
            age = age_at(r.date_of_birth, r.arrival_date)
            if age is not None and age < 18 and r.accompaniment not in CHILD_ACCOMPANIMENTS:
                unclear.append(r.id)
            continue
        protocol, variant = for_new_case(new_type, r.country)
        done = conn.execute(
            _case.update().where(_case.c.id == r.case_id, _case.c.version == r.version)
            .values(case_type=new_type, protocol_version=protocol, protocol_variant=variant,
                    version=r.version + 1, updated_at=now))
        if done.rowcount != 1:  # the migration's own transaction: cannot happen
            raise RuntimeError(f"{revision}: case {r.case_id} changed while being re-typed")
        conn.execute(_revision.insert().values(
            case_id=r.case_id, version=r.version + 1, user_id=None, created_at=now,
            changes={"case_type": [OLD_TYPE, new_type], "protocol_version": [r.protocol_version, protocol],
                     "protocol_variant": [r.protocol_variant, variant]}))
        events.append(AccessEvent(ACTION, "case", str(r.case_id), FIELDS, r.organisation_id))
    if events:
        session = Session(bind=conn)  # joins the migration's transaction; commits with it
        for start in range(0, len(events), BATCH):
            append(session, Actor(None, ACTOR, None), events[start:start + BATCH])
        session.close()
    log.info("%s: %d case(s) of unaccompanied children re-typed to %s", revision, len(events), new_type)
    if unclear:
        log.warning("%s: intakes %s received people under 18 at the arrival date as a single adult or "
                    "with the accompaniment unknown; their cases were left as they are: review them",
                    revision, unclear)


def downgrade() -> None:
    """Nothing: re-exposing the children (an adult's, uncapped case) is not a valid downgrade,
    and the 0012 schema holds their ``unaccompanied_child`` cases as they are."""
