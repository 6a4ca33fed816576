"""The returns page's yearly charts: one measure per chart (a country's total of every
nationality is not stacked on another country's nationalities) and partial years marked
(issue 11 item 5)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from observatorio.publish.api.app import create_app
from observatorio.publish.web.pages import PAGE_BY_ID, PageRequest, build_returns
from observatorio.settings import Settings
from observatorio.store.duck import Store

from ..live_server import serving
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
    assert set([r["series"] for r in executed.frame]) == {"GTM", "HND"}  # no "_T" of the USA stacked on them
    for chart in (executed, charts["received"]):
        assert dict(zip([r["x"] for r in chart.frame], [r["partial"] for r in chart.frame], strict=False)) == {
            "2024": first, "2025": last}
        assert f"2025 ({last})" in chart.note
        bars = json.loads(chart.figure_json())["data"][0]
        assert bars["marker"]["pattern"]["shape"] == ["/", "/"]


@pytest.fixture
def many_years_store(tmp_path: Path) -> Path:
    """Eleven years of Mexico's returns by nationality: more yearly bars than a phone fits."""
    return tiny_store(tmp_path / "years.duckdb", "fixture_mex_returns", [
        {"dataflow": "RETURNS", "freq": "M", "flow": "RETURN_EXECUTED", "unit": "EVENTS",
         "period": dt.date(year, 6, 1), "ref_area": "MEX", "citizenship": nat, "value": 100.0}
        for year in range(2015, 2026) for nat in ("GTM", "HND", "SLV")])


# Every x tick label of the chart: its text, its box, whether plotly.js turned it, and the box
# of the legend under the chart.
TICKS_JS = """(id) => {
  const fig = document.querySelector(`figure[data-chart-id="${id}"]`);
  const box = (el) => { const r = el.getBoundingClientRect();
                        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const ticks = Array.from(fig.querySelectorAll("g.xtick text")).map((t) => ({
    text: t.textContent, box: box(t), turned: (t.getAttribute("transform") || "").includes("rotate")}));
  return {ticks, legend: box(fig.querySelector("g.legend"))};
}"""


@pytest.mark.browser
def test_yearly_bars_keep_their_year_labels_level_and_clear_of_the_legend_on_a_phone(
        many_years_store: Path, browser: Any) -> None:
    """Issue 11 item 18 ("phone width: year labels are clipped"): eleven years on a 390 px
    screen were turned upright and ran into the legend, which hid all but two of them."""
    context = browser.new_context(viewport={"width": 390, "height": 900})
    try:
        page = context.new_page()
        with serving(create_app(Settings(db=many_years_store))) as url:
            page.goto(f"{url}/es/retornos/")
            page.wait_for_selector("html[data-charts-ready]", timeout=120_000)
            seen = page.evaluate(TICKS_JS, "executed")
    finally:
        context.close()
    shown = [t for t in seen["ticks"] if t["text"]]
    assert shown and shown[-1]["text"] == "2025"  # the latest year is always named
    assert len(shown) >= 4
    legend = seen["legend"]
    for tick in shown:
        assert not tick["turned"], tick
        assert tick["box"]["bottom"] <= legend["top"], tick  # above the legend, not under it
    lefts = sorted(t["box"]["left"] for t in shown)
    rights = sorted(t["box"]["right"] for t in shown)
    assert all(r <= next_left for r, next_left in zip(rights, lefts[1:], strict=False))
