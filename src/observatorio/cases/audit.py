"""Append-only, hash-chained audit log of every read and write of personal data, and of every
refused attempt (``outcome`` "denied").

Each entry's hash covers its own content and the previous entry's hash, so changing,
deleting or reordering any row breaks the chain from that row on. The chain tip lives in
``audit_head``; locking that row serialises appends between concurrent writers, and we take
the lock as the very last step before commit to keep it short.

On PostgreSQL an append is normally one statement: the process remembers each chain's tip
from its own last append, and the statement moves the tip only if it still is that one (else
it writes nothing, and the append locks and reads the tip instead). Within a process each
transaction takes a chain of its own, so threads never wait for one another's tips.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Engine,
    String,
    TextClause,
    and_,
    cast,
    event,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, SessionTransaction

from observatorio.cases.models import AuditEntry, AuditHead, Case, Person
from observatorio.cases.policy import Principal, ScopeColumns, organisations_in
from observatorio.cases.policy import scope_clause as policy_scope_clause
from observatorio.i18n import pair

GENESIS = "0" * 64
GRANTED = "granted"
DENIED = "denied"
OUTCOMES = (GRANTED, DENIED)


@dataclass(frozen=True)
class AccessEvent:
    """One access: what was done to which record and which fields were touched (never values)."""

    action: str  # e.g. case.read, person.update
    record_type: str  # case, person, note, task, service, audit
    record_id: str | None
    fields: tuple[str, ...] = ()
    # The membership under which access was granted; for a refusal, the actor's organisation.
    organisation_id: int | None = None
    outcome: str = GRANTED


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
    return _hash_values(_hash_input([getattr(e, c) for c in _HASHED], e.outcome))


def _hash_input(values: list[object], outcome: object) -> list[object]:
    """The hashed list: the content columns, then the outcome unless it is "granted".

    Entries written before the outcome column existed were all grants and were hashed without
    it; leaving "granted" implicit keeps them verifiable without rewriting an append-only log.
    The encoding stays one-to-one: a refusal hashes one more element, so turning "denied" into
    "granted" (or anything into anything else) changes the hash.
    """
    return values if outcome == GRANTED else [*values, outcome]


def _hash_values(values: list[object]) -> str:
    data = json.dumps(values, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


# Content columns in hash order (the outcome follows them; see _hash_input).
_HASHED = ("chain", "seq", "ts", "actor_id", "actor", "organisation_id", "action", "record_type",
           "record_id", "fields", "source_ip", "prev_hash")
_COLUMNS = (*_HASHED, "outcome", "hash")
_PG_TYPES = {"chain": "INTEGER", "seq": "INTEGER", "actor_id": "INTEGER", "organisation_id": "INTEGER"}


class _Chains:
    """This process's view of one database's chains.

    ``free`` are the chains no transaction of this process is appending to: a transaction takes
    one for itself, so threads of one process never queue for a tip. ``tips`` is the last tip
    this process saw committed on each chain — only a hint: the append states the tip it
    expects and the database checks it under the row lock (see ``_append_sql``). A tip moved
    by another process, or by a transaction that rolled back, is caught there and the append
    falls back to locking and reading the tip.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self.lock = threading.Lock()
        # A random order per process, so processes tend to use different chains; then last in,
        # first out, so the chains a process keeps using are the ones whose tips it knows.
        self.free = random.sample(range(count), count)
        self.tips: dict[int, tuple[int, str]] = {}

    def acquire(self) -> tuple[int, bool, tuple[int, str] | None]:
        """(chain, held exclusively by this transaction, cached tip or None)."""
        with self.lock:
            if self.free:
                chain = self.free.pop()
                return chain, True, self.tips.get(chain)
        # More transactions in flight than chains: share one, under its lock, as before.
        return random.randrange(self.count), False, None  # noqa: S311 - load spreading, not security

    def release(self, chain: int, exclusive: bool, tip: tuple[int, str] | None) -> None:
        """End of the transaction: ``tip`` is the chain's new tip if it committed, else None."""
        if not exclusive:
            return
        with self.lock:
            if tip is None:
                self.tips.pop(chain, None)
            else:
                self.tips[chain] = tip
            self.free.append(chain)


_REGISTRY: weakref.WeakKeyDictionary[Engine, _Chains] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()
_PENDING = "observatorio.cases.audit.pending"  # session.info key: (chains, chain, exclusive, tip)


def _chains_for(session: Session, engine: Engine) -> _Chains:
    with _REGISTRY_LOCK:
        chains = _REGISTRY.get(engine)
    if chains is None:
        count = int(session.scalar(select(func.count()).select_from(AuditHead)) or 1)
        with _REGISTRY_LOCK:
            chains = _REGISTRY.setdefault(engine, _Chains(count))
    return chains


class TrackedSession(Session):
    """The cases session class: tells the audit when its transaction ends (``db.make_sessionmaker``).

    Appends through other sessions are correct too, only slower: they always lock and read the tip.
    """


