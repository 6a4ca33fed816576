"""The application database's URL read without loading the cases side: whether it is surely not
there, and how to reach it with the DB-API driver.

Portal pages read a little of the application database when the server has the cases side
(practice links under a country profile, the providers' names on the calendar). cases/db.py's
``database_exists`` tells whether it is there, but importing it loads SQLAlchemy and the models
(the package ``observatorio.cases`` does): a worker serving the portal would load the cases side
for nothing (publish/api/cases_side.py). :func:`read_url` reads a SQLAlchemy URL the way
SQLAlchemy does for the two backends the application supports (a SQLite file, a PostgreSQL
server); the light reads (public_case_reads.py) connect with what it gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

SQLITE, POSTGRESQL = "sqlite", "postgresql"


@dataclass(frozen=True)
class DatabaseUrl:
    """A SQLAlchemy URL, as the DB-API drivers take it."""

    backend: str  # SQLITE, POSTGRESQL, or the URL's own scheme (a backend this does not read)
    #: SQLite: the file ("" for an in-memory database, which no other connection can read)
    sqlite_file: str = ""
    #: PostgreSQL: a libpq keyword/value connection string (``host='…' password='…'``)
    conninfo: str = ""


def read_url(url: str) -> DatabaseUrl:
    """The backend and where the database is; ``backend`` is "" for what is no URL at all."""
    scheme, found, rest = url.partition("://")
    if not found:
        return DatabaseUrl("")
    backend = scheme.split("+")[0]
    if backend == SQLITE:
        database = rest.partition("/")[2]  # after the host, which SQLite has no use for
        database = unquote(database.split("?", 1)[0])
        return DatabaseUrl(SQLITE, sqlite_file="" if database == ":memory:" else database)
    if backend == POSTGRESQL:
        return DatabaseUrl(POSTGRESQL, conninfo=_libpq_keywords(url))
    return DatabaseUrl(backend)


def _libpq_keywords(url: str) -> str:
    """The URL's parts as libpq keywords, each unquoted as SQLAlchemy unquotes them: handing libpq
    the URL itself would refuse what SQLAlchemy takes (a literal "%" in a password), and libpq's
    refusal repeats the offending text, the password included. The query's options (sslmode, a
    socket directory as ``host``…) are libpq keywords already, as SQLAlchemy passes them on."""
    parts = urlsplit(url)
    words: dict[str, str | None] = {
        "host": unquote(parts.hostname) if parts.hostname else None,
        "port": str(parts.port) if parts.port is not None else None,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password is not None else None,
        "dbname": unquote(parts.path.lstrip("/")) or None}
    words |= dict(parse_qsl(parts.query, keep_blank_values=True))
    return " ".join(f"{key}={_quoted(value)}" for key, value in words.items() if value is not None)


def _quoted(value: str) -> str:
    """A libpq keyword value: in single quotes, with ``\\`` and ``'`` escaped by a backslash."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def surely_absent(url: str) -> bool:
    """``not database_exists(url)`` for a SQLite URL (no file named, or not there); False for
    anything else: a server's URL, a URL this does not read."""
    parsed = read_url(url)
    if parsed.backend != SQLITE:
        return False
    return not (parsed.sqlite_file and Path(parsed.sqlite_file).is_file())
