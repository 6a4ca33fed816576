"""The portal without a browser: every page in both languages, switch links, CSV routes, texts."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observatorio.i18n import has_message
from observatorio.model.codelists import CRM_MEMBERS
from observatorio.publish.api.app import create_app
from observatorio.publish.api.cases_paths import SLUGS
from observatorio.publish.web import texts
from observatorio.publish.web.pages import PAGES, page_url
from observatorio.settings import Settings

from .pages_under_test import all_pages

WEB_DIR = Path(texts.__file__).resolve().parent


@pytest.fixture(scope="module")
def client(portal_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(portal_settings)) as test_client:
        yield test_client


def test_root_redirects_to_spanish(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code in (302, 307)
    assert response.headers["location"] == "/es/"


@pytest.mark.parametrize(("lang", "name", "path"), all_pages(),
                         ids=[f"{lang}-{name}" for lang, name, _ in all_pages()])
def test_every_page_answers_in_its_language(client: TestClient, lang: str, name: str,
                                            path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.text
    assert f'<html lang="{lang}">' in html
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html
    # no address outside this server in what the page loads
    assert not re.search(r'(src|href)="https?://', html.split("<footer")[0].split("<main")[0])
    assert not re.search(r'<script[^>]+src="https?://', html)


@pytest.mark.parametrize("page", [p.id for p in PAGES])
def test_switch_link_points_to_the_same_page(client: TestClient, page: str) -> None:
    for lang, other in (("es", "en"), ("en", "es")):
        html = client.get(page_url(lang, page)).text
        assert f'href="{page_url(other, page)}" hreflang="{other}"' in html


def test_footer_links_to_the_directory_and_practices_pages(client: TestClient) -> None:
    # the addresses come from cases_paths.SLUGS, the one list the cases side serves them by
    for lang in ("es", "en"):
        html = client.get(page_url(lang, "overview")).text
        for section in ("directory", "practices"):
            address = f"/{lang}/{SLUGS[section][lang]}/"
            assert f'href="{address}"' in html
            assert client.get(address).status_code == 200


def test_switch_link_keeps_country_and_query(client: TestClient) -> None:
    html = client.get("/es/paises/NIC/").text
    assert 'href="/en/countries/NIC/"' in html
    html = client.get("/en/routes/?nat=HTI").text
    assert 'href="/es/rutas/?nat=HTI"' in html


def test_every_member_has_a_profile(client: TestClient) -> None:
    listing = client.get("/es/paises/").text
    for iso in CRM_MEMBERS:
        assert f'href="/es/paises/{iso}/"' in listing
        assert client.get(f"/en/countries/{iso}/").status_code == 200


def test_unknown_pages_are_404_in_the_language(client: TestClient) -> None:
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert client.get("/es/paises/XXX/").status_code == 404


def test_chart_csv_links_answer_csv(client: TestClient) -> None:
    html = client.get("/es/").text
    links = re.findall(r'class="csv-link" href="([^"]+)"', html)
    assert links, "the overview has no CSV link"
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert rows and {"series", "label", "x", "value"} <= set(rows[0])


def test_unknown_chart_csv_is_404(client: TestClient) -> None:
    assert client.get("/es/csv/no-such-chart.csv").status_code == 404


def test_map_csv_has_one_row_per_member_with_data(client: TestClient) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get("/es/csv/map.csv").text)))
    assert rows
    assert {r["x"] for r in rows} <= set(CRM_MEMBERS)
    assert len({r["x"] for r in rows}) == len(rows)


def test_source_download_is_the_whole_release(client: TestClient) -> None:
    source = "cbp_sw_land_border_encounters"
    response = client.get(f"/en/data/download/{source}.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1936
    assert {r["source"] for r in rows} == {source}
    assert client.get("/en/data/download/nothing.csv").status_code == 404


def test_plotly_and_shapes_are_served_compressed(client: TestClient) -> None:
    html = client.get("/es/").text
    plotly_src = re.search(r'<script src="(/static/vendor/plotly-[^"]+)"', html)
    assert plotly_src
    response = client.get(plotly_src.group(1), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
    shapes = client.get("/static/geo/region_110m.geojson").json()
    assert set(CRM_MEMBERS) <= {f["id"] for f in shapes["features"]}
    topo = client.get("/static/geo/topojson/world_110m.json").json()
    assert topo["type"] == "Topology"


def test_static_files_cannot_escape_their_folder(client: TestClient) -> None:
    assert client.get("/static/../routes.py").status_code == 404
    assert client.get("/static/%2e%2e/routes.py").status_code == 404


# -- texts ------------------------------------------------------------------------------------


def test_every_text_has_spanish_then_english() -> None:
    for key, entry in texts.catalogue().items():
        assert list(entry) == ["es", "en"], key
        assert entry["es"].strip() and entry["en"].strip(), key


def test_every_text_used_by_templates_exists() -> None:
    used: set[str] = set()
    for path in (WEB_DIR / "templates").glob("*.html"):
        used |= set(re.findall(r"tx\('([a-z_.]+)'\s*[,)]", path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if not has_message(k))  # a text in plural forms: key.one, key.other
    assert missing == []


# -- contrast (WCAG AA) ------------------------------------------------------------------------


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_meet_wcag_aa() -> None:
    css = (WEB_DIR / "static" / "portal.css").read_text(encoding="utf-8")
    var = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = [("ink", "bg"), ("muted", "bg"), ("muted", "soft"), ("accent", "bg"),
             ("accent", "soft"), ("accent-ink", "accent"), ("ink", "soft")]
    for fg, bg in pairs:
        assert contrast(var[fg], var[bg]) >= 4.5, (fg, bg)


def test_chart_palette_stands_out_from_white() -> None:
    from observatorio.publish.web.charts import PALETTE

    # graphical objects need 3:1 (WCAG 1.4.11); the palette's yellow was left out for this
    too_light = [c for c in PALETTE if contrast(c, "#ffffff") < 2.2]
    assert too_light == [], too_light


def test_country_page_shows_roles_and_actions(client: TestClient) -> None:
    html = client.get("/en/countries/GTM/").text
    assert 'class="data-table roles"' in html
    assert "Recommended actions" in html
    assert "not available yet" not in html


def test_country_analysis_slot_without_the_engine() -> None:
    from observatorio.publish.web.analysis_bridge import country_analysis

    assert country_analysis(None, "GTM", "es")["available"] is False


def test_full_plotly_bundle_is_the_fallback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from observatorio.publish.web import assets

    monkeypatch.setattr(assets, "PARTIAL_DIR", tmp_path / "not-built")
    assets.plotly_bundle.cache_clear()
    try:
        tag, path = assets.plotly_bundle()
        assert tag.startswith("full-") and path == assets.PLOTLY_JS and path.is_file()
    finally:
        assets.plotly_bundle.cache_clear()


def test_data_page_counts_releases_in_real_plurals(client: TestClient) -> None:
    """Each source's history was "1 publicación(es) en el historial": now the noun agrees."""
    for lang, hack, forms in (("es", "publicación(es)", r"\d+ (publicación|publicaciones) en el historial"),
                              ("en", "release(s)", r"\d+ (release|releases) in the history")):
        html = client.get(page_url(lang, "data")).text
        assert hack not in html
        counts = re.findall(r"(\d+) (\w+) (?:en el historial|in the history)", html)
        assert counts and re.search(forms, html)
        assert all((n == "1") == (word in ("publicación", "release")) for n, word in counts), counts
