"""Append-only, hash-chained audit log of every read and write of personal data.

Each entry's hash covers its own content and the previous entry's hash, so changing,
deleting or reordering any row breaks the chain from that row on. The chain tip lives in
``audit_head``; locking that row serialises appends between concurrent writers, and we take
the lock as the very last step before commit to keep it short.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, insert, or_, select, true, update
from sqlalchemy.orm import Session

from observatorio.cases.models import AuditEntry, AuditHead, Organisation
from observatorio.cases.policy import Principal, get_policy

GENESIS = "0" * 64


@dataclass(frozen=True)
class AccessEvent:
    """One access: what was done to which record and which fields were touched (never values)."""

    action: str  # e.g. case.read, person.update
    record_type: str  # case, person, note, task, service, audit
    record_id: str | None
    fields: tuple[str, ...] = ()
    organisation_id: int | None = None  # the membership under which access was granted


@dataclass(frozen=True)
class Actor:
    """Who acts and from where, as recorded in each entry."""

    user_id: int | None
    username: str
    source_ip: str | None


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(e: AuditEntry) -> str:
    """SHA-256 over a canonical JSON of the entry's content and its predecessor's hash."""
    payload = [e.seq, e.ts, e.actor_id, e.actor, e.organisation_id, e.action, e.record_type,
               e.record_id, e.fields, e.source_ip, e.prev_hash]
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def append(session: Session, actor: Actor, events: Sequence[AccessEvent]) -> list[AuditEntry]:
    """Chain ``events`` onto the log inside the caller's transaction (commit follows)."""
    if not events:
        return []
    session.flush()  # data writes first, so row locks are taken before the head lock
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    seq, prev = head.seq, head.hash
    ts = _now_text()
    rows = []
    for ev in events:
        seq += 1
        e = AuditEntry(
            seq=seq, ts=ts, actor_id=actor.user_id, actor=actor.username,
            organisation_id=ev.organisation_id, action=ev.action, record_type=ev.record_type,
            record_id=ev.record_id, fields=json.dumps(sorted(set(ev.fields))),
            source_ip=actor.source_ip, prev_hash=prev, hash="",
        )
        e.hash = entry_hash(e)
        prev = e.hash
        rows.append(e)
    if session.get_bind().dialect.name == "postgresql":
        # One round trip for rows and tip while the head lock is held: the lock is the
        # bottleneck under concurrency, so every statement inside it counts.
        values = [{c.name: getattr(r, c.key) for c in AuditEntry.__table__.columns} for r in rows]
        ins = insert(AuditEntry.__table__).values(values).cte("ins")
        session.execute(
            update(AuditHead.__table__).where(AuditHead.__table__.c.id == 1)
            .values(seq=seq, hash=prev).add_cte(ins)
        )
        session.expire(head)
    else:
        session.add_all(rows)
        head.seq, head.hash = seq, prev
        session.flush()
    return rows


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason_es: str = ""
    reason_en: str = ""


def verify(session: Session, batch: int = 5000) -> Verification:
    """Walk the whole chain; report the first entry whose link or content does not match."""
    expected_seq, prev, checked = 1, GENESIS, 0
    stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    for e in session.scalars(stmt):
        if e.seq != expected_seq:
            return Verification(False, checked, expected_seq,
                                f"Falta la entrada {expected_seq} (se encontró {e.seq}).",
                                f"Entry {expected_seq} is missing (found {e.seq}).")
        if e.prev_hash != prev:
            return Verification(False, checked, e.seq,
                                f"La entrada {e.seq} no enlaza con la anterior.",
                                f"Entry {e.seq} does not link to its predecessor.")
        if entry_hash(e) != e.hash:
            return Verification(False, checked, e.seq,
                                f"El contenido de la entrada {e.seq} fue alterado.",
                                f"Entry {e.seq} was altered.")
        prev, expected_seq, checked = e.hash, expected_seq + 1, checked + 1
    head = session.get(AuditHead, 1)
    if head is None or head.seq != checked or head.hash != prev:
        return Verification(False, checked, checked + 1,
                            "Se eliminaron entradas al final de la bitácora.",
                            "Entries were removed from the end of the log.")
    return Verification(True, checked)


def scope_clause(principal: Principal) -> ColumnElement[bool]:
    """Which audit entries the principal may query (policy action audit.read)."""
    policy = get_policy()
    parts: list[ColumnElement[bool]] = []
    for g in principal.grants:
        scope = policy.scope_of(g.role, "audit.read")
        if scope == "region":
            parts.append(true())
        elif scope == "country":
            parts.append(AuditEntry.organisation_id.in_(
                select(Organisation.id).where(Organisation.country == g.country)))
        elif scope == "organisation":
            parts.append(AuditEntry.organisation_id == g.organisation_id)
        elif scope == "own":
            parts.append(AuditEntry.actor_id == principal.user_id)
    return or_(*parts) if parts else false()


def query(
    session: Session,
    principal: Principal,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 100,
    after_seq: int = 0,
) -> Iterable[AuditEntry]:
    """Entries the principal may see, filtered, oldest first (keyset pagination on seq)."""
    stmt = select(AuditEntry).where(scope_clause(principal), AuditEntry.seq > after_seq)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if record_type:
        stmt = stmt.where(AuditEntry.record_type == record_type)
    if record_id:
        stmt = stmt.where(AuditEntry.record_id == record_id)
    if since:
        stmt = stmt.where(AuditEntry.ts >= since)
    if until:
        stmt = stmt.where(AuditEntry.ts < until)
    return session.scalars(stmt.order_by(AuditEntry.seq).limit(limit)).all()
