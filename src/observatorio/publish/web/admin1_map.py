"""The portal's sub-national (admin-1) map layer: departments, states and provinces of the
members whose shapes ship in ``data/admin1_boundaries``, served by this server.

The TopoJSON files are decoded once (``topojson``) into GeoJSON whose feature ids are ISO
3166-2 codes, the codes the store uses in ``ref_area``; a process keeps each country's GeoJSON
as the compact text it serves (with the codes and bounds), not the decoded geometry. Each feature is resolved through the
crosswalk of ``harmonize/admin1_shapes.py`` (by name within its country, never by its HASC id):
the files' unnamed non-divisions (``-99``) are left out, Río San Juan's ``NI.``, Panama's
shared ``PA.SB`` and Nicaragua's ``lake`` (named "Rivas": the Rivas department with its share
of Lake Nicaragua) resolve by name, "Distrito Federal" to ``MX-CMX``. Rings keep
the clockwise exterior that plotly.js's d3 projection expects (as the region shapes do).

``admin1_chart`` is the reusable component: a choropleth of values by subdivision over the
shapes of the countries they belong to, subdivisions without a value drawn as "no data".
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from shapely.geometry import Polygon
from topojson.utils import serialize_as_geojson

from observatorio.harmonize.admin1_shapes import read_shapes, shape_files
from observatorio.harmonize.subdivisions import all_subdivisions
from observatorio.publish.web.assets import MEDIA_TYPES, Asset, make_asset

#: One file per country, so a page loads only the shapes it draws (Mexico: ~60 KB gzip).
ADMIN1_GEOJSON_URL = "/static/geo/admin1/{iso3}.geojson"
#: ~1 km: finer than a department map drawn on a screen needs, and 40 % fewer bytes than 3.
DECIMALS = 2
MERCATOR = {"type": "mercator"}


@dataclass(frozen=True)
class CountryShapes:
    """What a process keeps of one country's subdivisions: the GeoJSON text it serves (compact,
    as the page's map fetches it), their codes in file order and their bounding box. The decoded
    geometry (nested Python lists of floats, ~7 MB for the nine files) is dropped once these are
    made."""

    codes: tuple[str, ...]
    bounds: tuple[float, float, float, float]  # lon min, lon max, lat min, lat max
    body: bytes


@cache
def _shapes(data_dir: Path) -> dict[str, CountryShapes]:
    """Every country with bundled shapes (in the files' order), read once per process."""
    by_country: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for feature in _features(data_dir):
        by_country[feature["properties"]["country"]].append(feature)
    return {iso3: CountryShapes(tuple(f["id"] for f in features), _box(features),
                                _collection_text(features))
            for iso3, features in by_country.items()}


def _features(data_dir: Path) -> list[dict[str, Any]]:
    """Every resolved subdivision of every bundled shape file, ``id`` = ISO 3166-2 code."""
    features: list[dict[str, Any]] = []
    for path in shape_files(data_dir):
        topology = json.loads(path.read_text(encoding="utf-8"))
        name = next(iter(topology["objects"]))
        decoded = serialize_as_geojson(topology, objectname=name, order="CW_CCW", decimals=DECIMALS)
        # read_shapes walks the same geometries in the same order: pair them up one to one.
        shapes = read_shapes(path)
        if len(shapes) != len(decoded["features"]):
            raise ValueError(f"{path.name}: {len(shapes)} shapes but {len(decoded['features'])} decoded features")
        for shape, feature in zip(shapes, decoded["features"], strict=True):
            if shape.code is None:
                continue
            features.append({"type": "Feature", "id": shape.code,
                             "properties": {"country": shape.country, "name": shape.name},
                             "geometry": _without_specks(_plain(feature["geometry"]))})
    return features


def _collection_text(features: list[dict[str, Any]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"),
                      ensure_ascii=False).encode()


def _box(features: list[dict[str, Any]]) -> tuple[float, float, float, float]:
    lons: list[float] = []
    lats: list[float] = []

    def walk(coords: Any) -> None:
        if coords and isinstance(coords[0], int | float):
            lons.append(float(coords[0]))
            lats.append(float(coords[1]))
        else:
            for c in coords:
                walk(c)

    for feature in features:
        walk(feature["geometry"]["coordinates"])
    return min(lons), max(lons), min(lats), max(lats)


def admin1_geojson(data_dir: Path) -> dict[str, Any]:
    """Every resolved subdivision of every bundled shape file as one GeoJSON, ``id`` = ISO
    3166-2 code: decoded from the kept texts on each call (nothing here keeps it)."""
    return {"type": "FeatureCollection",
            "features": [f for shapes in _shapes(data_dir).values()
                         for f in json.loads(shapes.body)["features"]]}


def _without_specks(geometry: dict[str, Any]) -> dict[str, Any]:
    """A multipolygon without the islets that rounding to DECIMALS flattened to no area (a
    zero-area ring has no inside, and plotly.js may fill the whole globe for it)."""
    if geometry["type"] != "MultiPolygon":
        return geometry
    kept = [p for p in geometry["coordinates"] if Polygon(p[0]).area > 0]
    return {"type": "MultiPolygon", "coordinates": kept}


def _plain(geometry: Any) -> Any:
    """Tuples (as the decoder returns them) as lists, so the JSON is ordinary GeoJSON."""
    if isinstance(geometry, dict):
        return {k: _plain(v) for k, v in geometry.items()}
    if isinstance(geometry, list | tuple):
        return [_plain(v) for v in geometry]
    return geometry


def admin1_url(iso3: str) -> str:
    return ADMIN1_GEOJSON_URL.format(iso3=iso3)


#: Countries whose subdivision shapes (or absence) a process keeps: ``iso3`` comes from the URL,
#: so an unbounded cache would grow with every made-up code a client asks for.
ASSET_CACHE_SIZE = 32


@lru_cache(maxsize=ASSET_CACHE_SIZE)
def admin1_asset(data_dir: Path, iso3: str) -> Asset | None:
    """One country's subdivisions as GeoJSON, or None when no shapes ship for it."""
    found = _shapes(data_dir).get(iso3)
    return None if found is None else make_asset(found.body, MEDIA_TYPES[".geojson"])


def countries_with_shapes(data_dir: Path) -> frozenset[str]:
    return frozenset(_shapes(data_dir))


def subdivision_codes(data_dir: Path, countries: list[str]) -> list[str]:
    """The ISO 3166-2 codes drawn for these countries (those with shapes)."""
    shapes = _shapes(data_dir)
    return [code for iso3 in countries if iso3 in shapes for code in shapes[iso3].codes]


def subdivision_name(code: str, lang: str) -> str:
    """The subdivision's name in the language (pycountry's ISO names; the code if unknown)."""
    sub = all_subdivisions().get(code)
    if sub is None:
        return code
    return sub.name_es if lang == "es" else sub.name_en


def view_of(data_dir: Path, countries: list[str]) -> tuple[tuple[float, float], tuple[float, float]]:
    """(lon range, lat range) framing these countries' shapes with a small margin."""
    shapes = _shapes(data_dir)
    boxes = [shapes[c].bounds for c in countries if c in shapes]
    lon0, lon1 = min(b[0] for b in boxes), max(b[1] for b in boxes)
    lat0, lat1 = min(b[2] for b in boxes), max(b[3] for b in boxes)
    pad_lon, pad_lat = (lon1 - lon0) * 0.04 + 0.1, (lat1 - lat0) * 0.04 + 0.1
    return (lon0 - pad_lon, lon1 + pad_lon), (lat0 - pad_lat, lat1 + pad_lat)


def admin1_extra(data_dir: Path, iso3: str, lang: str, *, no_data_label: str,
                 log_label: str) -> dict[str, Any]:
    """The choropleth options (``Chart.extra``) of a map of one country's subdivisions: every
    subdivision is a member (drawn as "no data" when the frame has no value for it)."""
    codes = subdivision_codes(data_dir, [iso3])
    return {"geojson_url": admin1_url(iso3), "members": codes, "neighbours": [],
            "names": {c: subdivision_name(c, lang) for c in codes}, "no_data_label": no_data_label,
            "neighbours_label": "", "log_label": log_label, "view": view_of(data_dir, [iso3]),
            "projection": MERCATOR}
