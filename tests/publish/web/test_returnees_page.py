"""The public page "Atención a personas retornadas" / "Assistance to returnees" (issue 15,
item 5), built on a store holding published ``cases_publication`` aggregates in the shape of
the reception tables (department of destination × month, accompaniment × age) and the
reintegration indicators, with suppressed cells as the publication writes them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from observatorio.publish.api.app import create_app
from observatorio.settings import Settings

from ..live_server import serving
from .tiny_store import tiny_store

MONTHS = [dt.date(2023 + (8 + i) // 12, (8 + i) % 12 + 1, 1) for i in range(24)]  # 2023-09 … 2025-08
PATHS = {"es": "/es/atencion-a-retornados/", "en": "/en/assistance-to-returnees/"}
RELEASE = dt.date(2025, 8, 1)


def _row(table: str, period: dt.date, value: float | None, **dims: Any) -> dict[str, Any]:
    attributes = json.dumps(dims.pop("attributes", {}), sort_keys=True, separators=(",", ":"))
    return {"dataflow": "CONSULAR", "table": table, "period": period, "freq": "M", "flow": "CONSULAR_CASE",
            "unit": "CASES", "value": value, "obs_status": "C" if value is None else "A",
            "attributes": attributes, "release": RELEASE, **dims}


def returnee_rows() -> list[dict[str, Any]]:
    rows = []
    for i, month in enumerate(MONTHS):
        recent = i >= 12
        cortes, francisco = (60 if recent else 40), 30
        # Atlántida (3 a month) is small, and Olancho (8) its complement: both suppressed
        rows += [_row("returnees_by_department", month, cortes, ref_area="HN-CR"),
                 _row("returnees_by_department", month, francisco, ref_area="HN-FM"),
                 _row("returnees_by_department", month, None, ref_area="HN-AT"),
                 _row("returnees_by_department", month, None, ref_area="HN-OL"),
                 _row("returnees_by_department.column_totals", month, cortes + francisco + 3 + 8, ref_area="_T"),
                 _row("returnees_by_accompaniment", month, 12, ref_area="_T", accompaniment="UNACCOMPANIED",
                      age="Y_LT18"),
                 _row("returnees_by_accompaniment", month, None if i % 2 else 7, ref_area="_T",
                      accompaniment="ACCOMPANIED", age="Y_LT18")]
        # Cortés' municipalities (codes and names in attributes, as the publication writes them):
        # San Pedro Sula 50 a month (30 before), Choloma suppressed; the inner sex cells and the
        # table's totals carry a department's ref_area but must never pass for its figures
        rows += [_row("returnees_by_municipality.row_totals", month, 50 if recent else 30, ref_area="HN-CR",
                      attributes={"municipality": "T-0501", "municipality_name": "San Pedro Sula"}),
                 _row("returnees_by_municipality.row_totals", month, None, ref_area="HN-CR",
                      attributes={"municipality": "T-0502", "municipality_name": "Choloma"}),
                 _row("returnees_by_municipality", month, 1, ref_area="HN-CR", sex="M",
                      attributes={"municipality": "T-0501", "municipality_name": "San Pedro Sula"}),
                 _row("returnees_by_municipality.total", month, 2, ref_area="HN-CR",
                      attributes={"municipality": "_T"})]
    june = dt.date(2025, 6, 1)
    rows += [  # the reintegration indicators, suppressed as the publication does (a complement too)
        _row("reintegration_followup_by_department", june, None, ref_area="HN-CR", attributes={"followup": "on_time"}),
        _row("reintegration_followup_by_department", june, None, ref_area="HN-CR", attributes={"followup": "late"}),
        _row("reintegration_followup_by_department.row_totals", june, 14, ref_area="HN-CR", attributes={"followup": "_T"}),
        _row("reintegration_followup_by_department", june, 20, ref_area="HN-FM", attributes={"followup": "on_time"}),
        _row("reintegration_followup_by_department.row_totals", june, 20, ref_area="HN-FM", attributes={"followup": "_T"}),
        _row("reintegration_score_change_by_department", june, 10, ref_area="HN-FM",
             attributes={"change": "improved", "dimension": "economic"}),
        _row("reintegration_score_change_by_department.row_totals", june, 20, ref_area="HN-FM",
             attributes={"change": "_T", "dimension": "economic"}),
    ]
    return rows


@pytest.fixture(scope="module")
def returnee_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tiny_store(tmp_path_factory.mktemp("returnees") / "s.duckdb", "cases_publication", returnee_rows())
    return tiny_store(path, "fixture_department_population", [
        {"dataflow": "POPULATION", "ref_area": "HN-CR", "flow": "POPULATION", "period": dt.date(2024, 1, 1),
         "value": 1_800_000.0},
        {"dataflow": "POPULATION", "ref_area": "HN-CR", "flow": "POPULATION", "period": dt.date(2024, 1, 1),
         "value": 800_000.0, "attributes": '{"municipality":"T-0501"}'}])


@pytest.fixture(scope="module")
def client(returnee_store: Path) -> TestClient:
    return TestClient(create_app(Settings(db=returnee_store)))


@pytest.mark.parametrize(("lang", "title", "marker"), [("es", "Atención a personas retornadas", "suprimido"),
                                                      ("en", "Assistance to returnees", "suppressed")])
def test_page_in_both_languages_with_suppressed_cells_marked(client: TestClient, lang: str, title: str,
                                                             marker: str) -> None:
    page = client.get(PATHS[lang])
    assert page.status_code == 200 and f"<h1>{title}</h1>" in page.text
    html = page.text
    # the ranking: Cortés (720 in the last 12 months), Francisco Morazán (360), then the
    # suppressed departments (Atlántida, Olancho) in name order
    ranking = html[html.index('class="data-table ranking"'):]
    ranking = ranking[:ranking.index("</table>")]
    assert ranking.index("Cort") < ranking.index("Francisco") < ranking.index("Atl") < ranking.index("Olancho")
    assert ">720<" in ranking and ">360<" in ranking
    assert (">59,4<" if lang == "es" else ">59.4<") in ranking  # Cortés' share: 720 of the 1,212 published
    assert (">50,0<" if lang == "es" else ">50.0<") in ranking  # change: 720 against 480
    assert (">40,0<" if lang == "es" else ">40.0<") in ranking  # per 100,000: 720 of 1.8 million
    atlantida = ranking[ranking.index("Atl"):ranking.index("Olancho")]
    assert atlantida.count('data-suppressed="true"') == 4 and marker in atlantida
    # reintegration: Cortés' share on time is suppressed (its cells are), Francisco Morazán's 100 %
    assert 'data-suppressed="true">' + marker in html
    assert "100,0" in html if lang == "es" else "100.0" in html
    # the map is drawn from our own department shapes
    assert "/static/geo/admin1/HND.geojson" in html
    assert client.get("/static/geo/admin1/HND.geojson").status_code == 200


def test_nothing_small_or_derived_is_shown(client: TestClient) -> None:
    """Only published figures: Cortés' late follow-ups (14 due, on time suppressed) are never
    derived, and no count under the threshold appears in the ranking."""
    html = client.get(PATHS["en"]).text
    followups = html[html.index("Reintegration plan follow-ups"):]
    followups = followups[:followups.index("</table>")]
    cortes = followups[followups.index("Cort"):followups.index("</tr>", followups.index("Cort"))]
    assert ">14<" in cortes and cortes.count("suppressed") >= 2 and ">3<" not in cortes


def test_campaign_csv_ranks_and_flags_suppression(client: TestClient) -> None:
    r = client.get(PATHS["en"] + "csv/ranking.csv", params={"country": "HND"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["department"] for row in rows] == ["HN-CR", "HN-FM", "HN-AT", "HN-OL"]
    assert float(rows[0]["value"]) == 720 and float(rows[0]["per_100000"]) == 40.0
    assert rows[2]["status"] == "C" and rows[2]["value"] == ""


def test_unknown_country_is_said_not_a_500(client: TestClient) -> None:
    r = client.get(PATHS["es"], params={"country": "ZZZ"})
    assert r.status_code == 200 and "No hay datos publicados de ese país" in r.text


def test_empty_store_says_nothing_is_published(tmp_path: Path) -> None:
    path = tiny_store(tmp_path / "e.duckdb", "fixture_department_population", [
        {"dataflow": "POPULATION", "ref_area": "HN-CR", "flow": "POPULATION", "period": dt.date(2024, 1, 1),
         "value": 1.0}])
    r = TestClient(create_app(Settings(db=path))).get(PATHS["en"])
    assert r.status_code == 200 and "No reception data are published yet" in r.text


def test_at_390_px_in_a_browser(browser: Any, returnee_store: Path) -> None:
    with serving(create_app(Settings(db=returnee_store))) as url:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(120_000)
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + PATHS["es"])
        page.wait_for_selector("#chart-map .plot .main-svg")
        width = page.evaluate("document.documentElement.scrollWidth")
        drawn = page.evaluate("document.querySelectorAll('#chart-map .choroplethlocation').length")
        context.close()
    assert width <= 390, f"the page is {width} px wide at 390 px"
    assert drawn > 0
    assert errors == []
    assert all(u.startswith(url) for u in requests), [u for u in requests if not u.startswith(url)]


def test_municipalities_are_ranked_with_share_change_rate_and_suppression(client: TestClient) -> None:
    """Campaign targeting by municipality: San Pedro Sula 600 in the last twelve months (49.5 %
    of Honduras' 1,212, +66.7 % against 360, 75.0 per 100,000 of 800,000), Choloma suppressed."""
    html = client.get(PATHS["en"]).text
    table = html[html.index('municipal-ranking"'):]
    table = table[:table.index("</table>")]
    assert table.index("San Pedro Sula (Cort") < table.index("Choloma (Cort")
    for shown in (">600<", ">49.5<", ">66.7<", ">75.0<"):
        assert shown in table, shown
    choloma = table[table.index("Choloma"):]
    assert choloma.count('data-suppressed="true"') == 4
    r = client.get(PATHS["en"] + "csv/municipalities.csv", params={"country": "HND"})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["municipality"], row["department"], row["status"]) for row in rows] == [
        ("T-0501", "HN-CR", "A"), ("T-0502", "HN-CR", "C")]
    assert float(rows[0]["value"]) == 600 and float(rows[0]["per_100000"]) == 75.0 and rows[1]["value"] == ""
    es = client.get(PATHS["es"]).text
    assert "Municipios de destino" in es and ">49,5<" in es
