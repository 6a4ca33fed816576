"""The foundation's check values, through the API, in every format."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .helpers import CBP, FORMATS, rows_of, total

FISCAL_YEARS = {  # CBP Southwest land border encounters (data/SOURCES.md)
    2022: 2_378_944,
    2023: 2_475_669,
    2024: 2_135_005,
}


def test_done_when_query_answers_the_published_total(client: TestClient) -> None:
    r = client.get(f"/api/v1/observations?source={CBP}&start=2021-10&end=2022-09"
                   "&group_by=source&format=csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = rows_of("csv", r.content)
    assert [row["value"] for row in rows] == ["2378944"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fiscal_year", sorted(FISCAL_YEARS))
def test_cbp_fiscal_years_in_every_format(client: TestClient, fmt: str, fiscal_year: int) -> None:
    params = {"source": CBP, "start": f"{fiscal_year - 1}-10", "end": f"{fiscal_year}-09",
              "group_by": "source", "format": fmt}
    r = client.get("/api/v1/observations", params=params)
    assert r.status_code == 200, r.text
    assert total(fmt, r.content) == FISCAL_YEARS[fiscal_year]


@pytest.mark.parametrize("fmt", FORMATS)
def test_ungrouped_rows_add_up_too(client: TestClient, fmt: str) -> None:
    # Without group_by (SDMX formats: one row per series key), the rows still add up.
    params = {"source": CBP, "start": "2021-10", "end": "2022-09", "format": fmt,
              "limit": "5000"}
    r = client.get("/api/v1/observations", params=params)
    assert r.status_code == 200, r.text
    assert total(fmt, r.content) == FISCAL_YEARS[2022]


SDMX_KEY = f"M.USA........{CBP}"  # FREQ.REF_AREA.….UNIT_MEASURE.SOURCE


def test_sdmx_rest_path_answers_the_same_total(client: TestClient) -> None:
    r = client.get(f"/sdmx/data/BORDER_ENFORCEMENT/{SDMX_KEY}",
                   params={"startPeriod": "2022-10", "endPeriod": "2023-09"})
    assert r.status_code == 200, r.text
    assert total("sdmx-csv", r.content) == FISCAL_YEARS[2023]
    r = client.get(f"/sdmx/data/BORDER_ENFORCEMENT/{SDMX_KEY}",
                   params={"startPeriod": "2023-10", "endPeriod": "2024-09"},
                   headers={"Accept": "application/vnd.sdmx.data+json"})
    assert r.status_code == 200
    assert total("sdmx-json", r.content) == FISCAL_YEARS[2024]


OTHER_CHECKS = [
    # (source, filters, value): UNHCR asylum applications, data/SOURCES.md check values.
    ("unhcr_asylum_applications",
     {"ref_area": "USA", "citizenship": "HND", "flow": "ASYLUM_APPLICATION", "start": "2018",
      "end": "2018"}, 26_241),
    ("unhcr_asylum_applications",
     {"ref_area": "CRI", "citizenship": "NIC", "flow": "ASYLUM_APPLICATION", "start": "2019",
      "end": "2019"}, 31_757),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("source", "filters", "expected"), OTHER_CHECKS)
def test_other_check_values(client: TestClient, loaded_sources: set[str], fmt: str,
                            source: str, filters: dict[str, str], expected: int) -> None:
    assert source in loaded_sources
    params = {"source": source, **filters, "group_by": "source", "format": fmt}
    r = client.get("/api/v1/observations", params=params)
    assert r.status_code == 200, r.text
    assert total(fmt, r.content) == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_darien_2023(client: TestClient, loaded_sources: set[str], fmt: str) -> None:
    source = "iom_gdidata.irreg_darien_nat"
    assert source in loaded_sources
    checked = 0
    for freq in ("A", "M"):
        params = {"source": source, "freq": freq, "start": "2023", "end": "2023",
                  "group_by": "source", "format": fmt}
        r = client.get("/api/v1/observations", params=params)
        assert r.status_code == 200, r.text
        if rows_of(fmt, r.content):
            assert total(fmt, r.content) == 520_085
            checked += 1
    assert checked
