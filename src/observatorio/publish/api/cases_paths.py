"""The paths of the cases side, the one list of them: its pages (``/cases/``), its JSON API's
prefixes (``API_V1``) and the public directory and good-practice pages of the portal (``SLUGS``).
Importable without loading the cases side (no SQLAlchemy, no models), so the statistics side's
middleware can keep away from them on a statistics-only server too (cross_origin.py), the cases
side answers its own errors by them (cases/http_errors.py), and a server loads the cases side on
the first request that needs it (cases_side.py; tests/publish/api/test_cases_side.py checks that
every route of the side is recognised here)."""

from __future__ import annotations

#: the officer pages (and their JSON under ``/cases/api/``)
PREFIX = "/cases/"
#: the cases JSON API's prefixes (cases/api.py, referral_api.py, directory_api.py, reception/api.py,
#: reintegration/api.py, publish/api/cases_publication.py); tests/cases/test_http_errors.py checks
#: that every cases API route lies under one of them
API_V1 = ("/api/v1/auth", "/api/v1/audit", "/api/v1/cases", "/api/v1/people", "/api/v1/referrals",
          "/api/v1/referral-profiles", "/api/v1/notifications", "/api/v1/reception", "/api/v1/reintegration",
          "/api/v1/directory", "/api/v1/practices")


#: the public portal pages of the directory and the good-practice registry, in each language:
#: ``/<lang>/<slug>/`` (publish/web/directory_pages.py builds its routes from these)
SLUGS = {"directory": {"es": "directorio", "en": "directory"},
         "practices": {"es": "buenas-practicas", "en": "good-practices"}}
_PUBLIC_PAGES = tuple(f"/{lang}/{slug}" for section in SLUGS.values() for lang, slug in section.items())


def under_cases(path: str) -> bool:
    """A path of the officer pages."""
    return path.startswith(PREFIX) or path == PREFIX.rstrip("/")


def under_cases_api(path: str) -> bool:
    """A path of the cases JSON API: one of its prefixes, whole segments only."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in API_V1)


def is_cases_path(path: str) -> bool:
    """Any path of the cases side, page or API."""
    return under_cases(path) or under_cases_api(path)


def under_public_pages(path: str) -> bool:
    """A path of the portal's directory or good-practice pages, whole segments only."""
    return any(path == base or path.startswith(base + "/") for base in _PUBLIC_PAGES)


def needs_cases_side(path: str) -> bool:
    """A path only the cases side answers: its pages, its API, its public portal pages."""
    return is_cases_path(path) or under_public_pages(path)


#: The security headers of every page under ``/cases/`` (cases/page_kit.py), here so that a 500
#: can carry them when the cases side itself failed to load (publish/api/cases_side.py).
PAGE_HEADERS = {
    # Pages show personal data: never cache them, never frame them, no scripts at all.
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    # a response is what its Content-Type says, never sniffed into a script or a page
    "X-Content-Type-Options": "nosniff",
}