@event.listens_for(TrackedSession, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is not None:
        chains, chain, exclusive, tip = pending
        chains.release(chain, exclusive, tip)


@event.listens_for(TrackedSession, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back or closed without commit (a commit popped it)
        pending = session.info.pop(_PENDING, None)
        if pending is not None:
            chains, chain, exclusive, _ = pending
            chains.release(chain, exclusive, None)


@lru_cache(maxsize=4)
def _append_sql(dialect: str) -> tuple[TextClause, ...]:
    """Plain SQL for appending rows and moving the tip (the same text for any number of rows).

    PostgreSQL: one statement that moves the tip only if it still is what the rows link to
    (``expect_seq``/``expect_hash``), and inserts the rows only if it did move it; the row lock
    the UPDATE takes serialises concurrent appenders, and a waiter re-reads the tip after the
    holder commits, finds it changed and inserts nothing. The row count tells which happened.
    The rows come as one JSON array of objects (``json_to_recordset`` reads them in order): the
    statement's text is the same for any ``n``, so the driver converts it once and the server
    keeps it prepared, where a VALUES list of 14 parameters a row (a case list appends 26 rows)
    was a new statement of hundreds of parameters to convert, send and parse on every page view.
    One JSON text (the standard library's C encoder) rather than an array per column: the driver
    escapes every element of a text array one by one in Python, a sizeable part of a page view.
    SQLite: the caller holds the database's write lock (BEGIN IMMEDIATE), so plain statements:
    one row's INSERT run for every row (executemany), because a VALUES list of 14 parameters a
    row passes SQLite's limit of 32,766 parameters at 2,341 rows (a retention run erases more).
    """
    tip = "UPDATE audit_head SET seq = :tip_seq, hash = :tip_hash WHERE id = :tip_chain"
    cols = ", ".join(_COLUMNS)
    if dialect == "postgresql":
        typed = ", ".join(f"{c} {_PG_TYPES.get(c, 'TEXT')}" for c in _COLUMNS)
        return (text(
            f"WITH tip AS ({tip} AND seq = :expect_seq AND hash = :expect_hash RETURNING id) "  # noqa: S608 - constants
            f"INSERT INTO audit_log ({cols}) SELECT {cols} FROM json_to_recordset(CAST(:rows AS json)) "
            f"AS v ({typed}) WHERE EXISTS (SELECT FROM tip)").execution_options(preserve_rowcount=True),)
    values = ", ".join(f":{c}" for c in _COLUMNS)
    return (text(f"INSERT INTO audit_log ({cols}) VALUES ({values})"), text(tip))  # noqa: S608 - constants


def _chain_rows(chain: int, seq: int, prev: str, actor: Actor, events: Sequence[AccessEvent],
                columnar: bool) -> tuple[list[dict[str, object]], dict[str, object]]:
    """The rows linking ``events`` onto the tip (seq, prev), and the statement's parameters:
    ``columnar`` (PostgreSQL's statement), the rows as one JSON text; else only the tip's (the
    rows themselves are the INSERT's parameters, one dict per row)."""
    ts = _now_text()
    rows: list[dict[str, object]] = []
    params: dict[str, object] = {"tip_chain": chain, "expect_seq": seq, "expect_hash": prev}
    for ev in events:
        seq += 1
        row: dict[str, object] = {
            "chain": chain, "seq": seq, "ts": ts, "actor_id": actor.user_id, "actor": actor.username,
            "organisation_id": ev.organisation_id, "action": ev.action, "record_type": ev.record_type,
            "record_id": ev.record_id, "fields": json.dumps(sorted(set(ev.fields))),
            "source_ip": actor.source_ip, "prev_hash": prev, "outcome": ev.outcome,
        }
        row["hash"] = prev = _hash_values(_hash_input([row[c] for c in _HASHED], ev.outcome))
        rows.append(row)
    if columnar:  # text columns as str (json_to_recordset reads a JSON number as its text otherwise)
        params["rows"] = json.dumps(
            [{c: row[c] if c in _PG_TYPES or row[c] is None else str(row[c]) for c in _COLUMNS} for row in rows],
            separators=(",", ":"), ensure_ascii=False)
    params.update(tip_seq=seq, tip_hash=prev)
    return rows, params


def append(session: Session, actor: Actor, events: Sequence[AccessEvent]) -> list[dict[str, object]]:
    """Chain ``events`` onto one of the chains inside the caller's transaction (commit follows).

    On PostgreSQL, with the chain's tip known from this process's last append, this is one
    statement; otherwise the tip is locked and read first (two). Either way each row links to
    the tip as the database holds it, under the tip's row lock, until commit.
    """
    if not events:
        return []
    session.flush()  # data writes first, so row locks are taken before the tip's lock
    conn = session.connection()
    dialect = conn.dialect.name
    chains = _chains_for(session, conn.engine)
    tracked = isinstance(session, TrackedSession) and _PENDING not in session.info
    if tracked:
        chain, exclusive, cached = chains.acquire()
        # Registered before any statement, so a failure still releases the chain.
        session.info[_PENDING] = (chains, chain, exclusive, None)
    else:
        chain, exclusive, cached = random.randrange(chains.count), False, None  # noqa: S311
    columnar = dialect == "postgresql"
    stmts = _append_sql(dialect)
    if columnar and cached is not None:
        rows, params = _chain_rows(chain, *cached, actor, events, columnar)
        if conn.execute(stmts[0], params).rowcount == len(rows):
            if tracked:
                session.info[_PENDING] = (chains, chain, exclusive, (params["tip_seq"], params["tip_hash"]))
            return rows
        # The tip moved since this process saw it (another process appended): lock and read it.
    seq, prev = conn.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == chain).with_for_update()
    ).one()
    rows, params = _chain_rows(chain, seq, prev, actor, events, columnar)
    if columnar:
        results = [conn.execute(stmts[0], params)]
    else:
        results = [conn.execute(stmts[0], [{c: row[c] for c in _COLUMNS} for row in rows]),
                   conn.execute(stmts[1], params)]
    if columnar and results[0].rowcount != len(rows):  # the tip is locked: cannot happen
        raise RuntimeError(f"audit chain {chain}: tip changed under its lock")
    if tracked:
        session.info[_PENDING] = (chains, chain, exclusive, (params["tip_seq"], params["tip_hash"]))
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
            return Verification(False, checked, e.id, *pair("audit_check.unknown_chain", entry=e.id))
        want_seq, prev = expected[e.chain]
        if e.seq != want_seq:
            return Verification(False, checked, e.id, *pair("audit_check.entry_missing", seq=want_seq,
                                                            chain=e.chain, entry=e.id))
        if e.prev_hash != prev:
            return Verification(False, checked, e.id, *pair("audit_check.link_broken", entry=e.id))
        if entry_hash(e) != e.hash:
            return Verification(False, checked, e.id, *pair("audit_check.entry_altered", entry=e.id))
        expected[e.chain] = (want_seq + 1, e.hash)
        checked += 1
    for chain, (seq, tip) in heads.items():
        next_seq, last = expected[chain]
        if next_seq - 1 != seq or last != tip:
            return Verification(False, checked, None, *pair("audit_check.tail_removed", chain=chain))
    return Verification(True, checked, heads=tuple((c, s, h) for c, (s, h) in sorted(heads.items())))


