"""Per source, what the last refresh attempt did (``refresh_state``): its result and message,
and the validators (ETag, Last-Modified) to send next time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

from observatorio.store import Store

#: Results an attempt can end with (``refresh_state.result``).
LOADED, UNCHANGED, NOT_MODIFIED, FAILED = "loaded", "unchanged", "not_modified", "failed"


@dataclass(frozen=True)
class Validators:
    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    def for_url(self, url: str) -> Validators:
        """The validators worth sending to ``url`` (none when the newest file is another one)."""
        return self if self.url == url else Validators()


@dataclass(frozen=True)
class Attempt:
    source: str
    result: str
    message_es: str
    message_en: str
    validators: Validators = Validators()
    load_id: str | None = None


def validators(store: Store, source: str) -> Validators:
    try:
        row = store.con.execute(
            "SELECT url, etag, last_modified FROM refresh_state WHERE source = ?", [source]).fetchone()
    except duckdb.CatalogException:  # a read-only store from before refresh_state
        return Validators()
    return Validators(*row) if row else Validators()


@dataclass(frozen=True)
class LatestLoad:
    load_id: str
    sha256: str
    release: date


def latest_load(store: Store, source: str) -> LatestLoad | None:
    """The source's latest release, if any."""
    row = store.con.execute(
        "SELECT load_id, sha256, release FROM loads WHERE source = ? AND is_latest", [source]).fetchone()
    return LatestLoad(str(row[0]), str(row[1]), row[2]) if row else None


def record(con: duckdb.DuckDBPyConnection, attempt: Attempt) -> None:
    """Write the attempt (call inside a transaction). A failure keeps the earlier validators
    and success time, so the next attempt still asks conditionally."""
    now = datetime.now(UTC).replace(tzinfo=None)
    ok = attempt.result != FAILED
    v = attempt.validators
    con.execute(
        """INSERT INTO refresh_state AS s VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (source) DO UPDATE SET
             url = CASE WHEN excluded.result = 'failed' THEN s.url ELSE excluded.url END,
             etag = CASE WHEN excluded.result = 'failed' THEN s.etag ELSE excluded.etag END,
             last_modified = CASE WHEN excluded.result = 'failed' THEN s.last_modified
                                  ELSE excluded.last_modified END,
             attempted_at = excluded.attempted_at, result = excluded.result,
             message_es = excluded.message_es, message_en = excluded.message_en,
             succeeded_at = coalesce(excluded.succeeded_at, s.succeeded_at),
             load_id = coalesce(excluded.load_id, s.load_id)""",
        [attempt.source, v.url, v.etag, v.last_modified, now, attempt.result, attempt.message_es,
         attempt.message_en, now if ok else None, attempt.load_id],
    )
