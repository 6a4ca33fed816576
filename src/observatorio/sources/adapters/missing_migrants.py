"""IOM Missing Migrants Project: global incident-level download (CSV), one record per incident.

Each incident gives two observations, the dead and the (minimum estimated) missing. The
country of the incident is not a column: it is found by placing the incident's coordinates in
the Natural Earth shapes of the region (``data/natural_earth_region``).
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from observatorio.harmonize.fiscal import month_number
from observatorio.harmonize.frame import assemble, attributes_column, parse_values
from observatorio.harmonize.problems import Problems
from observatorio.sources.adapter import Adapter, register
from observatorio.sources.catalogue import source_info
from observatorio.sources.readers import ROW, UTF8_OR_CP1252, read_csv

MAIN_ID = "Main ID"
INCIDENT_TYPE = "Incident Type"
REGION = "Region of Incident"
INCIDENT_DATE = "Incident Date"
INCIDENT_YEAR = "Incident year"
REPORTED_MONTH = "Reported Month"
DEAD = "Number of Dead"
MISSING = "Minimum Estimated Number of Missing"
REGION_OF_ORIGIN = "Region of Origin"
LOCATION = "Location of death"
CAUSE = "Cause of Death"
ROUTE = "Migration route"
COORDINATES = "Coordinates"
UNSD = "UNSD Geographical Grouping"
SOURCE_QUALITY = "Source Quality"

REQUIRED = (MAIN_ID, INCIDENT_TYPE, REGION, INCIDENT_DATE, INCIDENT_YEAR, REPORTED_MONTH, DEAD,
            MISSING, REGION_OF_ORIGIN, CAUSE, ROUTE, LOCATION, COORDINATES, UNSD, SOURCE_QUALITY)
FLOWS = {DEAD: "DEAD", MISSING: "MISSING"}

#: The shapes (ISO3 → polygon) used to find the country of an incident.
SHAPES_FILE = Path("natural_earth_region") / "region_110m.geojson"

_LIST_SEPARATOR = re.compile(r",(?!\s)")
_POINT = r"^\s*POINT\s*\(\s*(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s*\)\s*$"


class MissingMigrants(Adapter):
    info = source_info("iom_missing_migrants")

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        # The bundled copy is pure Windows-1252; UTF8_OR_CP1252 also reads a file that mixes it
        # with UTF-8 (a newer export appended to an old one), which plain cp1252 would garble.
        raw = read_csv(path, problems, encoding=UTF8_OR_CP1252, required=REQUIRED)
        if raw is None:
            return pd.DataFrame()
        rows = raw[ROW]
        period = _incident_month(raw, rows, problems)
        lon, lat = coordinates(raw[COORDINATES])
        shapes = shapes_path(path)
        if shapes is None:
            problems.add("unreadable", reason=f"the country shapes {SHAPES_FILE} are missing", format="GeoJSON")
            return pd.DataFrame()
        ref_area = incident_country(lon, lat, shapes)
        attributes = pd.DataFrame({
            "incident_id": raw[MAIN_ID].str.strip(),
            "incident_type": _text(raw[INCIDENT_TYPE]),
            "incident_date": _text(raw[INCIDENT_DATE]),
            "region_of_incident": _text(raw[REGION]),
            "unsd_grouping": _text(raw[UNSD]),
            "region_of_origin": _text(raw[REGION_OF_ORIGIN]),
            "location": _text(raw[LOCATION]),
            "cause_of_death": _text(raw[CAUSE]),
            "causes": _split(raw[CAUSE]),
            "route": _text(raw[ROUTE]),
            "routes": _split(raw[ROUTE]),
            "lon": lon,
            "lat": lat,
            "source_quality": pd.to_numeric(raw[SOURCE_QUALITY], errors="coerce").astype("Int64"),
        })
        encoded = attributes_column(attributes)  # once per incident, shared by both flows
        frames = []
        for column, flow in FLOWS.items():
            values, status = parse_values(raw[column], rows, column, problems, blank="missing")
            negative = values < 0
            flow_attributes = encoded.copy()
            if negative.any():
                flow_attributes[negative] = attributes_column(attributes[negative].assign(
                    value_as_published=raw.loc[negative, column].str.strip()))
            frames.append(assemble(raw.index, {
                "dataflow": "MISSING_MIGRANTS", "source_row": rows, "freq": "M", "period": period,
                "ref_area": ref_area, "citizenship": "_U", "counterpart_area": "_Z", "flow": flow,
                "unit": "PERSONS", "value": values.where(~negative),
                "obs_status": status.where(~negative, "M"),
                "attributes": flow_attributes,
                "source": self.info.id, "source_file": path.name, "release": release,
            }))
        return pd.concat(frames, ignore_index=True)


def _text(raw: pd.Series) -> pd.Series:
    """Stripped text; blank → null (absent from the attributes)."""
    text = raw.str.strip()
    return text.where(text != "")


def _split(raw: pd.Series) -> pd.Series:
    """Comma-joined lists as tuples (JSON lists in the attributes); blank → null.

    Items are joined by a bare comma; a comma followed by a space belongs to the item
    ("lack of adequate shelter, food, water").
    """
    text = _text(raw)
    return text.map(lambda v: tuple(p.strip() for p in _LIST_SEPARATOR.split(v) if p.strip()),
                    na_action="ignore")


def _incident_month(raw: pd.DataFrame, rows: pd.Series, problems: Problems) -> pd.Series:
    """First day of the incident's month, from Incident year and Reported Month.

    Those two columns are always filled; Incident Date is blank in a few rows and has day and
    month swapped in others, so it is kept as an attribute but not used for the period.
    """
    year = pd.to_numeric(raw[INCIDENT_YEAR].str.strip(), errors="coerce")
    names = raw[REPORTED_MONTH].str.strip()
    month = names.map({name: month_number(name) for name in names.unique()})
    bad = year.isna() | (year != year.round()) | month.isna()
    for column in (INCIDENT_YEAR, REPORTED_MONTH):
        problems.add_rows("impossible_period", rows[bad].tolist(), column, raw[column][bad].tolist(),
                          reason="expected a year such as 2021 and an English month name")
    period = pd.Series(None, index=raw.index, dtype=object)
    period[~bad] = pd.to_datetime({"year": year[~bad], "month": month[~bad], "day": 1}).dt.date
    return period


def coordinates(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(lon, lat) from WKT ``POINT (lon lat)``; null where blank or not a point."""
    parts = raw.str.extract(_POINT).astype("float64")
    lon, lat = parts[0], parts[1]
    valid = lon.between(-180, 180) & lat.between(-90, 90)
    return lon.where(valid), lat.where(valid)


