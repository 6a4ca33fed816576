"""The deaths page marks the years its monthly data cover only in part (issue 11 item 5: partial
years are marked), and its horizontal bars number their axis as the other charts do."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from observatorio.analysis.dashboards import DEATH_SOURCES
from observatorio.publish.web.pages import PAGE_BY_ID, PageRequest, build_deaths
from observatorio.settings import Settings
from observatorio.store.duck import Store

from .tiny_store import tiny_store


@pytest.fixture
def deaths_store(tmp_path: Path) -> Path:
    """Incidents from March 2023 to April 2025, the way IOM's copy gives them."""
    months = [dt.date(2023, 3, 1), dt.date(2023, 12, 1), dt.date(2024, 6, 1), dt.date(2025, 4, 1)]
    return tiny_store(tmp_path / "deaths.duckdb", DEATH_SOURCES[0], [
        {"dataflow": "MISSING_MIGRANTS", "freq": "M", "period": month, "ref_area": "MEX",
         "flow": "DEAD_OR_MISSING", "value": 2000.0 + i,
         "attributes": json.dumps({"route": "Central American Route", "cause": "Drowning",
                                   "lon": -99.1 - i, "lat": 19.4})}
        for i, month in enumerate(months)])


@pytest.mark.parametrize(("lang", "first", "last"), [("es", "mar–dic", "ene–abr"),
                                                     ("en", "Mar–Dec", "Jan–Apr")])
def test_partial_years_are_hatched_and_named(deaths_store: Path, lang: str, first: str,
                                             last: str) -> None:
    with Store.open(deaths_store, read_only=True) as store:
        charts = build_deaths(PageRequest(lang, PAGE_BY_ID["deaths"], store,
                                          Settings(db=deaths_store)))["charts"]
    by_year = charts["by_year"]
    assert dict(zip([r["x"] for r in by_year.frame], [r["partial"] for r in by_year.frame], strict=True)) == {
        "2023": first, "2024": "", "2025": last}
    bars = json.loads(by_year.figure_json())["data"][0]
    assert bars["marker"]["pattern"]["shape"] == ["/", "", "/"]
    assert f"2025 ({last})" in by_year.note
    for chart_id in ("by_route", "by_cause"):  # "2.000" / "2,000" like the others, not "2k"
        layout = json.loads(charts[chart_id].figure_json())["layout"]
        assert layout["xaxis"]["tickformat"] == ",~r"
