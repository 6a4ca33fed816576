"""Static assets of the portal, served by the app itself so no request ever leaves the server.

plotly.js is the partial bundle built by ``vendor/build.sh`` from npm when present (~1.4 MB raw,
~0.5 MB gzip), else the full bundle of the installed ``plotly`` Python package (~4.8 MB raw,
~1.4 MB gzip); neither is committed. The build also makes a light bundle without the map trace
types (~1.1 MB raw, ~0.4 MB gzip): a page whose figures draw no map loads that one instead. The map shapes are Natural Earth GeoJSON from the data
folder. Bodies are gzip-compressed once and kept in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import plotly

STATIC_DIR = Path(__file__).resolve().parent / "static"
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
#: The partial bundles built by vendor/build.sh (git-ignored); preferred when present.
PARTIAL_DIR = Path(__file__).resolve().parents[4] / "node_modules" / ".portal" / "dist"
#: The trace types the light bundle registers (vendor/entry-basic.js; scatter comes with core).
LIGHT_TRACE_TYPES = frozenset({"scatter", "bar"})
REGION_GEOJSON = Path("natural_earth_region") / "region_110m.geojson"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".json": "application/json", ".geojson": "application/geo+json",
               ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}


@dataclass(frozen=True)
class Asset:
    """One static body, raw and compressed, with its validator."""

    body: bytes
    gzipped: bytes
    media_type: str
    etag: str


def make_asset(body: bytes, media_type: str) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:16]
    return Asset(body, gzip.compress(body, compresslevel=6, mtime=0), media_type, f'"{digest}"')


@cache
def plotly_bundle() -> tuple[str, Path]:
    """(tag, file) of the plotly.js to serve: the partial bundle if built, else the full one."""
    partial = sorted(PARTIAL_DIR.glob("plotly-portal-*.min.js")) if PARTIAL_DIR.is_dir() else []
    if partial:
        return partial[-1].name.removeprefix("plotly-").removesuffix(".min.js"), partial[-1]
    return f"full-{plotly.__version__}", PLOTLY_JS


@cache
def light_plotly_bundle() -> tuple[str, Path]:
    """(tag, file) of the plotly.js without map trace types, or the one that draws everything
    when the build has not made it."""
    light = sorted(PARTIAL_DIR.glob("plotly-basic-*.min.js")) if PARTIAL_DIR.is_dir() else []
    if light:
        return light[-1].name.removeprefix("plotly-").removesuffix(".min.js"), light[-1]
    return plotly_bundle()


@cache
def plotly_asset() -> Asset:
    return make_asset(plotly_bundle()[1].read_bytes(), MEDIA_TYPES[".js"])


@cache
def light_plotly_asset() -> Asset:
    return make_asset(light_plotly_bundle()[1].read_bytes(), MEDIA_TYPES[".js"])


def plotly_version() -> str:
    """The tag in plotly.js's address (changes with the file, so browsers may cache it for good)."""
    return plotly_bundle()[0]


def plotly_version_for(trace_types: Iterable[str]) -> str:
    """The tag of the lightest plotly.js that draws every one of ``trace_types`` (a page's
    figures): the light bundle unless a figure needs a map trace type."""
    if set(trace_types) <= LIGHT_TRACE_TYPES:
        return light_plotly_bundle()[0]
    return plotly_version()


def plotly_asset_for(version: str) -> Asset | None:
    """The plotly.js served at the address with ``version``, or None (404) for any other tag."""
    if version == plotly_version():
        return plotly_asset()
    if version == light_plotly_bundle()[0]:
        return light_plotly_asset()
    return None


@cache
def static_files() -> dict[str, Path]:
    """Every file of our own static folder by its name relative to it, listed once.

    Requests are looked up here, never on the file system: an unknown, over-long or NUL-bearing
    name is simply absent (404), no path can climb out of the folder, and only files that exist
    are ever cached, so the number of distinct names requested cannot grow memory.
    """
    return {path.relative_to(STATIC_DIR).as_posix(): path
            for path in sorted(STATIC_DIR.rglob("*")) if path.is_file()}


def static_asset(name: str) -> Asset | None:
    """A file of our own static folder, or None."""
    path = static_files().get(name)
    return None if path is None else _static_asset(path)


@cache
def _static_asset(path: Path) -> Asset:
    return make_asset(path.read_bytes(), MEDIA_TYPES.get(path.suffix, "application/octet-stream"))


def region_geojson(data_dir: Path) -> dict[str, Any]:
    """The region's shapes, read from the file on each call: a process keeps only what it serves
    (the assets below and the ids), not the decoded geometry."""
    with (data_dir / REGION_GEOJSON).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def geojson_asset(data_dir: Path) -> Asset:
    body = json.dumps(region_geojson(data_dir), separators=(",", ":")).encode()
    return make_asset(body, MEDIA_TYPES[".geojson"])


def region_ids(data_dir: Path) -> list[str]:
    return list(_region_ids(data_dir))


@cache
def _region_ids(data_dir: Path) -> tuple[str, ...]:
    return tuple(str(f["id"]) for f in region_geojson(data_dir)["features"])


def topology(geojson: dict[str, Any]) -> dict[str, Any]:
    """A TopoJSON topology of the same shapes (one arc per ring, no quantization).

    A choropleth with its own GeoJSON still makes plotly.js load a world topojson; pointing
    ``topojsonURL`` at this server and answering with our shapes keeps every byte local.
    """
    arcs: list[list[list[float]]] = []
    geometries = []
    for feature in geojson["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [
            geometry["coordinates"]]
        refs = []
        for polygon in polygons:
            rings = []
            for ring in polygon:
                arcs.append(ring)
                rings.append([len(arcs) - 1])
            refs.append(rings)
        geometries.append({"type": "MultiPolygon", "arcs": refs, "id": feature["id"],
                           "properties": feature.get("properties", {})})
    empty: dict[str, Any] = {"type": "GeometryCollection", "geometries": []}
    return {
        "type": "Topology",
        "objects": {"countries": {"type": "GeometryCollection", "geometries": geometries},
                    "land": {"type": "GeometryCollection", "geometries": geometries},
                    "subunits": empty, "coastlines": empty, "ocean": empty, "lakes": empty,
                    "rivers": empty},
        "arcs": arcs,
    }


#: The world's land at 1:110m, extracted by vendor/build.sh from plotly.js (git-ignored).
WORLD_TOPOJSON = PARTIAL_DIR / "topojson" / "world_110m.json"


@cache
def world_topojson_asset() -> Asset | None:
    """plotly.js's own world topojson when the build extracted it, else None."""
    if not WORLD_TOPOJSON.is_file():
        return None
    return make_asset(WORLD_TOPOJSON.read_bytes(), MEDIA_TYPES[".json"])


def world_land_available() -> bool:
    """Whether maps can draw land beyond the region's own shapes (South America, the Atlantic)."""
    return world_topojson_asset() is not None


@cache
def topojson_asset(data_dir: Path) -> Asset:
    body = json.dumps(topology(region_geojson(data_dir)), separators=(",", ":")).encode()
    return make_asset(body, MEDIA_TYPES[".json"])
