"""Homologated protocols: loading and its errors, the version a case follows, step completion
through the policy (audited), overdue steps with an injected clock, migration 0005."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text

from observatorio.cases import case_records, person_records, steps
from observatorio.cases.db import alembic_config, make_engine, upgrade
from observatorio.cases.errors import Conflict, Invalid, NotFound
from observatorio.cases.models import AuditEntry
from observatorio.cases.protocols.loader import ProtocolError, catalogue, load_dir
from observatorio.cases.schemas import CaseCreate, PersonCreate
from observatorio.cases.vocab import CaseType

from .conftest import ctx_for
from .test_migrations import _empty_db

GOOD = """case_type: death_repatriation
version: 1
label: {es: Fallecimiento, en: Death}
steps:
  - id: contact_family
    label: {es: Contactar, en: Contact}
    record: [{id: who, label: {es: Quién, en: Who}}]
    roles: [consular_officer]
    deadline: {hours: 48, from: opening}
"""


def _write(tmp_path: Path, body: str, name: str = "death_repatriation/v1.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(("broken", "key"), [
    (GOOD.replace("hours: 48", "hours: -1"), "steps.0.deadline.hours"),
    (GOOD.replace("[consular_officer]", "[consul]"), "steps.0.roles"),
    (GOOD.replace("from: opening", "from: later"), "steps.0.deadline.from"),
    (GOOD.replace("version: 1", "version: 1\ncolour: red"), "colour"),
    (GOOD + "variants:\n  MEX:\n    label: {es: M, en: M}\n    steps:\n      - {id: extra, after: nowhere, "
            "label: {es: x, en: x}, record: [{id: a, label: {es: a, en: a}}], roles: [consular_officer], "
            "deadline: {hours: 1, from: previous}}\n", "variants.MEX.steps.0.after"),
    (GOOD + "variants:\n  MEX:\n    label: {es: M, en: M}\n    steps:\n      - {id: extra}\n",
     "variants.MEX.steps.0.label"),
])
def test_broken_protocol_names_file_and_key(tmp_path, broken, key) -> None:
    path = _write(tmp_path, broken)
    with pytest.raises(ProtocolError) as exc:
        load_dir(tmp_path)
    assert str(path) in str(exc.value) and key in str(exc.value)


def test_file_name_must_match_content(tmp_path) -> None:
    _write(tmp_path, GOOD, "death_repatriation/v2.yaml")
    with pytest.raises(ProtocolError, match="v2.yaml: case_type/version"):
        load_dir(tmp_path)


def test_variant_overrides_and_adds_steps() -> None:
    base = catalogue().resolve("unaccompanied_child", 2, None)
    mex = catalogue().resolve("unaccompanied_child", 2, "MEX")
    gtm = catalogue().resolve("unaccompanied_child", 2, "GTM")
    assert [r.origin for r in base.steps] == ["base"] * 4
    notify = next(r for r in mex.steps if r.step.id == "notify_child_protection")
    assert notify.origin == "changed" and notify.changed == ("deadline",) and notify.step.deadline.hours == 12
    assert [r.step.id for r in gtm.steps][2] == "pgn_hearing" and gtm.steps[2].origin == "added"


def _open(rt, world, user: str, org: str, case_type: CaseType = CaseType.UNACCOMPANIED_CHILD) -> int:
    with rt.sessions() as s:
        ctx = ctx_for(s, world, user)
        p = person_records.create_person(ctx, PersonCreate(given_names="Ana", organisation_id=world.orgs[org]))
        return case_records.create_case(ctx, CaseCreate(case_type=case_type, person_id=p.id,
                                                        organisation_id=world.orgs[org])).id


def test_case_keeps_the_version_it_was_opened_under(rt, world) -> None:
    case_id = _open(rt, world, "gtm_protection", "gtm_child")
    now = dt.datetime.now(dt.UTC)
    with rt.sessions() as s:
        protocol, states = steps.case_checklist(ctx_for(s, world, "gtm_protection"), case_id, now)
        assert protocol is not None and protocol.key == "unaccompanied_child@3" and protocol.country == "GTM"
        assert "pgn_hearing" in [st.step.id for st in states]
        # a case opened before version 2 existed keeps following version 1
        s.execute(text("UPDATE case_file SET protocol_version = 'unaccompanied_child@1' WHERE id = :i"),
                  {"i": case_id})
        s.commit()
        protocol, states = steps.case_checklist(ctx_for(s, world, "gtm_protection"), case_id, now)
        assert protocol is not None and protocol.version == 1
        assert [st.step.id for st in states] == ["identify", "notify_child_protection"]


def test_complete_step_through_the_policy_and_audited(rt, world) -> None:
    case_id = _open(rt, world, "gtm_officer", "gtm_consulate_mex")
    now = dt.datetime.now(dt.UTC)
    with rt.sessions() as s:
        with pytest.raises(Invalid, match="agency"):
            steps.complete_step(ctx_for(s, world, "gtm_officer"), case_id, "notify_child_protection", {}, now)
        steps.complete_step(ctx_for(s, world, "gtm_officer"), case_id, "notify_child_protection",
                            {"agency": "PGN"}, now)
        with pytest.raises(Conflict):
            steps.complete_step(ctx_for(s, world, "gtm_officer"), case_id, "notify_child_protection",
                                {"agency": "PGN"}, now)
        # the step names roles: a consular officer may not assess the best interests
        with pytest.raises(Exception) as exc:
            steps.complete_step(ctx_for(s, world, "gtm_officer"), case_id, "best_interests",
                                {"assessment_by": "x"}, now)
        assert getattr(exc.value, "status", None) == 403
        # another organisation does not even see the case
        with pytest.raises(NotFound):
            steps.complete_step(ctx_for(s, world, "hnd_head"), case_id, "identify", {"age_basis": "x"}, now)
        steps.complete_step(ctx_for(s, world, "gtm_head"), case_id, "best_interests",
                            {"assessment_by": "equipo"}, now)
        log = s.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.outcome, AuditEntry.fields)
                        .where(AuditEntry.action == "case.step").order_by(AuditEntry.id)).all()
    assert [(a, o) for a, _, o, _ in log] == [("gtm_officer", "granted"), ("gtm_officer", "denied"),
                                             ("hnd_head", "denied"), ("gtm_head", "granted")]
    assert "PGN" not in "".join(f for *_, f in log)  # the audit names fields, never values


def test_overdue_with_injected_clock(rt, world) -> None:
    case_id = _open(rt, world, "gtm_officer", "gtm_consulate_mex")
    with rt.sessions() as s:
        opened = case_records.get_case(ctx_for(s, world, "gtm_officer"), case_id).opened_at
        early = opened + dt.timedelta(hours=11)
        late = opened + dt.timedelta(hours=13)  # MEX variant: identify due at 12 h
        assert steps.my_overdue_steps(ctx_for(s, world, "gtm_officer"), early) == []
        over = steps.my_overdue_steps(ctx_for(s, world, "gtm_officer"), late)
        assert [o.step.step.id for o in over] == ["identify"] and over[0].case_id == case_id
        _, states = steps.case_checklist(ctx_for(s, world, "gtm_officer"), case_id, late)
        assert [st.overdue for st in states][:2] == [True, False]
        # a later step counts from the completion of the one before it
        steps.complete_step(ctx_for(s, world, "gtm_officer"), case_id, "identify", {"age_basis": "doc"}, late)
        assert steps.my_overdue_steps(ctx_for(s, world, "gtm_officer"), late) == []
        assert steps.my_overdue_steps(ctx_for(s, world, "gtm_officer"), opened + dt.timedelta(hours=25))
        # the colleague it is not assigned to has no overdue steps
        assert steps.my_overdue_steps(ctx_for(s, world, "gtm_officer2"), late + dt.timedelta(days=30)) == []


def test_migration_0005_down_and_up(backend, pg, tmp_path) -> None:
    from alembic import command

    url = _empty_db(backend, pg, tmp_path, "proto")
    upgrade(url, "head")
    command.downgrade(alembic_config(url), "0004_audit_anchor")
    engine = make_engine(url)
    with engine.connect() as c:
        cols = [r[1] for r in c.execute(text("PRAGMA table_info(case_file)"))] if backend == "sqlite" else \
            [r[0] for r in c.execute(text("SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = 'case_file'"))]
    engine.dispose()
    assert "protocol_version" not in cols
    upgrade(url, "head")
