"""The portal's "Publicaciones / Publications" page: the archive of issued bulletins (by month,
country and language, each with its XLSX) and a form that produces any bulletin on request."""

from __future__ import annotations

from datetime import date
from typing import Any

from observatorio.i18n import fmt_month
from observatorio.model.codelists import CRM_MEMBERS, country_label
from observatorio.report import archive


def build_publications(req: Any) -> dict[str, Any]:
    """Template context of the page (``req`` is the portal's PageRequest)."""
    base = req.url
    months: dict[str, list[dict[str, Any]]] = {}
    for item in archive.issued(req.settings.bulletins_path):
        name = (country_label(item.iso3, req.lang) if item.iso3 else req.tx("publications.regional"))
        links = [{"fmt": fmt.upper(), "url": f"{base}archivo/{item.period}/{path.name}"}
                 for fmt, path in sorted(item.files.items())]
        months.setdefault(item.period, []).append(
            {"name": name, "lang": item.lang.upper(), "links": links,
             "releases": len(item.manifest.get("releases", {}))})
    archive_rows = [{"period": period, "month": _month(period, req.lang), "bulletins": items}
                    for period, items in months.items()]
    countries = sorted(({"code": c, "name": country_label(c, req.lang)} for c in CRM_MEMBERS),
                       key=lambda c: c["name"])
    return {"archive": archive_rows, "countries": countries, "form_url": f"{base}boletin",
            "charts": {}}


def _month(period: str, lang: str) -> str:
    try:
        year, month = (int(p) for p in period.split("-"))
        return fmt_month(date(year, month, 1), lang)
    except ValueError:
        return period
