"""A share granted while a transfer of the case is being accepted, and two transfers accepted at
once (PostgreSQL, real row locks). For the share:
whichever commits first, no share of the old holder survives the transfer. Both take the case
row first (answer_referral through _as_receiver, share_case through load_case_for_work): a share
that waits for the transfer finds the case no longer its holder's and is refused; a transfer that
waits for a share ends it with the others. Each side is held open at its commit until the other
is seen waiting on the lock (lock_race.py), so the order is certain, not timed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from observatorio.cases import case_writes, referrals
from observatorio.cases.errors import Conflict, NotFound
from observatorio.cases.models import AuditEntry, Case, CaseShare
from observatorio.cases.referral_models import Referral
from observatorio.cases.referral_schemas import ReferralAnswer
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseShareIn

from .conftest import World, ctx_for
from .lock_race import holding_commit_until, joined
from .test_transfer_referrals import _refer
from .test_transfer_shares import _case


def _shares(rt: Runtime, case_id: int) -> list[int]:
    with rt.sessions() as s:
        return list(s.scalars(select(CaseShare.organisation_id).where(CaseShare.case_id == case_id)))


@pytest.mark.postgres
def test_a_share_waiting_for_the_transfer_is_refused(pg_rt: Runtime, pg_world: World) -> None:
    rt, world = pg_rt, pg_world
    case_id, _ = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    transfer = _refer(rt, world, case_id, "gtm_child", transfer=True)

    def share() -> object:
        with rt.sessions() as s:
            return case_writes.share_case(ctx_for(s, world, "gtm_head"), case_id,
                                          CaseShareIn(organisation_id=world.orgs["hnd_consulate_mex"]))

    with rt.sessions() as s:
        box = holding_commit_until(rt, s, share)
        assert referrals.answer_referral(ctx_for(s, world, "gtm_protection"), transfer,
                                         ReferralAnswer(accept=True)).status == "accepted"
    shared = joined(box)
    assert isinstance(shared, NotFound), shared  # the old holder reaches the case no more
    assert _shares(rt, case_id) == []


@pytest.mark.postgres
def test_a_transfer_waiting_for_a_share_ends_it(pg_rt: Runtime, pg_world: World) -> None:
    rt, world = pg_rt, pg_world
    case_id, _ = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    transfer = _refer(rt, world, case_id, "gtm_child", transfer=True)

    def accept() -> object:
        with rt.sessions() as s:
            return referrals.answer_referral(ctx_for(s, world, "gtm_protection"), transfer,
                                             ReferralAnswer(accept=True))

    with rt.sessions() as s:
        box = holding_commit_until(rt, s, accept)
        case_writes.share_case(ctx_for(s, world, "gtm_head"), case_id,
                               CaseShareIn(organisation_id=world.orgs["hnd_consulate_mex"]))
    accepted = joined(box)
    assert getattr(accepted, "status", accepted) == "accepted"
    assert _shares(rt, case_id) == []
    with rt.sessions() as s:
        ended = s.scalars(select(AuditEntry.fields).where(AuditEntry.action == "case.share.end")).all()
    assert len(ended) == 1 and f"shared_with:{world.orgs['hnd_consulate_mex']}" in ended[0]


@pytest.mark.postgres
def test_two_transfers_accepted_at_once_move_the_case_once(pg_rt: Runtime, pg_world: World) -> None:
    """Two pending transfers of one case, accepted at the same moment: the second waits for the
    first (the case row), then finds its transfer withdrawn by it, and the case stays put."""
    rt, world = pg_rt, pg_world
    case_id, _ = _case(rt, world, "gtm_head", "gtm_consulate_mex")
    first = _refer(rt, world, case_id, "gtm_child", transfer=True)
    second = _refer(rt, world, case_id, "hnd_reception", transfer=True)

    def accept_second() -> object:
        with rt.sessions() as s:
            return referrals.answer_referral(ctx_for(s, world, "hnd_reception"), second,
                                             ReferralAnswer(accept=True))

    with rt.sessions() as s:
        box = holding_commit_until(rt, s, accept_second)
        referrals.answer_referral(ctx_for(s, world, "gtm_protection"), first, ReferralAnswer(accept=True))
    answered = joined(box)
    assert isinstance(answered, Conflict), answered
    with rt.sessions() as s:
        assert s.scalar(select(Case.organisation_id).where(Case.id == case_id)) == world.orgs["gtm_child"]
        assert s.scalar(select(Referral.status).where(Referral.id == second)) == "withdrawn"
