"""Round trips and the audit append under concurrency.

The write path is budgeted in statements (a regression that adds a query fails here, on both
databases), and the one-statement audit append — which trusts this process's memory of each
chain's tip only as far as the database confirms it — keeps every chain linear when several
processes (here: several engines, each with its own memory) append to the same chains.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from observatorio.cases import audit, case_records, case_writes, db
from observatorio.cases.audit import AccessEvent, Actor, _chains_for
from observatorio.cases.errors import NotFound
from observatorio.cases.models import AuditEntry, AuditHead
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseUpdate

from .conftest import TEST_CONFIG, TEST_SETTINGS, ctx_for


@contextmanager
def statements(rt: Runtime) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (BEGIN and COMMIT are not statements here)."""
    seen: list[str] = []

    def count(_conn, _cur, stmt, *_):  # type: ignore[no-untyped-def]
        if not stmt.startswith(("BEGIN", "PRAGMA")):
            seen.append(" ".join(stmt.split()[:3]))

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)


def _warm(rt: Runtime, seeded, user: str, case_key: str, n: int = 3) -> int:
    """A few edits first, so the chain tips and statement caches are warm; returns the version."""
    with rt.sessions() as s:
        ctx = ctx_for(s, seeded.world, user)
        v = case_records.get_case(ctx, seeded.cases[case_key]).version
        for i in range(n):
            v = case_writes.update_case(ctx, seeded.cases[case_key], CaseUpdate(version=v, summary=f"w{i}")).version
    return v


def test_update_statement_budget(rt, seeded) -> None:
    """Edit a case: load it, write row and revision, append the audit entry (then commit).
    PostgreSQL: three statements; SQLite (no DML in WITH): the update, the revision, and a
    locked read, insert and tip update for the audit."""
    v = _warm(rt, seeded, "gtm_head", "gtm_mex")
    with rt.sessions() as s:
        ctx = ctx_for(s, seeded.world, "gtm_head")
        with statements(rt) as seen:
            case_writes.update_case(ctx, seeded.cases["gtm_mex"], CaseUpdate(version=v, summary="x"))
    expected = 3 if rt.engine.dialect.name == "postgresql" else 6
    assert len(seen) == expected, seen


def test_denial_is_cheap(rt, seeded) -> None:
    """A refused read: the lookup, then the denied entry (one statement on PostgreSQL)."""
    _warm(rt, seeded, "hnd_head", "hnd_mex")
    with rt.sessions() as s:
        ctx = ctx_for(s, seeded.world, "gtm_officer")
        with statements(rt) as seen, pytest.raises(NotFound):
            case_records.get_case(ctx, seeded.cases["hnd_mex"])
    # a cold chain (first use by this process) costs one locked read more
    assert len(seen) <= (3 if rt.engine.dialect.name == "postgresql" else 4), seen


def _events(n: int, tag: str) -> list[AccessEvent]:
    return [AccessEvent("case.read", "case", f"{tag}{i}", ("summary",), 1) for i in range(n)]


def test_stale_tip_from_another_process_is_caught(rt, world) -> None:
    """Process A caches chain 5's tip; process B appends to chain 5; A's next one-statement
    append finds the tip moved, appends nothing, locks, re-reads and links correctly."""
    other = Runtime.from_url(rt.url, TEST_SETTINGS, TEST_CONFIG)  # its own engine: another "process"
    try:
        for r in (rt, other):
            with r.sessions() as s:
                chains = _chains_for(s, r.engine)
            chains.free = [5]
        actor = Actor(1, "a", "10.0.0.1")
        with rt.sessions() as s:
            audit.append(s, actor, _events(1, "a"))
            s.commit()
        assert _chains_for(s, rt.engine).tips[5][0] == 1
        with other.sessions() as s:
            audit.append(s, actor, _events(2, "b"))
            s.commit()
        with rt.sessions() as s:
            with statements(rt) as seen:
                audit.append(s, actor, _events(1, "c"))
            s.commit()
            if rt.engine.dialect.name == "postgresql":  # the conditional append, then lock and retry
                assert [x.split()[0] for x in seen] == ["WITH", "SELECT", "WITH"]
            v = audit.verify(s)
            assert v.ok and v.checked == 4
            assert s.scalar(select(AuditHead.seq).where(AuditHead.id == 5)) == 4
        assert _chains_for(s, rt.engine).tips[5][0] == 4
    finally:
        other.close()


def test_rollback_forgets_the_tip_and_frees_the_chain(rt, world) -> None:
    with rt.sessions() as s:
        chains = _chains_for(s, rt.engine)
        chains.free = [3]
        chains.tips.pop(3, None)
        audit.append(s, Actor(1, "a", None), _events(1, "x"))
        assert chains.free == []  # held by this transaction
        s.rollback()
    assert chains.free == [3] and 3 not in chains.tips
    with rt.sessions() as s:
        audit.append(s, Actor(1, "a", None), _events(1, "y"))
        s.commit()
        assert chains.tips[3] == (1, s.scalar(select(AuditHead.hash).where(AuditHead.id == 3)))
        assert audit.verify(s).ok
    # a session closed without commit releases the chain too
    s2 = rt.sessions()
    audit.append(s2, Actor(1, "a", None), _events(1, "z"))
    s2.close()
    assert chains.free == [3] and 3 not in chains.tips


def test_plain_sessions_still_append_correctly(rt, world) -> None:
    """A session not made by the runtime (no end-of-transaction hook) locks and reads the tip."""
    with Session(rt.engine) as s:
        audit.append(s, Actor(1, "a", None), _events(2, "p"))
        s.commit()
        assert audit.verify(s).ok


def test_many_processes_many_threads_keep_chains_linear(rt, world) -> None:
    """Three engines (three processes' worth of chain memory) × 8 threads × 15 appends of 1–3
    entries, more threads than chains per engine: every chain verifies and nothing is lost."""
    runtimes = [rt] + [Runtime.from_url(rt.url, TEST_SETTINGS, TEST_CONFIG) for _ in range(2)]
    errors: list[BaseException] = []
    per_thread, threads_per = 15, 8
    barrier = threading.Barrier(len(runtimes) * threads_per)

    def work(r: Runtime, n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with r.sessions() as s:
                    audit.append(s, Actor(n, f"t{n}", None), _events(1 + (n + i) % 3, f"{n}.{i}."))
                    s.commit()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    try:
        ts = [threading.Thread(target=work, args=(r, k * threads_per + j))
              for k, r in enumerate(runtimes) for j in range(threads_per)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=120)
        assert not errors, errors
        expected = sum(1 + (n + i) % 3 for n in range(len(runtimes) * threads_per) for i in range(per_thread))
        with rt.sessions() as s:
            assert s.scalar(select(func.count()).select_from(AuditEntry)) == expected
            v = audit.verify(s)
            assert v.ok, (v.reason_en, v.broken_at)
            assert sum(seq for _, seq, _ in v.heads) == expected
    finally:
        for r in runtimes[1:]:
            r.close()


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_idle_connections_are_tested_before_use(rt, monkeypatch) -> None:
    """A pooled connection the server dropped while it sat idle is replaced, not handed out
    (PostgreSQL only: SQLite has no server to drop it)."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with rt.engine.connect() as c:
        pid = c.scalar(text("SELECT pg_backend_pid()"))
        c.rollback()
    admin = db.make_engine(rt.url)
    with admin.connect() as c:
        assert c.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    admin.dispose()
    with rt.engine.connect() as c:  # the same pooled connection is pinged, found dead, replaced
        assert c.scalar(text("SELECT pg_backend_pid()")) != pid
