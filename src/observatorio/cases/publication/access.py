"""The publication run as a use-case of an account (API): policy check, run, audit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from observatorio.cases.audit import AccessEvent, Actor, append
from observatorio.cases.errors import forbidden
from observatorio.cases.policy import get_policy
from observatorio.cases.publication.run import PublicationResult, publish
from observatorio.cases.publication.writer import StoreWriter
from observatorio.cases.service import Ctx

ACTION = "statistics.publish"
RECORD = "publication"


def require_publisher(ctx: Ctx) -> int:
    """The organisation whose membership grants ``statistics.publish``; otherwise the refusal
    is audited and raised (403) before anything is read or opened."""
    policy = get_policy()
    for grant in ctx.principal.grants:
        if policy.scope_of(grant.role, ACTION) is not None:
            return grant.organisation_id
    raise ctx.deny(forbidden(ACTION), ACTION, RECORD, None)


def publish_as(ctx: Ctx, store: StoreWriter, period: dt.date, threshold: int) -> PublicationResult:
    """Deny unless a membership grants ``statistics.publish``; every run (and refusal) is audited
    with the release it produced (lineage: the load id)."""
    organisation_id = require_publisher(ctx)
    result = publish(ctx.session, store, period, threshold)
    ctx.events.append(AccessEvent(ACTION, RECORD, result.load_id, (), organisation_id))
    ctx.commit()
    return result


def publish_as_operator(session: Session, store: StoreWriter, period: dt.date, threshold: int,
                        operator: str) -> PublicationResult:
    """The command line's run (database access stands for the grant), audited as the operator."""
    result = publish(session, store, period, threshold)
    append(session, Actor(None, operator, None), [AccessEvent(ACTION, RECORD, result.load_id, ())])
    session.commit()
    return result
