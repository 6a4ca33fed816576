"""The audit trail of one case, a page of its own for the roles that may read the audit (audit.read):
the latest entries about the case within the reader's audit scope. Reading it is itself audited,
as every query of the audit is."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from observatorio.cases import audit
from observatorio.cases.audit import AccessEvent
from observatorio.cases.errors import forbidden
from observatorio.cases.models import AuditEntry
from observatorio.cases.policy import get_policy
from observatorio.cases.use_context import Ctx, holds

SHOWN = 50


@dataclass(frozen=True)
class TrailEntry:
    ts: str
    actor: str
    action: str
    outcome: str


def case_trail(ctx: Ctx, case_id: int) -> list[TrailEntry]:
    """The latest entries about the case, newest first (a role without audit.read: 403, audited)."""
    if not holds(ctx.principal, "audit.read"):
        raise ctx.deny(forbidden("audit.read"), "audit.read", "audit", None, (f"record_id={case_id}",))
    rows = ctx.session.scalars(
        select(AuditEntry).where(audit.scope_clause(ctx.principal), AuditEntry.record_type == "case",
                                 AuditEntry.record_id == str(case_id))
        .order_by(AuditEntry.id.desc()).limit(SHOWN)).all()
    policy = get_policy()
    granting = next(g for g in ctx.principal.grants if policy.scope_of(g.role, "audit.read"))
    ctx.events.append(AccessEvent("audit.read", "audit", None, ("record_type=case", f"record_id={case_id}"),
                                  granting.organisation_id))
    ctx.commit()
    return [TrailEntry(e.ts, e.actor, e.action, e.outcome) for e in rows]
