"""Alembic environment: the URL comes from the caller's config (observatorio cases init)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from observatorio.cases import (  # noqa: F401 - their tables
    directory_models,  # noqa: F401  (its tables join Base.metadata)
    notification_models,
    referral_models,
    reintegration_models,  # noqa: F401  (its tables join Base.metadata)
    transition_models,  # noqa: F401  (its table joins Base.metadata)
)
from observatorio.cases.db import make_engine
from observatorio.cases.models import Base
from observatorio.cases.reception import models as _reception_models  # noqa: F401  (its tables join Base)

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _driver(connection: Connection) -> Any:
    """The DB-API connection under ``connection`` (statements on it begin no SQLAlchemy
    transaction)."""
    raw = connection.connection.driver_connection
    assert raw is not None  # a checked-out connection has its driver's
    return raw


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is required"
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch alteration rebuilds the table (copy, drop, rename): with foreign keys
            # enforced, dropping a table other rows reference fails. Off for the migration, on
            # the driver's connection: the pragma is ignored inside a transaction, and
            # SQLAlchemy's would begin one (db.make_engine: BEGIN IMMEDIATE). Checked after it.
            _driver(connection).execute("PRAGMA foreign_keys=OFF")
        # render_as_batch lets later migrations alter columns on SQLite too.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            raw = _driver(connection)
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            raw.execute("PRAGMA foreign_keys=ON")  # the connection goes back to the pool
            assert not broken, f"a migration left rows pointing at nothing: {broken[:5]}"
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
