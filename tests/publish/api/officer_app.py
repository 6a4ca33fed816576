"""The whole application with a cases side holding one consular head ("oficial"): for the tests
of what wraps both sides (the cases pages' own lane, CORS)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI

from observatorio.cases import accounts
from observatorio.cases.config import CasesConfig
from observatorio.cases.db import upgrade
from observatorio.cases.runtime import Runtime
from observatorio.cases.vocab import OrgKind
from observatorio.publish.api.app import create_app
from observatorio.settings import Settings

SECRET = "officer-app-secret-not-for-production-0123456789abcdefghijklmnop"
PASSWORD = "correct horse battery staple"
OFFICER = "oficial"


@contextmanager
def app_with_one_officer(store: Path, folder: Path) -> Iterator[FastAPI]:
    """The app over ``store``, its cases database (SQLite) in ``folder``."""
    url = f"sqlite:///{folder}/cases.sqlite"
    upgrade(url)
    settings = Settings(db=store, secret_key=SECRET)
    # the cheapest password hashing: these tests are about what wraps the pages
    rt = Runtime.from_url(url, settings, CasesConfig(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1))
    with rt.sessions() as s:
        org = accounts.add_organisation(s, "Consulado", OrgKind.CONSULATE, "GTM", "MEX", "Tapachula")
        accounts.add_user(s, OFFICER, PASSWORD, rt.config, [(org, "consular_head")])
        s.commit()
    app = create_app(settings)
    app.state.cases_runtime = rt
    try:
        yield app
    finally:
        rt.close()
