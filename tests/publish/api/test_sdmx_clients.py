"""Standard SDMX clients against our service on a real server (issue #11 item 22): sdmx1 and
pysdmx, each with its default settings and the service as a custom source, list the dataflows,
read the DSD and fetch RETURNS M.GTM..MEX.RETURN_RECEIVED; the numbers equal the API's."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from observatorio.publish.api.sdmx import SERIES_GROUP, sdmx_code

from .helpers import sdmx_json_rows

FLOW, KEY = "RETURNS", "M.GTM..MEX.RETURN_RECEIVED"
DIMENSIONS = ["FREQ", "REF_AREA", "CITIZENSHIP", "COUNTERPART_AREA", "FLOW", "SEX", "AGE",
              "ACCOMPANIMENT", "UNIT_MEASURE", "SOURCE", "TABLE"]


def _api_numbers(live_url: str) -> dict[tuple[str, str, str, str], float]:
    """(SOURCE, SEX, AGE, TIME_PERIOD) → value from /api/v1/observations (one row per SDMX series
    key and period)."""
    params = {"dataflow": FLOW, "freq": "M", "ref_area": "GTM", "counterpart_area": "MEX",
              "flow": "RETURN_RECEIVED", "group_by": ",".join(SERIES_GROUP), "limit": "50000"}
    rows = httpx.get(f"{live_url}/api/v1/observations", params=params, timeout=120).json()["data"]
    assert rows
    return {(sdmx_code(r["source"]), r["sex"], r["age"], r["period"][:7]): float(r["value"])
            for r in rows if r["value"] is not None}


def _keyed(rows: list[dict]) -> dict[tuple[str, str, str, str], float]:
    return {(r["SOURCE"], r["SEX"], r["AGE"], str(r["TIME_PERIOD"])): float(r["value"])
            for r in rows}


@pytest.fixture()
def sdmx1_source(live_url: str) -> Iterator[str]:
    sdmx = pytest.importorskip("sdmx")
    # sdmx1 uses the source id as the agency of its structure queries.
    sdmx.add_source({"id": "OMR", "url": f"{live_url}/sdmx", "name": "Observatorio"},
                    override=True)
    yield "OMR"
    sdmx.source.sources.pop("OMR", None)


def test_sdmx1_reads_our_service(live_url: str, sdmx1_source: str) -> None:
    import sdmx

    client = sdmx.Client(sdmx1_source)
    flows = client.dataflow().dataflow
    assert FLOW in flows and "BORDER_ENFORCEMENT" in flows
    dsd = client.datastructure("DSD_MIGRATION").structure["DSD_MIGRATION"]
    assert [d.id for d in dsd.dimensions][:len(DIMENSIONS)] == DIMENSIONS
    message = client.data(FLOW, key=KEY, dsd=dsd)
    series = sdmx.to_pandas(message).reset_index()
    got = _keyed([{**r, "value": r["value"]} for r in series.to_dict("records")])
    assert got == _api_numbers(live_url)


def test_pysdmx_reads_our_service(live_url: str) -> None:
    from pysdmx.api.qb import ApiVersion, DataQuery, RestService, StructureQuery, StructureType
    from pysdmx.io import read_sdmx
    from pysdmx.model.dataflow import DataStructureDefinition

    service = RestService(f"{live_url}/sdmx", ApiVersion.V1_5_0, timeout=120)
    flows = read_sdmx(service.structure(StructureQuery(
        artefact_type=StructureType.DATAFLOW, agency_id="OMR")).decode()).structures
    assert FLOW in {f.id for f in flows}
    dsd = read_sdmx(service.structure(StructureQuery(
        artefact_type=StructureType.DATA_STRUCTURE, agency_id="OMR",
        resource_id="DSD_MIGRATION")).decode()).structures[0]
    assert isinstance(dsd, DataStructureDefinition)
    assert [c.id for c in dsd.components.dimensions][:len(DIMENSIONS)] == DIMENSIONS
    # pysdmx asks for SDMX-JSON data by default (it reads SDMX-ML and SDMX-CSV data itself).
    body = service.data(DataQuery(agency_id="OMR", resource_id=FLOW, key=KEY))
    assert _keyed(sdmx_json_rows(body)) == _api_numbers(live_url)
