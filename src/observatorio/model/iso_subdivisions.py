"""The ISO 3166-2 subdivisions (``MX-CHP``: about 5,000), read once from pycountry's data file.

The ``area`` codelist names them and the harmonizer resolves publishers' names against them.
Both read this one table instead of ``pycountry.subdivisions``: pycountry's database keeps an
object with a dict of fields per subdivision and indices by code and by country (3.4 MB of
Python objects a server process kept for good, plus 0.6 MB for the harmonizer's own copy;
this table, with the Spanish catalogue's texts, is 1.4 MB: docs/benchmarks.md).
"""

from __future__ import annotations

import gettext
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pycountry

#: pycountry's ISO 3166-2 file, and the key its list is under (as ``pycountry.subdivisions`` reads it).
DATA_FILE = Path(pycountry.DATABASE_DIR) / "iso3166-2.json"
ROOT_KEY = "3166-2"


@dataclass(frozen=True, slots=True)
class Subdivision:
    code: str  # ISO 3166-2, e.g. MX-CHP
    country: str  # ISO 3166-1 alpha-3 of its country
    name_en: str  # pycountry's (ISO's) name
    name_es: str  # from pycountry's Spanish iso3166-2 catalogue, which keeps local names
    type: str


@cache
def iso_subdivisions() -> dict[str, Subdivision]:
    """Every ISO 3166-2 subdivision of a country pycountry knows, by code, in the file's order."""
    es = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    with DATA_FILE.open(encoding="utf-8") as fh:
        entries = json.load(fh)[ROOT_KEY]
    out: dict[str, Subdivision] = {}
    for entry in entries:
        code, name = entry["code"], entry["name"]
        country = pycountry.countries.get(alpha_2=code.split("-")[0])
        if country is None:
            continue
        out[code] = Subdivision(code, country.alpha_3, name, es.gettext(name), entry["type"])
    return out
