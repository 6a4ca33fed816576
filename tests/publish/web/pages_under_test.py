"""The pages every portal test visits, in both languages."""

from __future__ import annotations

from observatorio.publish.web.pages import page_url

#: (name used in screenshots, page id, country)
PAGES: tuple[tuple[str, str, str | None], ...] = (
    ("overview", "overview", None),
    ("countries", "countries", None),
    ("country-gtm", "country", "GTM"),
    ("country-mex", "country", "MEX"),
    ("routes", "routes", None),
    ("children", "children", None),
    ("returns", "returns", None),
    ("deaths", "deaths", None),
    ("data", "data", None),
    ("methodology", "methodology", None),
    ("publications", "publications", None),
    ("returnees", "returnees", None),
)
LANGS = ("es", "en")


def url_of(lang: str, page_id: str, iso3: str | None) -> str:
    return page_url(lang, page_id, iso3)


def all_pages() -> list[tuple[str, str, str]]:
    """(lang, name, path) for every page in both languages."""
    return [(lang, name, url_of(lang, pid, iso)) for lang in LANGS for name, pid, iso in PAGES]
