"""SDMX-CSV 2.0 read back by pysdmx; SDMX-JSON 2.0 checked by pysdmx's validator."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pysdmx.io import read_sdmx
from pysdmx.io.json.sdmxjson2.reader.doc_validation import validate_sdmx_json

from .helpers import CBP, sdmx_json_rows

KEY = f"M.USA.._Z.APPREHENSION.....{CBP}"  # FREQ.REF_AREA.CITIZENSHIP.…


def test_sdmx_csv_reads_back_with_pysdmx(client: TestClient) -> None:
    r = client.get(f"/sdmx/data/BORDER_ENFORCEMENT/{KEY}?startPeriod=2022-01&endPeriod=2022-03")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.sdmx.data+csv")
    message = read_sdmx(r.text)
    dataset = message.data[0]
    assert dataset.short_urn == "Dataflow=OMR:BORDER_ENFORCEMENT(1.0)"
    frame = dataset.data
    assert set(frame["FLOW"]) == {"APPREHENSION"}
    assert set(frame["TIME_PERIOD"]) == {"2022-01", "2022-02", "2022-03"}
    assert set(frame["SOURCE"]) == {CBP}
    # Series keys are unique per period: the SDMX view sums source breakdowns within a table.
    dims = [c for c in frame.columns if c not in ("STRUCTURE", "STRUCTURE_ID", "ACTION",
                                                    "OBS_VALUE", "OBS_STATUS")]
    assert not frame.duplicated(subset=dims).any()


def test_sdmx_json_is_valid_and_matches_csv(client: TestClient) -> None:
    url = f"/sdmx/data/BORDER_ENFORCEMENT/{KEY}?startPeriod=2022-01&endPeriod=2022-03"
    as_json = client.get(url + "&format=sdmx-json")
    assert as_json.headers["content-type"].startswith("application/vnd.sdmx.data+json")
    validate_sdmx_json(as_json.text)  # the official SDMX-JSON 2.0.0 data schema
    csv_frame = read_sdmx(client.get(url).text).data[0].data
    json_rows = sdmx_json_rows(as_json.content)
    assert len(json_rows) == len(csv_frame)
    assert sum(r["value"] for r in json_rows) == csv_frame["OBS_VALUE"].astype(float).sum()


def test_api_sdmx_formats_are_valid_too(client: TestClient) -> None:
    r = client.get("/api/v1/observations", params={"source": CBP, "group_by": "flow,period",
                                                  "format": "sdmx-json", "lang": "en"})
    validate_sdmx_json(r.text)
    r = client.get("/api/v1/observations", params={"source": CBP, "group_by": "flow",
                                                  "format": "sdmx-csv"})
    frame = read_sdmx(r.text).data[0].data
    assert set(frame["FLOW"]) == {"APPREHENSION", "INADMISSIBLE", "EXPULSION"}


def test_whole_dataflow_and_wildcards(client: TestClient) -> None:
    whole = client.get("/sdmx/data/BORDER_ENFORCEMENT?startPeriod=2022-01&endPeriod=2022-01")
    keyed = client.get("/sdmx/data/BORDER_ENFORCEMENT/all?startPeriod=2022-01&endPeriod=2022-01")
    assert whole.status_code == keyed.status_code == 200
    assert whole.content == keyed.content
    plus = client.get(f"/sdmx/data/BORDER_ENFORCEMENT/M.USA.GTM+HND.......{CBP}"
                      "?startPeriod=2022-01&endPeriod=2022-01")
    frame = read_sdmx(plus.text).data[0].data
    assert set(frame["CITIZENSHIP"]) == {"GTM", "HND"}
