"""Migration 0013_reception_child_cases: an unaccompanied child received before the intake fix
(an adult's ``returnee_reintegration`` case, uncapped, no protocol, maybe a reintegration plan)
gets a child's case on upgrade, so officer B of the centre no longer reaches the child; the
re-typing is in the case history and the audit chain, which still verifies. SQLite and PostgreSQL.

The database is built at 0012 and the intakes are made by the real intake with the case type
rule it had before the fix (every returnee a ``returnee_reintegration`` case), as the old code
wrote them."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
from pathlib import Path

import pandas as pd
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from observatorio.cases import audit, case_records, case_writes, person_records
from observatorio.cases.db import alembic_config, upgrade
from observatorio.cases.errors import Conflict, Invalid, NotFound
from observatorio.cases.models import AuditEntry, Case, CaseRevision
from observatorio.cases.publication.run import all_records, build_tables
from observatorio.cases.publication.writer import observation_frame
from observatorio.cases.reception import intake
from observatorio.cases.reintegration import plans
from observatorio.cases.reintegration.schemas import FollowUpIn, PlanIn
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseTransition
from observatorio.cases.vocab import CaseStatus, CaseType

from .conftest import (
    TEST_CONFIG,
    TEST_SETTINGS,
    World,
    _require_pg,
    build_world,
    create_pg_database,
    ctx_for,
    login,
    make_app,
)
from .reception_files import people
from .test_publication import THRESHOLD
from .test_reception_child_cap import ARRIVED, CHILD, _receive, _second_reception_officer
from .test_web import _web_login

BEFORE = "0012_referral_mandate"
ACTOR = "system:migration:0013_reception_child_cases"
_databases = itertools.count()


def _db_at_0012(backend: str, pg, tmp_path: Path) -> str:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'before.sqlite'}"
    else:
        url = create_pg_database(_require_pg(pg), f"m{os.getpid()}_child_cases_{next(_databases)}")
    upgrade(url, BEFORE)
    return url


def _received_before_the_fix(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[World, dict[str, int], str]:
    """At 0012, intakes as the old code made them: a child (unaccompanied, with a reintegration
    plan), an adult, and a 16-year-old recorded as a single adult (the old intake took it)."""
    rt = Runtime.from_url(url, TEST_SETTINGS, TEST_CONFIG)
    try:
        world = build_world(rt)
        _second_reception_officer(rt, world)
        with monkeypatch.context() as old:
            old.setattr(intake, "case_type_of", lambda _flags: CaseType.RETURNEE_REINTEGRATION)
            rows = people(3, children=2)
            child, other_child, adult = _receive(rt, world, rows, CHILD, {"accompaniment": "FAMILY_UNIT"},
                                                 {"accompaniment": "SINGLE_ADULT"})
        with rt.sessions() as s:
            # the old intake did not ask a child's accompaniment: recorded as a single adult
            s.execute(text("UPDATE reception_intake SET accompaniment = 'SINGLE_ADULT' WHERE case_id = :c"),
                      {"c": other_child})
            s.commit()
            ctx = ctx_for(s, world, "hnd_reception")
            plans.create_plan(ctx, child, PlanIn(department="HN-CR", economic_goal="taller"), ARRIVED)
        with rt.sessions() as s:  # the exposure: officer B of the centre reads the child's case
            assert case_records.get_case(ctx_for(s, world, "hnd_reception_b"), child).case_type == "returnee_reintegration"
            unclear = s.scalar(text("SELECT id FROM reception_intake WHERE case_id = :c"), {"c": other_child})
    finally:
        rt.close()
    return world, {"child": child, "other_child": other_child, "adult": adult, "unclear_intake": unclear}, rows[0][0]


def test_a_child_received_before_the_fix_gets_a_childs_case_on_upgrade(
        backend: str, pg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    url = _db_at_0012(backend, pg, tmp_path)
    world, ids, child_name = _received_before_the_fix(url, monkeypatch)
    child = ids["child"]
    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    upgrade(url, "head")

    rt = Runtime.from_url(url, TEST_SETTINGS, TEST_CONFIG)
    try:
        with rt.sessions() as s:
            case = s.get(Case, child)
            assert case is not None
            assert (case.case_type, case.protocol_version, case.version) == ("unaccompanied_child",
                                                                            "unaccompanied_child@3", 2)
            rev = s.scalars(select(CaseRevision).where(CaseRevision.case_id == child, CaseRevision.version == 2)).one()
            assert rev.user_id is None and rev.changes["case_type"] == ["returnee_reintegration", "unaccompanied_child"]
            for other in (ids["adult"], ids["other_child"]):  # not recorded as unaccompanied: left as they were
                assert s.get(Case, other).case_type == "returnee_reintegration"  # type: ignore[union-attr]
            person = case.person_id
            entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.retype")).all()
            assert [(e.actor, e.actor_id, e.record_type, e.record_id) for e in entries] == [
                (ACTOR, None, "case", str(child))]
            assert audit.verify(s).ok
        # a child the old intake recorded as a single adult is not known to be unaccompanied: named for review
        assert f"intakes [{ids['unclear_intake']}] received people under 18" in caplog.text
        with rt.sessions() as s:  # officer B: neither the case nor the person any more
            b = ctx_for(s, world, "hnd_reception_b")
            with pytest.raises(NotFound):
                case_records.get_case(b, child)
            with pytest.raises(NotFound):
                person_records.get_person(b, person)
            assert person_records.search_people(b, q=child_name).items == []
        with rt.sessions() as s:  # the intake officer: the case, the plan kept (read only), the closure rule
            a = ctx_for(s, world, "hnd_reception")
            assert case_records.get_case(a, child).case_type == "unaccompanied_child"
            assert plans.get_plan(a, child, ARRIVED).economic_goal == "taller"
            with pytest.raises(Invalid) as frozen:
                plans.record_followup(a, child, 3, FollowUpIn(answers={}), ARRIVED)
            assert frozen.value.key == "refusal.reintegration.wrong_case_type"
            s.rollback()
            with pytest.raises(Conflict) as refused:
                case_writes.transition_case(a, child, CaseTransition(version=2, to=CaseStatus.CLOSED))
            assert refused.value.extra["missing_steps"] == ["best_interests_determination"]
        with rt.sessions() as s:
            assert case_records.get_case(ctx_for(s, world, "hnd_supervisor"), child).id == child
        with TestClient(make_app(rt)) as client:  # the page and the API answer officer B 404
            assert _web_login(client, "hnd_reception_b").status_code == 303
            assert client.get(f"/cases/c/{child}").status_code == 404
            client.cookies.clear()
            assert client.get(f"/api/v1/cases/{child}", headers=login(client, "hnd_reception_b")).status_code == 404
            assert client.get(f"/api/v1/cases/{ids['adult']}",
                              headers=login(client, "hnd_reception_b")).status_code == 200
            client.cookies.clear()  # the intake officer's case page draws the child protocol's checklist
            assert _web_login(client, "hnd_reception").status_code == 303
            page = client.get(f"/cases/c/{child}")
            assert page.status_code == 200 and "best_interests_determination" in page.text
        with rt.sessions() as s:
            assert audit.verify(s).ok
    finally:
        rt.close()


def test_downgrade_keeps_the_child_protected_and_upgrading_again_retypes_nothing(
        backend: str, pg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _db_at_0012(backend, pg, tmp_path)
    _, ids, _ = _received_before_the_fix(url, monkeypatch)
    upgrade(url, "head")
    command.downgrade(alembic_config(url), BEFORE)
    upgrade(url, "head")
    rt = Runtime.from_url(url, TEST_SETTINGS, TEST_CONFIG)
    try:
        with rt.sessions() as s:
            case = s.get(Case, ids["child"])
            assert case is not None and (case.case_type, case.version) == ("unaccompanied_child", 2)
            assert len(s.scalars(select(AuditEntry).where(AuditEntry.action == "case.retype")).all()) == 1
            assert audit.verify(s).ok
    finally:
        rt.close()


def _published(url: str) -> pd.DataFrame:
    """Every table a publication run would load for this month (values before and after
    suppression), synthetic records left out as the run leaves them."""
    rt = Runtime.from_url(url, TEST_SETTINGS, TEST_CONFIG)
    try:
        with rt.sessions() as s:
            month = dt.date.today().replace(day=1)
            tables = build_tables(all_records(s, month), THRESHOLD)
    finally:
        rt.close()
    return observation_frame(tables, month, "m").drop(columns=["release", "source_file"])


def test_the_published_tables_are_the_same_after_the_upgrade(
        backend: str, pg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The re-typed child's case (now ``unaccompanied_child``) was opened at intake: it stays
    in reintegration_by_sex_age and does not enter the consular tables, so the months already
    published do not change."""
    url = _db_at_0012(backend, pg, tmp_path)
    _received_before_the_fix(url, monkeypatch)
    before = _published(url)
    upgrade(url, "head")
    after = _published(url)
    assert not before.empty and set(before["table"]) >= {"reintegration_by_sex_age.total"}
    assert not after["table"].str.startswith("consular").any()
    pd.testing.assert_frame_equal(before, after)
