"""The returns page's yearly charts: one measure per chart (a country's total of every
nationality is not stacked on another country's nationalities) and partial years marked
(issue 11 item 5)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from observatorio.publish.web.pages import PAGE_BY_ID, PageRequest, build_returns
from observatorio.settings import Settings
from observatorio.store.duck import Store

from .tiny_store import tiny_store

MONTHS = [dt.date(2024, 3, 1), dt.date(2024, 9, 1), dt.date(2025, 4, 1)]


@pytest.fixture
def returns_store(tmp_path: Path) -> Path:
    """Mexico's returns by nationality from March 2024 to April 2025, the USA's only as a total
    of every nationality, and Guatemala's returnees received by returning country."""
    path = tmp_path / "returns.duckdb"
    common = {"dataflow": "RETURNS", "freq": "M", "flow": "RETURN_EXECUTED", "unit": "EVENTS"}
    tiny_store(path, "fixture_mex_returns", [
        {**common, "period": m, "ref_area": "MEX", "citizenship": nat, "value": 100.0}
        for m in MONTHS for nat in ("GTM", "HND")])
    tiny_store(path, "fixture_usa_returns", [
        {**common, "period": m, "ref_area": "USA", "citizenship": "_T", "value": 5000.0}
        for m in MONTHS])
    return tiny_store(path, "fixture_gtm_received", [
        {**common, "flow": "RETURN_RECEIVED", "unit": "PERSONS", "period": m, "ref_area": "GTM",
         "citizenship": "GTM", "counterpart_area": "MEX", "value": 80.0} for m in MONTHS])


@pytest.mark.parametrize(("lang", "first", "last"), [("es", "mar–dic", "ene–abr"),
                                                     ("en", "Mar–Dec", "Jan–Apr")])
def test_yearly_returns_charts_mark_partial_years_and_stack_no_total(
        returns_store: Path, lang: str, first: str, last: str) -> None:
    with Store.open(returns_store, read_only=True) as store:
        charts = build_returns(PageRequest(lang, PAGE_BY_ID["returns"], store,
                                           Settings(db=returns_store)))["charts"]
    executed = charts["executed"]
    assert set(executed.frame["series"]) == {"GTM", "HND"}  # no "_T" of the USA stacked on them
    for chart in (executed, charts["received"]):
        assert dict(zip(chart.frame["x"], chart.frame["partial"], strict=False)) == {
            "2024": first, "2025": last}
        assert f"2025 ({last})" in chart.note
        bars = json.loads(chart.figure_json())["data"][0]
        assert bars["marker"]["pattern"]["shape"] == ["/", "/"]
