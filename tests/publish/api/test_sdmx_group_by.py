"""SDMX formats of /api/v1/observations with group_by keep every dimension and write TIME_PERIOD
in SDMX form (issue #11 item 21)."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from pysdmx.io import read_sdmx

from observatorio.publish.api.sdmx import DIMENSIONS

from .helpers import CBP, sdmx_json_rows

URL = f"/api/v1/observations?source={CBP}&start=2022-01&end=2022-03"


def test_sdmx_csv_with_group_by_keeps_the_dimensions(client: TestClient) -> None:
    r = client.get(f"{URL}&group_by=citizenship,period&format=sdmx-csv")
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    header = list(rows[0])
    assert header[3:3 + len(DIMENSIONS)] == [d.id for d in DIMENSIONS]
    assert header[-3:] == ["TIME_PERIOD", "OBS_VALUE", "OBS_STATUS"]
    assert {row["TIME_PERIOD"] for row in rows} == {"2022-01", "2022-02", "2022-03"}
    assert {row["FREQ"] for row in rows} == {"M"}
    assert {row["SEX"] for row in rows} == {"_T"}  # summed over: SDMX's total
    assert {row["SOURCE"] for row in rows} == {CBP}
    plain = client.get(f"{URL}&group_by=citizenship,period&format=csv").text
    expected = {(p["citizenship"], p["period"][:7]): float(p["value"])
                for p in csv.DictReader(io.StringIO(plain))}
    assert {(row["CITIZENSHIP"], row["TIME_PERIOD"]): float(row["OBS_VALUE"])
            for row in rows} == expected
    frame = read_sdmx(r.text).data[0].data  # a standard reader takes it
    assert len(frame) == len(rows)


def test_sdmx_json_with_group_by_has_every_dimension(client: TestClient) -> None:
    r = client.get(f"{URL}&group_by=citizenship,period&format=sdmx-json")
    assert r.status_code == 200, r.text
    series = r.json()["data"]["structures"][0]["dimensions"]["series"]
    assert [d["id"] for d in series] == [d.id for d in DIMENSIONS]
    assert {row["TIME_PERIOD"] for row in sdmx_json_rows(r.content)} == {
        "2022-01", "2022-02", "2022-03"}


def test_sdmx_total_over_periods_keeps_the_dimensions(client: TestClient) -> None:
    """Without period in group_by: one total over the periods asked, every dimension kept."""
    r = client.get(f"{URL}&group_by=citizenship&format=sdmx-csv")
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert "TIME_PERIOD" not in rows[0]
    assert list(rows[0])[3:3 + len(DIMENSIONS)] == [d.id for d in DIMENSIONS]
    assert len({row["CITIZENSHIP"] for row in rows}) == len(rows)
