"""A bulletin's options, checked before anything is read or written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from observatorio.errors import ErrorKind, ObservatorioError
from observatorio.model.codelists import CRM_MEMBERS
from observatorio.store import Store
from observatorio.store.selection import Selection, latest_period

SCOPES = ("regional", "country")
FORMATS = ("pdf", "xlsx", "html")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
PERIOD_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


class BulletinError(ObservatorioError):
    """Bad bulletin options or a missing rendering dependency (bilingual, says what to do)."""

    key = "bulletin.error.period"


class RendererMissing(BulletinError):
    """WeasyPrint or the system's Pango libraries are missing: the server's fault, not the
    request's (the portal answers 503)."""

    kind = ErrorKind.MISCONFIGURED
    key = "bulletin.error.weasyprint"


@dataclass(frozen=True)
class BulletinOptions:
    scope: str
    iso3: str | None
    period: date
    lang: str
    fmt: str

    @classmethod
    def parse(cls, scope: str, iso3: str | None, period: str, lang: str, fmt: str) -> BulletinOptions:
        if scope not in SCOPES:
            raise BulletinError("bulletin.error.choice", parameter="scope", value=scope,
                                allowed=" | ".join(SCOPES))
        if lang not in ("es", "en"):
            raise BulletinError("bulletin.error.choice", parameter="--lang", value=lang,
                                allowed="es | en")
        if fmt not in FORMATS:
            raise BulletinError("bulletin.error.choice", parameter="--format", value=fmt,
                                allowed=" | ".join(FORMATS))
        found = PERIOD_PATTERN.match(period or "")
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise BulletinError("bulletin.error.period", value=period)
        code = (iso3 or "").upper() or None
        if scope == "country" and code not in CRM_MEMBERS:
            raise BulletinError("bulletin.error.country", value=iso3 or "",
                                allowed=", ".join(CRM_MEMBERS))
        if scope == "regional" and code is not None:
            raise BulletinError("bulletin.error.regional_country", value=iso3)
        return cls(scope, code, date(int(found.group(1)), int(found.group(2)), 1), lang, fmt)


def latest_data_month(store: Store) -> str:
    """``YYYY-MM`` of the newest month any loaded source has data for: the default bulletin."""
    newest = latest_period(store, Selection(filters={"freq": ("M",)}))
    if newest is None:  # nothing monthly is loaded
        raise BulletinError("bulletin.error.no_monthly_data")
    return f"{newest.year:04d}-{newest.month:02d}"
