"""Adversarial review: a consent withdrawn while the receiver answers, or while a referral is
being created on it, must stay withdrawn everywhere (PostgreSQL, two real sessions).

Withdrawing consent withdraws the referrals resting on it, which ends the receiver's view of the
person. The receiver's answer read the referral as pending without a lock and wrote "accepted"
over a withdrawal committed meanwhile; a referral created on the consent as it was withdrawn
was never seen by the withdrawal. Either way the receiver went on reading the child's name after
the guardian had taken consent back. (SQLite takes its writer lock at a transaction's first
statement, so there one of the two simply waits for the other.)

Each test holds the withdrawal open in one session, starts the other use-case in a thread,
waits until PostgreSQL shows that thread waiting on a lock, then commits the withdrawal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, update

from observatorio.cases import referrals
from observatorio.cases.errors import Conflict, Invalid
from observatorio.cases.models import utcnow
from observatorio.cases.referral_models import Referral, ReferralConsent
from observatorio.cases.referral_schemas import ReferralAnswer, ReferralIn
from observatorio.cases.runtime import Runtime

from .conftest import World, ctx_for
from .lock_race import LOCK_WAIT_LIMIT_S, in_thread, until_waiting
from .test_referrals import _child_case, _consent, _refer


def _while_withdrawal_is_open(rt: Runtime, consent_id: int, act: Callable[[], Any]) -> Any:
    """Withdraw the consent (and its active referrals) in a transaction held open until ``act``,
    run in a thread, waits on a lock; then commit it and return what ``act`` returned or raised."""
    engine = create_engine(rt.url)
    try:
        with engine.connect() as withdrawal:
            withdrawal.execute(update(ReferralConsent).where(ReferralConsent.id == consent_id)
                               .values(withdrawn_at=utcnow()))
            withdrawal.execute(update(Referral).where(Referral.consent_id == consent_id,
                                                      Referral.status.in_(referrals.ACTIVE))
                               .values(status="withdrawn"))
            worker, outcome = in_thread(act)
            until_waiting(rt, worker)
            withdrawal.commit()
            worker.join(LOCK_WAIT_LIMIT_S)
    finally:
        engine.dispose()
    return outcome["value"]


@pytest.mark.postgres
def test_an_answer_in_flight_does_not_overwrite_a_withdrawal(pg_rt: Runtime, pg_world: World) -> None:
    rt, world = pg_rt, pg_world
    case_id = _child_case(rt, world)
    consent_id = _consent(rt, world, case_id)
    ref = _refer(rt, world, case_id, consent_id=consent_id)

    def accept() -> object:
        with rt.sessions() as s:
            return referrals.answer_referral(ctx_for(s, world, "gtm_protection"), ref.id, ReferralAnswer(accept=True))

    answered = _while_withdrawal_is_open(rt, consent_id, accept)
    assert isinstance(answered, Conflict), answered  # it finds the referral withdrawn
    with rt.sessions() as s:
        assert s.scalar(select(Referral.status).where(Referral.id == ref.id)) == "withdrawn"
        view = referrals.referral_view(ctx_for(s, world, "gtm_protection"), ref.id)
    assert view.person == {} and view.case == {}


@pytest.mark.postgres
def test_a_referral_created_as_its_consent_is_withdrawn_is_refused(pg_rt: Runtime, pg_world: World) -> None:
    rt, world = pg_rt, pg_world
    case_id = _child_case(rt, world)
    consent_id = _consent(rt, world, case_id)

    def refer() -> object:
        with rt.sessions() as s:
            return referrals.create_referral(ctx_for(s, world, "gtm_officer"), case_id, ReferralIn(
                to_organisation_id=world.orgs["gtm_child"], profile="child_protection",
                services=["child_protection"], reason="NNA no acompañado", consent_id=consent_id))

    created = _while_withdrawal_is_open(rt, consent_id, refer)
    assert isinstance(created, Invalid), created  # the consent is withdrawn: nothing rests on it
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Referral).where(Referral.consent_id == consent_id)) == 0
