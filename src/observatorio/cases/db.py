"""Engine and session factory for a cases database URL (SQLite file or PostgreSQL)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# Tables kept outside models.py join the one metadata when any database is opened.
from observatorio.cases import notification_models, referral_models, transition_models  # noqa: F401

# Every table module joins the cases metadata when the database layer is loaded (the Alembic
# environment, schema comparisons and the ORM all see the same tables).
from observatorio.cases.reception import models as _reception_models  # noqa: F401

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# A pooled PostgreSQL connection idle for longer than this is tested before use.
PING_AFTER_IDLE_SECONDS = 10.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned per backend: SQLite gets WAL, a busy timeout and enforced foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling defers BEGIN; we issue BEGIN IMMEDIATE
            # ourselves so writers queue on the lock instead of failing on upgrade.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling without a round trip per checkout.

    ``pool_pre_ping`` tests every connection at every checkout, i.e. once per transaction. A
    connection that was in use a moment ago is alive; the ones worth testing are those left idle
    (a server restart or a firewall dropping idle sessions), so only they are pinged. A dead one
    is replaced transparently, as with pre-ping.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as err:  # the driver's own error types differ
            raise exc.DisconnectionError() from err  # the pool discards it and tries another


def database_exists(url: str) -> bool:
    """False for a SQLite file that is not there (connecting would create it); servers: True.
    Readers outside the cases side (portal links, bulletins, reminders) then leave it alone."""
    parsed = make_url(url)
    return parsed.get_backend_name() != "sqlite" or bool(parsed.database and Path(parsed.database).is_file())


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (we serialise after writing), of
    the class that tells the audit when a transaction ends (``audit.TrackedSession``)."""
    from observatorio.cases.audit import TrackedSession

    return sessionmaker(engine, class_=TrackedSession, expire_on_commit=False)


def alembic_config(url: str) -> Any:
    """An Alembic config pointing at the packaged migrations and the given URL."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (``observatorio cases init``)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
