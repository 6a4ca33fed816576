"""Adversarial review: a role the child cap leaves out must not take a child's case on.

policy.yaml case_type_caps: a role not listed reaches no case of a capped type, "whatever else
it holds; applies to every case action". The receiver of a referral answers it through
``referral.respond`` on the receiving organisation, which knows no case type: a partner
caseworker (not listed for an unaccompanied child) saw the child's referral with every field
withheld, yet could accept a transfer of it, which moved the child's case to the NGO and made
the caseworker its officer: the consulate lost the case, and nobody there the cap admits held it.
A referral that moves nothing may still be accepted (the receiver is told what is withheld).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from observatorio.cases import case_records, referrals
from observatorio.cases.errors import Forbidden, NotFound
from observatorio.cases.models import AuditEntry, Case
from observatorio.cases.referral_schemas import ReferralAnswer

from .conftest import ctx_for
from .test_officer_web import _login
from .test_referrals import _child_case, _consent, _refer


def _child_referral_to_the_ngo(rt, world, transfer: bool = True) -> tuple[int, int]:
    case_id = _child_case(rt, world)
    ref = _refer(rt, world, case_id, consent_id=_consent(rt, world, case_id), transfer=transfer,
                 to_organisation_id=world.orgs["mex_ngo"])
    return case_id, ref.id


def test_a_capped_out_receiver_cannot_accept_a_childs_transfer(rt, world) -> None:
    case_id, ref_id = _child_referral_to_the_ngo(rt, world)
    with rt.sessions() as s:
        view = referrals.referral_view(ctx_for(s, world, "mex_caseworker"), ref_id)
        assert view.person == {} and view.withheld_fields  # what the caseworker is shown: nothing
        with pytest.raises(Forbidden) as refused:
            referrals.answer_referral(ctx_for(s, world, "mex_caseworker"), ref_id, ReferralAnswer(accept=True))
        assert refused.value.status == 403 and refused.value.es and refused.value.en
    with rt.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.organisation_id == world.orgs["gtm_consulate_mex"]  # nothing moved
        referral = s.scalar(select(referrals.Referral.status).where(referrals.Referral.id == ref_id))
        assert referral == "pending"
        denied = s.scalars(select(AuditEntry.outcome).where(AuditEntry.action == "referral.respond")).all()
        assert denied == ["denied"]
        # the consulate still holds and reads the child's case
        assert case_records.get_case(ctx_for(s, world, "gtm_officer"), case_id).id == case_id


def test_a_capped_out_receiver_may_still_accept_a_referral_that_moves_nothing(rt, world) -> None:
    case_id, ref_id = _child_referral_to_the_ngo(rt, world, transfer=False)
    with rt.sessions() as s:
        out = referrals.answer_referral(ctx_for(s, world, "mex_caseworker"), ref_id, ReferralAnswer(accept=True))
    assert out.status == "accepted"
    with rt.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.organisation_id == world.orgs["gtm_consulate_mex"]


def test_a_capped_out_receiver_may_still_decline(rt, world) -> None:
    _, ref_id = _child_referral_to_the_ngo(rt, world)
    with rt.sessions() as s:
        out = referrals.answer_referral(ctx_for(s, world, "mex_caseworker"), ref_id,
                                        ReferralAnswer(accept=False, reason="No atendemos niñez no acompañada."))
    assert out.status == "declined"


def test_a_receiver_the_cap_lists_accepts_as_before(rt, world) -> None:
    case_id = _child_case(rt, world)
    ref = _refer(rt, world, case_id, consent_id=_consent(rt, world, case_id), transfer=True)
    with rt.sessions() as s:
        referrals.answer_referral(ctx_for(s, world, "gtm_protection"), ref.id, ReferralAnswer(accept=True))
    with rt.sessions() as s, pytest.raises(NotFound):  # the consulate no longer holds it
        case_records.get_case(ctx_for(s, world, "gtm_officer"), case_id)


def test_the_referral_page_offers_accept_of_a_transfer_only_to_a_receiver_who_may_take_the_case_on(client, rt, world) -> None:
    _, ngo_ref = _child_referral_to_the_ngo(rt, world)
    _, ngo_plain = _child_referral_to_the_ngo(rt, world, transfer=False)
    case_id = _child_case(rt, world)
    protection_ref = _refer(rt, world, case_id, consent_id=_consent(rt, world, case_id), transfer=True).id
    _login(client, "mex_caseworker")
    page = client.get(f"/cases/referrals/{ngo_ref}")
    assert page.status_code == 200
    assert 'value="decline"' in page.text and 'value="accept"' not in page.text
    page = client.get(f"/cases/referrals/{ngo_plain}")
    assert 'value="decline"' in page.text and 'value="accept"' in page.text
    _login(client, "gtm_protection")
    page = client.get(f"/cases/referrals/{protection_ref}")
    assert 'value="decline"' in page.text and 'value="accept"' in page.text
