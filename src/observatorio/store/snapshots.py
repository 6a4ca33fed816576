"""Publication as a snapshot switch: each publication is a new, immutable store file, and the
store's path becomes a symbolic link to the one in force.

``var/observatorio.duckdb`` -> ``var/observatorio.duckdb.snapshots/<UTC stamp>-<token>.duckdb``

A publication copies the snapshot in force, writes into the copy, and moves the link with one
atomic rename, so a reader opens either the old file or the new one, never a half-written one;
any number of server processes (on any machines sharing the folder) see the new link between
requests. An embargoed publication is written at once but listed in ``scheduled.json`` with its
date and time: every reader treats it as in force from then on (no scheduler process needed),
and the next writer or server that notices moves the link. Old snapshots stay for rollback.

A store path that is a plain file (no link yet) is the embedded, single-process layout of old:
it is written in place, and :func:`enable` turns it into the first snapshot.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from observatorio.errors import ObservatorioError
from observatorio.store.duck import SNAPSHOT_SUFFIX, SNAPSHOTS_FOLDER_SUFFIX, Store

Clock = Callable[[], datetime]
SCHEDULE_FILE = "scheduled.json"
LOCK_FILE = ".publish.lock"
SUFFIX = SNAPSHOT_SUFFIX


class SnapshotNotFound(ObservatorioError):
    """A rollback names a snapshot the folder does not hold."""

    key = "snapshots.not_found"


class NothingToRollBack(ObservatorioError):
    """A rollback with no older snapshot than the one in force."""

    key = "snapshots.nothing_older"


class SnapshotsNotEnabled(ObservatorioError):
    """A release command on a store that is still a single plain file."""

    key = "snapshots.not_enabled"


def utc_now() -> datetime:
    return datetime.now(UTC)


def folder_of(db_path: Path) -> Path:
    """Where the snapshots of the store at ``db_path`` live."""
    return db_path.with_name(db_path.name + SNAPSHOTS_FOLDER_SUFFIX)


def is_enabled(db_path: Path) -> bool:
    return db_path.is_symlink()


@dataclass(frozen=True)
class Scheduled:
    """A publication written but embargoed until ``at``."""

    snapshot: str
    at: datetime
    note: str = ""


_READ: dict[Path, tuple[tuple[int, int, int], list[Scheduled]]] = {}


def scheduled(db_path: Path) -> list[Scheduled]:
    """The pending publications, oldest embargo first."""
    path = folder_of(db_path) / SCHEDULE_FILE
    try:
        stat = path.stat()
    except FileNotFoundError:
        return []
    # Servers ask at every request: the file is parsed again only when it was replaced.
    key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    known = _READ.get(path)
    if known is not None and known[0] == key:
        return list(known[1])
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    found = sorted((Scheduled(e["snapshot"], datetime.fromisoformat(e["at"]), e.get("note", ""))
                    for e in entries), key=lambda s: s.at)
    _READ[path] = (key, found)
    return list(found)


def in_force(db_path: Path, now: datetime) -> Path:
    """The file a reader opens at ``now``: the newest publication whose embargo has passed,
    else the link's target (the plain file without snapshots)."""
    try:
        link = os.readlink(db_path)  # one system call: servers ask at every request
    except OSError:  # a plain file, or no store at all
        return db_path
    due = [s for s in scheduled(db_path) if s.at <= now]
    if due:
        return folder_of(db_path) / due[-1].snapshot
    return db_path.parent / link


