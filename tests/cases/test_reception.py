"""Returnee reception (issue #15 item 1): arrivals, manifest import, intake with screening."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from observatorio.cases.errors import Conflict, Forbidden, Invalid, NotFound
from observatorio.cases.models import AuditEntry, Case, CaseService, CaseTask, Person
from observatorio.cases.reception import arrivals, intake
from observatorio.cases.reception.models import Intake, ManifestEntry
from observatorio.cases.reception.schemas import ArrivalIn, IntakeIn
from observatorio.cases.reception.screening import flags, required_referrals
from observatorio.cases.runtime import Runtime
from observatorio.cases.vocab import Sex

from .conftest import World, ctx_for
from .reception_files import csv_bytes, people, with_bad_rows, xlsx_bytes

TODAY = dt.date(2025, 8, 14)


def _arrival(rt: Runtime, world: World, count: int = 40) -> int:
    with rt.sessions() as s:
        return arrivals.create_arrival(ctx_for(s, world, "hnd_reception"), ArrivalIn(
            mode="flight", arrival_date=TODAY, arriving_from="USA", expected_count=count)).id


def _entries(rt: Runtime, arrival_id: int) -> int:
    with rt.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(ManifestEntry)
                            .where(ManifestEntry.arrival_id == arrival_id)) or 0)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_manifest_with_bad_rows_reports_each_by_row_and_column_and_imports_nothing(
        rt: Runtime, world: World, kind: str) -> None:
    arrival_id = _arrival(rt, world)
    rows = people(40)
    content = (csv_bytes if kind == "csv" else xlsx_bytes)(with_bad_rows(rows))
    with rt.sessions() as s, pytest.raises(Invalid) as err:
        arrivals.import_manifest(ctx_for(s, world, "hnd_reception"), arrival_id, f"m.{kind}", content, TODAY)
    problems = [(p["row"], p["column"]) for p in err.value.extra["errors"]]
    assert problems == [(6, "sex"), (13, "date_of_birth"), (31, "given_names")]
    assert "fila 6, columna sex" in err.value.es and "row 31, column given_names" in err.value.en
    assert _entries(rt, arrival_id) == 0, "nothing half-written"
    with rt.sessions() as s:
        n = arrivals.import_manifest(ctx_for(s, world, "hnd_reception"), arrival_id, f"m.{kind}",
                                     (csv_bytes if kind == "csv" else xlsx_bytes)(rows), TODAY)
    assert n == 40 and _entries(rt, arrival_id) == 40


def test_manifest_is_imported_once_and_its_reading_is_audited(rt: Runtime, world: World) -> None:
    arrival_id = _arrival(rt, world)
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        arrivals.import_manifest(ctx, arrival_id, "m.csv", csv_bytes(people(5)), TODAY)
        with pytest.raises(Conflict):
            arrivals.import_manifest(ctx, arrival_id, "m.csv", csv_bytes(people(5)), TODAY)
        detail = arrivals.get_arrival(ctx, arrival_id)
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.record_type == "arrival")).all()
    assert detail.arrival.on_manifest == 5 and len(detail.manifest) == 5
    assert {"reception.arrival", "reception.manifest.import", "reception.manifest.read"} <= set(actions)


def test_a_blank_sex_is_imported_as_not_known(rt: Runtime, world: World) -> None:
    # a transport list often leaves the sex blank; refusing the whole file left the centre with
    # no manifest, while the intake form itself offers "no data"
    arrival_id = _arrival(rt, world)
    rows = people(3)
    rows[1][3], rows[2][3] = "", "Sin dato"
    with rt.sessions() as s:
        assert arrivals.import_manifest(ctx_for(s, world, "hnd_reception"), arrival_id, "m.csv",
                                        csv_bytes(rows), TODAY) == 3
        sexes = s.scalars(select(ManifestEntry.sex).where(ManifestEntry.arrival_id == arrival_id)
                          .order_by(ManifestEntry.row_number)).all()
    assert sexes[1:] == [Sex.UNKNOWN.value, Sex.UNKNOWN.value]


def test_missing_columns_and_wrong_format_are_clear_errors(rt: Runtime, world: World) -> None:
    arrival_id = _arrival(rt, world)
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        with pytest.raises(Invalid, match="missing columns"):
            arrivals.import_manifest(ctx, arrival_id, "m.csv", b"name,sex\nAna,F\n", TODAY)
        with pytest.raises(Invalid, match=r"\.csv or \.xlsx"):
            arrivals.import_manifest(ctx, arrival_id, "m.pdf", b"%PDF", TODAY)
        with pytest.raises(Invalid, match="could not be read"):
            arrivals.import_manifest(ctx, arrival_id, "m.xlsx", b"not a workbook", TODAY)


def test_other_centres_and_roles_cannot_touch_an_arrival(rt: Runtime, world: World) -> None:
    arrival_id = _arrival(rt, world)
    with rt.sessions() as s:
        with pytest.raises(NotFound):
            arrivals.get_arrival(ctx_for(s, world, "gtm_officer"), arrival_id)
        with pytest.raises(NotFound):
            arrivals.import_manifest(ctx_for(s, world, "hnd_officer"), arrival_id, "m.csv", b"", TODAY)
        # the national supervisor reads the arrival (country scope) but may not import into it
        assert arrivals.get_arrival(ctx_for(s, world, "hnd_supervisor"), arrival_id).arrival.id == arrival_id
        with pytest.raises(Forbidden):
            arrivals.import_manifest(ctx_for(s, world, "hnd_supervisor"), arrival_id, "m.csv", b"", TODAY)
        with pytest.raises(Forbidden):
            arrivals.create_arrival(ctx_for(s, world, "gtm_officer"), ArrivalIn(
                mode="bus", arrival_date=TODAY, arriving_from="MEX", expected_count=3))
        denied = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied"))
        assert arrivals.list_arrivals(ctx_for(s, world, "gtm_officer")) == []
        listed = s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.outcome == "denied", AuditEntry.action == "reception.list"))
    assert denied == 4 and listed == 1


def _received(rt: Runtime, world: World, n: int = 3, children: int = 0) -> tuple[int, list[int]]:
    arrival_id = _arrival(rt, world, n)
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        arrivals.import_manifest(ctx, arrival_id, "m.csv", csv_bytes(people(n, children=children)), TODAY)
        entries = [e.id for e in arrivals.get_arrival(ctx, arrival_id).manifest]
    return arrival_id, entries


def test_intake_of_an_unaccompanied_child_requires_the_protocol_referral(rt: Runtime, world: World) -> None:
    arrival_id, entries = _received(rt, world, 2, children=1)
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        out = intake.record_intake(ctx, arrival_id, IntakeIn(
            manifest_entry_id=entries[0], department="HN-CR", municipality_text="San Pedro Sula",
            accompaniment="UNACCOMPANIED", vulnerabilities=["unaccompanied_child"],
            services=["food", "phone_call"]), TODAY)
        assert out.identity_check == "matched"
        [need] = out.required_referrals
        assert (need.organisation_kind, need.protocol, need.step_id) == (
            "child_protection_agency", "unaccompanied_child@3", "notify_child_protection")
        task = s.get(CaseTask, need.task_id)
        case = s.get(Case, out.case_id)
        assert task is not None and task.case_id == out.case_id and not task.done
        # the child's own case type and protocol (capped, closure rule), not an adult returnee's
        assert case is not None and case.case_type == "unaccompanied_child" and case.risk_level == "high"
        assert (case.protocol_version, case.officer_id) == ("unaccompanied_child@3", world.users["hnd_reception"])
        services = s.scalars(select(CaseService.service_type).where(CaseService.case_id == out.case_id)).all()
        assert sorted(services) == ["food", "phone_call"]
        adult = intake.record_intake(ctx, arrival_id, IntakeIn(
            manifest_entry_id=entries[1], family_names="Otra", accompaniment="SINGLE_ADULT"), TODAY)
    assert adult.identity_check == "corrected" and adult.required_referrals == []


def test_a_sensitive_need_is_not_named_in_the_referral_task(rt: Runtime, world: World) -> None:
    """Roles without the trafficking group read the case's tasks: the task names only the kind
    of organisation (regression: the first version wrote "Posible víctima de trata" there)."""
    arrival_id, entries = _received(rt, world, 1)
    with rt.sessions() as s:
        out = intake.record_intake(ctx_for(s, world, "hnd_reception"), arrival_id, IntakeIn(
            manifest_entry_id=entries[0], vulnerabilities=["trafficking_victim"]), TODAY)
        [need] = out.required_referrals
        task = s.get(CaseTask, need.task_id)
    assert task is not None and "international_organisation" in task.title
    assert "trata" not in task.title and "trafficking" not in task.title.lower()


def test_a_failed_intake_writes_nothing(rt: Runtime, world: World) -> None:
    arrival_id, entries = _received(rt, world, 2)
    bad = [IntakeIn(manifest_entry_id=entries[0], department="GT-01"),  # not a Honduran department
           IntakeIn(manifest_entry_id=entries[0], municipality_code="0801"),  # no list loaded
           IntakeIn(manifest_entry_id=entries[0], vulnerabilities=["unaccompanied_child"]),  # accompaniment?
           IntakeIn(manifest_entry_id=entries[0], services=["money"]),
           IntakeIn(manifest_entry_id=entries[0], accompaniment="UNACCOMPANIED",  # an adult on the manifest
                    vulnerabilities=["unaccompanied_child"]),
           IntakeIn(given_names=None)]
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        for data in bad:
            with pytest.raises(Invalid):
                intake.record_intake(ctx, arrival_id, data, TODAY)
        s.rollback()
        counts = [s.scalar(select(func.count()).select_from(t)) for t in (Intake, Person, Case)]
    assert counts == [0, 0, 0]


def test_a_manifest_row_is_received_once_and_anyone_missing_from_it_too(rt: Runtime, world: World) -> None:
    arrival_id, entries = _received(rt, world, 1)
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        intake.record_intake(ctx, arrival_id, IntakeIn(manifest_entry_id=entries[0]), TODAY)
        with pytest.raises(Conflict):
            intake.record_intake(ctx, arrival_id, IntakeIn(manifest_entry_id=entries[0]), TODAY)
        s.rollback()
        extra = intake.record_intake(ctx, arrival_id, IntakeIn(given_names="Persona", sex=Sex.FEMALE), TODAY)
    assert extra.identity_check == "not_on_manifest"


def test_screening_flags_come_from_data_and_each_protocol_referral_is_required() -> None:
    assert "unaccompanied_child" in flags() and "criminal_record" in flags()
    assert required_referrals(["criminal_record", "health"], "HND") == []
    kinds = [r.organisation_kind for r in required_referrals(["unaccompanied_child", "trafficking_victim"], "GTM")]
    assert kinds == ["child_protection_agency", "international_organisation"]


def test_a_row_received_concurrently_is_a_conflict_not_a_server_error(rt: Runtime, world: World,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Two officers on the same row: the second passes the check before the first commits; the
    unique constraint then answers, as a 409 with nothing written (regression: IntegrityError)."""
    arrival_id, entries = _received(rt, world, 1)
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        intake.record_intake(ctx, arrival_id, IntakeIn(manifest_entry_id=entries[0]), TODAY)
        people_before = s.scalar(select(func.count()).select_from(Person))
        monkeypatch.setattr(intake, "_open_entry", lambda ctx, arrival, entry_id: s.get(ManifestEntry, entry_id))
        with pytest.raises(Conflict):
            intake.record_intake(ctx, arrival_id, IntakeIn(manifest_entry_id=entries[0]), TODAY)
        assert s.scalar(select(func.count()).select_from(Person)) == people_before
