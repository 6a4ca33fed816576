"""A migrated application database with one editor, and a published practice: shared by the
tests outside tests/cases that need the directory or the good-practice registry."""

from __future__ import annotations

from pathlib import Path

from observatorio.cases import accounts, practices
from observatorio.cases.auth import principal_of
from observatorio.cases.config import CasesConfig
from observatorio.cases.db import upgrade
from observatorio.cases.directory_schemas import Moderation, PracticeIn
from observatorio.cases.runtime import Runtime
from observatorio.cases.use_context import Ctx
from observatorio.cases.vocab import OrgKind
from observatorio.settings import Settings

SECRET = "test-secret-key-not-for-production-0123456789abcdefghijklmnopqrs"
CHEAP = CasesConfig(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)
TITLES = {"es": "Ventanilla única para personas retornadas", "en": "One-stop desk for returnees"}


def app_database(folder: Path) -> str:
    """A fresh, migrated SQLite application database in ``folder``; its URL."""
    url = f"sqlite:///{folder / 'app.sqlite'}"
    upgrade(url)
    return url


def runtime(url: str) -> Runtime:
    return Runtime.from_url(url, Settings(secret_key=SECRET), CHEAP)


def editor_ctx(rt: Runtime) -> Ctx:
    """A unit of work acting as a new editor of a regional organisation (its own session)."""
    session = rt.sessions()
    org = accounts.add_organisation(session, "Secretaría", OrgKind.INTERNATIONAL, "CRI")
    editor = accounts.add_user(session, "editor", "a long enough password", rt.config, [(org, "editor")])
    session.commit()
    return Ctx(session, principal_of(session, editor.id), "127.0.0.1", "")


def publish_guatemalan_practice(ctx: Ctx, theme: str) -> int:
    """A Guatemalan practice on ``theme``, in both languages, submitted and published."""
    practice = practices.submit(ctx, PracticeIn(
        country="GTM", theme=theme, populations=["returnees"], description="Atención integral.",
        title_es=TITLES["es"], summary_es="Un solo lugar para los trámites.",
        title_en=TITLES["en"], summary_en="One place for every procedure."))
    practices.moderate(ctx, practice.id, Moderation(decision="publish"))
    return practice.id
