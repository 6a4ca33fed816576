"""Adversarial review: work added to a case while the case is being erased must not land on the
erased case (PostgreSQL, two real sessions).

Erasure blanks the free text of a case and of its notes, tasks and services in one transaction.
A note added meanwhile read the case as not erased (the erasure was not committed yet) and
inserted its row, which only takes a key-share lock on the case that the erasure's update does
not conflict with: either the note committed after the erasure and stayed, its body readable on
an erased case, or it was inserted before the erasure's update of the notes and missed by it.
The write now locks the case row first (``use_context.load_case_for_work``), so the two are
exclusive: a write waits for an erasure in flight and is then refused as on any erased case; an
erasure waits for a write in flight and then erases what it wrote. (SQLite takes its writer
lock at a transaction's first statement, so there one of the two simply waits for the other.)

Each test holds one side's transaction open until PostgreSQL shows the other side waiting on a
lock, then commits it (no timing).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, select, text, update
from sqlalchemy.orm import Session

from observatorio.cases import case_work, case_writes, person_rights
from observatorio.cases.errors import Conflict
from observatorio.cases.models import Case, CaseNote, CaseService, CaseTask, utcnow
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseUpdate, NoteIn, ServiceIn, TaskIn
from observatorio.i18n import t

from . import pgserver
from .conftest import TEST_CONFIG, TEST_SETTINGS, World, build_world, ctx_for, fresh_url, seed

LOCK_WAIT_LIMIT_S = 60  # how long a thread may take to reach its lock (a hang, not a timing check)
WAITING = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
               "AND datname = current_database()")


@pytest.fixture
def pg_rt(pg: pgserver.PgServer | None, templates: dict[str, str], tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime.from_url(fresh_url("postgresql", pg, templates, tmp_path), TEST_SETTINGS, TEST_CONFIG)
    yield runtime
    runtime.close()


@pytest.fixture
def pg_world(pg_rt: Runtime) -> World:
    return build_world(pg_rt)


def _in_thread(act: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = act()
        except Exception as exc:  # noqa: BLE001 - the outcome under test, whatever it is
            outcome["value"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    return worker, outcome


def _until_waiting(rt: Runtime, worker: threading.Thread) -> None:
    """Return once PostgreSQL shows a session waiting on a lock, or the worker has finished.

    The watcher runs each poll in its own transaction (autocommit): within one transaction
    PostgreSQL shows the same snapshot of pg_stat_activity, so a wait that began after the first
    poll would never be seen."""
    engine = create_engine(rt.url, isolation_level="AUTOCOMMIT")
    try:
        deadline = time.monotonic() + LOCK_WAIT_LIMIT_S
        with engine.connect() as watcher:
            while not watcher.execute(WAITING).scalar() and worker.is_alive():
                assert time.monotonic() < deadline, "the other side never reached the lock"
                time.sleep(0.05)
    finally:
        engine.dispose()


def _while_erasure_is_open(rt: Runtime, case_id: int, act: Callable[[], Any]) -> Any:
    """Erase the case (its row and its notes, as retention.erase_cases does first) in a
    transaction held open until ``act``, run in a thread, waits on a lock; then commit it and
    return what ``act`` returned or raised."""
    engine = create_engine(rt.url)
    try:
        with engine.connect() as erasure:
            erasure.execute(update(Case).where(Case.id == case_id)
                            .values(summary=None, erased_at=utcnow(), version=Case.version + 1))
            erasure.execute(update(CaseNote).where(CaseNote.case_id == case_id).values(body=None))
            worker, outcome = _in_thread(act)
            _until_waiting(rt, worker)
            erasure.commit()
            worker.join(LOCK_WAIT_LIMIT_S)
    finally:
        engine.dispose()
    return outcome["value"]


def _case(rt: Runtime, world: World) -> int:
    return seed(rt, world).cases["gtm_mex_own"]  # gtm_officer's own case, which gtm_head may erase


WRITES: dict[str, Callable[[Any, int], object]] = {
    "note": lambda ctx, case_id: case_work.add_note(ctx, case_id, NoteIn(body="llamó la madre de la niña")),
    "task": lambda ctx, case_id: case_work.add_task(ctx, case_id, TaskIn(title="visitar a la niña en el albergue")),
    "service": lambda ctx, case_id: case_work.add_service(ctx, case_id, ServiceIn(
        service_type="legal", description="abogada para la niña")),
}


@pytest.mark.postgres
@pytest.mark.parametrize("kind", sorted(WRITES))
def test_work_added_as_the_case_is_erased_is_refused(pg_rt: Runtime, pg_world: World, kind: str) -> None:
    rt, world = pg_rt, pg_world
    case_id = _case(rt, world)

    def write() -> object:
        with rt.sessions() as s:
            return WRITES[kind](ctx_for(s, world, "gtm_officer"), case_id)

    written = _while_erasure_is_open(rt, case_id, write)
    assert isinstance(written, Conflict), written  # the case it waited for is erased
    assert written.es == t("refusal.case.erased_case", "es", record_id=case_id)
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(CaseNote).where(CaseNote.case_id == case_id)) == 0
        assert s.scalar(select(func.count()).select_from(CaseTask).where(CaseTask.case_id == case_id)) == 0
        assert s.scalar(select(func.count()).select_from(CaseService).where(CaseService.case_id == case_id)) == 0


@pytest.mark.postgres
def test_an_erasure_during_a_note_erases_the_note(pg_rt: Runtime, pg_world: World) -> None:
    """The other order: the note is written first and held open at its commit while the erasure
    starts; the erasure waits for it, then blanks it with the rest of the case."""
    rt, world = pg_rt, pg_world
    case_id = _case(rt, world)
    with rt.sessions() as s:
        person_id = s.get(Case, case_id).person_id
    erasure: dict[str, Any] = {}

    def erase() -> object:
        with rt.sessions() as s:
            return person_rights.erase_person(ctx_for(s, world, "gtm_head"), person_id)

    def hold_commit(session: Session) -> None:  # the note is flushed; erase now, then commit it
        worker, erasure["outcome"] = _in_thread(erase)
        _until_waiting(rt, worker)
        erasure["worker"] = worker

    with rt.sessions() as s:
        event.listen(s, "before_commit", hold_commit, once=True)
        case_work.add_note(ctx_for(s, world, "gtm_officer"), case_id, NoteIn(body="la niña contó dónde vive"))
    erasure["worker"].join(LOCK_WAIT_LIMIT_S)
    erased = erasure["outcome"]["value"]
    assert not isinstance(erased, Exception), erased
    assert erased.cases == 1
    with rt.sessions() as s:
        assert s.get(Case, case_id).erased_at is not None
        assert s.scalars(select(CaseNote.body).where(CaseNote.case_id == case_id)).all() == [None]


@pytest.mark.postgres
def test_an_edit_as_the_case_is_erased_is_a_conflict(pg_rt: Runtime, pg_world: World) -> None:
    """An edit of the case's fields is a versioned write: it waits on the erasure's row lock and
    then finds the version the erasure raised (409), writing nothing."""
    rt, world = pg_rt, pg_world
    case_id = _case(rt, world)
    with rt.sessions() as s:
        version = s.get(Case, case_id).version

    def edit() -> object:
        with rt.sessions() as s:
            return case_writes.update_case(ctx_for(s, world, "gtm_officer"), case_id,
                                           CaseUpdate(version=version, summary="la niña está en el albergue"))

    edited = _while_erasure_is_open(rt, case_id, edit)
    assert isinstance(edited, Conflict), edited
    with rt.sessions() as s:
        assert s.get(Case, case_id).summary is None
