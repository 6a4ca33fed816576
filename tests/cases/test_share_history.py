"""What a reader through a share of another country sees of a case's history (review): the
referrals are withheld from that reader (``referrals.sees_referrals``), yet the history showed the
referral made by legal mandate (``mandated_referrals``) and the free-text reasons of transitions.
``case_views.history_of`` is the one filter (API, case page); a referral's receiver reads only
the profile of its referral, never the history. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from observatorio.cases import accounts, case_views, case_writes, transitions
from observatorio.cases.errors import NotFound
from observatorio.cases.reception import arrivals, intake
from observatorio.cases.reception.schemas import ArrivalIn, IntakeIn
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseShareIn, CaseTransition
from observatorio.cases.vocab import CaseStatus, OrgKind

from .conftest import PASSWORD, World, ctx_for
from .reception_files import csv_bytes, people
from .test_web import _web_login

TODAY = dt.date(2025, 8, 14)
REASON = "Remitida a DINAF; la madre vive en Houston y fue contactada por el consulado"


def _child_shared_abroad(rt: Runtime, world: World) -> int:
    """A child received in Honduras (mandated referral to DINAF), moved to assessment with a
    reason, then shared by the national supervisor with Guatemala's consulate in Tapachula."""
    with rt.sessions() as s:
        org = accounts.add_organisation(s, "DINAF", OrgKind.CHILD_PROTECTION, "HND", None, "Tegucigalpa")
        user = accounts.add_user(s, "hnd_dinaf", PASSWORD, rt.config, [(org, "protection_officer")])
        s.commit()
        world.users["hnd_dinaf"] = user.id
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        arrival = arrivals.create_arrival(ctx, ArrivalIn(mode="flight", arrival_date=TODAY, arriving_from="USA",
                                                         expected_count=1)).id
        arrivals.import_manifest(ctx, arrival, "m.csv", csv_bytes(people(1, children=1)), TODAY)
        [entry] = arrivals.get_arrival(ctx, arrival).manifest
        out = intake.record_intake(ctx, arrival, IntakeIn(manifest_entry_id=entry.id, accompaniment="UNACCOMPANIED",
                                                          vulnerabilities=["unaccompanied_child"]), TODAY)
        assert out.required_referrals[0].referral_id is not None
        transitions.transition_case(ctx, out.case_id, CaseTransition(version=1, to=CaseStatus.ASSESSMENT,
                                                                     reason=REASON))
    with rt.sessions() as s:
        case_writes.share_case(ctx_for(s, world, "hnd_supervisor"), out.case_id,
                               CaseShareIn(organisation_id=world.orgs["gtm_consulate_mex"]))
    return out.case_id


def test_a_reader_through_a_foreign_share_sees_neither_mandated_referrals_nor_reasons(
        rt: Runtime, world: World) -> None:
    case_id = _child_shared_abroad(rt, world)
    for holder_side in ("hnd_reception", "hnd_supervisor"):
        with rt.sessions() as s:
            first, moved = case_views.case_history(ctx_for(s, world, holder_side), case_id)
        assert "mandated_referrals" in first.changes and moved.reason == REASON, holder_side
    with rt.sessions() as s:
        first, moved = case_views.case_history(ctx_for(s, world, "gtm_head"), case_id)
    assert "mandated_referrals" not in first.changes and first.changes["case_type"] == [None, "unaccompanied_child"]
    assert moved.changes["status"] == ["open", "assessment"] and moved.reason is None
    with rt.sessions() as s, pytest.raises(NotFound):  # the referral's receiver: its profile only
        case_views.case_history(ctx_for(s, world, "hnd_dinaf"), case_id)


def test_the_case_page_of_a_foreign_share_reader_shows_neither(rt: Runtime, world: World, client) -> None:
    case_id = _child_shared_abroad(rt, world)
    assert _web_login(client, "gtm_head").status_code == 303
    page = client.get(f"/cases/c/{case_id}").text
    history = page[page.index('id="history"'):]
    assert "mandato legal" not in history and REASON not in page
    client.cookies.clear()
    assert _web_login(client, "hnd_reception").status_code == 303
    page = client.get(f"/cases/c/{case_id}").text
    assert "mandato legal" in page[page.index('id="history"'):] and REASON in page
