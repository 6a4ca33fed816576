"""The portal's visible texts, Spanish first, from ``texts.yaml`` (one entry per key, es and en)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from observatorio.i18n import normalize_lang

TEXTS_FILE = Path(__file__).resolve().parent / "texts.yaml"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    with TEXTS_FILE.open(encoding="utf-8") as fh:
        # the C loader when present: the catalogue is read on the first page served
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data: dict[str, dict[str, str]] = yaml.load(fh, Loader=loader)  # noqa: S506
    return data


def text(key: str, lang: str, **values: Any) -> str:
    """The text ``key`` in ``lang`` with its placeholders filled (KeyError if missing)."""
    entry = catalogue()[key]
    template = entry[normalize_lang(lang)]
    return template.format(**values) if values else template


class Texts:
    """Bound to one language for templates: ``tx('nav.data')`` or ``tx.get('key', n=3)``."""

    def __init__(self, lang: str) -> None:
        self.lang = normalize_lang(lang)

    def __call__(self, key: str, **values: Any) -> str:
        return text(key, self.lang, **values)

    def get(self, key: str, default: str = "", **values: Any) -> str:
        return text(key, self.lang, **values) if key in catalogue() else default

    def has(self, key: str) -> bool:
        return key in catalogue()
