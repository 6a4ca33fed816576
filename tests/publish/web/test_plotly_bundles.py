"""Issue 11 item 19: a page loads the plotly.js with map trace types only when it draws a map.

The build (vendor/build.sh) makes two partial bundles: ``plotly-portal-*`` (every trace type
the portal draws) and ``plotly-basic-*`` (scatter and bar). Which one a page loads is decided
from the figures it renders. The server-side tests use stand-in bundle files, so they need no
npm build; the browser test checks the real light bundle where it has been built.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from observatorio.publish.api.app import create_app
from observatorio.publish.web import assets
from observatorio.settings import Settings

from .conftest import PageLog
from .pages_under_test import all_pages, url_of

VENDOR = Path(assets.__file__).resolve().parent / "vendor"
MAP_PAGE, LIGHT_PAGES = ("overview", None), [("routes", None), ("children", None), ("returns", None)]
SCRIPT = re.compile(r'<script src="/static/vendor/plotly-([^"]+)\.min\.js"')
FIGURE = re.compile(r'<script type="application/json" class="figure-data">(.*?)</script>', re.S)


def _clear_caches() -> None:
    for cached in (assets.plotly_bundle, assets.light_plotly_bundle, assets.plotly_asset,
                   assets.light_plotly_asset):
        cached.cache_clear()


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A build folder with stand-ins for both bundles (what vendor/build.sh writes)."""
    # large enough to be sent compressed, like the real bundles
    filler = "var Plotly = {};\n" * 200
    (tmp_path / "plotly-portal-9.9.9.min.js").write_text("/* maps */\n" + filler)
    (tmp_path / "plotly-basic-9.9.9.min.js").write_text("/* light */\n" + filler)
    monkeypatch.setattr(assets, "PARTIAL_DIR", tmp_path)
    _clear_caches()
    yield tmp_path
    _clear_caches()


@pytest.fixture(scope="module")
def client(portal_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(portal_settings)) as test_client:
        yield test_client


def _trace_types(html: str) -> set[str]:
    return {trace["type"] for body in FIGURE.findall(html)
            for trace in json.loads(body.replace("<\\/", "</"))["data"]}


@pytest.mark.parametrize(("lang", "name", "path"), all_pages(),
                         ids=[f"{lang}-{name}" for lang, name, _ in all_pages()])
def test_each_page_loads_the_bundle_its_figures_need(built: Path, client: TestClient, lang: str,
                                                     name: str, path: str) -> None:
    html = client.get(path).text
    types = _trace_types(html)
    loaded = SCRIPT.findall(html)
    if not types:
        assert loaded == [], f"{path} draws no chart but loads plotly.js"
        return
    expected = "basic-9.9.9" if types <= assets.LIGHT_TRACE_TYPES else "portal-9.9.9"
    assert loaded == [expected], f"{path} draws {sorted(types)}"


@pytest.mark.parametrize(("page_id", "iso3"), LIGHT_PAGES, ids=[p for p, _ in LIGHT_PAGES])
def test_pages_without_maps_load_the_light_bundle(built: Path, client: TestClient, page_id: str,
                                                  iso3: str | None) -> None:
    for lang in ("es", "en"):
        html = client.get(url_of(lang, page_id, iso3)).text
        assert SCRIPT.findall(html) == ["basic-9.9.9"]
    # and a map page the one with the map trace types
    assert SCRIPT.findall(client.get(url_of("es", *MAP_PAGE)).text) == ["portal-9.9.9"]


def test_both_bundles_are_served_alike(built: Path, client: TestClient) -> None:
    for tag, first_line in (("basic-9.9.9", "/* light */"), ("portal-9.9.9", "/* maps */")):
        response = client.get(f"/static/vendor/plotly-{tag}.min.js",
                              headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.text.startswith(first_line)
        assert response.headers["content-encoding"] == "gzip"
        assert "immutable" in response.headers["cache-control"]
        assert response.headers["content-type"].startswith("text/javascript")
        again = client.get(f"/static/vendor/plotly-{tag}.min.js",
                           headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
    # a tag that is not built (an old page's address, a guess) is absent, never another file
    for tag in ("basic-1.0.0", "full-9.9.9", "portal-basic-9.9.9", "basic"):
        assert client.get(f"/static/vendor/plotly-{tag}.min.js").status_code == 404


def test_light_bundle_falls_back_to_the_one_that_draws_everything(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(assets, "PARTIAL_DIR", tmp_path)
    _clear_caches()
    try:
        # nothing built: every page gets the full bundle of the plotly Python package
        assert assets.plotly_version_for({"bar"}) == assets.plotly_version()
        assert assets.plotly_version().startswith("full-")
        # an older build without the light bundle: the map bundle for every page
        (tmp_path / "plotly-portal-9.9.9.min.js").write_text("/* maps */\n")
        _clear_caches()
        assert assets.plotly_version_for({"bar", "scatter"}) == "portal-9.9.9"
        assert assets.plotly_asset_for("portal-9.9.9") is not None
    finally:
        _clear_caches()


def test_trace_types_decide_the_bundle(built: Path) -> None:
    assert assets.plotly_version_for([]) == "basic-9.9.9"
    assert assets.plotly_version_for(["scatter", "bar", "bar"]) == "basic-9.9.9"
    for map_type in ("choropleth", "scattergeo"):
        assert assets.plotly_version_for(["bar", map_type]) == "portal-9.9.9"
    # a trace type the light bundle lacks, map or not, gets the bundle that draws everything
    assert assets.plotly_version_for(["heatmap"]) == "portal-9.9.9"


def test_light_entry_registers_exactly_the_light_trace_types() -> None:
    entry = (VENDOR / "entry-basic.js").read_text(encoding="utf-8")
    registered = set(re.findall(r"require\('plotly\.js/lib/([a-z]+)'\)", entry)) - {"core"}
    assert registered | {"scatter"} == assets.LIGHT_TRACE_TYPES  # scatter comes with core
    maps = set(re.findall(r"require\('plotly\.js/lib/([a-z]+)'\)",
                          (VENDOR / "entry.js").read_text(encoding="utf-8"))) - {"core"}
    assert assets.LIGHT_TRACE_TYPES - {"scatter"} <= maps
    build = (VENDOR / "build.sh").read_text(encoding="utf-8")
    assert "entry-basic.js" in build and "plotly-basic-" in build


@pytest.mark.browser
def test_light_bundle_draws_the_pages_without_maps(page_and_log: tuple[Any, PageLog],
                                                   server_url: str) -> None:
    """The real light bundle (where built) registers the light trace types and draws every
    chart of the routes, children and returns pages without a console error."""
    if not assets.light_plotly_bundle()[0].startswith("basic-"):
        pytest.skip("the light plotly.js is not built (make run / make test build it)")
    page, log = page_and_log
    for page_id, iso3 in LIGHT_PAGES:
        log.clear()
        page.goto(server_url + url_of("es", page_id, iso3), wait_until="load")
        page.wait_for_selector("html[data-charts-ready]", state="attached", timeout=60_000)
        assert page.get_attribute("html", "data-charts-ready") == "true"
        assert [u for u in log.requests if "/static/vendor/plotly-" in u] == [
            f"{server_url}/static/vendor/plotly-{assets.light_plotly_bundle()[0]}.min.js"]
        types = page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)")
        assert set(types) == assets.LIGHT_TRACE_TYPES
        figures = page.locator("figure.chart[data-chart]")
        assert figures.count() > 0
        for i in range(figures.count()):
            assert figures.nth(i).get_attribute("data-chart-ready") == "true"
        assert log.errors == [] and log.failed == []
