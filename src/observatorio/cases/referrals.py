"""Use-cases of cross-border referrals and transfers (Primero-style handoffs between countries).

A referral hands a case to another organisation, of any country, for the services it names. It
rests on the **consent** recorded on the case (by the person or a guardian: when, to whom, for
what purpose, recorded by whom) or, for child protection only, on an **override** by a role the
policy allows, with a written justification (audited as such). Only the fields of the referral's
data-minimisation profile travel (``referral_profiles.yaml``): the receiver reads them through
``referral_view``, never the case itself, and only while the referral is pending or accepted.
The receiver accepts or declines (with a reason) and completes it; a *transfer*, once accepted,
moves the case to the receiver and ends the case's shares (the old holder's decisions).
Withdrawing consent withdraws the referrals resting on it, which ends the receiver's view.

Same rules as every use-case (use_context.py): the one policy function decides, every access to
personal data is audited in the same transaction, refusals are audited as denied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, select
from sqlalchemy.orm.attributes import set_committed_value

from observatorio.cases import notifications, registration
from observatorio.cases.case_writes import end_shares, write_case
from observatorio.cases.errors import Conflict, Forbidden, Invalid, not_found
from observatorio.cases.models import Case, Organisation, Person, utcnow
from observatorio.cases.policy import (
    Decision,
    ScopeColumns,
    authorize,
    case_resource,
    get_policy,
    organisation_resource,
    organisations_in,
    scope_clause,
)
from observatorio.cases.referral_models import Referral, ReferralConsent
from observatorio.cases.referral_profiles import Profile, get_profiles
from observatorio.cases.referral_schemas import (
    CASE_TRANSFERRED,
    CONSENT_WITHDRAWN,
    ConsentIn,
    ConsentOut,
    ReferralAnswer,
    ReferralIn,
    ReferralOut,
    ReferralView,
)
from observatorio.cases.use_context import Ctx, load_case, load_case_for_work, refuse_if_erased

ACTIVE = ("pending", "accepted")  # the receiver sees the minimised view only in these states
STATUSES = ("pending", "accepted", "declined", "completed", "withdrawn")


@dataclass(frozen=True)
class ReferralPreview:
    """What a referral about to be made names (its confirmation page): no personal data."""

    case_id: int
    reference: str
    to_organisation: str
    to_country: str
    transfer: bool


def referral_out(r: Referral) -> ReferralOut:
    return ReferralOut(
        id=r.id, case_id=r.case_id, reference=r.case.reference, from_organisation_id=r.from_organisation_id,
        from_organisation=r.from_organisation.name, to_organisation_id=r.to_organisation_id,
        to_organisation=r.to_organisation.name, to_country=r.to_organisation.country, profile=r.profile,
        transfer=r.transfer, services=list(r.services or []), reason=r.reason, consent_id=r.consent_id,
        override=r.consent_id is None and r.mandate is None, mandate=r.mandate, status=r.status,  # type: ignore[arg-type]
        response_reason=r.response_reason, created_at=r.created_at, responded_at=r.responded_at,
        completed_at=r.completed_at)


def _receivers_out(r: Referral) -> ReferralOut:
    """The referral as its receiver sees it: once consent was withdrawn, not even the reason
    (free text that may describe the person) remains visible to them."""
    out = referral_out(r)
    return out.model_copy(update={"reason": ""}) if r.status == "withdrawn" else out


# ---------------------------------------------------------------- consent

def record_consent(ctx: Ctx, case_id: int, data: ConsentIn) -> ConsentOut:
    """Record the consent a referral of this case may rest on (holder of the case, ``case.refer``)."""
    case, d = load_case_for_work(ctx, case_id, "case.refer", audit_action="referral.consent")
    if data.given_by == "guardian" and not data.guardian_name:
        raise Invalid(key="refusal.referral.guardian_name_required", detail={"field": "guardian_name"})
    consent = ReferralConsent(case_id=case.id, given_by=data.given_by,
                              guardian_name=data.guardian_name if data.given_by == "guardian" else None,
                              given_at=data.given_at, given_to=data.given_to, purpose=data.purpose,
                              recorded_by_id=ctx.principal.user_id, organisation_id=case.organisation_id,
                              recorded_at=utcnow())
    ctx.session.add(consent)
    ctx.session.flush()
    ctx.log(d, "referral.consent", "case", case.id, [f"consent:{consent.id}"])
    out = ConsentOut.model_validate(consent)
    ctx.commit()
    return out


def _withdraw_checked(ctx: Ctx, case_id: int, consent_id: int) -> tuple[Case, Decision, ReferralConsent]:
    """Every check of ``withdraw_consent`` before it writes (refusals audited as denied)."""
    case, d = load_case(ctx, case_id, "referral.withdraw_consent")
    # The case's row first, as create_referral and answer_referral take it: an accepted transfer
    # in flight (which withdraws the case's pending referrals) finishes first, never deadlocks.
    ctx.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    # Locked (PostgreSQL; SQLite serialises writers anyway): a referral being created on this
    # consent waits, or is refused once it is withdrawn (create_referral locks it too).
    consent = ctx.session.get(ReferralConsent, consent_id, populate_existing=True, with_for_update=True)
    if consent is None or consent.case_id != case.id:
        raise ctx.deny(not_found("consent", consent_id), "referral.withdraw_consent", "case", case_id,
                       [f"consent:{consent_id}"])
    if consent.withdrawn_at is not None:
        raise Conflict(key="refusal.referral.consent_already_withdrawn")
    return case, d, consent


def check_withdraw(ctx: Ctx, case_id: int, consent_id: int) -> str:
    """The reference of the case whose consent ``withdraw_consent`` would withdraw, refused as it
    would be, changing nothing (the page's confirmation step); nothing is logged when allowed."""
    case, _, _ = _withdraw_checked(ctx, case_id, consent_id)
    reference = case.reference
    ctx.commit()
    return reference


def withdraw_consent(ctx: Ctx, case_id: int, consent_id: int) -> ConsentOut:
    """Record that consent was withdrawn: the referrals resting on it that are still pending or
    accepted are withdrawn, so their receivers no longer see anything of the case. An accepted
    transfer is not undone (the case is the receiver's now); its holder is told."""
    case, d, consent = _withdraw_checked(ctx, case_id, consent_id)
    now = utcnow()
    consent.withdrawn_at, consent.withdrawn_by_id = now, ctx.principal.user_id
    # The referrals resting on it are locked before their status is read: an answer in flight
    # (which locks its referral) finishes first and is seen, never overwritten afterwards.
    _lock_referrals(ctx, Referral.consent_id == consent.id)
    ended = ctx.session.scalars(select(Referral).where(Referral.consent_id == consent.id,
                                                       Referral.status.in_(ACTIVE))
                                .execution_options(populate_existing=True)).unique().all()
    for r in ended:
        if r.transfer and r.status == "accepted":
            continue
        r.status, r.responded_at = "withdrawn", r.responded_at or now
        r.response_reason = r.response_reason or CONSENT_WITHDRAWN  # shown in the reader's language
        notifications.announce(ctx.session, notifications.receivers(ctx.session, r.to_organisation_id),
                               "referral_withdrawn", f"referral_withdrawn:{r.id}", referral_id=r.id)
    ctx.session.flush()
    ctx.log(d, "referral.withdraw_consent", "case", case.id,
            [f"consent:{consent.id}", *(f"referral:{r.id}" for r in ended)])
    out = ConsentOut.model_validate(consent)
    ctx.commit()
    return out


def case_consents(ctx: Ctx, case_id: int) -> list[ConsentOut]:
    """The consents recorded on a case (for its readers)."""
    return case_referrals_and_consents(ctx, case_id)[1]


# ---------------------------------------------------------------- referring

def create_referral(ctx: Ctx, case_id: int, data: ReferralIn) -> ReferralOut:
    """Refer (or, with ``data.transfer``, transfer) case ``case_id`` to ``data.to_organisation_id``.

    The public entry point other modules call (e.g. automatic referrals of unaccompanied
    children at reception). It needs ``case.refer`` on the case, a known profile and services,
    and either ``data.consent_id`` (consent recorded on this case, not withdrawn) or
    ``data.override_justification`` with ``referral.override_consent`` on the case and a profile
    that allows the override (child protection). Refusals are audited as denied; the receiving
    organisation's users who may respond are notified (no personal data in the notice).
    """
    case, d, profile, target, consent, basis = _refer_checked(ctx, case_id, data)
    referral = Referral(case_id=case.id, from_organisation_id=case.organisation_id, to_organisation_id=target.id,
                        profile=profile.key, transfer=data.transfer, services=list(dict.fromkeys(data.services)),
                        reason=data.reason, consent_id=consent.id if consent else None,
                        override_justification=None if consent else data.override_justification,
                        status="pending", created_by_id=ctx.principal.user_id, created_at=utcnow(),
                        case=case, to_organisation=target, from_organisation=case.organisation, consent=consent)
    ctx.session.add(referral)
    ctx.session.flush()
    ctx.log(d, "case.refer", "case", case.id, [f"referral:{referral.id}", *basis])
    if consent is None:  # the override is its own entry, so it can be looked for on its own
        ctx.log(authorize(ctx.principal, "referral.override_consent", case_resource(case)),
                "referral.override_consent", "case", case.id, [f"referral:{referral.id}", "override_justification"])
    notifications.announce(ctx.session, notifications.receivers(ctx.session, target.id), "referral_new",
                           f"referral_new:{referral.id}", referral_id=referral.id)
    out = referral_out(referral)
    ctx.commit()
    return out


def _refer_checked(ctx: Ctx, case_id: int, data: ReferralIn) -> tuple[
        Case, Decision, Profile, Organisation, ReferralConsent | None, list[str]]:
    """Every check of ``create_referral`` before it writes (refusals audited as denied): the
    case, the decision, the profile, the receiver, the consent (or None: the override) and the
    basis entries. ``check_referral`` (the web page's confirmation step) runs the same."""
    case, d = load_case_for_work(ctx, case_id, "case.refer")
    catalogue = get_profiles()
    profile = catalogue.profiles.get(data.profile)
    if profile is None:
        raise Invalid(key="refusal.referral.unknown_profile", data_profile=data.profile, catalogue_profiles=sorted(catalogue.profiles), detail={"field": "profile"})
    if unknown := sorted(set(data.services) - catalogue.services.keys()):
        raise Invalid(key="refusal.referral.unknown_services", unknown=unknown, catalogue_services=sorted(catalogue.services), detail={"field": "services"})
    target = ctx.session.get(Organisation, data.to_organisation_id)
    if target is None:
        raise ctx.deny(not_found("organisation", data.to_organisation_id), "case.refer", "case", case_id,
                       ["to_organisation"])
    if target.id == case.organisation_id:
        raise Invalid(key="refusal.referral.already_theirs", detail={"field": "to_organisation_id"})
    basis: list[str] = []
    consent: ReferralConsent | None = None
    if data.consent_id is not None:
        # Locked until this referral is committed: a withdrawal of the consent meanwhile waits
        # and then withdraws it too; one committed first is seen here (withdrawn: refused).
        consent = ctx.session.get(ReferralConsent, data.consent_id, populate_existing=True, with_for_update=True)
        if consent is None or consent.case_id != case.id or consent.withdrawn_at is not None:
            raise ctx.deny(Invalid(
                key="refusal.referral.consent_not_on_case", data_consent_id=data.consent_id, detail={"field": "consent_id"}), "case.refer", "case", case_id, ["consent"])
        if consent.organisation_id != case.organisation_id:
            # Given to the case's previous holder (before a transfer or an assignment): the new
            # holder, another organisation, asks the person again.
            raise ctx.deny(Invalid(
                key="refusal.referral.consent_of_previous_holder", data_consent_id=data.consent_id,
                detail={"field": "consent_id"}), "case.refer", "case", case_id, ["consent"])
        basis.append(f"consent:{consent.id}")
    elif data.override_justification:
        override = authorize(ctx.principal, "referral.override_consent", case_resource(case))
        if not override.allowed or not profile.override_allowed:
            raise ctx.deny(Forbidden(
                key="refusal.referral.override_not_allowed", detail={"action": "referral.override_consent"}),
                "referral.override_consent", "case", case_id, ["override_justification"])
        basis.append("override_justification")
    else:
        raise ctx.deny(Invalid(
            key="refusal.referral.consent_required", detail={"field": "consent_id"}), "case.refer", "case", case_id, ["consent"])
    open_one = ctx.session.scalar(select(Referral.id).where(
        Referral.case_id == case.id, Referral.to_organisation_id == target.id, Referral.status.in_(ACTIVE)))
    if open_one is not None:
        raise Conflict(key="refusal.referral.already_open", open_one=open_one, detail={"referral_id": open_one})
    return case, d, profile, target, consent, basis


def check_referral(ctx: Ctx, case_id: int, data: ReferralIn) -> ReferralPreview:
    """What ``create_referral`` would do, refused exactly as it would be, changing nothing: the
    officers' page asks for confirmation with it. Nothing is logged when allowed (no personal
    data is read; the referral is not made)."""
    case, _, _, target, _, _ = _refer_checked(ctx, case_id, data)
    out = ReferralPreview(case_id=case.id, reference=case.reference, to_organisation=target.name,
                          to_country=target.country, transfer=data.transfer)
    ctx.commit()  # ends the transaction (and the consent row's lock); no entry to append
    return out


def case_referrals(ctx: Ctx, case_id: int) -> list[ReferralOut]:
    """The referrals of a case, for those who may read the case."""
    return case_referrals_and_consents(ctx, case_id)[0]


def case_referrals_and_consents(ctx: Ctx, case_id: int) -> tuple[list[ReferralOut], list[ConsentOut]]:
    """The referrals and the consents of a case in one audited read (the case page shows both)."""
    case, d = load_case(ctx, case_id, audit_action="case.referrals.read")
    out = referrals_of_case(ctx, case, d)
    ctx.commit()
    return out


def referrals_of_case(ctx: Ctx, case: Case, d: Decision) -> tuple[list[ReferralOut], list[ConsentOut]]:
    """The referrals and consents of a case already loaded and decided (``d``: its read), logged
    as read; the caller commits (the case page reads them beside the rest of the case)."""
    if not sees_referrals(d, case):
        ctx.log(d, "case.referrals.read", "case", case.id, [])
        return [], []
    rows = ctx.session.execute(_REFERRALS_OF_CASE, {"case_id": case.id}).all()
    consents = ctx.session.execute(_CONSENTS_OF_CASE, {"case_id": case.id}).all()
    ctx.log(d, "case.referrals.read", "case", case.id,
            [*(f"referral:{r.id}" for r in rows), *(f"consent:{c.id}" for c in consents)])
    return [_referral_row_out(r, case.reference) for r in rows], [ConsentOut.model_validate(c) for c in consents]


# A case's referrals and consents as plain rows of their tables (the organisations' names and
# country joined on): the case page reads them on every view, and the ORM's Referral loads its
# case, both organisations and its consent as objects, a sizeable part of the page even for a
# case without referrals (issue 14). Built once, at import.
_referrals, _from_org, _to_org = Referral.__table__, Organisation.__table__.alias(), Organisation.__table__.alias()
_REFERRALS_OF_CASE = (
    select(_referrals, _from_org.c.name.label("from_name"), _to_org.c.name.label("to_name"),
           _to_org.c.country.label("to_country"))
    .join(_from_org, _from_org.c.id == _referrals.c.from_organisation_id)
    .join(_to_org, _to_org.c.id == _referrals.c.to_organisation_id)
    .where(_referrals.c.case_id == bindparam("case_id")).order_by(_referrals.c.id))
_CONSENTS_OF_CASE = (select(ReferralConsent.__table__).where(ReferralConsent.__table__.c.case_id == bindparam("case_id"))
                     .order_by(ReferralConsent.__table__.c.id))


def _referral_row_out(r: Any, reference: str) -> ReferralOut:
    """``referral_out`` of a row of ``_REFERRALS_OF_CASE`` (``reference``: its case's)."""
    return ReferralOut(
        id=r.id, case_id=r.case_id, reference=reference, from_organisation_id=r.from_organisation_id,
        from_organisation=r.from_name, to_organisation_id=r.to_organisation_id, to_organisation=r.to_name,
        to_country=r.to_country, profile=r.profile, transfer=r.transfer, services=list(r.services or []),
        reason=r.reason, consent_id=r.consent_id, override=r.consent_id is None and r.mandate is None,
        mandate=r.mandate, status=r.status, response_reason=r.response_reason, created_at=r.created_at,
        responded_at=r.responded_at, completed_at=r.completed_at)


# ---------------------------------------------------------------- the receiving side

def _lock_referrals(ctx: Ctx, where: ColumnElement[bool]) -> None:
    """Lock the referral rows ``where`` selects (PostgreSQL's FOR UPDATE; the ORM's own reads
    join the organisations and the case, which FOR UPDATE cannot take on PostgreSQL)."""
    ctx.session.execute(select(Referral.id).where(where).with_for_update())


def _as_receiver(ctx: Ctx, referral_id: int, audit_action: str, *, lock: bool = False) -> tuple[Referral, Decision]:
    """The referral and the decision of ``referral.respond`` in its receiving organisation
    (``lock``: its row locked first, for an answer). Missing referrals and referrals sent
    elsewhere get the same audited 404."""
    if lock:
        # The case's row first, then the referral's: the order an erasure takes them in
        # (retention.erase_cases updates the case, then its referrals). An answer that took its
        # referral first and then, accepting a transfer, the case could deadlock against one.
        case_of = select(Referral.case_id).where(Referral.id == referral_id).scalar_subquery()
        ctx.session.execute(select(Case.id).where(Case.id == case_of).with_for_update())
        # a withdrawal of its consent in flight finishes first; its status is read after
        _lock_referrals(ctx, Referral.id == referral_id)
    r = ctx.session.get(Referral, referral_id, populate_existing=True)
    d = (authorize(ctx.principal, "referral.respond", organisation_resource(r.to_organisation))
         if r is not None else Decision(False))
    if r is None or not d.allowed:
        raise ctx.deny(not_found("referral", referral_id), audit_action, "referral", referral_id,
                       policy_action="referral.respond")
    return r, d


def sees_referrals(read: Decision, case: Case) -> bool:
    """Whether a reader of the case may know its referrals: its holder's country may; a reader
    through a share of another country learns nothing of where else the case went (as with
    shares: record_views._visible_shares), nor of the consent given to others."""
    acting = read.acting
    return read.allowed and acting is not None and (
        acting.country == case.country or acting.organisation_id == case.organisation_id)


def _is_sender(ctx: Ctx, r: Referral) -> Decision:
    """The case.read decision when it lets the user know the case's referrals, else a refusal."""
    d = authorize(ctx.principal, "case.read", case_resource(r.case))
    return d if sees_referrals(d, r.case) else Decision(False)


def _caps_allow_receiver(ctx: Ctx, r: Referral) -> bool:
    """Whether a membership of the receiving organisation holds a role policy.yaml
    case_type_caps lets reach the person's case types at all: a child's identity and case never go
    to a role the cap leaves out (a partner caseworker), as for the child's person record."""
    types = ctx.session.scalars(select(Case.case_type).where(Case.person_id == r.case.person_id)).all()
    policy = get_policy()
    return any(g.organisation_id == r.to_organisation_id
               and policy.capped_scope(g.role, "referral.respond", types) is not None
               for g in ctx.principal.grants)


def receiver_may_accept(ctx: Ctx, referral_id: int) -> bool:
    """Whether the user may accept the referral as ``answer_referral`` decides (a transfer only by
    a membership the child cap admits): the page offers "accept" only then."""
    r = ctx.session.get(Referral, referral_id)
    return r is not None and (not r.transfer or _caps_allow_receiver(ctx, r))


def referral_view(ctx: Ctx, referral_id: int) -> ReferralView:
    """A referral as the receiver sees it: the profile's fields only, and only while the referral
    is pending or accepted (after that: the referral without personal data). The sender (a reader
    of the case) sees the referral without personal data; the case page has the rest."""
    r = ctx.session.get(Referral, referral_id, populate_existing=True)
    if r is not None and (sender := _is_sender(ctx, r)).allowed:
        ctx.log(sender, "referral.read", "referral", r.id, ["status"])
        out = ReferralView(referral=referral_out(r), person={}, case={}, withheld_fields=[])
        ctx.commit()
        return out
    r, d = _as_receiver(ctx, referral_id, "referral.read")
    profile = get_profiles().profiles[r.profile]
    person_values: dict[str, Any] = {}
    case_values: dict[str, Any] = {}
    withheld: list[str] = []
    if r.status in ACTIVE and not _caps_allow_receiver(ctx, r):
        withheld = [*(f"person.{f}" for f in profile.person_fields), *(f"case.{f}" for f in profile.case_fields)]
    elif r.status in ACTIVE:
        person = ctx.session.get(Person, r.case.person_id)
        assert person is not None  # a case always has its person
        for f in profile.person_fields:
            value = getattr(person, f)
            person_values[f] = value.isoformat() if isinstance(value, dt.date) else value
        for f in profile.case_fields:
            if f in d.hidden_fields:  # the receiver's role lacks the sensitive group
                withheld.append(f)
            else:
                case_values[f] = getattr(r.case, f)
    fields = [*(f"person.{f}" for f in person_values), *(f"case.{f}" for f in case_values)]
    ctx.log(d, "referral.read", "case", r.case_id, [f"referral:{r.id}", *fields])
    out = ReferralView(referral=_receivers_out(r), person=person_values, case=case_values, withheld_fields=withheld)
    ctx.commit()
    return out


def _answer_checked(ctx: Ctx, referral_id: int, data: ReferralAnswer, *, lock: bool) -> tuple[Referral, Decision]:
    """Every check of ``answer_referral`` before it writes (refusals audited as denied)."""
    r, d = _as_receiver(ctx, referral_id, "referral.respond", lock=lock)
    if r.status != "pending":
        raise Conflict(key="refusal.referral.not_pending", r_status=r.status, detail={"status": r.status})
    if not data.accept and not data.reason:
        raise Invalid(key="refusal.referral.reason_required", detail={"field": "reason"})
    if data.accept:
        # An erased case holds nothing to work on, and a transfer would hand its pseudonymised
        # person's registration over; declining still closes the referral.
        refuse_if_erased(r.case, "case")
    if data.accept and r.transfer and r.from_organisation_id != r.case.organisation_id:
        # A transfer moves the case from its sender: once the case went elsewhere (another
        # transfer accepted first, an assignment) it would move it from a holder who never
        # decided it. Transfers accepted from now on withdraw such rows; older ones are refused.
        raise Conflict(key="refusal.referral.sender_no_longer_holds",
                       detail={"from_organisation_id": r.from_organisation_id})
    if data.accept and r.transfer and not _caps_allow_receiver(ctx, r):
        # A role the child cap leaves out reaches no case of the type, for any case action: it
        # is shown none of the case (referral_view) and must not take it on, as accepting a
        # transfer moves the case to its organisation with it as the officer. Declining, and
        # accepting a referral that moves nothing, stay open to it.
        raise ctx.deny(Forbidden(key="refusal.referral.capped_receiver", detail={"action": "referral.respond"}),
                       "referral.respond", "referral", r.id, ["status"])
    return r, d


def check_answer(ctx: Ctx, referral_id: int, data: ReferralAnswer) -> ReferralOut:
    """The referral ``answer_referral`` would answer, refused exactly as it would be, changing
    nothing (the page's confirmation step); nothing is logged when allowed."""
    r, _ = _answer_checked(ctx, referral_id, data, lock=False)
    out = _receivers_out(r)
    ctx.commit()
    return out


def _complete_checked(ctx: Ctx, referral_id: int, *, lock: bool) -> tuple[Referral, Decision]:
    r, d = _as_receiver(ctx, referral_id, "referral.respond", lock=lock)
    if r.status != "accepted":
        raise Conflict(key="refusal.referral.not_accepted", detail={"status": r.status})
    return r, d


def check_complete(ctx: Ctx, referral_id: int) -> ReferralOut:
    """The referral ``complete_referral`` would complete, refused as it would be, changing nothing."""
    r, _ = _complete_checked(ctx, referral_id, lock=False)
    out = _receivers_out(r)
    ctx.commit()
    return out


def answer_referral(ctx: Ctx, referral_id: int, data: ReferralAnswer) -> ReferralOut:
    """Accept or decline (with a reason) a pending referral. Accepting a transfer moves the case
    to the receiving organisation, assigned to the officer who accepted it, and ends the case's
    shares (``case_writes.end_shares``) and its other pending referrals; when it was the sender's
    last case of the person, the person's registration goes with it
    (``registration.move_with_last_case``)."""
    r, d = _answer_checked(ctx, referral_id, data, lock=True)
    r.status = "accepted" if data.accept else "declined"
    r.response_reason = data.reason or None
    r.responded_by_id, r.responded_at = ctx.principal.user_id, utcnow()
    if r.created_by_id is not None:
        notifications.announce(ctx.session, [r.created_by_id], "referral_answered",
                               f"referral_answered:{r.id}", referral_id=r.id)
    ctx.session.flush()
    ctx.log(d, "referral.respond", "referral", r.id, ["status", "response_reason"])
    if data.accept and r.transfer:
        case, target = r.case, r.to_organisation
        notifications.announce(ctx.session, [ctx.principal.user_id], "case_assigned",
                               f"case_assigned:{case.id}:{case.version + 1}", case_id=case.id)
        values = {"organisation_id": target.id, "country": target.country, "officer_id": ctx.principal.user_id}
        end_shares(ctx, case, d, r.id)  # the old holder's shares go with its holding (same transaction)
        _withdraw_left_pending(ctx, r, d)
        _complete_earlier_transfers(ctx, r, d)
        registration.move_with_last_case(ctx, case, r.from_organisation_id, target, ctx.principal.user_id,
                                         d, f"referral:{r.id}")
        write_case(ctx, case, d, "referral.transfer", case.version, values)  # audits and commits
        set_committed_value(case, "organisation", target)  # the row holds it already
        return referral_out(r)
    out = referral_out(r)
    ctx.commit()
    return out


WITHDRAWN_BY_TRANSFER = "referral.withdraw_by_transfer"
COMPLETED_BY_TRANSFER = "referral.complete_by_transfer"


def _complete_earlier_transfers(ctx: Ctx, transfer: Referral, d: Decision) -> None:
    """Complete the case's earlier accepted transfers as ``transfer`` moves it on: each did its
    work when it was accepted (its receiver became the holder), and left accepted its view stayed
    open to that receiver (``ACTIVE``), who, having handed the case over in turn, would read the
    new holder's work through it. Completed, the view closes, as for any delivered referral.
    Audited under ``d`` with the transfer; the caller holds the case row's lock."""
    earlier = and_(Referral.case_id == transfer.case_id, Referral.id != transfer.id,
                   Referral.transfer.is_(True), Referral.status == "accepted")
    _lock_referrals(ctx, earlier)
    done = ctx.session.scalars(select(Referral).where(earlier).order_by(Referral.id)
                               .execution_options(populate_existing=True)).unique().all()
    now = utcnow()
    for r in done:
        r.status, r.completed_at = "completed", now
        ctx.log(d, COMPLETED_BY_TRANSFER, "referral", r.id, ["status", f"referral:{transfer.id}"])
    ctx.session.flush()


def _withdraw_left_pending(ctx: Ctx, transfer: Referral, d: Decision) -> None:
    """Withdraw the case's other pending referrals as ``transfer`` moves it: the old holder sent
    them and the new holder never decided them. Left pending, their receivers would read the new
    holder's work through the minimised view, and another pending transfer, once accepted, would
    take the case from the new holder. Accepted referrals go on (the person consented; services
    are under way; the new holder sees them on the case and may withdraw the consent), and so do
    referrals made by legal mandate, which the law, not the old holder, decided. Each is audited
    under ``d`` with the transfer as its reason; its receivers are told. The caller holds the
    case row's lock, which ``create_referral`` and ``withdraw_consent`` take first as well."""
    pending = and_(Referral.case_id == transfer.case_id, Referral.id != transfer.id,
                   Referral.status == "pending", Referral.mandate.is_(None))
    _lock_referrals(ctx, pending)
    left = ctx.session.scalars(select(Referral).where(pending).order_by(Referral.id)
                               .execution_options(populate_existing=True)).unique().all()
    now = utcnow()
    for r in left:
        r.status, r.responded_at, r.response_reason = "withdrawn", now, CASE_TRANSFERRED
        notifications.announce(ctx.session, notifications.receivers(ctx.session, r.to_organisation_id),
                               "referral_case_transferred", f"referral_case_transferred:{r.id}", referral_id=r.id)
        ctx.log(d, WITHDRAWN_BY_TRANSFER, "referral", r.id, ["status", "reason:transfer", f"referral:{transfer.id}"])
    ctx.session.flush()


def complete_referral(ctx: Ctx, referral_id: int) -> ReferralOut:
    """The receiver has delivered the services: the referral is complete (its view closes)."""
    r, d = _complete_checked(ctx, referral_id, lock=True)
    r.status, r.completed_at = "completed", utcnow()
    ctx.session.flush()
    ctx.log(d, "referral.respond", "referral", r.id, ["status"])
    out = referral_out(r)
    ctx.commit()
    return out


# A referral is reached by its receiving organisation (referral.respond); nobody owns it.
RECEIVER_COLUMNS = ScopeColumns(
    held_by_organisation=lambda org: Referral.to_organisation_id == org,
    held_in_country=lambda country: Referral.to_organisation_id.in_(organisations_in(country)),
)


def incoming_referrals(ctx: Ctx, statuses: tuple[str, ...] = ACTIVE, limit: int = 100) -> list[ReferralOut]:
    """Referrals sent to the organisations where the user may respond to them ("my work")."""
    if not any(get_policy().scope_of(g.role, "referral.respond") for g in ctx.principal.grants):
        return []
    rows = ctx.session.scalars(select(Referral).where(scope_clause(ctx.principal, "referral.respond", RECEIVER_COLUMNS),
                                                      Referral.status.in_(statuses))
                               .order_by(Referral.created_at.desc(), Referral.id).limit(limit)).unique().all()
    out = []
    for r in rows:
        d = authorize(ctx.principal, "referral.respond", organisation_resource(r.to_organisation))
        if not d.allowed:  # the filter and the policy must agree; never show on doubt
            continue
        out.append(_receivers_out(r))
        ctx.log(d, "referral.list", "referral", r.id, ["reference", "status"])
    ctx.commit()
    return out
