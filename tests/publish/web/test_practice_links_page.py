"""Issue #16: a published practice appears under the matching recommended action of OTHER
countries' profiles on the portal (Honduras shows a Guatemalan practice; Guatemala does not),
in both languages, without a data load or a restart."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from observatorio.publish.api.app import create_app
from observatorio.settings import Settings
from registry_world import (
    SECRET,
    TITLES,
    app_database,
    editor_ctx,
    publish_guatemalan_practice,
    runtime,
)

SLUGS = {"es": ("paises", "buenas-practicas"), "en": ("countries", "good-practices")}


def test_practice_shows_on_other_countries_recommended_action(portal_store_path: Path, tmp_path: Path) -> None:
    url = app_database(tmp_path)
    settings = Settings(db=portal_store_path, cases_db=url, secret_key=SECRET)
    with TestClient(create_app(settings)) as client:
        before = client.get("/es/paises/HND/")
        assert before.status_code == 200 and TITLES["es"] not in before.text
        rt = runtime(url)
        ctx = editor_ctx(rt)
        practice_id = publish_guatemalan_practice(ctx, "origin.integration.roots")
        ctx.session.close()
        rt.close()
        for lang, (countries, practices) in SLUGS.items():
            html = client.get(f"/{lang}/{countries}/HND/").text  # the same cached profile, a new link
            assert f'<a href="/{lang}/{practices}/{practice_id}/">{TITLES[lang]}</a>' in html
            assert TITLES[lang] not in client.get(f"/{lang}/{countries}/GTM/").text  # never its own
