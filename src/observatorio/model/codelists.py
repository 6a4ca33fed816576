"""Codelists with Spanish and English labels, shipped as CSV files in ``model/codelists/``.

The ``area`` codelist is ISO 3166-1 alpha-3 from pycountry, named in each language by the
Unicode CLDR (through Babel: "Argelia", "Burkina Faso"; pycountry's own names where CLDR has
none), the ISO 3166-2 subdivisions (``MX-CHP``: sub-national areas) and the SDMX special codes in
``area_special.csv``.
"""

from __future__ import annotations

import csv
import gettext
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pycountry
from babel import Locale

from observatorio.model.iso_subdivisions import iso_subdivisions

CODELIST_DIR = Path(__file__).resolve().parent / "codelists"

#: The eleven members of the Regional Conference on Migration (CRM / RCM).
CRM_MEMBERS: tuple[str, ...] = (
    "BLZ", "CAN", "CRI", "DOM", "SLV", "GTM", "HND", "MEX", "NIC", "PAN", "USA",
)  # fmt: skip


@dataclass(frozen=True, slots=True)  # slots: the area codelist holds ~5,300 of them
class Code:
    """One code of a codelist with its labels."""

    id: str
    label_es: str
    label_en: str
    description_es: str = ""
    description_en: str = ""

    def label(self, lang: str) -> str:
        return self.label_es if lang == "es" else self.label_en

    def description(self, lang: str) -> str:
        return self.description_es if lang == "es" else self.description_en


@dataclass(frozen=True)
class Codelist:
    """A named list of codes (SDMX sense)."""

    id: str
    codes: dict[str, Code]

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def label(self, code: str, lang: str) -> str:
        found = self.codes.get(code)
        return found.label(lang) if found else code


def _read_csv(path: Path) -> dict[str, Code]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            row["code"]: Code(
                row["code"],
                row["label_es"],
                row["label_en"],
                row.get("description_es") or "",
                row.get("description_en") or "",
            )
            for row in csv.DictReader(fh)
        }


def _spanish_country_names() -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=["es"], fallback=True
    )


def pycountry_spanish_names() -> list[tuple[str, str]]:
    """(name, ISO3) of pycountry's Spanish translations: spellings publishers may still use."""
    es = _spanish_country_names()
    return [(es.gettext(c.name), c.alpha_3) for c in pycountry.countries]


@cache
def _area_codes() -> dict[str, Code]:
    # CLDR's names, as reviewed by each language's community (pycountry's Spanish gettext
    # catalogue has slips such as "Burquina Faso" and leaves many names in English).
    es, en = Locale("es").territories, Locale("en").territories
    codes: dict[str, Code] = {}
    for country in pycountry.countries:
        fallback = getattr(country, "common_name", None) or country.name
        codes[country.alpha_3] = Code(country.alpha_3, es.get(country.alpha_2, fallback),
                                      en.get(country.alpha_2, fallback))
    codes.update(_read_csv(CODELIST_DIR / "area_special.csv"))
    # ISO 3166-2 subdivisions (MX-CHP): sub-national ref_area / counterpart_area (pycountry's
    # English names; Spanish from its iso3166-2 translations, which keep local names).
    for sub in iso_subdivisions().values():
        codes[sub.code] = Code(sub.code, sub.name_es, sub.name_en)
    return codes


CODELIST_IDS: tuple[str, ...] = (
    "area", "flow", "sex", "age", "accompaniment", "unit", "obs_status", "freq", "dataflow",
)  # fmt: skip


@cache
def get_codelist(codelist_id: str) -> Codelist:
    """The codelist ``codelist_id`` (KeyError if there is no such codelist)."""
    if codelist_id == "area":
        return Codelist("area", _area_codes())
    path = CODELIST_DIR / f"{codelist_id}.csv"
    if codelist_id not in CODELIST_IDS or not path.is_file():
        raise KeyError(codelist_id)
    return Codelist(codelist_id, _read_csv(path))


def country_label(iso3: str, lang: str) -> str:
    """A country's name in the language, or the code itself when unknown."""
    return get_codelist("area").label(iso3, lang)
