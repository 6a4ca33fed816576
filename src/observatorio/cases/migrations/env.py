"""Alembic environment: the URL comes from the caller's config (observatorio cases init)."""

from __future__ import annotations

from alembic import context

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


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is required"
    engine = make_engine(url)
    with engine.connect() as connection:
        # render_as_batch lets later migrations alter columns on SQLite too.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
