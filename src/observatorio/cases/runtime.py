"""Per-application runtime of the cases side: engine, sessions, signing key, tunables."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from observatorio.cases.config import CasesConfig, secret_key_for
from observatorio.cases.db import make_engine, make_sessionmaker
from observatorio.settings import Settings, get_settings


@dataclass
class Runtime:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    secret: str
    config: CasesConfig

    @classmethod
    def from_url(cls, url: str, settings: Settings | None = None, config: CasesConfig | None = None) -> Runtime:
        """Build the runtime for a database URL (the key comes from settings or beside the DB)."""
        engine = make_engine(url)
        return cls(url, engine, make_sessionmaker(engine), secret_key_for(settings, url), config or CasesConfig())

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Runtime:
        settings = settings or get_settings()
        return cls.from_url(settings.cases_db_url, settings)

    def close(self) -> None:
        self.engine.dispose()
