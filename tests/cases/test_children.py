"""Unaccompanied children (issue 15, item 3): the best-interests protocol (version 3), closure
only with a recorded best-interests determination, and a child's case reached only by the roles
policy.yaml ``case_type_caps`` lists, in single reads and in lists alike."""

from __future__ import annotations

import datetime as dt

import pytest

from observatorio.cases import case_records, case_writes, steps
from observatorio.cases.errors import Conflict, NotFound
from observatorio.cases.schemas import CaseTransition
from observatorio.cases.vocab import CaseStatus, CaseType

from .conftest import ctx_for
from .test_protocols import _open


def _close(s, world, user: str, case_id: int):
    ctx = ctx_for(s, world, user)
    version = case_records.get_case(ctx, case_id).version
    return case_writes.transition_case(ctx_for(s, world, user), case_id,
                                       CaseTransition(version=version, to=CaseStatus.CLOSED))


def test_protocol_v3_has_the_best_interests_procedure(rt, world) -> None:
    case_id = _open(rt, world, "gtm_protection", "gtm_child")
    with rt.sessions() as s:
        protocol, states = steps.case_checklist(ctx_for(s, world, "gtm_protection"), case_id, dt.datetime.now(dt.UTC))
    assert protocol is not None and protocol.key == "unaccompanied_child@3"
    ids = [st.step.id for st in states]
    for step in ("notify_child_protection", "best_interests", "family_tracing", "guardian",
                 "best_interests_determination"):
        assert step in ids
    assert protocol.step("notify_child_protection").referral == "child_protection_agency"
    assert protocol.closure_requires == ("best_interests_determination",)


def test_child_case_closes_only_with_a_recorded_best_interests_decision(rt, world) -> None:
    case_id = _open(rt, world, "gtm_protection", "gtm_child")
    with rt.sessions() as s:
        with pytest.raises(Conflict) as exc:
            _close(s, world, "gtm_protection", case_id)
        assert exc.value.status == 409
        assert "best_interests_determination" in str(exc.value.__dict__)
        assert case_records.get_case(ctx_for(s, world, "gtm_protection"), case_id).status == "open"  # nothing written
        steps.complete_step(ctx_for(s, world, "gtm_protection"), case_id, "best_interests_determination",
                            {"decision": "reunificación familiar", "panel": "PGN",
                             "child_views": "quiere volver con su abuela"}, dt.datetime.now(dt.UTC))
        assert _close(s, world, "gtm_protection", case_id).status == "closed"


def test_other_case_types_close_as_before(rt, world) -> None:
    case_id = _open(rt, world, "gtm_head", "gtm_consulate_mex", CaseType.DETENTION)
    with rt.sessions() as s:
        assert _close(s, world, "gtm_head", case_id).status == "closed"


def test_a_childs_case_reaches_only_the_roles_the_policy_allows(rt, world) -> None:
    child = _open(rt, world, "gtm_officer", "gtm_consulate_mex")
    adult = _open(rt, world, "gtm_officer", "gtm_consulate_mex", CaseType.DETENTION)
    with rt.sessions() as s:
        # the head of the consulate and the national supervisor reach it; the officer who opened it too
        for user in ("gtm_head", "gtm_supervisor", "gtm_officer"):
            assert case_records.get_case(ctx_for(s, world, user), child).id == child
            listed = {c.id for c in case_records.list_cases(ctx_for(s, world, user)).items}
            assert {child, adult} <= listed
        # a colleague consular officer reaches the adult's case (organisation) but not the child's
        assert case_records.get_case(ctx_for(s, world, "gtm_officer2"), adult).id == adult
        with pytest.raises(NotFound):
            case_records.get_case(ctx_for(s, world, "gtm_officer2"), child)
        page = case_records.list_cases(ctx_for(s, world, "gtm_officer2"))
        assert child not in {c.id for c in page.items} and page.total == len(page.items)


def test_a_caseworker_never_reaches_a_childs_case_even_its_own(rt, world) -> None:
    child = _open(rt, world, "mex_caseworker", "mex_ngo")
    with rt.sessions() as s:
        with pytest.raises(NotFound):
            case_records.get_case(ctx_for(s, world, "mex_caseworker"), child)
        page = case_records.list_cases(ctx_for(s, world, "mex_caseworker"))
        assert child not in {c.id for c in page.items} and page.total == len(page.items)
