"""User-facing texts in Spanish and English (Spanish first), and locale-aware formatting."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

from babel.dates import format_date
from babel.numbers import format_decimal

from observatorio import yaml_load

Lang = Literal["es", "en"]
LANGS: tuple[Lang, ...] = ("es", "en")
DEFAULT_LANG: Lang = "es"
_LOCALES = {"es": "es", "en": "en"}


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    path = Path(__file__).resolve().parent / "messages.yaml"
    with path.open(encoding="utf-8") as fh:
        data: dict[str, dict[str, str]] = yaml_load.safe_load(fh)
    return data


def normalize_lang(lang: str | None) -> Lang:
    """``es`` or ``en``; anything else falls back to Spanish, the default."""
    return "en" if lang == "en" else "es"


def t(key: str, /, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The message ``key`` in ``lang`` with its placeholders filled (a placeholder may itself be
    named ``key``, as in the duplicate-key rule: hence ``key`` is positional-only)."""
    entry = _catalogue()[key]
    return entry[normalize_lang(lang)].format(**values)


def both(key: str, **values: Any) -> dict[str, str]:
    """The message in both languages, Spanish first (for API error bodies)."""
    return {lang: t(key, lang, **values) for lang in LANGS}


def has_message(key: str) -> bool:
    return key in _catalogue()


def fmt_number(value: float | int | None, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """A number formatted for the language (``1.234.567`` in Spanish, ``1,234,567`` in English)."""
    if value is None:
        return "—"
    fmt = "#,##0" if digits == 0 else "#,##0." + "0" * digits
    return format_decimal(value, format=fmt, locale=_LOCALES[normalize_lang(lang)])


def fmt_date(value: date, lang: str = DEFAULT_LANG, fmt: str = "medium") -> str:
    """A date formatted for the language."""
    return format_date(value, format=fmt, locale=_LOCALES[normalize_lang(lang)])


def fmt_month(value: date, lang: str = DEFAULT_LANG) -> str:
    """``oct. 2024`` / ``Oct 2024``."""
    return format_date(value, format="MMM y", locale=_LOCALES[normalize_lang(lang)])
