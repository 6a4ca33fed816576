"""User-facing texts in Spanish and English (Spanish first), and locale-aware formatting."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Literal, NamedTuple

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

from observatorio import yaml_load

Lang = Literal["es", "en"]
LANGS: tuple[Lang, ...] = ("es", "en")
DEFAULT_LANG: Lang = "es"
_LOCALES = {"es": "es", "en": "en"}


#: The message catalogue, in two files of the same format (key → ``es``, ``en``; placeholders in
#: ``str.format`` names): the command line's, API's and reports' texts, and the portal's pages.
#: One lookup serves both (``t``, ``entry``); a key lives in exactly one of them.
MESSAGES_FILE = Path(__file__).resolve().parent / "messages.yaml"
PORTAL_TEXTS_FILE = Path(__file__).resolve().parent / "publish" / "web" / "texts.yaml"
CATALOGUE_FILES: tuple[Path, ...] = (MESSAGES_FILE, PORTAL_TEXTS_FILE)


def read_catalogue_file(path: Path) -> dict[str, dict[str, str]]:
    """One catalogue file as read (the C loader when present: the portal reads it on its first page)."""
    with path.open(encoding="utf-8") as fh:
        data: dict[str, dict[str, str]] = yaml_load.safe_load(fh)
    return data


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every entry of every catalogue file (a key in two files: the later file's entry; the
    catalogue lint test fails on it)."""
    merged: dict[str, dict[str, str]] = {}
    for path in CATALOGUE_FILES:
        merged.update(read_catalogue_file(path))
    return merged


def entry(key: str) -> dict[str, str]:
    """The catalogue entry ``key``: its text in each language (KeyError when missing)."""
    return catalogue()[key]


def normalize_lang(lang: str | None) -> Lang:
    """``es`` or ``en``; anything else falls back to Spanish, the default."""
    return "en" if lang == "en" else "es"


def t(key: str, /, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The message ``key`` in ``lang`` with its placeholders filled (a placeholder may itself be
    named ``key``, as in the duplicate-key rule: hence ``key`` is positional-only). A value given
    in both languages (``both(…)``, a protocol's label) fills the message in its own language.
    A message written in plural forms (``key.one``, ``key.other``) takes the one ``count`` asks for."""
    lang = normalize_lang(lang)
    text = template(key, lang, values.get("count"))
    if key not in catalogue() and _is_count(values.get("count")):  # in plural forms:
        values = {**values, "count": fmt_number(values["count"], lang)}  # «1.234 avisos»
    return text.format(**{name: in_lang(value, lang) for name, value in values.items()})


#: The plural forms a message may be written in (CLDR's categories, as Babel names them).
PLURAL_FORMS = ("one", "other")


def plural_form(count: Real | float, lang: str = DEFAULT_LANG) -> str:
    """``one`` or ``other``: the CLDR plural category of ``count`` in ``lang`` (Babel's rules,
    those of gettext's ``ngettext``: 1 is ``one`` in both languages, 0 is ``other``). Spanish's
    ``many`` (a million: «un millón de») reads as ``other``: the catalogue puts the number
    before the noun, where a million takes the ``other`` form («1.000.000 avisos»)."""
    number = abs(int(count) if isinstance(count, Integral) else float(count))  # NumPy's as Python's
    form = Locale.parse(_LOCALES[normalize_lang(lang)]).plural_form(number)
    return "one" if form == "one" else "other"


def _is_count(value: Any) -> bool:
    """A whole number (Python's or NumPy's: a frame's ``len`` or ``nunique``), not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def template(key: str, lang: Lang, count: Any = None) -> str:
    """The text of ``key`` in ``lang``; for a message in plural forms (no ``key``, but
    ``key.one`` and ``key.other``), the form ``count`` takes (KeyError: no such message, or a
    plural one without its count)."""
    texts = catalogue()
    if key not in texts and f"{key}.one" in texts and isinstance(count, Real) and not isinstance(count, bool):
        return texts[f"{key}.{plural_form(count, lang)}"][lang]
    return texts[key][lang]


def in_lang(value: Any, lang: Lang) -> Any:
    """``value`` in ``lang`` when it is given in both languages (a mapping with ``es`` and ``en``,
    or an object with ``es`` and ``en`` texts); any other value as it is."""
    if isinstance(value, Mapping):
        return value[lang] if "es" in value and "en" in value else value
    if isinstance(getattr(value, "es", None), str) and isinstance(getattr(value, "en", None), str):
        return getattr(value, lang)
    return value


def both(key: str, **values: Any) -> dict[str, str]:
    """The message in both languages, Spanish first (for API error bodies)."""
    return {lang: t(key, lang, **values) for lang in LANGS}


def in_both(key: str, separator: str = " / ", /, **values: Any) -> str:
    """The message in Spanish, then in English, as one text (the cases command line and a few
    operator messages speak both languages at once)."""
    return separator.join(t(key, lang, **values) for lang in LANGS)


class Pair(NamedTuple):
    """A text in Spanish and in English (a tuple, hashable: it may sit in a frozen record and,
    given to ``t`` as a value, fills each language's message in that language)."""

    es: str
    en: str


def pair(key: str, /, **values: Any) -> Pair:
    """The message in Spanish and in English, in that order (for records that keep both)."""
    return Pair(t(key, "es", **values), t(key, "en", **values))


def has_message(key: str) -> bool:
    """Whether the catalogue has the message ``key`` (plain, or in plural forms)."""
    return key in catalogue() or f"{key}.one" in catalogue()


def fmt_number(value: float | int | None, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """A number formatted for the language (``1.234.567`` in Spanish, ``1,234,567`` in English)."""
    if value is None:
        return "—"
    fmt = "#,##0" if digits == 0 else "#,##0." + "0" * digits
    return format_decimal(value, format=fmt, locale=_LOCALES[normalize_lang(lang)])


def number_separators(lang: str = DEFAULT_LANG) -> str:
    """The decimal mark then the thousands separator of the language (``,.`` in Spanish), as
    Plotly's ``separators`` takes them: the charts' hover numbers agree with the tables'."""
    locale = _LOCALES[normalize_lang(lang)]
    return get_decimal_symbol(locale) + get_group_symbol(locale)


def fmt_date(value: date, lang: str = DEFAULT_LANG, fmt: str = "medium") -> str:
    """A date formatted for the language."""
    return format_date(value, format=fmt, locale=_LOCALES[normalize_lang(lang)])


def fmt_month(value: date, lang: str = DEFAULT_LANG) -> str:
    """``oct. 2024`` / ``Oct 2024``."""
    return format_date(value, format="MMM y", locale=_LOCALES[normalize_lang(lang)])


def fmt_datetime_utc(value: datetime, lang: str = DEFAULT_LANG) -> str:
    """An instant in UTC, said so: ``5 dic 2026, 14:03 UTC`` / ``5 Dec 2026, 14:03 UTC`` (a naive
    one is taken as UTC, as the stores keep them)."""
    instant = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return format_datetime(instant, "d MMM y, HH:mm 'UTC'", tzinfo=UTC, locale=_LOCALES[normalize_lang(lang)])
