"""The issue's walk-through in Chromium (Playwright) on one running server: a Honduran provider
uploads a broken file (errors by row and column, nothing stored), fixes it and submits; a
reviewer sees the changed cells and approves with an embargo; before the embargo the API and the
portal show the old figures, after it the new ones, without a restart, while a load generator
keeps querying the API with zero errors. The clock is injected (cases decisions and the store
service share it)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from observatorio.cases.runtime import Runtime
from observatorio.publish.api.app import create_app
from observatorio.publish.api.store_access import StoreService
from publish.live_server import serving  # tests/ is on sys.path (root conftest)
from publish.snapshot_example import SOURCE, Clock, first_men

from .conftest import PASSWORD, TEST_SETTINGS, World
from .test_submissions import NOW, broken, count, revised
from .test_submissions import setup as setup  # noqa: PLC0414 - the fixture, shared

QUERY = {"source": SOURCE, "sex": "M", "start": "2023-01", "end": "2023-01", "group_by": "sex"}


@pytest.fixture
def served(rt: Runtime, setup: tuple[World, Path]) -> Iterator[tuple[str, Clock]]:
    _, db = setup
    clock = Clock(NOW)
    app = create_app(TEST_SETTINGS.model_copy(update={"db": db}))
    app.state.cases_runtime = rt
    app.state.cases_clock = clock
    app.state.store_service = StoreService(app.state.settings, clock)
    with serving(app) as url:
        yield url, clock


def api_figure(client: httpx.Client, url: str) -> float:
    answer = client.get(f"{url}/api/v1/observations", params=QUERY)
    assert answer.status_code == 200, answer.text
    return float(answer.json()["data"][0]["value"])


def portal_figure(client: httpx.Client, url: str) -> float:
    import io

    import pandas as pd

    answer = client.get(f"{url}/en/data/download/{SOURCE}.csv")
    assert answer.status_code == 200, answer.text
    frame = pd.read_csv(io.StringIO(answer.text))
    chosen = frame[(frame["sex"] == "M") & frame["period"].astype(str).str.startswith("2023-01")]
    return float(chosen["value"].sum())


def login(page, url: str, user: str) -> None:  # noqa: ANN001 - a Playwright page
    page.goto(f"{url}/cases/login")
    page.get_by_label("Usuario").fill(user)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/cases/work?lang=*")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_provider_submits_reviewer_approves_with_embargo_and_servers_switch(
        rt: Runtime, setup: tuple[World, Path], served: tuple[str, Clock], browser, tmp_path: Path) -> None:  # noqa: ANN001
    url, clock = served
    http = httpx.Client(timeout=30)
    old = api_figure(http, url)
    assert portal_figure(http, url) == old
    stop, errors, answers = threading.Event(), [], [0]

    def load_generator() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                try:
                    got = client.get(f"{url}/api/v1/observations", params=QUERY)
                    if got.status_code == 200:
                        answers[0] += 1
                    else:
                        errors.append(f"{got.status_code} {got.text[:200]}")
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))

    generator = threading.Thread(target=load_generator)
    generator.start()
    (tmp_path / "roto.csv").write_bytes(broken())
    (tmp_path / "corregido.csv").write_bytes(revised())
    context = browser.new_context()
    page = context.new_page()
    try:
        login(page, url, "hnd_provider")
        page.get_by_role("link", name="Envíos de datos").click()
        page.get_by_label("Archivo (CSV o XLSX)").set_input_files(str(tmp_path / "roto.csv"))
        page.get_by_label("Fecha de publicación").fill("2023-08-15")
        page.get_by_role("button", name="Validar y enviar a revisión").click()
        report = page.locator("#report")
        report.wait_for()
        row = report.locator("tbody tr").first.locator("td")
        assert [row.nth(i).inner_text() for i in range(3)] == ["7", "Hombres", "muchos"]
        assert "No se guardó nada" in report.inner_text() and count(rt) == 0
        page.get_by_label("Archivo (CSV o XLSX)").set_input_files(str(tmp_path / "corregido.csv"))
        page.get_by_label("Fecha de publicación").fill("2023-08-15")
        page.get_by_role("button", name="Validar y enviar a revisión").click()
        page.wait_for_url("**/cases/submissions/*?lang=es")
        review_url = page.url
        assert page.locator("#status").inner_text() == "En revisión"
        page.get_by_role("button", name="Salir").click()

        login(page, url, "reviewer")
        page.goto(review_url)
        cells = page.locator("#changed-cells tbody tr")
        assert cells.count() == 1
        tds = cells.first.locator("td")
        assert [tds.nth(i).inner_text() for i in range(1, 5)] == [
            "Revisadas", f"{first_men():,}".replace(",", "."), f"{2 * first_men():,}".replace(",", "."), "+100,0"]
        page.get_by_label("Comentario").fill("Cifras de enero revisadas")
        page.get_by_label("Notas de la publicación").fill("Corrección de enero de 2023")
        page.get_by_label("Publicar el (UTC; vacío: al aprobar)").fill("2026-12-01T15:00")
        page.get_by_role("button", name="Aprobar y publicar").click()
        # the confirmation step says when the figures go public; nothing is decided before it
        assert "2026-12-01 15:00 UTC" in page.locator("#confirm").inner_text()
        page.get_by_role("button", name="Confirmar la aprobación").click()
        page.locator("#status").filter(has_text="Aprobado, con embargo").wait_for()
    finally:
        context.close()
    try:
        assert api_figure(http, url) == old and portal_figure(http, url) == old  # embargoed
        clock.now = NOW.replace(hour=15) + dt.timedelta(seconds=1)
        assert api_figure(http, url) == old + first_men()  # no restart
        assert portal_figure(http, url) == old + first_men()
        assert api_figure(http, url) != old
    finally:
        stop.set()
        generator.join()
        http.close()
    assert errors == [] and answers[0] > 0
