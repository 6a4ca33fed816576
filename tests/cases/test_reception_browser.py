"""Chromium (Playwright) on SQLite, issue #15's reception scenario: a reception officer records
an arrival, imports a manifest of 40 people whose 3 bad rows are reported by row (nothing is
imported), imports the corrected file, receives all 40 from the one-page intake form with keys
only (typed choices in selects, space bar on checkboxes, Enter to record); the two unaccompanied
children get their referral to child protection from the protocol; the publication run then
produces the month's returnee aggregates."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from observatorio.cases.models import CaseTask
from observatorio.cases.publication.run import publish
from observatorio.cases.publication.writer import SOURCE_ID
from observatorio.cases.reception.models import Intake
from observatorio.store.duck import Store
from publish.live_server import serving  # tests/ is on sys.path (root conftest)

from .browser_login import sign_in
from .conftest import make_app
from .reception_files import csv_bytes, people, with_bad_rows

DAY = dt.datetime(2025, 8, 14, 15, tzinfo=dt.UTC)


@pytest.fixture
def server(rt) -> Iterator[str]:
    from observatorio.publish.web.routes import router as portal_router  # serves /static/portal.css

    app = make_app(rt)
    app.include_router(portal_router)
    app.state.cases_clock = lambda: DAY  # the arrival's day, so the month published is known
    with serving(app) as url:
        yield url


def _focused(page) -> str:
    return str(page.evaluate("document.activeElement.name || document.activeElement.tagName"))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_reception_officer_imports_a_manifest_and_receives_forty_people(rt, world, server, browser,
                                                                        tmp_path: Path) -> None:
    rows = people(40, seed=15, children=2)
    (tmp_path / "bad.csv").write_bytes(csv_bytes(with_bad_rows(rows)))
    (tmp_path / "vuelo.csv").write_bytes(csv_bytes(rows))
    page = browser.new_page()
    try:
        sign_in(page, server, "hnd_reception")
        page.get_by_role("link", name="Recepción de retornados").click()
        page.get_by_label("Fecha de llegada").fill("2025-08-14")
        page.get_by_label("Retornadas desde").fill("USA")
        page.get_by_label("Personas esperadas").fill("40")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        # the manifest with three bad rows: each reported by row and column, nothing imported
        page.get_by_label("Archivo del manifiesto").set_input_files(str(tmp_path / "bad.csv"))
        with page.expect_navigation():
            page.get_by_role("button", name="Importar").click()
        reported = page.locator("#manifest-problems tbody tr td:first-child").all_inner_texts()
        assert reported == ["6", "13", "31"]
        assert page.locator("#on-manifest").inner_text() == "0"
        page.get_by_label("Archivo del manifiesto").set_input_files(str(tmp_path / "vuelo.csv"))
        with page.expect_navigation():
            page.get_by_role("button", name="Importar").click()
        assert page.locator("#on-manifest").inner_text() == "40"
        page.get_by_role("link", name="Atender", exact=True).first.click()
        page.wait_for_url("**/intake?**")

        # the form opens on the first field (autofocus applies once the page is loaded); Tab
        # follows the working order
        page.wait_for_function("document.activeElement && document.activeElement.name === 'given_names'")
        visited: list[str] = []
        for _ in range(12):
            page.keyboard.press("Tab")
            if _focused(page) not in visited:
                visited.append(_focused(page))
        assert visited[:6] == ["family_names", "date_of_birth", "sex", "department", "municipality_text",
                               "accompaniment"]
        assert "texto libre" in page.locator("#municipality-help").inner_text()

        for k in range(40):
            assert page.locator("input[name=given_names]").input_value() == rows[k][0]
            # keys only: a focused select takes the typed name, a focused checkbox the space bar
            page.get_by_label("Departamento de destino").focus()
            page.keyboard.type(["Cortés", "Francisco Morazán", "Atlántida"][k % 3])
            page.get_by_label("Acompañamiento").focus()
            if k < 2:  # the two children travelling alone
                page.keyboard.type("Menor no")
                page.get_by_label("Niña, niño o adolescente no acompañado").focus()
                page.keyboard.press("Space")
            else:
                page.keyboard.type("Unidad" if k % 4 == 0 else "Adulto")
            page.get_by_label("Alimentación").focus()
            page.keyboard.press("Space")
            page.get_by_label("Municipio").focus()
            page.keyboard.type("San Pedro Sula")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            notice = page.locator("#last-intake").inner_text()
            assert "Atención registrada" in notice
            assert ("Autoridad de protección de la niñez" in notice) is (k < 2), k
        page.get_by_role("link", name="Volver a la llegada").click()
        assert page.locator("#received").inner_text() == "40"
        assert page.get_by_role("link", name="Atender", exact=True).count() == 0
    finally:
        page.close()
    with rt.sessions() as s:
        tasks = s.scalars(select(CaseTask.title).where(CaseTask.title.contains("child_protection_agency"))).all()
        assert len(tasks) == 2
        recorded = s.execute(select(Intake.department, Intake.accompaniment)).all()
        assert Counter(d for d, _ in recorded) == {"HN-CR": 14, "HN-FM": 13, "HN-AT": 13}, "typed choices"
        assert Counter(a for _, a in recorded) == {"UNACCOMPANIED": 2, "FAMILY_UNIT": 9, "SINGLE_ADULT": 29}
        with Store.open(tmp_path / "stats.duckdb") as store:
            result = publish(s, store, dt.date(2025, 8, 1), 5)
            frame = store.query_df("SELECT * FROM observations WHERE source = ? AND \"table\" LIKE 'returnees_%'",
                                   [SOURCE_ID])
    assert not result.skipped
    total = frame[frame["table"] == "returnees_by_department.total"]
    assert total["value"].tolist() == [40.0]
    children = frame[(frame["table"] == "returnees_by_accompaniment.row_totals")
                     & (frame["accompaniment"] == "UNACCOMPANIED")]
    assert children["obs_status"].tolist() == ["C"], "two children alone: a suppressed small cell"
