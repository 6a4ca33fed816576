"""Notices: the demo world's referral scenes, the inbox (new referral, overdue step, case
assigned) and the e-mail copy through a real SMTP server on loopback (aiosmtpd), whose body is
a link and nothing of the person or the case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from observatorio.cases import case_records, case_writes, notifications, person_records, referrals
from observatorio.cases import demo as demo_mod
from observatorio.cases.models import Case, User
from observatorio.cases.referral_models import Referral
from observatorio.cases.referral_schemas import ReferralIn
from observatorio.cases.schemas import CaseAssign, CaseCreate, PersonCreate
from observatorio.cases.vocab import CaseType
from observatorio.cli import app  # the whole command line: `cases notify` is added there
from observatorio.settings import Settings
from smtp_capture import Mailbox, smtp_server  # tests/ is on sys.path (root conftest)

from .conftest import ctx_for

runner = CliRunner()


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as running:
        yield running


def test_demo_world_has_the_referral_scenes(rt) -> None:
    with rt.sessions() as s:
        demo_mod.build(s, rt.config, n_cases=2, seed=3)
        rows = s.scalars(select(Referral).order_by(Referral.id)).unique().all()
        scenes = [(r.from_organisation.name, r.to_organisation.name, r.status, r.transfer) for r in rows]
        assert scenes == [
            ("Consulado de Guatemala en Tapachula", "Instituto Guatemalteco de Migración — recepción de retornados",
             "accepted", True),
            ("Instituto Guatemalteco de Migración — recepción de retornados", "Procuraduría General de la Nación — niñez",
             "pending", False),
            ("Consulado de Honduras en Houston", "Instituto Nacional de Migración de Honduras", "declined", False)]
        assert rows[2].response_reason
        assert all(r.case.synthetic for r in rows)
        pgn = s.scalar(select(User.id).where(User.username == "demo.proteccion.gtm"))
        kinds = {i.kind for i in notifications.inbox(s, pgn)}
        assert {"referral_new", "step_overdue"} <= kinds  # the pending referral and the overdue step


def test_inbox_and_mail_carry_a_link_and_no_personal_data(rt, world, smtp) -> None:
    mailbox, port = smtp
    with rt.sessions() as s:
        head = ctx_for(s, world, "gtm_head")
        org = world.orgs["gtm_consulate_mex"]
        p = person_records.create_person(head, PersonCreate(given_names="Yolanda", family_names="Secreta",
                                                            organisation_id=org))
        case = case_records.create_case(head, CaseCreate(case_type=CaseType.UNACCOMPANIED_CHILD, person_id=p.id,
                                                         organisation_id=org, summary="resumen confidencial"))
        case_writes.assign_case(head, case.id, CaseAssign(version=case.version, officer_id=world.users["gtm_officer"]))
        referrals.create_referral(head, case.id, ReferralIn(
            to_organisation_id=world.orgs["gtm_child"], profile="child_protection", services=["child_protection"],
            reason="motivo confidencial", override_justification="Niña sola; ningún tutor localizable hoy."))
        notifications.set_address(s, world.users["gtm_protection"], "pgn@crm.example")
        notifications.set_address(s, world.users["gtm_officer"], "consul@crm.example")
        later = s.get(Case, case.id).opened_at + dt.timedelta(days=2)
        assert notifications.scan(s, later) >= 3  # assignment, and overdue steps for the new officer
        assert notifications.scan(s, later) == 0  # idempotent
        officer_kinds = sorted({i.kind for i in notifications.inbox(s, world.users["gtm_officer"])})
        assert officer_kinds == ["case_assigned", "step_overdue"]
        settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                            smtp_from="observatorio@crm.example")
        sent = notifications.send_pending_mail(s, settings, "https://casos.crm.example/")
        assert sent == len(mailbox.mails) >= 3
        assert notifications.send_pending_mail(s, settings, "https://casos.crm.example/") == 0  # sent once
    for _envelope, mail in mailbox.mails:
        body = mail.get_content()
        assert body.strip().startswith("https://casos.crm.example/cases/")
        for secret in ("Yolanda", "Secreta", "confidencial", case.reference, "GTM"):
            assert secret not in body and secret not in str(mail["Subject"])
    assert {tuple(e.rcpt_tos) for e, _ in mailbox.mails} == {("pgn@crm.example",), ("consul@crm.example",)}


def test_notify_command_sends_through_the_settings(rt, world, smtp, monkeypatch) -> None:
    mailbox, port = smtp
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false"}.items():
        monkeypatch.setenv(f"OBSERVATORIO_{name}", value)
    from observatorio.settings import get_settings

    get_settings.cache_clear()
    try:
        r = runner.invoke(app, ["cases", "notify", "address", "gtm_protection", "pgn@crm.example", "--url", rt.url])
        assert r.exit_code == 0, r.output
        assert runner.invoke(app, ["cases", "notify", "address", "gtm_protection", "no mail", "--url", rt.url]).exit_code == 2
        with rt.sessions() as s:
            notifications.announce(s, [world.users["gtm_protection"]], "referral_new", "referral_new:test")
            s.commit()
        r = runner.invoke(app, ["cases", "notify", "run", "--url", rt.url, "--base-url", "https://casos.crm.example"])
        assert r.exit_code == 0, r.output
        assert len(mailbox.mails) == 1 and mailbox.mails[0][1].get_content().strip() == \
            "https://casos.crm.example/cases/work"
        assert runner.invoke(app, ["cases", "notify", "run", "--url", rt.url, "--base-url", "ftp://x"]).exit_code == 2
    finally:
        get_settings.cache_clear()
