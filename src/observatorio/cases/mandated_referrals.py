"""Referrals the law obliges: created by the system, resting on a legal mandate, not on consent.

The best interest of the child: national child-protection law obliges reception to refer every
unaccompanied child to the child-protection agency. Reception officers hold neither the person's
consent nor the child-protection override, and need neither: the mandate is the basis, declared
as data (``referral_profiles.yaml: mandates``: for which case types, to which kinds of
organisation, with which profile and services), checked by the policy action
``referral.mandate`` on the case and audited under that action. ``create_referral``'s consent
and override paths are untouched: a referral outside a mandate still needs one of them.

Called by intake (``reception/intake.py``) inside its transaction: nothing is committed here.
"""

from __future__ import annotations

from sqlalchemy import select

from observatorio.cases import notifications
from observatorio.cases.errors import Invalid, forbidden
from observatorio.cases.models import Case, Organisation, utcnow
from observatorio.cases.policy import authorize, case_resource
from observatorio.cases.referral_models import Referral
from observatorio.cases.referral_profiles import Mandate, get_profiles
from observatorio.cases.use_context import Ctx

ACTION = "referral.mandate"


def mandate(key: str) -> Mandate:
    return get_profiles().mandates[key]


def applies(m: Mandate, case_type: str, organisation_kind: str) -> bool:
    """Whether the mandate covers a referral of a case of this type to this kind of organisation."""
    return case_type in m.case_types and organisation_kind in m.receiver_kinds


def mandated_receiver(ctx: Ctx, m: Mandate, organisation_kind: str, country: str) -> Organisation | None:
    """The organisation the law names in ``country``: the one named in ``receivers`` for the
    country, else the only organisation of that kind there; None when there is none, or several
    and the file names none (the need then stays a task, so it is never lost)."""
    candidates = ctx.session.scalars(select(Organisation).where(
        Organisation.kind == organisation_kind, Organisation.country == country).order_by(Organisation.id)).all()
    named = m.receivers.get(country)
    if named is not None:
        return next((o for o in candidates if o.name == named), None)
    return candidates[0] if len(candidates) == 1 else None


def refer_by_mandate(ctx: Ctx, case: Case, m: Mandate, target: Organisation) -> Referral:
    """Refer ``case`` to ``target`` on the mandate, on behalf of the acting officer (who must
    hold ``referral.mandate`` on the case). Refusals are audited as denied and roll back the
    caller's unit of work, as every refusal does."""
    d = authorize(ctx.principal, ACTION, case_resource(case))
    if not d.allowed:
        raise ctx.deny(forbidden(ACTION), ACTION, "case", case.id, [f"mandate:{m.key}"])
    if not applies(m, case.case_type, target.kind):
        raise ctx.deny(Invalid(key="refusal.referral.mandate_does_not_cover", detail={"field": "mandate"},
                               mandate=m.key, case_type=case.case_type, kind=target.kind),
                       ACTION, "case", case.id, [f"mandate:{m.key}"])
    referral = Referral(case_id=case.id, from_organisation_id=case.organisation_id, to_organisation_id=target.id,
                        profile=m.profile, transfer=False, services=list(m.services),
                        reason=f"{m.basis['es']} / {m.basis['en']}", mandate=m.key, status="pending",
                        created_by_id=ctx.principal.user_id, created_at=utcnow(),
                        case=case, to_organisation=target, from_organisation=case.organisation)
    ctx.session.add(referral)
    ctx.session.flush()
    ctx.log(d, ACTION, "case", case.id, [f"referral:{referral.id}", f"mandate:{m.key}"])
    notifications.announce(ctx.session, notifications.receivers(ctx.session, target.id), "referral_new",
                           f"referral_new:{referral.id}", referral_id=referral.id)
    return referral
