"""SDMX data and structure by content negotiation and format=, 406 for what is not offered, and
the SDMX REST keywords (issue #11 item 22)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pysdmx.io import read_sdmx

from .helpers import sdmx_json_rows

RETURNS = "/sdmx/data/RETURNS/M.GTM..MEX.RETURN_RECEIVED"
PERIODS = "startPeriod=2023-01&endPeriod=2023-06"
SS = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
GENERIC = "application/vnd.sdmx.genericdata+xml;version=2.1"
SDMX_JSON = "application/vnd.sdmx.data+json;version=2.0.0"
SDMX_CSV = "application/vnd.sdmx.data+csv;version=2.0.0"


def _observations(content_type: str, body: bytes) -> dict[tuple[str, str], float]:
    """(SOURCE, TIME_PERIOD) → value, summed over the other dimensions, whatever the format."""
    if "json" in content_type:
        rows = pd.DataFrame(sdmx_json_rows(body)).rename(columns={"value": "OBS_VALUE"})
    elif "csv" in content_type:
        rows = pd.read_csv(io.StringIO(body.decode()), dtype=str)
    else:
        rows = read_sdmx(body.decode()).data[0].data
    rows["OBS_VALUE"] = rows["OBS_VALUE"].astype(float)
    return rows.groupby(["SOURCE", "TIME_PERIOD"])["OBS_VALUE"].sum().to_dict()


@pytest.mark.parametrize(("accept", "media"), [
    (SS, "application/vnd.sdmx.structurespecificdata+xml"),
    (GENERIC, "application/vnd.sdmx.genericdata+xml"),
    (SDMX_JSON, "application/vnd.sdmx.data+json"),
    (SDMX_CSV, "application/vnd.sdmx.data+csv"),
    ("application/xml", "application/vnd.sdmx.structurespecificdata+xml"),
    ("text/html, */*;q=0.1", "application/vnd.sdmx.data+csv"),
    (f"{SDMX_JSON};q=0.5, {GENERIC}", "application/vnd.sdmx.genericdata+xml"),
])
def test_data_follows_the_accept_header(client: TestClient, accept: str, media: str) -> None:
    r = client.get(f"{RETURNS}?{PERIODS}", headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    assert "accept" in r.headers["vary"].lower()
    reference = client.get(f"{RETURNS}?{PERIODS}&format=sdmx-csv")
    expected = _observations(reference.headers["content-type"], reference.content)
    assert expected and _observations(r.headers["content-type"], r.content) == expected


@pytest.mark.parametrize(("fmt", "media"), [
    ("structurespecificdata", "application/vnd.sdmx.structurespecificdata+xml"),
    ("genericdata", "application/vnd.sdmx.genericdata+xml"),
    ("jsondata", "application/vnd.sdmx.data+json"), ("csvdata", "application/vnd.sdmx.data+csv"),
])
def test_format_parameter_wins_over_accept(client: TestClient, fmt: str, media: str) -> None:
    r = client.get(f"{RETURNS}?{PERIODS}&format={fmt}", headers={"Accept": "application/pdf"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)


def test_what_is_not_offered_is_406_in_both_languages(client: TestClient) -> None:
    for url in (RETURNS, "/sdmx/datastructure/OMR/DSD_MIGRATION/latest"):
        r = client.get(url, headers={"Accept": "application/pdf"})
        assert r.status_code == 406, url
        error = r.json()["error"]
        assert error["code"] == "not_acceptable" and error["parameter"] == "Accept"
        assert "application/pdf" in error["message"]["es"] and "offered" in error["message"]["en"]


def test_the_cache_keeps_representations_apart(client: TestClient) -> None:
    url = f"{RETURNS}?startPeriod=2022-01&endPeriod=2022-02"
    first = client.get(url, headers={"Accept": SDMX_JSON})
    second = client.get(url, headers={"Accept": SS})
    assert first.headers["content-type"].startswith("application/vnd.sdmx.data+json")
    assert second.headers["content-type"].startswith("application/vnd.sdmx.structurespecificdata")
    assert first.headers["etag"] != second.headers["etag"]


def test_structure_as_sdmx_json(client: TestClient) -> None:
    r = client.get("/sdmx/dataflow/OMR/RETURNS/latest?references=all",
                   headers={"Accept": "application/vnd.sdmx.structure+json;version=2.0.0"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.sdmx.structure+json")
    kinds = {type(s).__name__ for s in read_sdmx(r.text).structures}  # pysdmx validates it
    assert {"Dataflow", "DataStructureDefinition", "Codelist"} <= kinds


@pytest.mark.parametrize("flow_ref", ["RETURNS", "OMR,RETURNS", "OMR,RETURNS,1.0",
                                      "OMR,RETURNS,latest", "all,RETURNS,latest"])
def test_flow_references_and_provider(client: TestClient, flow_ref: str) -> None:
    base = client.get(f"{RETURNS}?{PERIODS}").content
    key = "M.GTM..MEX.RETURN_RECEIVED"
    assert client.get(f"/sdmx/data/{flow_ref}/{key}?{PERIODS}").content == base
    assert client.get(f"/sdmx/data/{flow_ref}/{key}/all?{PERIODS}").content == base
    assert client.get(f"/sdmx/data/XYZ,RETURNS/{key}").status_code == 404
    assert client.get(f"/sdmx/data/OMR,RETURNS,9.9/{key}").status_code == 404


def test_detail_keywords(client: TestClient) -> None:
    full = pd.read_csv(io.StringIO(client.get(f"{RETURNS}?{PERIODS}").text))
    data_only = pd.read_csv(io.StringIO(client.get(f"{RETURNS}?{PERIODS}&detail=dataonly").text))
    assert "OBS_STATUS" in full and "OBS_STATUS" not in data_only
    assert data_only["OBS_VALUE"].sum() == full["OBS_VALUE"].sum()
    keys = pd.read_csv(io.StringIO(client.get(f"{RETURNS}?{PERIODS}&detail=serieskeysonly").text))
    assert "OBS_VALUE" not in keys and "TIME_PERIOD" not in keys
    series = full.drop(columns=["TIME_PERIOD", "OBS_VALUE", "OBS_STATUS"]).drop_duplicates()
    assert len(keys) == len(series) > 0
    no_data = client.get(f"{RETURNS}?{PERIODS}&detail=nodata&format=sdmx-json").json()
    assert all(s["observations"] == {} for s in no_data["data"]["dataSets"][0]["series"].values())
    assert client.get(f"{RETURNS}?detail=everything").status_code == 400


def test_dimension_at_observation(client: TestClient) -> None:
    flat = client.get(f"{RETURNS}?{PERIODS}&dimensionAtObservation=AllDimensions",
                      headers={"Accept": GENERIC})
    assert flat.status_code == 200
    assert b'dimensionAtObservation="AllDimensions"' in flat.content
    by_time = client.get(f"{RETURNS}?{PERIODS}", headers={"Accept": SS})
    assert b'dimensionAtObservation="TIME_PERIOD"' in by_time.content
    assert _observations(SS, by_time.content) == _observations(GENERIC, flat.content)
    assert client.get(f"{RETURNS}?dimensionAtObservation=NOPE").status_code == 400


def test_structure_keywords(client: TestClient) -> None:
    for query in ("detail=allstubs", "detail=referencepartial", "references=all", "references=none"):
        r = client.get(f"/sdmx/datastructure/OMR/DSD_MIGRATION/latest?{query}")
        assert r.status_code == 200, query
    assert client.get("/sdmx/datastructure/OMR/DSD_MIGRATION/latest?detail=some").status_code == 400
