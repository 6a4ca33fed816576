"""Read use-cases the officer pages need beside case_records.py: a case's history of changes and
the open tasks of the user. Same rules: the one policy function decides, every read is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, or_, select

from observatorio.cases.models import Case, CaseRevision, CaseTask
from observatorio.cases.policy import Decision, authorize, case_resource, case_scope_clause
from observatorio.cases.referrals import sees_referrals
from observatorio.cases.transition_models import CaseTransitionReason
from observatorio.cases.use_context import Ctx, load_case

#: What of a case's history only the holder's side reads (its organisation and country,
#: ``referrals.sees_referrals``), never a reader through a share of another country: the
#: referrals made by mandate (where else the case went, as the referrals themselves are
#: withheld from that reader) and the free-text reasons of transitions, which carry no
#: sensitivity mark and name what the holder decided and with whom.
HOLDERS_ONLY = frozenset({"mandated_referrals", "reason"})


@dataclass(frozen=True)
class Change:
    version: int
    at: dt.datetime
    changes: dict[str, Any]  # field -> [old, new]; sensitive fields the reader lacks are left out
    reason: str | None = None  # the reason given for a status transition (transitions.py)


def case_history(ctx: Ctx, case_id: int) -> list[Change]:
    """What each write changed, withholding sensitive fields the reader may not see."""
    case, d = load_case(ctx, case_id, audit_action="case.history.read")
    out = history_of(ctx, case, d)
    ctx.commit()
    return out


def history_of(ctx: Ctx, case: Case, d: Decision) -> list[Change]:
    """The history of an already loaded and decided case (audited as ``case.history.read``);
    the reasons come in the same statement (the case page counts its statements). Sensitive
    fields the reader lacks are left out, and ``HOLDERS_ONLY`` for a reader through a foreign
    share: the one filter the API, the command line and the case page all go through."""
    rows = ctx.session.execute(_HISTORY, {"case_id": case.id}).all()
    withheld = d.hidden_fields if sees_referrals(d, case) else d.hidden_fields | HOLDERS_ONLY
    out = [Change(r.version, r.created_at, {f: v for f, v in (r.changes or {}).items() if f not in withheld},
                  None if "reason" in withheld else r.reason)
           for r in rows]
    ctx.log(d, "case.history.read", "case", case.id, [f"revision:{r.version}" for r in rows])
    return out


# The revisions as plain rows of the columns shown, not CaseRevision objects (every case page
# view reads them; issue 14). Built once, at import.
_revisions, _reasons = CaseRevision.__table__, CaseTransitionReason.__table__
_HISTORY = (select(_revisions.c.version, _revisions.c.created_at, _revisions.c.changes, _reasons.c.reason)
            .outerjoin(_reasons, and_(_reasons.c.case_id == _revisions.c.case_id,
                                      _reasons.c.version == _revisions.c.version))
            .where(_revisions.c.case_id == bindparam("case_id")).order_by(_revisions.c.version))


@dataclass(frozen=True)
class OpenTask:
    case_id: int
    reference: str
    title: str
    due_date: dt.date | None


def my_open_tasks(ctx: Ctx, limit: int = 100) -> list[OpenTask]:
    """Open tasks assigned to the user, or on cases assigned to the user, that the user may read."""
    me = ctx.principal.user_id
    rows = ctx.session.execute(
        select(CaseTask, Case).join(Case, Case.id == CaseTask.case_id)
        .where(CaseTask.done.is_(False), or_(CaseTask.assignee_id == me, Case.officer_id == me),
               case_scope_clause(ctx.principal, "case.read"))
        .order_by(CaseTask.due_date, CaseTask.id).limit(limit)).unique().all()
    out: list[OpenTask] = []
    for task, case in rows:
        d = authorize(ctx.principal, "case.read", case_resource(case))
        if not d.allowed:  # the SQL filter and the policy must agree; never show on doubt
            continue
        out.append(OpenTask(case.id, case.reference, task.title, task.due_date))
        ctx.log(d, "case.tasks.read", "case", case.id, [f"task:{task.id}"])
    ctx.commit()
    return out
