"""Sources, loads, freshness, codelists and glossary, in Spanish (default) and English."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .helpers import CBP


def test_sources_tell_publisher_licence_release_and_coverage(client: TestClient) -> None:
    sources = {s["source"]: s for s in client.get("/api/v1/sources").json()}
    cbp = sources[CBP]
    assert cbp["publisher"].startswith("U.S. Customs")
    assert cbp["licence"]
    assert cbp["release"] == "2025-09-15"
    assert cbp["title"] == cbp["title_es"]
    assert {"ref_area": "USA", "freq": "M"}.items() <= cbp["coverage"][0].items()
    assert cbp["coverage"][0]["period_start"] == "2021-10-01"
    english = {s["source"]: s for s in client.get("/api/v1/sources?lang=en").json()}
    assert english[CBP]["title"] == cbp["title_en"]
    assert english[CBP]["caveats"] != cbp["caveats"]


def test_freshness_lists_every_crm_country(client: TestClient) -> None:
    rows = client.get("/api/v1/freshness").json()
    countries = {r["ref_area"] for r in rows}
    assert {"BLZ", "CAN", "CRI", "DOM", "SLV", "GTM", "HND", "MEX", "NIC", "PAN", "USA"} <= countries
    usa = [r for r in rows if r["ref_area"] == "USA" and r["flow"] == "APPREHENSION"
           and r["freq"] == "M"]
    assert usa and usa[0]["last_period"] >= "2025-08-01"
    assert CBP in usa[0]["sources"]
    assert usa[0]["country"] == "Estados Unidos"


def test_codelists_in_both_languages(client: TestClient) -> None:
    ids = {c["id"] for c in client.get("/api/v1/codelists").json()}
    assert {"area", "flow", "sex"} <= ids
    es = client.get("/api/v1/codelists/sex").json()
    en = client.get("/api/v1/codelists/sex?lang=en").json()
    assert es["lang"] == "es" and en["lang"] == "en"
    female_es = next(c for c in es["codes"] if c["id"] == "F")
    female_en = next(c for c in en["codes"] if c["id"] == "F")
    assert female_es["label"] == "mujeres" and female_en["label"] == "female"
    area = client.get("/api/v1/codelists/area").json()
    assert any(c["id"] == "GTM" for c in area["codes"])


def test_glossary_maps_national_terms_to_flows(client: TestClient) -> None:
    terms = {g["term"]: g for g in client.get("/api/v1/glossary").json()}
    assert terms["deportado"]["flow"] == "RETURN_RECEIVED"
    english = {g["term"]: g for g in client.get("/api/v1/glossary?lang=en").json()}
    assert english["deportado"]["definition"] == terms["deportado"]["definition_en"]
    assert terms["deportado"]["definition"] == terms["deportado"]["definition_es"]


def test_sdmx_dataflows(client: TestClient) -> None:
    flows = {f["id"]: f for f in client.get("/sdmx/dataflow").json()}
    assert flows["BORDER_ENFORCEMENT"]["structure"] == "OMR:BORDER_ENFORCEMENT(1.0)"
    assert flows["BORDER_ENFORCEMENT"]["key_template"].startswith("FREQ.REF_AREA.")
