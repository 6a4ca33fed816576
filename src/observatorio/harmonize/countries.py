"""Country-name crosswalk: any publisher's spelling → ISO 3166-1 alpha-3, with closest matches."""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import pycountry

from observatorio.model.codelists import get_codelist, pycountry_spanish_names

ALIASES_FILE = Path(__file__).resolve().parent / "country_aliases.csv"


def normalize_name(name: str) -> str:
    """Case-, accent-, punctuation- and space-insensitive key of a country name."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", " ", text.casefold())
    return " ".join(text.split())


class CountryResolver:
    """Resolves country names and codes to ISO3; unknown names get the closest candidates."""

    def __init__(self, extra: Mapping[str, str] | None = None) -> None:
        self._index: dict[str, str] = {}
        area = get_codelist("area")
        for country in pycountry.countries:
            for attr in ("alpha_3", "alpha_2", "name", "official_name", "common_name"):
                value = getattr(country, attr, None)
                if value:
                    self._add(value, country.alpha_3)
        for name, iso3 in pycountry_spanish_names():
            self._add(name, iso3)
        for code in area.codes.values():
            if "-" in code.id:
                continue  # an ISO 3166-2 subdivision (MX-CHP) is never a country
            self._add(code.label_es, code.id)
            self._add(code.label_en, code.id)
            self._add(code.id, code.id)
        for alias, iso3 in _aliases().items():
            self._add(alias, iso3)
        for alias, iso3 in (extra or {}).items():
            self._add(alias, iso3)

    def _add(self, name: str, iso3: str) -> None:
        key = normalize_name(name)
        if key:
            self._index.setdefault(key, iso3)

    def add_aliases(self, pairs: Iterable[tuple[str, str]]) -> None:
        for name, iso3 in pairs:
            self._add(name, iso3)

    def resolve(self, name: object) -> str | None:
        """ISO3 for the name or code, or None when unknown."""
        if not isinstance(name, str):
            return None
        return self._index.get(normalize_name(name))

    def closest(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` known names closest to ``name``, as ``Name (ISO)``."""
        keys = difflib.get_close_matches(normalize_name(name), list(self._index), n=n, cutoff=0.6)
        area = get_codelist("area")
        seen: list[str] = []
        for key in keys:
            iso3 = self._index[key]
            label = f"{area.label(iso3, 'en')} ({iso3})"
            if label not in seen:
                seen.append(label)
        return seen


@cache
def _aliases() -> dict[str, str]:
    with ALIASES_FILE.open(encoding="utf-8", newline="") as fh:
        return {row["name"]: row["iso3"] for row in csv.DictReader(fh)}


@cache
def default_resolver() -> CountryResolver:
    """The process-wide resolver built from pycountry and the bundled aliases."""
    return CountryResolver()
