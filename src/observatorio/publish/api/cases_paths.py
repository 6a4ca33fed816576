"""The paths of the cases side, the one list of them: its pages (``/cases/``) and its JSON API's
prefixes (``API_V1``). Importable without loading the cases side (no SQLAlchemy, no models), so
the statistics side's middleware can keep away from them on a statistics-only server too
(cross_origin.py) while the cases side answers its own errors by them (cases/http_errors.py)."""

from __future__ import annotations

#: the officer pages (and their JSON under ``/cases/api/``)
PREFIX = "/cases/"
#: the cases JSON API's prefixes (cases/api.py, referral_api.py, directory_api.py, reception/api.py,
#: reintegration/api.py, publish/api/cases_publication.py); tests/cases/test_http_errors.py checks
#: that every cases API route lies under one of them
API_V1 = ("/api/v1/auth", "/api/v1/audit", "/api/v1/cases", "/api/v1/people", "/api/v1/referrals",
          "/api/v1/referral-profiles", "/api/v1/notifications", "/api/v1/reception", "/api/v1/reintegration",
          "/api/v1/directory", "/api/v1/practices")


def under_cases(path: str) -> bool:
    """A path of the officer pages."""
    return path.startswith(PREFIX) or path == PREFIX.rstrip("/")


def under_cases_api(path: str) -> bool:
    """A path of the cases JSON API: one of its prefixes, whole segments only."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in API_V1)


def is_cases_path(path: str) -> bool:
    """Any path of the cases side, page or API."""
    return under_cases(path) or under_cases_api(path)
