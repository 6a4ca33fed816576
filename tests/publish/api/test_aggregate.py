"""aggregate=A|FY|Q: monthly data summed by calendar year, US fiscal year or quarter, with the
status rule and the no-double-count rule kept (issue #11 item 20)."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from observatorio.loading import harmonize_file
from observatorio.sources.base import get_adapter
from observatorio.store import Store

from .conftest import make_client
from .helpers import CBP

OBS = "/api/v1/observations"
FISCAL_YEARS = {"2021-10-01": 2_378_944, "2022-10-01": 2_475_669, "2023-10-01": 2_135_005}


def _rows(r: object) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(r.text)))  # type: ignore[attr-defined]


def test_us_fiscal_years_equal_the_published_totals(client: TestClient) -> None:
    rows = _rows(client.get(OBS, params={"source": CBP, "aggregate": "FY", "group_by": "source",
                                         "format": "csv"}))
    by_start = {r["period"]: r for r in rows}
    for start, total in FISCAL_YEARS.items():
        assert int(by_start[start]["value"]) == total
        assert by_start[start]["freq"] == "A" and by_start[start]["months"] == "12"


def test_calendar_years_and_quarters_add_up_the_months(client: TestClient) -> None:
    monthly = _rows(client.get(OBS, params={"source": CBP, "group_by": "period", "format": "csv"}))
    per_year: dict[str, float] = {}
    for r in monthly:
        per_year[r["period"][:4]] = per_year.get(r["period"][:4], 0) + float(r["value"])
    years = _rows(client.get(OBS, params={"source": CBP, "aggregate": "A", "group_by": "source",
                                          "format": "csv"}))
    assert {r["period"][:4]: float(r["value"]) for r in years} == per_year
    first = years[0]  # CBP's file starts in October 2021: a partial year says so
    assert first["period"] == "2021-01-01" and first["months"] == "3"
    quarters = _rows(client.get(OBS, params={"source": CBP, "aggregate": "Q", "group_by": "source",
                                             "start": "2023", "end": "2023", "format": "csv"}))
    assert [r["period"] for r in quarters] == ["2023-01-01", "2023-04-01", "2023-07-01",
                                               "2023-10-01"]
    assert {r["freq"] for r in quarters} == {"Q"}
    assert sum(float(r["value"]) for r in quarters) == per_year["2023"]


def test_status_of_a_sum_is_kept(client: TestClient) -> None:
    rows = _rows(client.get(OBS, params={"source": CBP, "aggregate": "FY", "group_by": "source",
                                         "format": "csv"}))
    plain = _rows(client.get(OBS, params={"source": CBP, "group_by": "source,period,obs_status",
                                          "format": "csv", "start": "2024-10"}))
    if any(r["obs_status"] == "P" for r in plain):  # a provisional month makes the year provisional
        assert rows[-1]["obs_status"] == "P"
    assert {r["obs_status"] for r in rows[:3]} == {"A"}


def test_sdmx_time_periods_of_aggregates(client: TestClient) -> None:
    fiscal = _rows(client.get(OBS, params={"source": CBP, "aggregate": "FY", "group_by": "source",
                                           "format": "sdmx-csv"}))
    assert fiscal[0]["TIME_PERIOD"] == "2021-10-01/P1Y" and fiscal[0]["FREQ"] == "A"
    calendar = _rows(client.get(OBS, params={"source": CBP, "aggregate": "A", "group_by": "source",
                                             "format": "sdmx-csv"}))
    assert [r["TIME_PERIOD"] for r in calendar][:2] == ["2021", "2022"]


def test_unknown_aggregate_is_a_400_naming_it(client: TestClient) -> None:
    r = client.get(OBS, params={"source": CBP, "aggregate": "year"})
    assert r.status_code == 400
    assert r.json()["error"]["parameter"] == "aggregate"


@pytest.fixture(scope="module")
def monthly_stock_client(tmp_path_factory: pytest.TempPathFactory,
                         data_dir: Path) -> TestClient:
    """A store with a monthly stock (persons present at the end of each month)."""
    adapter = get_adapter(CBP)
    frame, _, _ = harmonize_file(adapter, adapter.bundled_path(data_dir))
    row = frame.iloc[0].to_dict()
    stock = pd.DataFrame([
        {**row, "source": "test_monthly_stock", "flow": "REFUGEE_STOCK", "unit": "PERSONS",
         "freq": "M", "period": date(2023, month, 1), "value": 1000.0, "attributes": "{}",
         "obs_status": "A", "release": date(2024, 1, 1), "dataflow": "FORCED_DISPLACEMENT"}
        for month in range(1, 13)
    ])
    path = tmp_path_factory.mktemp("monthly_stock") / "observatorio.duckdb"
    with Store.open(path) as store:
        store.load_frame(stock, source="test_monthly_stock", release=date(2024, 1, 1),
                         source_file="stock.csv", sha256="mstock" * 11)
    return make_client(path)


def test_stocks_are_never_summed_over_months(monthly_stock_client: TestClient) -> None:
    r = monthly_stock_client.get(OBS, params={"source": "test_monthly_stock", "aggregate": "A"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "double_count_stock"
    monthly = monthly_stock_client.get(OBS, params={"source": "test_monthly_stock",
                                                     "group_by": "period"})
    assert monthly.status_code == 200
