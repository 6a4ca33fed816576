"""A received row of an arrival's manifest shows its identity only to a reader who may read the
person (``person.read`` with the child cap): officer B of the centre sees that the child was
received, not who the child is, through the use-case, the API, the arrival page and the
already-received refusal (review finding 3). Unreceived rows stay as they were: the officers
need them to receive people. Runs on SQLite and PostgreSQL (``rt``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from observatorio.cases import person_rights
from observatorio.cases.errors import Conflict
from observatorio.cases.models import AuditEntry, Case
from observatorio.cases.reception import arrivals, intake
from observatorio.cases.reception.models import ManifestEntry
from observatorio.cases.reception.schemas import ArrivalIn, IntakeIn
from observatorio.cases.runtime import Runtime

from .conftest import World, ctx_for, login
from .reception_files import csv_bytes, people
from .test_reception_child_cap import CHILD, _second_reception_officer
from .test_web import _web_login

ARRIVED = dt.date(2025, 8, 14)
ADULT = {"accompaniment": "SINGLE_ADULT"}
IDENTITY = ("given_names", "family_names", "date_of_birth", "sex")


def _arrival(rt: Runtime, world: World, rows: list[list[str]], *intakes: dict[str, object]) -> tuple[int, list[int]]:
    """An arrival with ``rows``, the first ``len(intakes)`` received by ``hnd_reception``; the
    arrival and the person ids of those received."""
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        arrival_id = arrivals.create_arrival(ctx, ArrivalIn(mode="flight", arrival_date=ARRIVED, arriving_from="USA",
                                                            expected_count=len(rows))).id
        arrivals.import_manifest(ctx, arrival_id, "m.csv", csv_bytes(rows), ARRIVED)
        entries = [e.id for e in arrivals.get_arrival(ctx, arrival_id).manifest]
        cases = [intake.record_intake(ctx, arrival_id, IntakeIn(manifest_entry_id=e, **fields), ARRIVED).case_id
                 for e, fields in zip(entries, intakes, strict=False)]
        persons = [s.scalar(select(Case.person_id).where(Case.id == c)) for c in cases]
    return arrival_id, [p for p in persons if p is not None]


def _identity(row: object) -> tuple[object, ...]:
    return tuple(getattr(row, f) for f in IDENTITY)


def test_only_readers_of_the_person_see_a_received_childs_identity(rt: Runtime, world: World) -> None:
    _second_reception_officer(rt, world)
    rows = people(3, children=1)  # a child and an adult received, an adult still waiting
    arrival_id, _ = _arrival(rt, world, rows, CHILD, ADULT)
    with rt.sessions() as s:
        child, adult, waiting = arrivals.get_arrival(ctx_for(s, world, "hnd_reception_b"), arrival_id).manifest
    assert child.intake_id is not None and child.identity_hidden and _identity(child) == (None,) * 4
    assert child.row_number == 2  # which row (the file's, under its header) was received, for the count and the next person
    assert adult.intake_id is not None and not adult.identity_hidden and adult.given_names == rows[1][0]
    assert waiting.intake_id is None and not waiting.identity_hidden
    assert (waiting.given_names, waiting.family_names, str(waiting.date_of_birth)) == tuple(rows[2][:3])
    assert waiting.sex is not None
    for user in ("hnd_reception", "hnd_supervisor"):  # the intake officer (own), the supervisor (country)
        with rt.sessions() as s:
            shown = arrivals.get_arrival(ctx_for(s, world, user), arrival_id).manifest[0]
        assert not shown.identity_hidden and (shown.given_names, shown.family_names) == tuple(rows[0][:2])


def test_a_hidden_row_is_not_counted_as_read(rt: Runtime, world: World) -> None:
    """The arrival's read entry counts the rows shown: B's leaves the hidden child out."""
    _second_reception_officer(rt, world)
    arrival_id, _ = _arrival(rt, world, people(3, children=1), CHILD, ADULT)

    def reads(user: str) -> list[tuple[str, str | None, set[str]]]:
        with rt.sessions() as s:
            arrivals.get_arrival(ctx_for(s, world, user), arrival_id)
            found = s.execute(select(AuditEntry.record_type, AuditEntry.record_id, AuditEntry.fields).where(
                AuditEntry.actor_id == world.users[user], AuditEntry.action == "reception.manifest.read",
                AuditEntry.outcome != "denied").order_by(AuditEntry.id)).all()
        return [(t, r, set(json.loads(f) if isinstance(f, str) else f)) for t, r, f in found]

    assert reads("hnd_reception_b") == [("arrival", str(arrival_id), {*IDENTITY, "rows:2"})]
    assert reads("hnd_reception")[-1] == ("arrival", str(arrival_id), {*IDENTITY, "rows:3"})


def test_a_manifest_of_only_hidden_rows_is_no_read_of_personal_data(rt: Runtime, world: World) -> None:
    _second_reception_officer(rt, world)
    arrival_id, _ = _arrival(rt, world, people(1, children=1), CHILD)
    with rt.sessions() as s:
        [row] = arrivals.get_arrival(ctx_for(s, world, "hnd_reception_b"), arrival_id).manifest
        logged = s.scalars(select(AuditEntry.id).where(AuditEntry.actor_id == world.users["hnd_reception_b"],
                                                       AuditEntry.action == "reception.manifest.read")).all()
    assert row.identity_hidden and logged == []


@contextmanager
def _statements(rt: Runtime) -> Iterator[list[str]]:
    """The SQL statements run meanwhile, less the audit append (its count depends on the chain
    tip this process has cached, not on the manifest)."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "audit" not in statement:
            seen.append(statement)

    event.listen(rt.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(rt.engine, "before_cursor_execute", record)


def test_the_reach_of_every_received_row_is_read_in_one_statement(rt: Runtime, world: World) -> None:
    """As many statements for 8 received people (4 children) as for 2: no person or case loaded
    row by row."""
    _second_reception_officer(rt, world)
    few, _ = _arrival(rt, world, people(10, children=1), CHILD, ADULT)
    many, _ = _arrival(rt, world, people(10, seed=8, children=4), CHILD, CHILD, CHILD, CHILD, *[ADULT] * 4)
    counts = []
    for arrival_id in (few, many):
        with rt.sessions() as s, _statements(rt) as seen:
            detail = arrivals.get_arrival(ctx_for(s, world, "hnd_reception_b"), arrival_id)
        counts.append(len(seen))
        assert sum(e.identity_hidden for e in detail.manifest) == (1 if arrival_id == few else 4)
    assert counts[0] == counts[1], counts


def test_officer_b_reads_no_childs_name_through_the_api_the_page_or_the_received_refusal(
        rt: Runtime, world: World, client) -> None:
    _second_reception_officer(rt, world)
    rows = people(2, children=1)
    arrival_id, _ = _arrival(rt, world, rows, CHILD)
    name, family = rows[0][0], rows[0][1]
    b = login(client, "hnd_reception_b")
    manifest = client.get(f"/api/v1/reception/arrivals/{arrival_id}", headers=b).json()["manifest"]
    assert manifest[0]["identity_hidden"] and [manifest[0][f] for f in IDENTITY] == [None] * 4
    assert manifest[1]["given_names"] == rows[1][0]
    assert _web_login(client, "hnd_reception_b").status_code == 303
    page = client.get(f"/cases/reception/a/{arrival_id}", params={"lang": "en"})
    assert page.status_code == 200 and name not in page.text and rows[0][2] not in page.text
    assert "the identity is shown only to those who may read" in page.text and rows[1][0] in page.text
    entry = manifest[0]["id"]
    form = client.get(f"/cases/reception/a/{arrival_id}/intake", params={"entry": entry})
    assert form.status_code == 200 and name not in form.text
    with rt.sessions() as s, pytest.raises(Conflict) as refused:
        intake.record_intake(ctx_for(s, world, "hnd_reception_b"), arrival_id,
                             IntakeIn(manifest_entry_id=entry, **ADULT), ARRIVED)
    assert name not in refused.value.en + refused.value.es and family not in refused.value.en
    assert f"row {manifest[0]['row_number']}" in refused.value.en


def test_an_erased_persons_manifest_row_keeps_no_name(rt: Runtime, world: World) -> None:
    """Erasing a returnee received off a manifest blanks the manifest row's name and birth date
    (before: the arrival's page and API went on showing who the erased person was); the row,
    its sex and the other rows stay."""
    rows = people(2)
    arrival_id, persons = _arrival(rt, world, rows, ADULT)
    with rt.sessions() as s:
        before = {e.id: _identity(e) for e in arrivals.get_arrival(ctx_for(s, world, "hnd_reception"),
                                                                   arrival_id).manifest}
    with rt.sessions() as s:
        erased = person_rights.erase_person(ctx_for(s, world, "hnd_supervisor"), persons[0])
    assert erased.person_erased
    with rt.sessions() as s:
        after = {e.id: _identity(e) for e in arrivals.get_arrival(ctx_for(s, world, "hnd_supervisor"),
                                                                  arrival_id).manifest}
        stored = s.scalars(select(ManifestEntry).order_by(ManifestEntry.row_number)).all()
    received, waiting = sorted(before)
    assert stored[0].given_names == stored[0].family_names == "—" and stored[0].date_of_birth is None
    assert stored[0].sex == before[received][3]
    assert after[waiting] == before[waiting]  # a row nobody was received from is untouched
    assert all(rows[0][0] not in str(v) for v in after.values())
