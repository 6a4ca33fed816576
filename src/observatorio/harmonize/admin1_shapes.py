"""First-level division shapes (``data/admin1_boundaries/*.topo.json``) → ISO 3166-2 codes.

The shapes carry HASC ids (``HN.AT``) and Spanish names, not ISO codes, and have quirks
(data/SOURCES.md section 12): Belize and Mexico each have an unnamed feature with id ``-99``;
Río San Juan has the id ``NI.``; Panama's Panamá and Kuna Yala share ``PA.SB``; Mexico City is
still "Distrito Federal"; and Nicaragua's feature with id ``lake``, which SOURCES.md takes for
Lake Nicaragua, is named "Rivas" and is the Rivas department (Natural Earth's admin-1 shares
the lake's waters among the shore departments: this one holds Rivas city, San Juan del Sur, the
island of Ometepe and the southern part of the lake; no other feature is Rivas). So each
feature is resolved by its name within its country (``harmonize/subdivisions.py``), never by its
id; a feature without a name (``-99``) is not a division. What cannot be resolved is returned
with ``code = None`` and a reason, for the caller to report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from observatorio.harmonize.subdivisions import resolve_subdivision

FOLDER = "admin1_boundaries"


@dataclass(frozen=True)
class Shape:
    country: str  # ISO3, from the file name
    hasc: str
    name: str | None
    code: str | None  # ISO 3166-2, None when not resolved
    reason: str | None = None  # why not resolved: "not a division" or "unknown name"


def shape_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / FOLDER).glob("*.topo.json"))


def read_shapes(path: Path) -> list[Shape]:
    """Every feature of one TopoJSON file with its ISO 3166-2 code (or the reason it has none)."""
    country = path.name.split(".")[0].upper()
    topology = json.loads(path.read_text(encoding="utf-8"))
    shapes = []
    for layer in topology.get("objects", {}).values():
        for geometry in layer.get("geometries", []):
            hasc = str(geometry.get("id", ""))
            name = (geometry.get("properties") or {}).get("name")
            if not name:  # the ids are not to be trusted (``lake`` is Rivas): only names count
                shapes.append(Shape(country, hasc, name, None, "not a division"))
                continue
            code = resolve_subdivision(country, name)
            shapes.append(Shape(country, hasc, name, code, None if code else "unknown name"))
    return shapes


def crosswalk(data_dir: Path) -> list[Shape]:
    """The features of every bundled shape file."""
    return [shape for path in shape_files(data_dir) for shape in read_shapes(path)]
