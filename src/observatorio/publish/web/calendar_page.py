"""The public submission calendar: /es/calendario/ and /en/calendar/ — per country and per
providing organisation, which sources are current, due or overdue (sources/calendar.yaml
against the store's latest releases). Read on every request: it changes with the date."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from observatorio.model.codelists import country_label
from observatorio.publish.web import pages, routes
from observatorio.publish.web.cases_database import surely_absent
from observatorio.publish.web.public_case_reads import organisation_names
from observatorio.publish.web.texts import Texts
from observatorio.refresh.reminders import today_utc
from observatorio.sources.catalogue import source_titles
from observatorio.sources.submission_calendar import STATUS_ORDER, counts_by, schedule

router = APIRouter(include_in_schema=False)
SLUG = {"es": "calendario", "en": "calendar"}


def calendar_page(request: Request, lang: str) -> Response:
    settings = routes._settings(request)
    clock = getattr(request.app.state, "calendar_today", None)  # tests pin the date
    today = clock() if clock else today_utc()
    with routes._open_store(request) as store:
        slots = schedule(store, today)
    # The providers' names are the directory's, in the application database: a statistics-only
    # server (cases_web false) shows their codes, as does a server without that database; they
    # are read without loading the cases side (public_case_reads.py).
    found = organisation_names(settings.cases_db_url, {s.provider for s in slots}) \
        if settings.cases_web and not surely_absent(settings.cases_db_url) else {}
    names = {slug: name[lang] for slug, name in found.items()}
    titles = source_titles(lang)  # the sources' facts, without importing their adapters
    other = "en" if lang == "es" else "es"
    base = routes._base_context(lang, None, None, request) | {
        "switch_url": f"/{other}/{SLUG[other]}/", "nav_current": "data", "has_charts": False,
        "alternates": {code: f"/{code}/{SLUG[code]}/" for code in ("es", "en")}}
    html = routes._env.get_template("calendar.html").render(
        **base, tx=Texts(lang), today=today, slots=slots, statuses=STATUS_ORDER,
        by_country=counts_by(slots, "country"), by_provider=counts_by(slots, "provider"),
        country=lambda iso3: country_label(iso3, lang) if iso3 else Texts(lang)("calendar.regional"),
        provider=lambda slug: names.get(slug, slug), title=lambda source: titles.get(source, source),
        data_url=pages.page_url(lang, "data"))
    return Response(html, media_type=routes.HTML_TYPE, headers={"Cache-Control": "no-cache"})


def _route(lang: str) -> None:
    @router.get(f"/{lang}/{SLUG[lang]}/", name=f"calendar-{lang}")
    def _page(request: Request) -> Response:
        return calendar_page(request, lang)


for _lang in ("es", "en"):
    _route(_lang)
