"""Optimistic locking: a stale edit gets 409 with what changed; parallel writers lose nothing."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from observatorio.cases import audit, case_records, case_writes
from observatorio.cases.errors import Conflict
from observatorio.cases.models import Case, CaseRevision
from observatorio.cases.schemas import CaseUpdate

from .conftest import ctx_for, login


def test_second_editor_gets_409_with_changes(client, seeded) -> None:
    case = seeded.cases["gtm_mex_own"]
    a = login(client, "gtm_head")  # head of consulate: may edit any case of the consulate
    b = login(client, "gtm_officer")  # the assigned officer
    first = client.patch(f"/api/v1/cases/{case}", json={"version": 1, "summary": "versión de A",
                                                         "risk_level": "high"}, headers=a)
    assert first.status_code == 200 and first.json()["version"] == 2
    second = client.patch(f"/api/v1/cases/{case}", json={"version": 1, "summary": "versión de B"}, headers=b)
    assert second.status_code == 409
    detail = second.json()["detail"]
    assert detail["es"] and detail["en"]
    assert detail["your_version"] == 1 and detail["current_version"] == 2
    changed = detail["changes_since"][0]["changes"]
    assert changed["summary"] == ["caso gtm_mex_own", "versión de A"]
    assert changed["risk_level"] == ["medium", "high"]
    assert detail["current"]["summary"] == "versión de A"
    # resending on the current version succeeds: nothing was lost
    third = client.patch(f"/api/v1/cases/{case}", json={"version": 2, "summary": "versión de B"}, headers=b)
    assert third.status_code == 200 and third.json()["version"] == 3


def test_conflict_masks_sensitive_changes_for_roles_without_them(client, seeded) -> None:
    case = seeded.cases["gtm_mex_own"]
    head = login(client, "gtm_head")
    client.patch(f"/api/v1/cases/{case}", json={"version": 1, "trafficking_details": "secreto"}, headers=head)
    officer = login(client, "gtm_officer")
    r = client.patch(f"/api/v1/cases/{case}", json={"version": 1, "summary": "x"}, headers=officer)
    assert r.status_code == 409
    assert "secreto" not in r.text


def test_stale_transition_is_a_conflict(client, seeded) -> None:
    case = seeded.cases["gtm_mex"]
    h = login(client, "gtm_head")
    assert client.post(f"/api/v1/cases/{case}/transition", json={"version": 1, "to": "assessment"},
                       headers=h).status_code == 200
    r = client.post(f"/api/v1/cases/{case}/transition", json={"version": 1, "to": "closed"}, headers=h)
    assert r.status_code == 409
    assert r.json()["detail"]["changes_since"][0]["changes"]["status"] == ["open", "assessment"]


def test_parallel_writers_no_lost_update(rt, seeded) -> None:
    """Eight officers append to the same case at once, retrying on 409; every append survives."""
    case_id = seeded.cases["gtm_mex"]
    writers, per_writer = 8, 5
    errors: list[BaseException] = []
    conflicts = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                while True:
                    with rt.sessions() as s:
                        ctx = ctx_for(s, seeded.world, "gtm_head", ip=f"10.0.0.{n}")
                        current = case_records.get_case(ctx, case_id)
                        try:
                            case_writes.update_case(ctx, case_id, CaseUpdate(
                                version=current.version, summary=f"{current.summary}|w{n}.{i}"))
                            break
                        except Conflict:
                            with lock:
                                conflicts[0] += 1
        except BaseException as exc:  # surfaced below; a thread cannot fail the test directly
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with rt.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        parts = (case.summary or "").split("|")[1:]
        assert sorted(parts) == sorted(f"w{n}.{i}" for n in range(writers) for i in range(per_writer))
        assert case.version == 1 + writers * per_writer
        revs = s.scalar(select(func.count()).select_from(CaseRevision).where(CaseRevision.case_id == case_id))
        assert revs == 1 + writers * per_writer
        assert audit.verify(s).ok  # the chain stays linear under concurrent appends
