"""The publication run as a use-case: policy check (API) or operator (command line), run, audit.

The audit entry is written before the release is loaded and committed after it: an entry that
cannot be written stops the run before anything is published, and a failed load leaves no entry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from observatorio.cases.audit import AccessEvent, Actor, append
from observatorio.cases.errors import forbidden
from observatorio.cases.policy import get_policy
from observatorio.cases.publication.revisions import Versions
from observatorio.cases.publication.run import (
    DEFAULT_RULES,
    PublicationResult,
    Rules,
    load,
    prepare,
)
from observatorio.cases.publication.writer import StoreWriter
from observatorio.cases.use_context import Ctx

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


def _audited_run(session: Session, store: StoreWriter, period: dt.date, threshold: int, actor: Actor,
                 organisation_id: int | None, rules: Rules) -> PublicationResult:
    try:
        prepared = prepare(session, period, threshold, Versions.read(store), rules)
        append(session, actor, [AccessEvent(ACTION, RECORD, prepared.run_id, (), organisation_id)])
        result = load(store, prepared)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def publish_as(ctx: Ctx, store: StoreWriter, period: dt.date, threshold: int,
               rules: Rules = DEFAULT_RULES) -> PublicationResult:
    """An account's run (the publisher role); audited with the run id (lineage: the load id)."""
    organisation_id = require_publisher(ctx)
    actor = Actor(ctx.principal.user_id, ctx.principal.username, ctx.source_ip)
    return _audited_run(ctx.session, store, period, threshold, actor, organisation_id, rules)


def publish_as_operator(session: Session, store: StoreWriter, period: dt.date, threshold: int,
                        operator: str, rules: Rules = DEFAULT_RULES) -> PublicationResult:
    """The command line's run (database access stands for the grant), audited as the operator."""
    return _audited_run(session, store, period, threshold, Actor(None, operator, None), None, rules)
