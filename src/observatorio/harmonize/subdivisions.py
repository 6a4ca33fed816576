"""Sub-national areas: ISO 3166-2 subdivision codes (``MX-CHP``, ``HN-CR``) from publishers' names.

Publishers name first-level divisions their own way ("Coahuila" for ISO's "Coahuila de Zaragoza",
"Querétaro de Arteaga" for "Querétaro", Mexico City as "Distrito Federal"), and map shapes carry
HASC ids (``HN.AT``) that are not ISO codes. A name is resolved within its country: exact
(case-, accent- and punctuation-insensitive) against pycountry's names in English and Spanish,
then the aliases in ``subdivision_aliases.csv`` (each with the reason), then a unique prefix
match either way ("Veracruz" ↔ "Veracruz de Ignacio de la Llave"). Nothing is guessed beyond
that: an unresolved name is returned as None and reported by the caller.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path

import pycountry

from observatorio.harmonize.countries import normalize_name
from observatorio.model.iso_subdivisions import Subdivision, iso_subdivisions

ALIASES_FILE = Path(__file__).resolve().parent / "subdivision_aliases.csv"


def all_subdivisions() -> dict[str, Subdivision]:
    """Every ISO 3166-2 subdivision pycountry knows (about 5,000), by code (one table per
    process, shared with the ``area`` codelist)."""
    return iso_subdivisions()


def country_of(code: str) -> str | None:
    """ISO3 of the country a subdivision code belongs to (None when ``code`` is not one)."""
    found = all_subdivisions().get(code)
    return found.country if found else None


def subdivisions_of(iso3: str) -> Iterator[Subdivision]:
    return (s for s in all_subdivisions().values() if s.country == iso3)


@cache
def _aliases() -> dict[tuple[str, str], str]:
    with ALIASES_FILE.open(encoding="utf-8", newline="") as fh:
        return {(row["country"], normalize_name(row["name"])): row["code"] for row in csv.DictReader(fh)}


@lru_cache(maxsize=64)  # per country asked for: bounded, whatever codes a file holds
def _index(iso3: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for sub in subdivisions_of(iso3):
        for name in (sub.name_en, sub.name_es):
            index.setdefault(normalize_name(name), sub.code)
    return index


def resolve_subdivision(iso3: str, name: object) -> str | None:
    """ISO 3166-2 code of the first-level division ``name`` of country ``iso3``, or None."""
    if not isinstance(name, str) or not name.strip():
        return None
    key = normalize_name(name)
    index = _index(iso3)
    if key in index:
        return index[key]
    country = pycountry.countries.get(alpha_3=iso3)
    alias = _aliases().get((country.alpha_2 if country else "", key))
    if alias:
        return alias
    # "Coahuila" → "Coahuila de Zaragoza", "Querétaro de Arteaga" → "Querétaro": one candidate only.
    prefixed = {code for known, code in index.items()
                if known.startswith(key + " ") or key.startswith(known + " ")}
    return prefixed.pop() if len(prefixed) == 1 else None
