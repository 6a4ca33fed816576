"""The few public rows of the application database that portal pages show, read with the DB-API
driver (stdlib ``sqlite3``, or ``psycopg`` for PostgreSQL), never through SQLAlchemy.

A country profile lists, under each recommended action, published practices of other countries
(practice_links.py); the calendar names the providing organisations (calendar_page.py). Reading
them through the cases side loaded SQLAlchemy and every model into each portal worker, about
25 MB held for good (issue #12). These are two SELECTs of public columns: the same rows, in the
same order, as cases/practices.py ``for_actions`` and refresh/reminders.py ``providers`` give
(tests/publish/web/test_public_case_reads.py compares them on both backends).

Read-only and harmless to the portal: a SQLite file is opened ``mode=ro`` (a visit never creates
or writes one); a database that is not there, not migrated, or not reachable gives nothing (the
page renders without the links), said once per process in the log at warning level.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple
from urllib.parse import quote

from observatorio.model.app_tables import DIRECTORY_ORGANISATION_TABLE, PRACTICE_TABLE, PUBLISHED
from observatorio.publish.web.cases_database import POSTGRESQL, SQLITE, read_url

log = logging.getLogger(__name__)

#: Practices listed under one action of a profile (cases/practices.py ``for_actions``' default).
PER_ACTION = 5
#: Seconds to wait for a server or a locked SQLite file before the page goes without the rows.
TIMEOUT_S = 5


class PublicPractice(NamedTuple):
    """The columns of a published practice that a link shows (named as the model's attributes,
    so app_tables.text_in reads either)."""

    id: int
    theme: str
    country: str
    title_es: str | None
    title_en: str | None
    summary_es: str | None
    summary_en: str | None


PRACTICE_COLUMNS = ", ".join(PublicPractice._fields)


def practices_for_actions(url: str, action_ids: Sequence[str], exclude_country: str,
                          per_action: int = PER_ACTION) -> dict[str, list[PublicPractice]]:
    """For each action id, up to ``per_action`` published practices of countries other than
    ``exclude_country``, newest (highest id) first; every id is a key, an empty list if none."""
    out: dict[str, list[PublicPractice]] = {a: [] for a in action_ids}
    if not out:
        return out
    rows = _select(url, lambda mark: (
        f"SELECT {PRACTICE_COLUMNS} FROM {PRACTICE_TABLE} "  # noqa: S608 - names are constants
        f"WHERE status = {mark} AND theme IN ({', '.join([mark] * len(out))}) AND country != {mark} "
        f"ORDER BY id DESC"), [PUBLISHED, *out, exclude_country])
    for row in rows:
        practice = PublicPractice(*row)
        if len(out[practice.theme]) < per_action:
            out[practice.theme].append(practice)
    return out


def organisation_names(url: str, slugs: set[str]) -> dict[str, dict[str, str]]:
    """Slug → {"es": name, "en": name} of the directory's organisations among ``slugs``."""
    if not slugs:
        return {}
    ordered = sorted(slugs)
    rows = _select(url, lambda mark: (
        f"SELECT slug, name_es, name_en FROM {DIRECTORY_ORGANISATION_TABLE} "  # noqa: S608 - constants
        f"WHERE slug IN ({', '.join([mark] * len(ordered))})"), ordered)
    return {slug: {"es": name_es, "en": name_en} for slug, name_es, name_en in rows}


def _select(url: str, sql: Callable[[str], str], params: list[str]) -> list[tuple[Any, ...]]:
    """The rows of ``sql(mark)`` (``mark``: the driver's placeholder), or none when the database
    cannot be read (each driver's errors are caught where it is imported: psycopg is loaded by a
    PostgreSQL deployment only)."""
    parsed = read_url(url)
    if parsed.backend == SQLITE and parsed.sqlite_file:
        return _sqlite_rows(url, parsed.sqlite_file, sql("?"), params)
    if parsed.backend == POSTGRESQL:
        return _postgresql_rows(url, parsed.conninfo, sql("%s"), params)
    _warn_once(url, f"no {parsed.backend or 'database'} URL this portal reads")
    return []


def _sqlite_rows(url: str, path: str, sql: str, params: list[str]) -> list[tuple[Any, ...]]:
    # mode=ro: a file that is not there is an error, not a new empty database; nothing is written
    uri = f"file:{quote(path)}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=TIMEOUT_S)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()
    except sqlite3.Error as error:
        _warn_once(url, f"{type(error).__name__}: {error}")
        return []


def _postgresql_rows(url: str, conninfo: str, sql: str, params: list[str]) -> list[tuple[Any, ...]]:
    """The rows, on a connection kept from an earlier read when there is one: a read on a new
    connection took 17 ms on loopback without TLS, on a kept one 0.2 ms (the ORM's pooled read:
    5 ms). A kept connection that the server dropped meanwhile (a restart, an idle timeout) is
    replaced once, without a warning."""
    import psycopg

    kept = _take_idle(conninfo)
    while True:
        connection = kept
        try:
            if connection is None:
                connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=TIMEOUT_S)
            rows = connection.execute(sql, params).fetchall()
        except psycopg.Error as error:
            if connection is not None:
                connection.close()
            if kept is not None:
                kept = None  # the server dropped it: once more, on a new connection
                continue
            # the class only: libpq's messages may repeat connection parameters, a password too
            _warn_once(url, type(error).__name__)
            return []
        _give_back(conninfo, connection)
        return rows


#: Idle PostgreSQL connections kept per server, at most KEEP_IDLE each (a worker's threads that
#: render country pages at the same moment each take one; the rest are closed after use).
KEEP_IDLE = 4
_idle: dict[str, list[Any]] = {}
_idle_lock = threading.Lock()


def _take_idle(conninfo: str) -> Any:
    with _idle_lock:
        kept = _idle.get(conninfo)
        return kept.pop() if kept else None


def _give_back(conninfo: str, connection: Any) -> None:
    with _idle_lock:
        kept = _idle.setdefault(conninfo, [])
        if len(kept) < KEEP_IDLE:
            kept.append(connection)
            return
    connection.close()


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(url: str, why: str) -> None:
    """Said once per process and database: a portal that cannot read it renders every page
    without the rows, and would otherwise repeat this on each of them."""
    with _warned_lock:
        if url in _warned:
            return
        _warned.add(url)
    backend = read_url(url).backend or "?"  # never the URL itself: it may hold a password
    log.warning("the application database (%s) could not be read; portal pages go without its "
                "practices and directory names: %s", backend, why)
