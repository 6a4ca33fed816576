"""Chromium (Playwright) on SQLite and PostgreSQL, issue #15's whole "Done when" in one walk: a reception
officer records an arrival, imports a manifest of 40 people whose 3 bad rows are reported by row
(nothing is imported), imports the corrected file, receives all 40 from the one-page intake form
with keys only (typed choices in selects, space bar on checkboxes, Enter to record); the two
unaccompanied children are referred automatically to the child-protection agency (referral
records resting on the legal mandate, in the agency's "my work"); three months later (injected
clock) a reintegration plan gets its 3-month follow-up; the publication run produces the month's
aggregates into a real statistics store, and the public page served from that store shows them
with suppressed cells marked and nothing that identifies a person."""

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
from observatorio.cases.reception.geography import load_municipalities
from observatorio.cases.reception.models import Intake
from observatorio.cases.referral_models import Referral
from observatorio.cases.reintegration_models import ReintegrationFollowUp
from observatorio.publish.api.app import create_app
from observatorio.settings import Settings
from observatorio.store.duck import Store
from publish.live_server import serving  # tests/ is on sys.path (root conftest)

from .browser_login import sign_in
from .conftest import make_app
from .reception_files import csv_bytes, people, with_bad_rows
from .test_mandated_referrals import _hnd_child_agency

DAY = dt.datetime(2025, 8, 14, 15, tzinfo=dt.UTC)
LATER = dt.datetime(2025, 11, 20, 15, tzinfo=dt.UTC)  # three months on: the 3-month follow-up is due
#: the department typed for person k: three large ones, and Olancho (3 people) that is suppressed
DEPARTMENTS = ["Cortés", "Francisco Morazán", "Atlántida"]
#: a national municipality list as data (test codes: no real list ships with the project)
MUNICIPALITIES = {"Cortés": ("T-0501", "San Pedro Sula (prueba)", "HN-CR"),
                  "Francisco Morazán": ("T-0801", "Distrito Central (prueba)", "HN-FM"),
                  "Atlántida": ("T-0101", "La Ceiba (prueba)", "HN-AT"),
                  "Olancho": ("T-1501", "Juticalpa (prueba)", "HN-OL")}


def _department(k: int) -> str:
    return "Olancho" if k >= 37 else DEPARTMENTS[k % 3]


@pytest.fixture
def clock() -> dict[str, dt.datetime]:
    return {"now": DAY}


@pytest.fixture
def server(rt, clock) -> Iterator[str]:
    from observatorio.cases.reintegration.web import router as reintegration_router
    from observatorio.publish.web.routes import router as portal_router  # serves /static/portal.css

    app = make_app(rt)
    app.include_router(portal_router)
    app.include_router(reintegration_router)
    app.state.cases_clock = lambda: clock["now"]  # the arrival's day, then three months on
    with serving(app) as url:
        yield url


