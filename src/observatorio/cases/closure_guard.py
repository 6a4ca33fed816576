"""Closure rules of homologated protocols: a case whose protocol declares ``closure_requires``
(an unaccompanied child's case: the best-interests determination) closes only once those steps
are recorded. Checked inside the closing transition, before anything is written."""

from __future__ import annotations

from sqlalchemy import select

from observatorio.cases.errors import Conflict
from observatorio.cases.models import Case, CaseStep
from observatorio.cases.protocols.loader import protocol_of
from observatorio.cases.use_context import Ctx
from observatorio.i18n import LANGS, t


def refuse_closure_without_required_steps(ctx: Ctx, case: Case) -> None:
    """409 naming the missing steps (in both languages) when the protocol forbids closing yet."""
    protocol = protocol_of(case.case_type, case.protocol_version, case.protocol_variant)
    if protocol is None or not protocol.closure_requires:
        return
    done = set(ctx.session.scalars(select(CaseStep.step_id).where(CaseStep.case_id == case.id)))
    missing = [s for s in protocol.closure_requires if s not in done]
    if not missing:
        return
    steps = [protocol.step(s) for s in missing]
    labels = {lang: "; ".join(t("refusal.closure.quoted_step", lang, label=getattr(s.label, lang))
                              for s in steps if s) for lang in LANGS}
    raise Conflict(key="refusal.closure.steps_missing", steps=labels,
                   detail={"missing_steps": missing})
