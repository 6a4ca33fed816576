"""Issue 11 (trust and polish of the public side): what the pages say must be true.

Each test names the item it covers; each fails on the portal before the fix.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observatorio.publish.api.app import create_app
from observatorio.publish.web import assets
from observatorio.publish.web.pages import (
    PAGE_BY_ID,
    PageRequest,
    build_children,
    build_country,
    build_data,
    build_deaths,
    build_overview,
    split_causes,
)
from observatorio.settings import Settings
from observatorio.store.duck import Store


@pytest.fixture(scope="module")
def client(portal_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(portal_settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def store(portal_store_path: Path) -> Iterator[Store]:
    with Store.open(portal_store_path, read_only=True) as opened:
        yield opened


def request(store: Store, settings: Settings, lang: str, page: str, iso3: str | None = None,
            **query: str) -> PageRequest:
    return PageRequest(lang=lang, page=PAGE_BY_ID[page], store=store, settings=settings,
                       query=dict(query), iso3=iso3)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- item 1: missing data is "no data", never "does not hold the role" ---------------------------


@pytest.mark.parametrize("iso3", ["GTM", "CRI", "USA"])
def test_role_without_evidence_reads_no_data(client: TestClient, iso3: str) -> None:
    html = client.get(f"/es/paises/{iso3}/").text
    table = html.split('class="data-table roles"')[1].split("</table>")[0]
    rows = re.findall(r"<tr[^>]*>.*?</tr>", table, re.DOTALL)
    no_data = [r for r in rows if "<td>sin datos</td>" in r]
    assert no_data, "every one of these countries has a role without evidence"
    for row in no_data:
        assert "No cumple este rol" not in row
        assert 'data-role-status="no_data"' in row
        assert "Sin datos" in _text(row)


# -- item 5: one chart = one measure and one unit; partial years marked -------------------------


def test_country_charts_hold_one_measure_and_mark_partial_years(
        store: Store, portal_settings: Settings) -> None:
    charts = build_country(request(store, portal_settings, "es", "country", "USA"))["charts"]
    bars = [c for c in charts.values() if c.kind == "bar" and not c.empty
            and c.id not in ("children",)]
    for chart in bars:
        measures = {s.split(".")[0] for s in [r["series"] for r in chart.frame]}
        assert len(measures) == 1, f"{chart.id} mixes {measures}"
        assert " / " not in chart.unit, f"{chart.id} mixes units: {chart.unit}"
    border = next(c for c in bars if any(s.startswith("border_encounters") for s in [r["series"] for r in c.frame]))
    partial = dict(zip([r["x"] for r in border.frame], [r["partial"] for r in border.frame], strict=True))
    assert partial["2021"] == "oct–dic"  # CBP's file starts in October 2021
    assert partial["2022"] == ""
    bar = json.loads(border.figure_json())["data"][0]
    assert bar["marker"]["pattern"]["shape"][0] == "/"
    assert "2021 (oct–dic)" in border.note


# -- item 6: yearly data is labelled by year; units as the sources count ------------------------


def test_yearly_sources_show_years_not_months(store: Store, portal_settings: Settings) -> None:
    rows = {r["source"]: r for r in build_data(request(store, portal_settings, "es", "data"))["sources"]}
    assert rows["iom_gdidata.undesa_stocks"]["period"] == "1990 – 2024"
    assert rows["cbp_sw_land_border_encounters"]["period"] == "oct 2021 – ago 2025"


def test_country_freshness_shows_yearly_data_as_years(client: TestClient) -> None:
    html = client.get("/es/paises/GTM/").text
    fresh = _text(html.split('id="fresh-title"')[1])
    assert "ene 1990" not in fresh
    assert re.search(r"stock de migrantes internacionales personas 1990 2024", fresh)


@pytest.mark.parametrize("iso3", ["HND", "PAN"])
def test_transit_figures_say_persons(client: TestClient, iso3: str) -> None:
    html = client.get(f"/es/paises/{iso3}/").text
    row = next(r for r in re.findall(r"<tr>.*?</tr>", html, re.DOTALL)
               if "Tránsito irregular de personas extranjeras registrado" in r)
    assert "<td>personas</td>" in row, _text(row)


def test_a_share_read_from_a_count_source_stays_a_percentage(client: TestClient) -> None:
    """Guatemala's returnees source counts persons: its share indicators still read "%"."""
    html = client.get("/es/paises/GTM/").text
    row = next(r for r in re.findall(r"<tr>.*?</tr>", html, re.DOTALL)
               if "Porcentaje de menores no acompañados entre las personas retornadas" in r)
    assert "<td>%</td>" in row and "<td>personas</td>" not in row, _text(row)


# -- item 7: the children page --------------------------------------------------------------------


def test_children_series_shown_once_and_us_family_units_explained(
        store: Store, portal_settings: Settings) -> None:
    charts = build_children(request(store, portal_settings, "es", "children"))["charts"]
    for chart in charts.values():
        # series: source.ref_area.flow.accompaniment.age; each US series from one source
        sources: dict[str, set[str]] = {}
        for series in set([r["series"] for r in chart.frame]):
            if ".USA." in series:
                source, rest = series.split(".USA.")
                sources.setdefault(rest, set()).add(source)
        assert sources and all(len(s) == 1 for s in sources.values()), sources
    assert "unidades familiares" in charts["accompanied"].note


# -- item 12: every return pair; an unknown choice is said, with a 404 -----------------------------


