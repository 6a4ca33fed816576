"""Migrations: the schema matches the models, and 0002 (audit outcome) keeps every entry written
before it verifiable, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from observatorio.cases import audit, reintegration_models  # noqa: F401  (its tables join Base.metadata)
from observatorio.cases.audit import DENIED, AccessEvent, Actor
from observatorio.cases.db import make_engine, make_sessionmaker, upgrade
from observatorio.cases.models import AuditEntry, Base

from .conftest import _require_pg, create_pg_database


def _empty_db(backend: str, pg, tmp_path: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.sqlite')}"
    return create_pg_database(_require_pg(pg), f"m{os.getpid()}_{name}")


def _old_hash(values: list[object]) -> str:
    """The hash as revision 0001's code computed it: twelve content values, no outcome."""
    data = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _orm_table(name: str | None, type_: str, _parent: object) -> bool:
    """Leaves out SQLite's full-text index of practices (migration 0006): a virtual table and
    its shadow tables, kept by triggers, with no ORM model by design."""
    return not (type_ == "table" and name is not None and name.startswith("practice_fts"))


def test_schema_matches_models(db_url) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"include_name": _orm_table}),
                                 Base.metadata)
    engine.dispose()
    assert diffs == []


def test_entries_written_before_0002_still_verify(backend, pg, tmp_path) -> None:
    url = _empty_db(backend, pg, tmp_path, "legacy")
    upgrade(url, "0001")
    engine = make_engine(url)
    prev = audit.GENESIS
    with engine.begin() as c:
        for seq in (1, 2, 3):
            values: list[object] = [0, seq, f"2026-01-0{seq}T00:00:00.000000Z", 7, "legacy_user", 3, "case.read",
                                    "case", str(seq), '["summary"]', "10.0.0.9", prev]
            h = _old_hash(values)
            c.execute(text("INSERT INTO audit_log (chain, seq, ts, actor_id, actor, organisation_id, action, "
                           "record_type, record_id, fields, source_ip, prev_hash, hash) VALUES "
                           "(:c, :s, :ts, :aid, :a, :o, :act, :rt, :rid, :f, :ip, :p, :h)"),
                      dict(zip(["c", "s", "ts", "aid", "a", "o", "act", "rt", "rid", "f", "ip", "p"], values,
                               strict=True), h=h))
            prev = h
        c.execute(text("UPDATE audit_head SET seq = 3, hash = :h WHERE id = 0"), {"h": prev})
    engine.dispose()

    upgrade(url, "head")
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        assert [e.outcome for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))] == ["granted"] * 3
        assert audit.verify(s).ok
        audit.append(s, Actor(7, "legacy_user", "10.0.0.9"),
                     [AccessEvent("case.read", "case", "99", (), 3, DENIED), AccessEvent("case.read", "case", "4")])
        s.commit()
        v = audit.verify(s)
        assert v.ok and v.checked == 5
    # the column refuses anything but the two outcomes
    with engine.connect() as c, pytest.raises(DBAPIError):
        c.execute(text("INSERT INTO audit_log (chain, seq, ts, actor, action, record_type, fields, prev_hash, "
                       "hash, outcome) VALUES (99, 1, 't', 'x', 'a', 'r', '[]', 'p', 'h', 'maybe')"))
    engine.dispose()


def test_0002_downgrade_keeps_the_append_only_triggers(backend, pg, tmp_path) -> None:
    url = _empty_db(backend, pg, tmp_path, "down")
    upgrade(url, "head")
    from alembic import command

    from observatorio.cases.db import alembic_config

    command.downgrade(alembic_config(url), "0001")
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO audit_log (chain, seq, ts, actor, action, record_type, fields, prev_hash, hash) "
                       "VALUES (0, 1, 't', 'x', 'a', 'r', '[]', 'p', 'h')"))
    with engine.connect() as c, pytest.raises(DBAPIError):
        c.execute(text("UPDATE audit_log SET actor = 'y'"))
    engine.dispose()
    upgrade(url, "head")
