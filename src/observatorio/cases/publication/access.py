"""The publication run as a use-case: policy check (API) or operator (command line), run, audit.

The audit entry is written before the release is loaded and committed after it: an entry that
cannot be written stops the run before anything is published, and a failed load leaves no entry.

A revision (``Rules.revise``) replaces figures already public, so it is its own action: an
account needs ``publication.revise`` besides ``statistics.publish`` (policy.yaml), and every
revision, the operator's too, states a reason, written into its audit entry (action
``publication.revise``, field ``reason:<text>``) in place of the plain run's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from observatorio.cases.audit import AccessEvent, Actor, append
from observatorio.cases.errors import Invalid, forbidden
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
REVISE = "publication.revise"
RECORD = "publication"
REASON_MAX = 1000  # characters of a revision's reason (the API's field says the same)


def require_publisher(ctx: Ctx) -> int:
    """The organisation whose membership grants ``statistics.publish``; otherwise the refusal
    is audited and raised (403) before anything is read or opened."""
    policy = get_policy()
    for grant in ctx.principal.grants:
        if policy.scope_of(grant.role, ACTION) is not None:
            return grant.organisation_id
    raise ctx.deny(forbidden(ACTION), ACTION, RECORD, None)


def revision_reason(rules: Rules) -> str | None:
    """The reason a revision states (stripped), None for a plain run; a revision without one,
    or with one too long, is refused in both languages before anything is read or opened."""
    if not rules.revise:
        return None
    reason = (rules.reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise Invalid(key="cases.refusal.revision_needs_reason", detail={"field": "reason"})
    return reason


def require_run(ctx: Ctx, rules: Rules) -> int:
    """``require_publisher``, and for a revision ``publication.revise`` (refused and audited as
    that action, 403) and its reason (422): everything a run is refused for before it starts."""
    organisation_id = require_publisher(ctx)
    if rules.revise:
        policy = get_policy()
        if not any(policy.scope_of(g.role, REVISE) is not None for g in ctx.principal.grants):
            raise ctx.deny(forbidden(REVISE), REVISE, RECORD, None)
        revision_reason(rules)
    return organisation_id


def _audited_run(session: Session, store: StoreWriter, period: dt.date, threshold: int, actor: Actor,
                 organisation_id: int | None, rules: Rules) -> PublicationResult:
    reason = revision_reason(rules)
    event = (ACTION, ()) if reason is None else (REVISE, (f"reason:{reason}",))
    try:
        prepared = prepare(session, period, threshold, Versions.read(store), rules)
        append(session, actor, [AccessEvent(event[0], RECORD, prepared.run_id, event[1], organisation_id)])
        result = load(store, prepared)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def publish_as(ctx: Ctx, store: StoreWriter, period: dt.date, threshold: int,
               rules: Rules = DEFAULT_RULES) -> PublicationResult:
    """An account's run (the publisher role; a revision also ``publication.revise`` and a
    reason); audited with the run id (lineage: the load id)."""
    organisation_id = require_run(ctx, rules)
    actor = Actor(ctx.principal.user_id, ctx.principal.username, ctx.source_ip)
    return _audited_run(ctx.session, store, period, threshold, actor, organisation_id, rules)


def publish_as_operator(session: Session, store: StoreWriter, period: dt.date, threshold: int,
                        operator: str, rules: Rules = DEFAULT_RULES) -> PublicationResult:
    """The command line's run (database access stands for the grant, a revision's too, but not
    for its reason), audited as the operator."""
    return _audited_run(session, store, period, threshold, Actor(None, operator, None), None, rules)