def test_returns_offer_every_pair_and_refuse_unknown_ones(client: TestClient) -> None:
    html = client.get("/es/retornos/").text
    pairs = re.findall(r'<option value="([A-Z]{3}-[A-Z]{3})"', html)
    assert len(pairs) > 50 and "MEX-GTM" in pairs and "USA-GTM" in pairs
    unknown = client.get("/es/retornos/?pair=ZZZ-XXX")
    assert unknown.status_code == 404
    assert "ZZZ-XXX" in _text(unknown.text) and 'role="alert"' in unknown.text
    assert client.get("/en/returns/?pair=MEX-HND").status_code == 200


def test_routes_refuse_an_unknown_nationality(client: TestClient) -> None:
    response = client.get("/es/rutas/?nat=ZZZ")
    assert response.status_code == 404
    assert "ZZZ" in _text(response.text)


def test_downloaded_csv_names_say_what_was_chosen(client: TestClient) -> None:
    response = client.get("/es/retornos/csv/mirror.csv?pair=MEX-HND")
    assert response.status_code == 200
    assert 'filename="retornos-mirror-pair-MEX-HND.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and all("executed" in r["series"] for r in rows)


# -- item 13: the methodology page -----------------------------------------------------------------


def test_methodology_page_is_in_its_language_without_literal_comments(client: TestClient) -> None:
    english = client.get("/en/methodology/").text
    spanish = client.get("/es/metodologia/").text
    for html in (english, spanish):
        assert "generated:" not in html and "&lt;!--" not in html
        # every table of the document scrolls in its own box
        assert html.count('<div class="table-scroll" tabindex="0"><table>') >= 4
    assert "Indicator catalogue" in english and "Catálogo de indicadores" not in english
    assert "Catálogo de indicadores" in spanish and "Indicator catalogue" not in spanish


# -- item 15: deaths causes and routes translated and split, licences in Spanish ------------------


def test_split_causes_follows_iom_names() -> None:
    assert split_causes("Drowning,Violence") == ["Drowning", "Violence"]
    assert split_causes(
        "Harsh environmental conditions / lack of adequate shelter, food, water,Mixed or unknown") \
        == ["Harsh environmental conditions / lack of adequate shelter, food, water",
            "Mixed or unknown"]


def test_deaths_page_speaks_spanish(store: Store, portal_settings: Settings) -> None:
    charts = build_deaths(request(store, portal_settings, "es", "deaths"))["charts"]
    causes = set([r["x"] for r in charts["by_cause"].frame])
    assert "Ahogamiento" in causes and "Violencia" in causes
    assert not any("," in c and "/" not in c for c in causes)
    assert not {"Drowning", "Violence", "Undefined"} & causes
    routes = set([r["x"] for r in charts["by_route"].frame])
    assert "Ruta centroamericana" in routes and "Undefined" not in routes
    assert "0 personas fallecidas" not in charts["map"].description


def test_licences_are_in_spanish_on_the_spanish_data_page(
        store: Store, portal_settings: Settings) -> None:
    rows = {r["source"]: r for r in build_data(request(store, portal_settings, "es", "data"))["sources"]}
    assert rows["cbp_sw_land_border_encounters"]["licence"] == (
        "Dominio público (obra del gobierno federal de EE. UU.)", "es")
    assert all(r["licence"][1] == "es" for r in rows.values()), [
        r["licence"] for r in rows.values() if r["licence"][1] != "es"]


# -- item 18: maps ---------------------------------------------------------------------------------


def test_members_map_shows_canada_whole_on_a_log_scale(
        store: Store, portal_settings: Settings) -> None:
    chart = build_overview(request(store, portal_settings, "es", "overview"))["charts"]["map"]
    figure = json.loads(chart.figure_json())
    geo = figure["layout"]["geo"]
    assert geo["projection"]["type"] != "mercator"
    assert geo["lataxis"]["range"][1] >= 80  # Canada's Arctic islands reach 83°N
    values = next(t for t in figure["data"] if t["meta"] == "values")
    assert values["customdata"] == [int(v) for v in [r["value"] for r in chart.frame]]
    assert values["z"][0] == pytest.approx(math.log10(values["customdata"][0]))
    assert "logarítmica" in values["colorbar"]["title"]["text"]
    assert values["colorbar"]["ticktext"]  # real values in the legend


def test_deaths_map_draws_its_size_scale(store: Store, portal_settings: Settings) -> None:
    chart = build_deaths(request(store, portal_settings, "en", "deaths"))["charts"]["map"]
    scale = next(t for t in json.loads(chart.figure_json())["data"] if t["meta"] == "size_legend")
    assert len(scale["text"]) == 3 and all(t.endswith("persons") for t in scale["text"])
    assert scale["marker"]["size"][0] > scale["marker"]["size"][-1]


def test_deaths_map_draws_land_beyond_the_region(store: Store, portal_settings: Settings,
                                                  client: TestClient) -> None:
    """Item 18: incidents reach Chile, but the region's shapes stop at Colombia and Venezuela."""
    if not assets.world_land_available():
        pytest.skip("the world topojson is extracted by vendor/build.sh (make run / make test)")
    chart = build_deaths(request(store, portal_settings, "es", "deaths"))["charts"]["map"]
    geo = json.loads(chart.figure_json())["layout"]["geo"]
    assert geo["visible"] and geo["showland"] and geo["resolution"] == 110
    world = client.get("/static/geo/land/world_110m.json").json()
    (scale_x, scale_y), (move_x, move_y) = world["transform"]["scale"], world["transform"]["translate"]
    south_american = []
    for arc in world["arcs"]:  # quantized, delta-encoded TopoJSON arcs
        x = y = 0
        for dx, dy in arc:
            x, y = x + dx, y + dy
            lon, lat = x * scale_x + move_x, y * scale_y + move_y
            if -82 < lon < -34:
                south_american.append(lat)
    assert min(south_american) < -50  # Tierra del Fuego: land the region's shapes never had
