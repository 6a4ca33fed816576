"""First-level division shapes (``data/admin1_boundaries/*.topo.json``) → ISO 3166-2 codes.

The shapes carry HASC ids (``HN.AT``) and Spanish names, not ISO codes, and have quirks
(data/SOURCES.md section 12): Belize and Mexico each have an unnamed feature with id ``-99``;
Nicaragua has a feature with id ``lake`` (Lake Nicaragua) and Río San Juan with the id ``NI.``;
Panama's Panamá and Kuna Yala share ``PA.SB``; Mexico City is still "Distrito Federal". So each
feature is resolved by its name within its country (``harmonize/subdivisions.py``), never by its
id; a feature whose id is not a HASC code (``-99``, ``lake``) is not a division. What cannot be
resolved is returned with ``code = None`` and a reason, for the caller to report.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from observatorio.harmonize.subdivisions import resolve_subdivision

FOLDER = "admin1_boundaries"
#: HASC first-level ids: two letters, a dot, and (normally) two letters; ``NI.`` lost its suffix.
_HASC = re.compile(r"^[A-Z]{2}\.[A-Z]{0,3}$")


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
            if not _HASC.match(hasc) or not name:
                shapes.append(Shape(country, hasc, name, None, "not a division"))
                continue
            code = resolve_subdivision(country, name)
            shapes.append(Shape(country, hasc, name, code, None if code else "unknown name"))
    return shapes


def crosswalk(data_dir: Path) -> list[Shape]:
    """The features of every bundled shape file."""
    return [shape for path in shape_files(data_dir) for shape in read_shapes(path)]
