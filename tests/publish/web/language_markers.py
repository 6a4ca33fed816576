"""A detector of text in the other language: marker words that only one of the two languages uses.

A Spanish page must show no English marker and an English page no Spanish one. Words are
short function words and the portal's own vocabulary, chosen so that none is a word of the
other language ("de" is not English, "the" is not Spanish). Text a page marks as not to be
translated (``translate="no"``: publishers' and institutions' proper names, addresses) or as
another language (``lang="…"``: the language switch, a national term in the glossary) is
left out by the page walker, as are ``<code>`` and the figure data scripts; addresses and
words in capitals (codes such as PERSONS, acronyms) are not words of either language.
"""

from __future__ import annotations

import re

from observatorio.harmonize.subdivisions import subdivisions_of

ENGLISH_MARKERS: tuple[str, ...] = (
    "the", "and", "of", "with", "from", "to", "for", "by", "in", "on", "is", "are", "or",
    "not", "no data", "data", "persons", "people", "events", "children", "child", "returns",
    "returned", "deaths", "dead", "missing", "route", "routes", "drowning", "violence",
    "undefined", "unknown", "mixed", "sickness", "accident", "harsh",
    "public domain", "licence", "license", "government", "country", "countries", "year",
    "years", "month", "months", "january", "february", "april", "june", "july", "august",
    "september", "october", "november", "december", "download", "source", "sources",
    "unaccompanied", "accompanied", "encounters", "asylum", "algeria",
)  # fmt: skip

SPANISH_MARKERS: tuple[str, ...] = (
    "el", "la", "los", "las", "del", "y", "de", "con", "para", "por", "sin", "según", "datos",
    "personas", "eventos", "niñas", "niños", "niñez", "retornos", "muertes", "ruta", "rutas",
    "año", "años", "mes", "meses", "fuente", "fuentes", "descargar", "población", "frontera",
    "tránsito", "país", "países", "ahogamiento", "violencia", "desconocida", "dominio",
    "público", "licencia", "enero", "febrero", "abril", "junio", "julio", "agosto",
    "septiembre", "octubre", "noviembre", "diciembre", "ene", "dic", "hace", "argelia",
    "acompañados", "solicitudes", "asilo",
)  # fmt: skip

#: Proper names that contain a marker word and are right in both languages (places, and the
#: names of publishers' data products quoted in source titles). Publishers' own names come from
#: the API's source list.
PROPER_NAMES: tuple[str, ...] = (
    "El Salvador", "CC BY", "Refugee Data Finder", "International Migrant Stock 2024",
    "Mobility in the Americas Digest", "Missing Migrants Project",
    "Instituto Guatemalteco de Migración", "Instituto Nacional de Migración",
    "Servicio Nacional de Migración", "Unidad de Política Migratoria",
)
#: Departments and states are proper names too, the same in both languages ("Veracruz de Ignacio
#: de la Llave" on an English page): every subdivision of the countries with department maps.
SUBDIVISION_NAMES: tuple[str, ...] = tuple(sorted({
    name for iso3 in ("BLZ", "CRI", "DOM", "GTM", "HND", "MEX", "NIC", "PAN", "SLV")
    for sub in subdivisions_of(iso3) for name in (sub.name_en, sub.name_es)}))
#: Addresses, and words in capitals (codes of the data model such as PERSONS, acronyms).
NOT_WORDS = re.compile(r"https?://\S+|\b[A-Z][A-Z0-9_]+\b")


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w'’-])", re.IGNORECASE)


MARKERS = {"es": _pattern(ENGLISH_MARKERS), "en": _pattern(SPANISH_MARKERS)}


def other_language_words(text: str, lang: str, names: tuple[str, ...] = ()) -> list[str]:
    """Marker words of the other language found in ``text`` shown on a ``lang`` page.

    ``names``: more proper names to leave out (the publishers).
    """
    for name in sorted((*names, *PROPER_NAMES, *SUBDIVISION_NAMES), key=len, reverse=True):
        text = text.replace(name, " ")
    text = NOT_WORDS.sub(" ", text)
    return [m.group(0) for m in MARKERS[lang].finditer(text)]
