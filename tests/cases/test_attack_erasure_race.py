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

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, select, update
from sqlalchemy.orm import Session

from observatorio.cases import case_work, case_writes, person_rights
from observatorio.cases.errors import Conflict
from observatorio.cases.models import Case, CaseNote, CaseService, CaseTask, utcnow
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseUpdate, NoteIn, ServiceIn, TaskIn
from observatorio.i18n import t

from .conftest import World, ctx_for, seed
from .lock_race import LOCK_WAIT_LIMIT_S, in_thread, until_waiting


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
            worker, outcome = in_thread(act)
            until_waiting(rt, worker)
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
        worker, erasure["outcome"] = in_thread(erase)
        until_waiting(rt, worker)
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


@pytest.mark.postgres
def test_an_answer_takes_the_case_before_its_referral(pg_rt: Runtime, pg_world: World) -> None:
    """An erasure updates the case, then its referrals; an answer accepting a transfer locked
    the referral, then the case: the two could deadlock. The answer now waits on the case first,
    holding no referral lock while it waits."""
    from observatorio.cases import referrals
    from observatorio.cases.referral_models import Referral
    from observatorio.cases.referral_schemas import ReferralAnswer

    from .test_referrals import _child_case, _consent, _refer

    rt, world = pg_rt, pg_world
    case_id = _child_case(rt, world)
    ref = _refer(rt, world, case_id, consent_id=_consent(rt, world, case_id), transfer=True)

    def answer() -> object:
        with rt.sessions() as s:
            return referrals.answer_referral(ctx_for(s, world, "gtm_protection"), ref.id,
                                             ReferralAnswer(accept=True))

    engine = create_engine(rt.url)
    try:
        with engine.connect() as erasure:  # an erasure's first statement: the case row
            erasure.execute(update(Case).where(Case.id == case_id).values(version=Case.version))
            worker, outcome = in_thread(answer)
            until_waiting(rt, worker)
            assert worker.is_alive()  # accepting a transfer writes the case: it waits
            with engine.connect() as other:  # the referral is still free: the answer holds nothing
                free = other.execute(select(Referral.id).where(Referral.id == ref.id)
                                     .with_for_update(nowait=True)).scalar()
                other.rollback()
            assert free == ref.id
            erasure.commit()
            worker.join(LOCK_WAIT_LIMIT_S)
    finally:
        engine.dispose()
    assert not isinstance(outcome["value"], Exception), outcome["value"]
