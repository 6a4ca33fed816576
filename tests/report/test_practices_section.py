"""Issue #17: the country bulletin lists, under its recommended actions, the published practices
of OTHER countries that address them (good-practice registry, issue #16)."""

from __future__ import annotations

from pathlib import Path

from observatorio.cases import accounts, practices
from observatorio.cases.auth import principal_of
from observatorio.cases.config import CasesConfig
from observatorio.cases.db import upgrade
from observatorio.cases.directory_schemas import Moderation, PracticeIn
from observatorio.cases.runtime import Runtime
from observatorio.cases.service import Ctx
from observatorio.cases.vocab import OrgKind
from observatorio.report.build import build_bulletin
from observatorio.report.options import BulletinOptions
from observatorio.settings import Settings
from observatorio.store import Store

from .conftest import PERIOD

SECRET = "test-secret-key-not-for-production-0123456789abcdefghijklmnopqrs"
CHEAP = CasesConfig(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)
TITLES = {"es": "Ventanilla única para personas retornadas", "en": "One-stop desk for returnees"}


def _registry_with_a_guatemalan_practice(url: str, theme: str) -> None:
    upgrade(url)
    rt = Runtime.from_url(url, Settings(secret_key=SECRET), CHEAP)
    with rt.sessions() as s:
        org = accounts.add_organisation(s, "Secretaría", OrgKind.INTERNATIONAL, "CRI")
        editor = accounts.add_user(s, "editor", "a long enough password", rt.config, [(org, "editor")])
        s.commit()
        ctx = Ctx(s, principal_of(s, editor.id), "127.0.0.1", "")
        submitted = practices.submit(ctx, PracticeIn(
            country="GTM", theme=theme, populations=["returnees"], description="Atención integral.",
            title_es=TITLES["es"], summary_es="Un solo lugar para los trámites.",
            title_en=TITLES["en"], summary_en="One place for every procedure."))
        practices.moderate(ctx, submitted.id, Moderation(decision="publish"))
    rt.close()


def test_country_bulletin_lists_practices_of_other_countries(bundled_store_path: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    settings = Settings(db=bundled_store_path, bulletins_dir=tmp_path / "bulletins", cases_db=url)
    with Store.open(bundled_store_path, read_only=True) as store:
        before = build_bulletin(store, settings, BulletinOptions.parse("country", "HND", PERIOD, "es", "html"))
        profile = next(s for s in before.sections if s.id == "profile")
        assert all(t.id != "practices" for t in profile.tables)  # no registry yet: said in words
        actions = next(t for t in profile.tables if t.id == "actions")
        assert actions.rows
        theme = "origin.integration.roots"
        _registry_with_a_guatemalan_practice(url, theme)
        for lang in ("es", "en"):
            for iso3, expected in (("HND", [TITLES[lang]]), ("GTM", [])):
                bulletin = build_bulletin(store, settings, BulletinOptions.parse("country", iso3, PERIOD, lang, "html"))
                profile = next(s for s in bulletin.sections if s.id == "profile")
                listed = [row[1] for t in profile.tables if t.id == "practices" for row in t.rows]
                assert listed == expected, (iso3, lang)
