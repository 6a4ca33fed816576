"""Referrals by legal mandate (issue #15): screening's required referral of an unaccompanied
child becomes a referral record to the country's child-protection agency, made by the system
at intake without consent; no consent path is weakened."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from observatorio.cases import accounts, case_views, mandated_referrals, referrals
from observatorio.cases.errors import Forbidden, Invalid
from observatorio.cases.models import AuditEntry, Case, CaseTask, Organisation
from observatorio.cases.reception import arrivals, intake
from observatorio.cases.reception.schemas import ArrivalIn, IntakeIn
from observatorio.cases.referral_models import Referral
from observatorio.cases.referral_profiles import ProfileError, parse
from observatorio.cases.referral_schemas import ReferralIn
from observatorio.cases.runtime import Runtime
from observatorio.cases.vocab import OrgKind

from .conftest import PASSWORD, World, ctx_for
from .reception_files import csv_bytes, people
from .test_web import _web_login

TODAY = dt.date(2025, 8, 14)
CHILD = {"accompaniment": "UNACCOMPANIED", "vulnerabilities": ["unaccompanied_child"]}


def _hnd_child_agency(rt: Runtime, world: World) -> int:
    """Honduras' child-protection agency (DINAF) and one of its protection officers."""
    with rt.sessions() as s:
        org = accounts.add_organisation(s, "Dirección de Niñez, Adolescencia y Familia (DINAF)",
                                        OrgKind.CHILD_PROTECTION, "HND", None, "Tegucigalpa")
        user = accounts.add_user(s, "hnd_dinaf", PASSWORD, rt.config, [(org, "protection_officer")])
        s.commit()
        world.orgs["hnd_child"], world.users["hnd_dinaf"] = org.id, user.id
        return org.id


def _arrival_with(rt: Runtime, world: World, n: int, children: int) -> tuple[int, list[int]]:
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        arrival_id = arrivals.create_arrival(ctx, ArrivalIn(mode="flight", arrival_date=TODAY,
                                                            arriving_from="USA", expected_count=n)).id
        arrivals.import_manifest(ctx, arrival_id, "m.csv", csv_bytes(people(n, children=children)), TODAY)
        return arrival_id, [e.id for e in arrivals.get_arrival(ctx, arrival_id).manifest]


def test_two_unaccompanied_children_are_referred_to_child_protection_by_mandate(rt: Runtime, world: World) -> None:
    agency = _hnd_child_agency(rt, world)
    arrival_id, entries = _arrival_with(rt, world, 3, children=2)
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        outs = [intake.record_intake(ctx, arrival_id, IntakeIn(manifest_entry_id=e, department="HN-CR", **CHILD),
                                     TODAY) for e in entries[:2]]
        adult = intake.record_intake(ctx, arrival_id, IntakeIn(manifest_entry_id=entries[2],
                                                               accompaniment="SINGLE_ADULT"), TODAY)
        assert adult.required_referrals == []
        for out in outs:
            [need] = out.required_referrals
            assert need.task_id is None and need.referral_id is not None
            assert need.to_organisation == "Dirección de Niñez, Adolescencia y Familia (DINAF)"
            r = s.get(Referral, need.referral_id)
            assert r is not None and (r.case_id, r.to_organisation_id) == (out.case_id, agency)
            assert (r.mandate, r.consent_id, r.override_justification) == ("child_protection_law", None, None)
            assert r.profile == "child_protection" and r.status == "pending" and r.created_by_id == world.users[
                "hnd_reception"]
            assert s.scalar(select(func.count()).select_from(CaseTask).where(CaseTask.case_id == out.case_id)) == 0
            # audited under its own action, on the case, naming the referral and the mandate
            entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "referral.mandate",
                                                       AuditEntry.record_id == str(out.case_id))).one()
            assert entry.outcome == "granted" and f"referral:{r.id}" in entry.fields
            # the case history shows it
            [first] = case_views.case_history(ctx, out.case_id)
            assert first.changes["mandated_referrals"] == [None, [r.id]]
            # the sender sees the basis: a mandate, not an override
            [listed] = referrals.case_referrals(ctx, out.case_id)
            assert listed.mandate == "child_protection_law" and listed.override is False
    with rt.sessions() as s:  # the receiver's "my work", and its minimised view
        dinaf = ctx_for(s, world, "hnd_dinaf")
        incoming = referrals.incoming_referrals(dinaf)
        assert sorted(r.case_id for r in incoming) == sorted(o.case_id for o in outs)
        assert all(r.mandate == "child_protection_law" for r in incoming)
        view = referrals.referral_view(dinaf, incoming[0].id)
        assert view.person["date_of_birth"].startswith("2012")


def test_without_a_registered_child_protection_agency_the_need_stays_a_task(rt: Runtime, world: World) -> None:
    arrival_id, entries = _arrival_with(rt, world, 1, children=1)
    with rt.sessions() as s:
        out = intake.record_intake(ctx_for(s, world, "hnd_reception"), arrival_id,
                                   IntakeIn(manifest_entry_id=entries[0], **CHILD), TODAY)
        [need] = out.required_referrals
        assert need.referral_id is None and need.task_id is not None
        assert s.scalar(select(func.count()).select_from(Referral)) == 0


