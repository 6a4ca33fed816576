"""The portal's visible texts, Spanish first, from ``texts.yaml`` (one entry per key, es and en),
looked up through the one catalogue of :mod:`observatorio.i18n`; ``Texts`` binds a language for
the templates."""

from __future__ import annotations

from typing import Any

from observatorio.i18n import PORTAL_TEXTS_FILE, has_message, normalize_lang, t, template
from observatorio.i18n import catalogue as i18n_catalogue

TEXTS_FILE = PORTAL_TEXTS_FILE


def catalogue() -> dict[str, dict[str, str]]:
    """The one message catalogue (observatorio.i18n), which holds this file's entries."""
    return i18n_catalogue()


def text(key: str, lang: str, **values: Any) -> str:
    """The text ``key`` in ``lang`` with its placeholders filled (KeyError if missing); a text in
    plural forms takes the one its ``count`` asks for (``tx('data.releases', count=n)``)."""
    return t(key, lang, **values) if values else template(key, normalize_lang(lang))


class Texts:
    """Bound to one language for templates: ``tx('nav.data')`` or ``tx.get('key', n=3)``."""

    def __init__(self, lang: str) -> None:
        self.lang = normalize_lang(lang)
        self._texts = i18n_catalogue()

    def __call__(self, key: str, **values: Any) -> str:
        if not values:  # most calls of a page: the text as it is (what ``template`` gives without a count)
            return self._texts[key][self.lang]
        return text(key, self.lang, **values)

    def get(self, key: str, default: str = "", **values: Any) -> str:
        return text(key, self.lang, **values) if has_message(key) else default

    def has(self, key: str) -> bool:
        return has_message(key)
