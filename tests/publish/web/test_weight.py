"""Issue 11 item 19: the README's first command gives the light page (≤ 600 KB cold).

The partial plotly.js bundle is built by ``make run`` (and ``make test``) with npm; the page
weight is what a cold browser downloads: the page, its stylesheet and scripts, and the map
shapes where a map is drawn, gzip-compressed as the server sends them.
"""

from __future__ import annotations

import gzip
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observatorio.publish.api.app import create_app
from observatorio.publish.web import assets
from observatorio.settings import Settings

from .pages_under_test import all_pages

ROOT = Path(__file__).resolve().parents[3]
BUDGET_BYTES = 600 * 1024


def test_make_run_builds_the_light_plotly_bundle() -> None:
    planned = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    assert "vendor/build.sh" in planned
    # the server starts after the bundle is built (make runs prerequisites in order)
    assert planned.index("vendor/build.sh") < planned.index("observatorio serve")


@pytest.fixture(scope="module")
def client(portal_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(portal_settings)) as test_client:
        yield test_client


def _wire(client: TestClient, path: str) -> int:
    """Bytes the server sends for ``path`` to a browser that accepts gzip."""
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, path
    body = response.content
    if response.headers.get("content-encoding") == "gzip":
        return len(gzip.compress(body, compresslevel=6))  # httpx has decoded it
    return len(body)


@pytest.mark.parametrize(("lang", "name", "path"), all_pages(),
                         ids=[f"{lang}-{name}" for lang, name, _ in all_pages()])
def test_every_page_is_light_on_the_wire(client: TestClient, lang: str, name: str,
                                         path: str) -> None:
    if not assets.plotly_bundle()[0].startswith("portal-"):
        pytest.skip("the partial plotly.js is not built (make run / make test build it)")
    html = client.get(path).text
    loaded = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/static/[^"]+)"', html)
    # plotly.js fetches a world topojson for any map: the region's shapes for most, the world's
    # land (another address) for the maps that draw it
    maps, land_maps = html.count('"geo":{'), html.count('"showland":true')
    if maps > land_maps:
        loaded += ["/static/geo/topojson/world_110m.json"]
    if land_maps:
        loaded += ["/static/geo/land/world_110m.json"]
    # the shapes the maps' figures name: the region's, and each country's departments
    loaded += sorted(set(re.findall(r'"(/static/geo/(?:region_110m|admin1/[A-Z]{3})\.geojson)"', html)))
    total = _wire(client, path) + sum(_wire(client, url) for url in loaded)
    assert total <= BUDGET_BYTES, f"{path}: {total / 1024:.0f} KB ({loaded})"
