"""Reading and verifying the audit chain, within the user's audit.read scope; reading the
audit is itself audited."""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from observatorio.cases import audit
from observatorio.cases.audit import AccessEvent
from observatorio.cases.errors import forbidden
from observatorio.cases.models import AuditEntry
from observatorio.cases.policy import get_policy
from observatorio.cases.schemas import AuditOut, Outcome
from observatorio.cases.use_context import Ctx, holds


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit and the bound it was read within: ``upto_id`` is the newest entry
    when the first page was read, so entries appended meanwhile (reading the audit itself is
    audited) never extend the listing and paging ends."""

    items: list[AuditOut]
    upto_id: int


def query_audit(ctx: Ctx, *, upto_id: int | None = None, **filters: Any) -> AuditPage:
    """Audit entries within the user's audit.read scope. Reading the audit is itself audited."""
    policy = get_policy()
    asked = tuple(f"{k}={v}" for k, v in sorted({**filters, "upto_id": upto_id}.items())
                  if v not in (None, 0, ""))
    if not holds(ctx.principal, "audit.read"):
        raise ctx.deny(forbidden("audit.read"), "audit.read", "audit", None, asked)
    if upto_id is None:
        # the newest entry the reader may see, not the newest of all: the bound is returned to
        # the reader (X-Audit-Upto), and the whole audit's would show other countries' activity
        upto_id = ctx.session.scalar(select(func.max(AuditEntry.id))
                                     .where(audit.scope_clause(ctx.principal))) or 0
    rows = audit.query(ctx.session, ctx.principal, upto_id=upto_id, **filters)
    out = [AuditOut(id=e.id, chain=e.chain, seq=e.seq, ts=e.ts, actor_id=e.actor_id, actor=e.actor,
                    organisation_id=e.organisation_id, action=e.action, record_type=e.record_type,
                    record_id=e.record_id, fields=json.loads(e.fields), source_ip=e.source_ip,
                    outcome=typing.cast(Outcome, e.outcome), hash=e.hash) for e in rows]
    granting = next(g for g in ctx.principal.grants if policy.scope_of(g.role, "audit.read"))
    ctx.events.append(AccessEvent("audit.read", "audit", None, asked, granting.organisation_id))
    ctx.commit()
    return AuditPage(out, upto_id)


def verify_audit(ctx: Ctx) -> audit.Verification:
    """Check the whole chain (audit.verify)."""
    if not holds(ctx.principal, "audit.verify"):
        raise ctx.deny(forbidden("audit.verify"), "audit.verify", "audit", None)
    return audit.verify(ctx.session)