def snapshots(db_path: Path) -> list[Path]:
    """Every snapshot kept, oldest first (names start with their sequence number)."""
    folder = folder_of(db_path)
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def enable(db_path: Path, clock: Clock = utc_now) -> bool:
    """Turn a plain store file into the first snapshot (nothing when already done); an absent
    store starts as an empty one. True when something changed. No writer may hold the file."""
    if is_enabled(db_path):
        return False
    folder = folder_of(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    with _publish_lock(folder):
        first = folder / _new_name(folder, clock)
        if db_path.exists():
            shutil.copyfile(db_path, first)
        else:
            Store.open(first).close()
        _point(db_path, first)
    return True


@contextmanager
def publishing(db_path: Path, *, at: datetime | None = None, note: str = "",
               clock: Clock = utc_now) -> Iterator[Store]:
    """A writable store for one publication; on success readers see it (at once, or from the
    embargo ``at``). An error or a publication that changed nothing leaves no snapshot behind.

    While another publication is embargoed, this one is built on top of it and waits for the
    same date and time: embargoed figures never show early, and nothing published is lost.
    """
    db_path = Path(db_path)
    if not is_enabled(db_path):
        with Store.open(db_path) as store:  # the embedded layout: written in place, as before
            yield store
        return
    folder = folder_of(db_path)
    with _publish_lock(folder):
        promote_due(db_path, clock(), locked=True)
        pending = scheduled(db_path)
        base = folder / pending[-1].snapshot if pending else Path(os.path.realpath(db_path))
        if pending:
            at = max(at or clock(), pending[-1].at)
        new = folder / _new_name(folder, clock)
        partial = new.with_name(new.name + ".partial")
        shutil.copyfile(base, partial)
        try:
            with Store.open(partial) as store:
                before = store.version()
                yield store
                changed = store.version() != before
            if not changed:
                _remove(partial)
                return
            os.replace(partial, new)
        except BaseException:
            _remove(partial)
            raise
        if at is None or at <= clock():
            _point(db_path, new)
        else:
            _write_schedule(folder, [*pending, Scheduled(new.name, at, note)])


def promote_due(db_path: Path, now: datetime, *, locked: bool = False, wait: bool = True) -> bool:
    """Move the link to the newest publication whose embargo has passed (readers already treat
    it as in force; this makes it so for the plain ``Store.open`` of the commands)."""
    pending = scheduled(db_path)
    due = [s for s in pending if s.at <= now]
    if not due:
        return False
    folder = folder_of(db_path)
    if not locked:
        with _publish_lock(folder, wait=wait) as got:
            return got and promote_due(db_path, now, locked=True)
    _point(db_path, folder / due[-1].snapshot)
    _write_schedule(folder, [s for s in pending if s.at > now])
    return True


def rollback(db_path: Path, to: str | None = None) -> Path:
    """Point the store back at an older snapshot (the one before the one in force, or ``to``);
    pending embargoed publications are cancelled, since they were built on the newer one."""
    if not is_enabled(db_path):
        raise SnapshotsNotEnabled(path=str(db_path))
    folder = folder_of(db_path)
    with _publish_lock(folder):
        kept = snapshots(db_path)
        current = Path(os.path.realpath(db_path))
        if to is not None:
            target = folder / (to if to.endswith(SUFFIX) else to + SUFFIX)
            if target not in kept:
                raise SnapshotNotFound(snapshot=to, folder=str(folder))
        else:
            older = [p for p in kept if p.name < current.name]
            if not older:
                raise NothingToRollBack(snapshot=current.name)
            target = older[-1]
        _write_schedule(folder, [])
        _point(db_path, target)
    return target


def _new_name(folder: Path, clock: Clock) -> str:
    """``<sequence>-<UTC stamp>-<token>.duckdb``: the sequence orders them (clocks may not);
    called under the publication lock."""
    numbers = [int(p.name.split("-", 1)[0]) for p in folder.glob(f"*{SUFFIX}")
               if p.name.split("-", 1)[0].isdecimal()]
    stamp = f"{clock().astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{max(numbers, default=0) + 1:06d}-{stamp}-{secrets.token_hex(3)}{SUFFIX}"


def _point(db_path: Path, target: Path) -> None:
    """Move the link in one rename: a reader opens the old target or the new, never neither."""
    tmp = db_path.with_name(f".{db_path.name}.{secrets.token_hex(4)}.link")
    os.symlink(os.path.relpath(target, db_path.parent), tmp)
    os.replace(tmp, db_path)


def _write_schedule(folder: Path, entries: list[Scheduled]) -> None:
    path = folder / SCHEDULE_FILE
    tmp = path.with_name(f".{SCHEDULE_FILE}.{secrets.token_hex(4)}")
    tmp.write_text(json.dumps([{"snapshot": s.snapshot, "at": s.at.isoformat(), "note": s.note}
                               for s in entries], ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


@contextmanager
def _publish_lock(folder: Path, wait: bool = True) -> Iterator[bool]:
    """One publication at a time (two writers copying the same base would lose one's loads);
    without ``wait``, yields False at once when another holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_FILE).open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
