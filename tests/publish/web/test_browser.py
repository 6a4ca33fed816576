"""The portal in a real browser (Debian's Chromium): pages, charts, downloads, map, keyboard.

One browser and one page serve the whole module. Screenshots of every page in both languages
go to test-artifacts/screenshots/{lang}-{page}.png.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlsplit

import pytest

from observatorio.model.codelists import CRM_MEMBERS

from .conftest import ARTIFACTS, PageLog
from .pages_under_test import all_pages, url_of

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1"}
CHARTS_TIMEOUT_MS = 60_000

# Numbers each trace draws, read from Plotly's own graph div (what the user sees).
DRAWN_JS = """(figure) => {
  const gd = figure.querySelector('.plot');
  return gd.data.map(t => ({meta: t.meta, type: t.type, orientation: t.orientation || 'v',
    x: t.x || null, y: t.y || null, locations: t.locations || null, z: t.z || null,
    lon: t.lon || null, lat: t.lat || null, customdata: t.customdata || null}));
}"""


def visit(page_and_log: tuple[Any, PageLog], url: str) -> tuple[Any, PageLog]:
    page, log = page_and_log
    log.clear()
    page.goto(url, wait_until="load")
    page.wait_for_selector("html[data-charts-ready]", state="attached", timeout=CHARTS_TIMEOUT_MS)
    return page, log


def assert_clean(log: PageLog) -> None:
    outside = [u for u in log.requests if urlsplit(u).hostname not in LOCAL_HOSTS
               and not u.startswith("data:")]
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    assert log.failed == [], f"failed requests: {log.failed}"
    assert log.errors == [], f"console errors: {log.errors}"


@pytest.mark.parametrize(("lang", "name", "path"), all_pages(),
                         ids=[f"{lang}-{name}" for lang, name, _ in all_pages()])
def test_page_loads_clean_and_draws(page_and_log: Any, server_url: str, lang: str, name: str,
                                    path: str) -> None:
    page, log = visit(page_and_log, server_url + path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{lang}-{name}.png"), full_page=True)
    assert page.get_attribute("html", "lang") == lang
    assert page.get_attribute("html", "data-charts-ready") == "true"
    assert_clean(log)
    with_data = page.locator("figure.chart[data-chart]")
    for i in range(with_data.count()):
        figure = with_data.nth(i)
        assert figure.get_attribute("data-chart-ready") == "true", figure.get_attribute("id")
        assert figure.locator(".main-svg").count() > 0
        # every chart has a title, a unit line, a source line and a CSV link
        assert figure.locator(".chart-title").inner_text().strip()
        assert figure.locator(".chart-unit").inner_text().strip()
        assert figure.locator(".chart-source").count() == 1
        assert figure.locator("a.csv-link").count() == 1
        assert figure.locator("details.chart-table table").count() == 1


CHARTED_PAGES = [("overview", None), ("country", "GTM"), ("routes", None), ("children", None),
                 ("returns", None), ("deaths", None)]


def _drawn_rows(traces: list[dict[str, Any]]) -> set[tuple[str, float]]:
    """(x, value) pairs drawn by the data traces (base map shapes left out)."""
    rows: set[tuple[str, float]] = set()
    for t in traces:
        if t["meta"] in ("shapes", "no_data", "size_legend"):
            continue
        if t["type"] == "choropleth":
            # the colour is the logarithm; customdata holds the figure itself
            pairs = zip(t["locations"], t["customdata"] or t["z"], strict=True)
        elif t["type"] == "scattergeo":
            pairs = zip((f"{lo:.4f},{la:.4f}" for lo, la in zip(t["lon"], t["lat"], strict=True)),
                        t["customdata"], strict=True)
        elif t["orientation"] == "h":
            pairs = zip(t["y"], t["x"], strict=True)
        else:
            pairs = zip(t["x"], t["y"], strict=True)
        rows |= {(f"{t['meta']}|{x}" if t["type"] != "choropleth" else str(x), float(v))
                 for x, v in pairs}
    return rows


def _csv_rows(text: str, kind: str) -> set[tuple[str, float]]:
    rows: set[tuple[str, float]] = set()
    for r in csv.DictReader(io.StringIO(text)):
        if kind == "choropleth":
            key = r["x"]
        elif kind == "points":
            key = f"{r['series']}|{float(r['lon']):.4f},{float(r['lat']):.4f}"
        else:
            key = f"{r['series']}|{r['x']}"
        rows.add((key, float(r["value"])))
    return rows


@pytest.mark.parametrize(("page_id", "iso3"), CHARTED_PAGES, ids=[p for p, _ in CHARTED_PAGES])
def test_chart_csv_equals_drawn_numbers(page_and_log: Any, server_url: str, page_id: str,
                                        iso3: str | None) -> None:
    page, _log = visit(page_and_log, server_url + url_of("es", page_id, iso3))
    figures = page.locator("figure.chart[data-chart]")
    assert figures.count() > 0, "no chart with data on the page"
    for i in range(figures.count()):
        figure = figures.nth(i)
        kind = figure.get_attribute("data-chart") or ""
        drawn = _drawn_rows(figure.evaluate(DRAWN_JS))
        href = figure.locator("a.csv-link").get_attribute("href")
        response = page.request.get(server_url + href)
        assert response.ok, href
        downloaded = _csv_rows(response.text(), kind)
        assert drawn, f"{href}: nothing drawn"
        assert downloaded == drawn, f"{href}: CSV differs from the chart"


def test_map_shows_the_eleven_members(page_and_log: Any, server_url: str) -> None:
    page, log = visit(page_and_log, server_url + "/es/")
    traces = page.locator("#chart-map").evaluate(DRAWN_JS)
    members = {loc for t in traces if t["meta"] in ("values", "no_data") for loc in t["locations"]}
    assert members == set(CRM_MEMBERS)
    drawn_shapes = page.locator("#chart-map path.choroplethlocation").count()
    assert drawn_shapes >= len(CRM_MEMBERS)
    assert_clean(log)


def test_map_indicator_choice_changes_map_and_download(page_and_log: Any, server_url: str) -> None:
    page, log = visit(page_and_log, server_url + "/es/")
    options = page.locator("#indicator option")
    assert options.count() >= 2
    second = options.nth(1).get_attribute("value")
    with page.expect_navigation():
        page.select_option("#indicator", second)
    page.wait_for_selector("html[data-charts-ready]", state="attached", timeout=CHARTS_TIMEOUT_MS)
    assert f"indicator={second}" in page.url
    href = page.locator("#chart-map a.csv-link").get_attribute("href") or ""
    assert f"indicator={second}" in href
    drawn = _drawn_rows(page.locator("#chart-map").evaluate(DRAWN_JS))
    assert drawn == _csv_rows(page.request.get(server_url + href).text(), "choropleth")
    assert_clean(log)


SWITCHES = [("/es/", "/en/"), ("/en/countries/HND/", "/es/paises/HND/"),
            ("/es/rutas/?nat=HTI", "/en/routes/?nat=HTI"),
            ("/en/deaths-and-disappearances/", "/es/muertes-y-desapariciones/"),
            ("/es/metodologia/", "/en/methodology/")]


@pytest.mark.parametrize(("start", "expected"), SWITCHES, ids=[s for s, _ in SWITCHES])
def test_language_switch_keeps_the_page(page_and_log: Any, server_url: str, start: str,
                                        expected: str) -> None:
    page, _log = visit(page_and_log, server_url + start)
    with page.expect_navigation():
        page.click("[data-lang-switch]")
    page.wait_for_selector("html[data-charts-ready]", state="attached", timeout=CHARTS_TIMEOUT_MS)
    parts = urlsplit(page.url)
    assert parts.path + (f"?{parts.query}" if parts.query else "") == expected
    assert page.get_attribute("html", "lang") == expected[1:3]


def test_keyboard_skip_link_reaches_main(page_and_log: Any, server_url: str) -> None:
    page, _log = visit(page_and_log, server_url + "/es/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "skip-link" in focused
    assert page.evaluate("getComputedStyle(document.activeElement).left") != "-9999px"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # the next Tab stops inside the main content, not back in the header
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")


@pytest.mark.parametrize(("lang", "page_id", "iso3"), [("es", "overview", None), ("en", "overview", None),
                                                     ("es", "country", "GTM"), ("en", "country", "USA")])
def test_forecast_chart_draws_its_bands(page_and_log: Any, server_url: str, lang: str,
                                        page_id: str, iso3: str | None) -> None:
    page, log = visit(page_and_log, server_url + url_of(lang, page_id, iso3))
    assert_clean(log)
    figure = page.locator("figure#chart-forecast")
    assert figure.get_attribute("data-chart-ready") == "true"
    traces = figure.evaluate("""(f) => f.querySelector('.plot').data.map(
        t => ({meta: t.meta, fill: t.fill || null, n: t.x.length}))""")
    assert [t["meta"] for t in traces] == ["hi_95", "lo_95", "hi_80", "lo_80", "observed", "mean"]
    assert {t["meta"]: t["fill"] for t in traces}["lo_95"] == "tonexty"
    assert all(t["n"] > 0 for t in traces)
    # both bands are painted as filled areas in the SVG, and the legend names them
    assert figure.locator("path.js-fill").count() >= 2
    legend = figure.locator(".legend").text_content() or ""
    assert ("95" in legend) and ("80" in legend)
    panel = page.locator("#alerts-title")
    assert panel.inner_text().strip() in ("Alertas de oleada", "Surge alerts")