def scope_clause(principal: Principal) -> ColumnElement[bool]:
    """Which audit entries the principal may query (policy action audit.read): those recorded
    under the organisations in scope (what their users did), and every entry about a case or
    person those organisations hold, whoever acted (what was done to their records, e.g. by an
    organisation a case is shared with); ``own``: what the user did."""
    return policy_scope_clause(principal, "audit.read", AUDIT_COLUMNS)


AUDIT_COLUMNS = ScopeColumns(
    held_by_organisation=lambda org: or_(
        AuditEntry.organisation_id == org,
        _about_records_held(Case.organisation_id == org, Person.organisation_id == org)),
    held_in_country=lambda country: or_(
        AuditEntry.organisation_id.in_(organisations_in(country)),
        _about_records_held(Case.country == country, Person.organisation_id.in_(organisations_in(country)))),
    owned_by=lambda principal, grant: AuditEntry.actor_id == principal.user_id,
)


def _about_records_held(case_held: ColumnElement[bool],
                        person_held: ColumnElement[bool]) -> ColumnElement[bool]:
    """Entries about the cases and people that match the holder conditions."""
    return or_(
        and_(AuditEntry.record_type == "case",
             AuditEntry.record_id.in_(select(cast(Case.id, String)).where(case_held))),
        and_(AuditEntry.record_type == "person",
             AuditEntry.record_id.in_(select(cast(Person.id, String)).where(person_held))),
    )


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
    outcome: str | None = None,
    limit: int = 100,
    after_id: int = 0,
    upto_id: int | None = None,
) -> Iterable[AuditEntry]:
    """Entries the principal may see, filtered, oldest first (keyset pagination on id, within
    ``after_id < id <= upto_id``)."""
    stmt = select(AuditEntry).where(scope_clause(principal), AuditEntry.id > after_id)
    if upto_id is not None:
        stmt = stmt.where(AuditEntry.id <= upto_id)
    if outcome:
        stmt = stmt.where(outcome_clause(outcome))
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


def outcome_clause(outcome: str) -> ColumnElement[bool]:
    """``outcome = '<value>'`` with the (validated) value inlined, so both databases can use the
    partial index on refusals; a bound parameter would hide the value from SQLite's planner."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    return AuditEntry.outcome == literal(outcome, literal_execute=True)
