"""The admin-1 map layer (issue 13): every bundled shape file decoded into one GeoJSON keyed by
ISO 3166-2 and served by the app; the quirks of the files handled; the country page's
sub-national charts drawn from the store's UNHCR Admin-1 rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, shape

from observatorio.harmonize.subdivisions import all_subdivisions
from observatorio.model.codelists import CRM_MEMBERS
from observatorio.publish.api.app import create_app
from observatorio.publish.web.admin1_map import (
    admin1_geojson,
    admin1_url,
    subdivision_codes,
)
from observatorio.publish.web.pages import COUNTRY_PAGE, PageRequest
from observatorio.publish.web.subnational import SOURCE, admin1_charts
from observatorio.settings import Settings
from observatorio.store.duck import Store

from .tiny_store import tiny_store

DATA = Path(__file__).resolve().parents[3] / "data"
FEATURES_PER_COUNTRY = {"BLZ": 6, "CRI": 7, "DOM": 32, "GTM": 22, "HND": 18, "MEX": 32, "NIC": 15 + 2,
                        "PAN": 12, "SLV": 14}


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)) / 2


def test_every_division_keyed_by_iso_3166_2_and_the_quirks_handled() -> None:
    features = admin1_geojson(DATA)["features"]
    ids = [f["id"] for f in features]
    assert len(ids) == len(set(ids)) == sum(FEATURES_PER_COUNTRY.values())
    for iso3, n in FEATURES_PER_COUNTRY.items():
        assert len(subdivision_codes(DATA, [iso3])) == n, iso3
    assert not {"-99", "lake", "NI."} & set(ids)  # non-divisions left out, HASC ids never used
    assert "NI-SJ" in ids  # Río San Juan, whose file id lost its suffix ("NI.")
    # Nicaragua's "lake" feature is the Rivas department: drawn where Rivas city and Ometepe are
    rivas = shape(next(f for f in features if f["id"] == "NI-RI")["geometry"])
    assert rivas.contains(Point(-85.83, 11.44)) and rivas.contains(Point(-85.70, 11.54))
    assert sorted(subdivision_codes(DATA, ["NIC"])) == sorted(
        code for code in all_subdivisions() if code.startswith("NI-"))  # none missing
    assert "MX-CMX" in ids  # "Distrito Federal" is Mexico City
    assert {"PA-8", "PA-KY"} <= set(ids)  # Panamá and Kuna Yala share PA.SB in the file
    for f in features:  # clockwise exteriors: what plotly.js's projection fills as the inside
        geometry = f["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        assert all(_signed_area(p[0]) < 0 for p in polygons), f["id"]


def test_served_by_the_app_compressed_one_country_at_a_time(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(db=tmp_path / "none.duckdb")))
    r = client.get(admin1_url("MEX"), headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    assert r.headers.get("content-encoding") == "gzip"
    assert len(json.loads(r.content)["features"]) == FEATURES_PER_COUNTRY["MEX"]
    for absent in ("CAN", "XXX", "mex", "..%2F..%2Fetc"):
        assert client.get(admin1_url(absent)).status_code == 404


@pytest.fixture
def admin1_store(tmp_path: Path) -> Path:
    year = dt.date(2025, 1, 1)
    rows = [
        {"table": "Admin-1 location, total", "ref_area": "MX-CHP", "flow": "REFUGEE_STOCK", "value": 900.0},
        {"table": "Admin-1 location, total", "ref_area": "MX-CMX", "flow": "REFUGEE_STOCK", "value": 300.0},
        {"table": "Admin-1 location, total", "ref_area": "MX-CHP", "flow": "ASYLUM_SEEKER_STOCK", "value": 50.0},
        {"table": "Admin-1 location, by sex and age", "ref_area": "MX-CHP", "flow": "REFUGEE_STOCK",
         "sex": "F", "age": "Y_LT5", "value": 40.0},
        {"table": "country of asylum, total", "ref_area": "MEX", "flow": "REFUGEE_STOCK", "value": 5000.0},
    ]
    path = tiny_store(tmp_path / "s.duckdb", SOURCE, [{**r, "period": year} for r in rows])
    # the country page's role analysis needs every member's population
    return tiny_store(path, "worldbank_population", [
        {"dataflow": "POPULATION", "ref_area": iso, "flow": "POPULATION", "period": dt.date(2024, 1, 1),
         "value": 1e6} for iso in CRM_MEMBERS])


@pytest.mark.parametrize("lang", ["es", "en"])
def test_country_page_maps_unhcr_admin1_rows_per_population_type(admin1_store: Path, lang: str) -> None:
    with Store.open(admin1_store, read_only=True) as store:
        req = PageRequest(lang, COUNTRY_PAGE, store, Settings(db=admin1_store), iso3="MEX")
        charts = admin1_charts(req, "MEX")
        assert admin1_charts(PageRequest(lang, COUNTRY_PAGE, store, Settings(db=admin1_store), iso3="CAN"),
                             "CAN") == {}  # no shapes for Canada: no section
    assert set(charts) == {"admin1-refugee_stock", "admin1-refugee_stock-sex-age", "admin1-asylum_seeker_stock"}
    refugees = charts["admin1-refugee_stock"]
    assert dict(zip([r["x"] for r in refugees.frame], [r["value"] for r in refugees.frame], strict=True)) == {"MX-CHP": 900, "MX-CMX": 300}
    figure = json.loads(refugees.figure_json())
    no_data = next(t for t in figure["data"] if t.get("meta") == "no_data")
    assert len(no_data["locations"]) == 30 and "MX-CHP" not in no_data["locations"]
    assert all(t["geojson"] == admin1_url("MEX") for t in figure["data"])  # served here, no CDN
    assert "2025" in refugees.title and ("UNHCR" in refugees.title if lang == "en" else "ACNUR" in refugees.title)


@pytest.mark.parametrize(("lang", "heading"), [("es", "Por departamento o estado"), ("en", "By department or state")])
def test_country_page_shows_the_section_in_both_languages(admin1_store: Path, lang: str, heading: str) -> None:
    client = TestClient(create_app(Settings(db=admin1_store)))
    path = {"es": "/es/paises/MEX/", "en": "/en/countries/MEX/"}[lang]
    page = client.get(path)
    assert page.status_code == 200 and heading in page.text and admin1_url("MEX") in page.text
    csv = client.get(f"{path}csv/admin1-refugee_stock.csv")
    assert csv.status_code == 200 and "MX-CHP" in csv.text
    assert heading not in client.get(path.replace("MEX", "CAN")).text
