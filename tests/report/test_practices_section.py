"""Issue #17: the country bulletin lists, under its recommended actions, the published practices
of OTHER countries that address them (good-practice registry, issue #16)."""

from __future__ import annotations

from pathlib import Path

from observatorio.report.build import build_bulletin
from observatorio.report.options import BulletinOptions
from observatorio.settings import Settings
from observatorio.store import Store
from registry_world import TITLES, app_database, editor_ctx, publish_guatemalan_practice, runtime

from .conftest import PERIOD

THEME = "origin.integration.roots"


def test_country_bulletin_lists_practices_of_other_countries(bundled_store_path: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    settings = Settings(db=bundled_store_path, bulletins_dir=tmp_path / "bulletins", cases_db=url)
    with Store.open(bundled_store_path, read_only=True) as store:
        before = build_bulletin(store, settings, BulletinOptions.parse("country", "HND", PERIOD, "es", "html"))
        profile = next(s for s in before.sections if s.id == "profile")
        assert all(t.id != "practices" for t in profile.tables)  # no registry yet: said in words
        assert next(t for t in profile.tables if t.id == "actions").rows
        assert app_database(tmp_path) == url
        rt = runtime(url)
        ctx = editor_ctx(rt)
        publish_guatemalan_practice(ctx, THEME)
        ctx.session.close()
        rt.close()
        for lang in ("es", "en"):
            for iso3, expected in (("HND", [TITLES[lang]]), ("GTM", [])):
                bulletin = build_bulletin(store, settings, BulletinOptions.parse("country", iso3, PERIOD, lang, "html"))
                profile = next(s for s in bulletin.sections if s.id == "profile")
                listed = [row[1] for t in profile.tables if t.id == "practices" for row in t.rows]
                assert listed == expected, (iso3, lang)
