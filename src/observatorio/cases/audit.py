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
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import ColumnElement, TextClause, false, func, or_, select, text, true
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
    return _hash_values([e.chain, e.seq, e.ts, e.actor_id, e.actor, e.organisation_id, e.action,
                         e.record_type, e.record_id, e.fields, e.source_ip, e.prev_hash])


def _hash_values(values: list[object]) -> str:
    data = json.dumps(values, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


_CHAINS: dict[int, int] = {}  # id(engine) -> number of chains, read once


def _chain_count(session: Session) -> int:
    key = id(session.get_bind())
    if key not in _CHAINS:
        _CHAINS[key] = int(session.scalar(select(func.count()).select_from(AuditHead)) or 1)
    return _CHAINS[key]


_COLUMNS = ("chain", "seq", "ts", "actor_id", "actor", "organisation_id", "action", "record_type",
            "record_id", "fields", "source_ip", "prev_hash", "hash")


@lru_cache(maxsize=64)
def _append_sql(n: int, dialect: str) -> tuple[TextClause, ...]:
    """Plain SQL for appending ``n`` rows and moving the tip (built once per size; prepared by the driver)."""
    rows = ", ".join("(" + ", ".join(f":{c}_{i}" for c in _COLUMNS) + ")" for i in range(n))
    ins = f"INSERT INTO audit_log ({', '.join(_COLUMNS)}) VALUES {rows}"  # noqa: S608 - names are constants
    tip = "UPDATE audit_head SET seq = :tip_seq, hash = :tip_hash WHERE id = :tip_chain"
    if dialect == "postgresql":
        # One round trip for rows and tip while the tip's lock is held.
        return (text(f"WITH ins AS ({ins}) {tip}"),)
    return (text(ins), text(tip))


def append(session: Session, actor: Actor, events: Sequence[AccessEvent]) -> list[dict[str, object]]:
    """Chain ``events`` onto one of the chains inside the caller's transaction (commit follows)."""
    if not events:
        return []
    session.flush()  # data writes first, so row locks are taken before the tip's lock
    # A random chain per transaction: concurrent writers rarely meet on the same tip.
    chain = random.randrange(_chain_count(session))  # noqa: S311 - load spreading, not security
    seq, prev = session.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == chain).with_for_update()
    ).one()
    ts = _now_text()
    rows: list[dict[str, object]] = []
    for ev in events:
        seq += 1
        row: dict[str, object] = {
            "chain": chain, "seq": seq, "ts": ts, "actor_id": actor.user_id, "actor": actor.username,
            "organisation_id": ev.organisation_id, "action": ev.action, "record_type": ev.record_type,
            "record_id": ev.record_id, "fields": json.dumps(sorted(set(ev.fields))),
            "source_ip": actor.source_ip, "prev_hash": prev,
        }
        row["hash"] = prev = _hash_values([row[c] for c in _COLUMNS[:-1]])
        rows.append(row)
    params: dict[str, object] = {"tip_seq": seq, "tip_hash": prev, "tip_chain": chain}
    for i, row in enumerate(rows):
        params.update({f"{c}_{i}": row[c] for c in _COLUMNS})
    for stmt in _append_sql(len(rows), session.get_bind().dialect.name):
        session.execute(stmt, params)
    return rows


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_at: int | None = None  # id of the first entry found wrong (None: a missing tail)
    reason_es: str = ""
    reason_en: str = ""
    heads: tuple[tuple[int, int, str], ...] = ()  # (chain, seq, hash): anchor these outside


def verify(session: Session, batch: int = 5000) -> Verification:
    """Walk every chain; report the first entry whose link or content does not match."""
    heads = {h.id: (h.seq, h.hash) for h in session.scalars(select(AuditHead))}
    expected: dict[int, tuple[int, str]] = dict.fromkeys(heads, (1, GENESIS))
    checked = 0
    stmt = select(AuditEntry).order_by(AuditEntry.chain, AuditEntry.seq).execution_options(yield_per=batch)
    for e in session.scalars(stmt):
        if e.chain not in expected:
            return Verification(False, checked, e.id, f"La entrada {e.id} pertenece a una cadena desconocida.",
                                f"Entry {e.id} belongs to an unknown chain.")
        want_seq, prev = expected[e.chain]
        if e.seq != want_seq:
            return Verification(False, checked, e.id,
                                f"Falta la entrada {want_seq} de la cadena {e.chain} (antes de la entrada {e.id}).",
                                f"Entry {want_seq} of chain {e.chain} is missing (before entry {e.id}).")
        if e.prev_hash != prev:
            return Verification(False, checked, e.id,
                                f"La entrada {e.id} no enlaza con la anterior de su cadena.",
                                f"Entry {e.id} does not link to its predecessor in its chain.")
        if entry_hash(e) != e.hash:
            return Verification(False, checked, e.id,
                                f"El contenido de la entrada {e.id} fue alterado.",
                                f"Entry {e.id} was altered.")
        expected[e.chain] = (want_seq + 1, e.hash)
        checked += 1
    for chain, (seq, tip) in heads.items():
        next_seq, last = expected[chain]
        if next_seq - 1 != seq or last != tip:
            return Verification(False, checked, None,
                                f"Se eliminaron entradas al final de la cadena {chain}.",
                                f"Entries were removed from the end of chain {chain}.")
    return Verification(True, checked, heads=tuple((c, s, h) for c, (s, h) in sorted(heads.items())))


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
    after_id: int = 0,
) -> Iterable[AuditEntry]:
    """Entries the principal may see, filtered, oldest first (keyset pagination on id)."""
    stmt = select(AuditEntry).where(scope_clause(principal), AuditEntry.id > after_id)
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
    return session.scalars(stmt.order_by(AuditEntry.id).limit(limit)).all()