def shapes_path(path: Path) -> Path | None:
    """The Natural Earth shapes: beside the source folders of ``path``, else in the data directory."""
    from observatorio.settings import get_settings

    for candidate in (path.resolve().parent.parent / SHAPES_FILE, get_settings().data_path / SHAPES_FILE):
        if candidate.is_file():
            return candidate
    return None


@cache
def _shapes(path: Path) -> tuple[tuple[str, ...], tuple[object, ...]]:
    from shapely.geometry import shape

    with path.open(encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    codes = tuple(str(f.get("id") or f["properties"]["iso_a3"]) for f in features)
    geometries = tuple(shape(f["geometry"]) for f in features)
    return codes, geometries


def incident_country(lon: pd.Series, lat: pd.Series, shapes: Path) -> pd.Series:
    """ISO3 of the shape holding each point; ``_O`` outside every shape, ``_U`` without a point."""
    import shapely

    codes, geometries = _shapes(shapes)
    x, y = lon.to_numpy(dtype="float64"), lat.to_numpy(dtype="float64")
    located = ~(np.isnan(x) | np.isnan(y))
    out = np.where(located, "_O", "_U").astype(object)
    for code, geometry in zip(codes, geometries, strict=True):
        # Vectorised point-in-polygon over all incidents at once, one shape at a time (19 shapes).
        inside = located & shapely.contains_xy(geometry, x, y)
        out[inside & (out == "_O")] = code
    return pd.Series(out, index=lon.index, dtype=object)


register(MissingMigrants())
