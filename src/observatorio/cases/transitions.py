"""Moving a case along its lifecycle with the reason the officer gives (API and case page).

case_writes.transition_case checks the move, writes the case under optimistic locking and commits
with its audit entry; here the reason joins that very commit (a stored reason without its
transition, or a transition that lost its reason, cannot happen), and the transition's audit
entry names ``reason`` among the fields it wrote (the text itself, like every value, stays out
of the audit log). A conflict or a refusal commits no reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from observatorio.cases import case_writes
from observatorio.cases.audit import GRANTED
from observatorio.cases.schemas import CaseOut, CaseTransition
from observatorio.cases.transition_models import CaseTransitionReason
from observatorio.cases.use_context import Ctx

TRANSITION = "case.transition"


@dataclass
class _WithReason(Ctx):
    """The caller's unit of work, plus the reason to store when the transition is written."""

    case_id: int = 0
    produced_version: int = 0
    reason: str = ""

    def commit(self) -> None:
        for i, event in enumerate(self.events):
            if event.action == TRANSITION and event.outcome == GRANTED and event.record_id == str(self.case_id):
                self.session.add(CaseTransitionReason(case_id=self.case_id, version=self.produced_version,
                                                      reason=self.reason, user_id=self.principal.user_id))
                self.events[i] = replace(event, fields=tuple(sorted({*event.fields, "reason"})))
                self.reason = ""  # once
                break
        super().commit()


def transition_case(ctx: Ctx, case_id: int, data: CaseTransition) -> CaseOut:
    """Move the case to ``data.to``; a non-blank ``data.reason`` is stored with the revision."""
    reason = (data.reason or "").strip()
    if not reason:
        return case_writes.transition_case(ctx, case_id, data)
    unit = _WithReason(ctx.session, ctx.principal, ctx.source_ip, ctx.pseudonym_key, ctx.events,
                       case_id=case_id, produced_version=data.version + 1, reason=reason)
    return case_writes.transition_case(unit, case_id, data)