def _focused(page) -> str:
    return str(page.evaluate("document.activeElement.name || document.activeElement.tagName"))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_reception_to_public_page_walk(rt, world, server, clock, browser, tmp_path: Path) -> None:
    _hnd_child_agency(rt, world)  # Honduras' DINAF: the mandated receiver of unaccompanied children
    listed = tmp_path / "municipios.csv"
    listed.write_text("code,name,department\n" + "".join(f"{c},{n},{d}\n" for c, n, d in MUNICIPALITIES.values()),
                      encoding="utf-8")
    with rt.sessions() as s:
        load_municipalities(s, listed)
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
        assert visited[:6] == ["family_names", "date_of_birth", "sex", "department", "municipality_code",
                               "accompaniment"]
        assert page.locator("datalist#municipalities option").count() == len(MUNICIPALITIES)

        for k in range(40):
            assert page.locator("input[name=given_names]").input_value() == rows[k][0]
            # keys only: a focused select takes the typed name, a focused checkbox the space bar
            page.get_by_label("Departamento de destino").focus()
            # a select's type-ahead takes the start of the name, up to its first accented letter
            # (typed as text input, not as a key a select takes: it ended up in the next field)
            page.keyboard.type(_department(k).split("á")[0].split("é")[0])
            page.get_by_label("Acompañamiento").focus()
            if k < 2:  # the two children travelling alone
                page.keyboard.type("Menor no")
                page.get_by_label("Niña, niño o adolescente no acompañado").focus()
                page.keyboard.press("Space")
            else:
                page.keyboard.type("Unidad" if k % 4 == 0 else "Adulto")
            page.get_by_label("Alimentación").focus()
            page.keyboard.press("Space")
            page.get_by_label("Municipio").focus()  # the code of the national list (a datalist)
            page.keyboard.type(MUNICIPALITIES[_department(k)][0])
            with page.expect_navigation():
                page.keyboard.press("Enter")
            notice = page.locator("#last-intake").inner_text()
            assert "Atención registrada" in notice
            assert ("Autoridad de protección de la niñez" in notice) is (k < 2), k
            # the children's referral is made, by legal mandate, to Honduras' agency
            assert ("por mandato legal" in notice and "DINAF" in notice) is (k < 2), k
            if k == 39:
                case_url = page.locator("#last-intake a").first.get_attribute("href")
        page.get_by_role("link", name="Volver a la llegada").click()
        assert page.locator("#received").inner_text() == "40"
        assert page.get_by_role("link", name="Atender", exact=True).count() == 0

        # three months on, the last person received gets a reintegration plan and its follow-ups
        clock["now"] = LATER
        assert case_url
        page.goto(server + case_url.split("?")[0] + "/reintegration")
        page.locator("#department").fill("HN-CR")
        page.locator("#started_on").fill("2025-08-14")
        with page.expect_navigation():
            page.get_by_role("button", name="Abrir el plan de reintegración").click()
        for months in (1, 3):  # the form offers the earliest follow-up not recorded
            assert page.get_by_role("heading", name=f"Registrar el seguimiento de los {months} meses").count() == 1
            for group in page.locator("form.reint-questionnaire fieldset").all():
                group.locator("input[type=radio]").last.check()
            with page.expect_navigation():
                page.get_by_role("button", name="Guardar el seguimiento").click()
        three = page.locator("#followup-3").inner_text()
        assert "A tiempo" in three and "2025-11-20" in three
    finally:
        page.close()
    dinaf = browser.new_page()  # the agency's "my work" lists the two referrals
    try:
        sign_in(dinaf, server, "hnd_dinaf")
        incoming = dinaf.locator("#incoming + ul li, #incoming ~ ul li").all_inner_texts()
        assert len(incoming) == 2 and all("mandato legal" in t for t in incoming), incoming
    finally:
        dinaf.close()
    with rt.sessions() as s:
        tasks = s.scalars(select(CaseTask.title).where(CaseTask.title.contains("child_protection_agency"))).all()
        assert tasks == [], "the children's referral is a referral record, not a task"
        referred = s.scalars(select(Referral)).unique().all()
        assert len(referred) == 2 and {r.mandate for r in referred} == {"child_protection_law"}
        assert all(r.consent_id is None and r.override_justification is None for r in referred)
        recorded = s.execute(select(Intake.department, Intake.accompaniment)).all()
        coded = s.scalars(select(Intake.municipality_code)).all()
        assert Counter(coded) == {"T-0501": 13, "T-0801": 12, "T-0101": 12, "T-1501": 3}
        assert Counter(d for d, _ in recorded) == {"HN-CR": 13, "HN-FM": 12, "HN-AT": 12, "HN-OL": 3}, \
            "typed choices"
        assert Counter(a for _, a in recorded) == {"UNACCOMPANIED": 2, "FAMILY_UNIT": 9, "SINGLE_ADULT": 29}
        followed = s.scalars(select(ReintegrationFollowUp.milestone_months)
                             .where(ReintegrationFollowUp.recorded_on.is_not(None))).all()
        assert sorted(followed) == [1, 3]
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

    # the public page, served from that store: the month's figures, suppressed cells marked
    public = browser.new_page()
    try:
        with serving(create_app(Settings(db=tmp_path / "stats.duckdb"))) as url:
            public.goto(url + "/es/atencion-a-retornados/")
            ranking = public.locator("table.ranking").first
            assert ranking.locator("tbody tr").first.inner_text().split("\t")[1:3] == ["Cortés", "13"]
            olancho = ranking.locator("tr", has_text="Olancho")
            assert olancho.locator("[data-suppressed=true]").count() == 4
            assert "suprimido" in olancho.inner_text()
            # and the municipalities people return to, for campaigns: Juticalpa's 3 suppressed
            municipal = public.locator("table.municipal-ranking")
            assert municipal.locator("tbody tr").first.inner_text().split("\t")[1:3] == [
                "San Pedro Sula (prueba) (Cortés)", "13"]
            juticalpa = municipal.locator("tr", has_text="Juticalpa")
            assert juticalpa.locator("[data-suppressed=true]").count() == 4
            html = public.content()
    finally:
        public.close()
    for given, family, born, _sex in rows:  # nothing on it identifies a person
        assert given not in html and f"{given.split()[0]} {family}" not in html and born not in html
