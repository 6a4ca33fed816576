"""The officer's inbox as its page shows it: each notice with the reference of its case, where the
notice's recipient may see the case, linked to the case page where they may open it.

A notice itself holds no personal data (notifications.py); the reference is the case's public
number, shown as the pages show it elsewhere and audited the same way: as a case listed
(``case.list``, field ``reference``) to a reader of the case, as a referral listed
(``referral.list``) to the receiver of a referral notice who may not read the case itself (the
incoming referrals of "my work" show them the same reference). Anyone else sees the notice
without a reference, and nothing is recorded for it: deny by default, never show on doubt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from observatorio.cases import notifications
from observatorio.cases.models import Case
from observatorio.cases.policy import authorize, case_resource, organisation_resource
from observatorio.cases.referral_models import Referral
from observatorio.cases.referrals import ACTIVE as ACTIVE_REFERRAL
from observatorio.cases.use_context import Ctx


@dataclass(frozen=True)
class InboxNotice:
    id: int
    kind: str
    link: str
    created_at: dt.datetime
    read: bool
    reference: str | None = None  # the case's public number, where its reader may see it
    case_link: str | None = None  # the case page, where its reader may open it


def inbox_notices(ctx: Ctx, limit: int = 50) -> list[InboxNotice]:
    """The user's own notices, newest first, each with the reference its reader may see (audited)."""
    items = notifications.inbox(ctx.session, ctx.principal.user_id, limit)
    referral_ids = {i.referral_id for i in items if i.referral_id is not None}
    found = ctx.session.scalars(select(Referral).where(Referral.id.in_(referral_ids))).unique().all() \
        if referral_ids else []
    referrals = {r.id: r for r in found}
    case_ids = {i.case_id for i in items if i.case_id is not None} | {r.case_id for r in referrals.values()}
    cases = {c.id: c for c in ctx.session.scalars(select(Case).where(Case.id.in_(case_ids))).unique()} \
        if case_ids else {}
    logged: set[tuple[str, int]] = set()
    out = []
    for item in items:
        referral = referrals.get(item.referral_id) if item.referral_id is not None else None
        case = cases.get(referral.case_id if referral is not None else item.case_id or 0)
        reference = case_link = None
        if case is not None and (read := authorize(ctx.principal, "case.read", case_resource(case))).allowed:
            reference, case_link = case.reference, f"/cases/c/{case.id}"
            if ("case", case.id) not in logged:
                ctx.log(read, "case.list", "case", case.id, ["reference"])
                logged.add(("case", case.id))
        elif case is not None and referral is not None and referral.status in ACTIVE_REFERRAL and (
                respond := authorize(
                ctx.principal, "referral.respond", organisation_resource(referral.to_organisation))).allowed:
            reference = case.reference
            if ("referral", referral.id) not in logged:
                ctx.log(respond, "referral.list", "referral", referral.id, ["reference"])
                logged.add(("referral", referral.id))
        out.append(InboxNotice(item.id, item.kind, item.link, item.created_at, item.read, reference, case_link))
    ctx.commit()
    return out