def test_a_consent_referral_by_the_reception_officer_still_needs_consent(rt: Runtime, world: World) -> None:
    agency = _hnd_child_agency(rt, world)
    arrival_id, entries = _arrival_with(rt, world, 2, children=1)
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        adult = intake.record_intake(ctx, arrival_id, IntakeIn(manifest_entry_id=entries[1],
                                                               accompaniment="SINGLE_ADULT"), TODAY)
        with pytest.raises(Invalid, match="No recorded consent"):
            referrals.create_referral(ctx, adult.case_id, ReferralIn(
                to_organisation_id=agency, profile="child_protection", services=["child_protection"],
                reason="apoyo"))
        with pytest.raises(Forbidden):  # the reception officer holds no override
            referrals.create_referral(ctx, adult.case_id, ReferralIn(
                to_organisation_id=agency, profile="child_protection", services=["child_protection"],
                reason="apoyo", override_justification="Sin consentimiento, pero parece urgente."))
        assert s.scalar(select(func.count()).select_from(Referral)) == 0


def test_the_mandate_is_refused_outside_its_roles_case_types_and_receivers(rt: Runtime, world: World) -> None:
    _hnd_child_agency(rt, world)
    arrival_id, entries = _arrival_with(rt, world, 1, children=1)
    m = mandated_referrals.mandate("child_protection_law")
    with rt.sessions() as s:
        out = intake.record_intake(ctx_for(s, world, "hnd_reception"), arrival_id,
                                   IntakeIn(manifest_entry_id=entries[0], **CHILD), TODAY)
    with rt.sessions() as s:
        case = s.get(Case, out.case_id)
        consulate = s.get(Organisation, world.orgs["hnd_consulate_mex"])
        agency = s.get(Organisation, world.orgs["hnd_child"])
        assert case is not None and consulate is not None and agency is not None
        with pytest.raises(Invalid, match="consent is needed"):  # not a child-protection receiver
            mandated_referrals.refer_by_mandate(ctx_for(s, world, "hnd_reception"), case, m, consulate)
    with rt.sessions() as s:
        case = s.get(Case, out.case_id)
        agency = s.get(Organisation, world.orgs["hnd_child"])
        assert case is not None and agency is not None
        with pytest.raises(Forbidden):  # a national supervisor reads the case but holds no mandate
            mandated_referrals.refer_by_mandate(ctx_for(s, world, "hnd_supervisor"), case, m, agency)
        denied = s.scalars(select(AuditEntry.action).where(AuditEntry.outcome == "denied")).all()
        assert denied.count("referral.mandate") == 2
        assert s.scalar(select(func.count()).select_from(Referral)) == 1  # the intake's own
    assert not mandated_referrals.applies(m, "detention", "child_protection_agency")


@pytest.mark.parametrize("broken, says", [
    ("profile: nope", "profile 'nope'"),
    ("receiver_kinds: [police]", "receiver_kinds: unknown ['police']"),
    ("case_types: []", "case_types is empty"),
    ("services: [massage]", "services: unknown ['massage']"),
])
def test_a_broken_mandate_is_refused_with_its_name(broken: str, says: str) -> None:
    spec = {"profile": "profile: p", "receiver_kinds": "receiver_kinds: [child_protection_agency]",
            "case_types": "case_types: [returnee_reintegration]", "services": "services: [s]"}
    spec[broken.split(":")[0]] = broken
    text = ("services: {s: {es: s, en: s}}\n"
            "profiles: {p: {label: {es: p, en: p}, person_fields: [sex]}}\n"
            "mandates:\n  law:\n    label: {es: l, en: l}\n    basis: {es: b, en: b}\n"
            + "".join(f"    {line}\n" for line in spec.values()))
    with pytest.raises(ProfileError, match=f"mandate law: {says}".replace("[", r"\[").replace("]", r"\]")):
        parse(text)


def test_the_pages_show_the_mandate_in_history_referral_and_my_work(rt: Runtime, world: World, client) -> None:
    _hnd_child_agency(rt, world)
    arrival_id, entries = _arrival_with(rt, world, 1, children=1)
    with rt.sessions() as s:
        out = intake.record_intake(ctx_for(s, world, "hnd_reception"), arrival_id,
                                   IntakeIn(manifest_entry_id=entries[0], **CHILD), TODAY)
    referral_id = out.required_referrals[0].referral_id
    assert _web_login(client, "hnd_reception").status_code == 303
    case_page = client.get(f"/cases/c/{out.case_id}").text
    history = case_page[case_page.index('id="history"'):]
    assert "remisión por mandato legal" in history
    client.cookies.clear()
    assert _web_login(client, "hnd_dinaf").status_code == 303
    work = client.get("/cases/work?lang=en").text
    assert f"/cases/referrals/{referral_id}" in work and "legal mandate" in work
    page = client.get(f"/cases/referrals/{referral_id}?lang=en").text
    assert "legal mandate: Legal mandate: best interest of the child" in page
    assert "child-protection override" not in page
