"""Issue #16: a published practice appears under the matching recommended action of OTHER
countries' profiles on the portal (Honduras shows a Guatemalan practice; Guatemala does not),
in both languages, without a data load or a restart."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from observatorio.cases import accounts, practices
from observatorio.cases.auth import principal_of
from observatorio.cases.config import CasesConfig
from observatorio.cases.db import upgrade
from observatorio.cases.directory_schemas import Moderation, PracticeIn
from observatorio.cases.runtime import Runtime
from observatorio.cases.service import Ctx
from observatorio.cases.vocab import OrgKind
from observatorio.publish.api.app import create_app
from observatorio.settings import Settings

SECRET = "test-secret-key-not-for-production-0123456789abcdefghijklmnopqrs"
TITLES = {"es": "Ventanilla única para personas retornadas", "en": "One-stop desk for returnees"}


def _publish(rt: Runtime, theme: str) -> int:
    with rt.sessions() as s:
        org = accounts.add_organisation(s, "Secretaría", OrgKind.INTERNATIONAL, "CRI")
        editor = accounts.add_user(s, "editor", "a long enough password", rt.config, [(org, "editor")])
        s.commit()
        ctx = Ctx(s, principal_of(s, editor.id), "127.0.0.1", "")
        practice = practices.submit(ctx, PracticeIn(
            country="GTM", theme=theme, populations=["returnees"], description="Atención integral.",
            title_es=TITLES["es"], summary_es="Un solo lugar.", title_en=TITLES["en"], summary_en="One place."))
        practices.moderate(ctx, practice.id, Moderation(decision="publish"))
        return practice.id


def test_practice_shows_on_other_countries_recommended_action(portal_store_path: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    upgrade(url)
    settings = Settings(db=portal_store_path, cases_db=url, secret_key=SECRET)
    with TestClient(create_app(settings)) as client:
        before = client.get("/es/paises/HND/")
        assert before.status_code == 200 and TITLES["es"] not in before.text
        assert "origin.integration.roots" not in before.text
        rt = client.app.state.cases_runtime = Runtime.from_url(  # type: ignore[attr-defined]
            url, settings, CasesConfig(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1))
        practice_id = _publish(rt, "origin.integration.roots")
        for lang, path in (("es", "/es/paises/"), ("en", "/en/countries/")):
            html = client.get(f"{path}HND/").text  # the same cached profile, the new link
            assert f'<a href="/{lang}/{"buenas-practicas" if lang == "es" else "good-practices"}/{practice_id}/">' \
                   f"{TITLES[lang]}</a>" in html
            assert TITLES[lang] not in client.get(f"{path}GTM/").text  # never its own country's
        rt.close()
