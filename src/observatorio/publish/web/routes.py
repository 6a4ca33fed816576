"""Portal routes: pages under /es/ and /en/, their CSV downloads, and the static assets.

Every response is compressed here when the browser accepts gzip (Starlette's GZipMiddleware
leaves an already-encoded body alone), so the page budget holds whether or not the app adds
the middleware.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from observatorio.analysis import dashboards as db
from observatorio.errors import ObservatorioError, StoreMissing
from observatorio.formula_guard import neutral_value
from observatorio.model.codelists import get_codelist
from observatorio.model.contract import FRAME_NAMES
from observatorio.publish.api.cases_paths import SLUGS
from observatorio.publish.background import run_at_startup
from observatorio.publish.web import admin1_map, analysis_bridge, assets, pages, publications
from observatorio.publish.web.charts import figure
from observatorio.publish.web.pages import (
    BUILDERS,
    PAGE_BY_ID,
    PAGES,
    PageRequest,
    page_url,
    resolve,
)
from observatorio.publish.web.practice_links import practice_links
from observatorio.publish.web.texts import Texts
from observatorio.settings import Settings, get_settings
from observatorio.store.duck import Store

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NAV_PAGES = ("overview", "countries", "routes", "children", "returns", "deaths", "data",
             "methodology", "publications", "returnees")
CSV_TYPE = "text/csv; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
MIN_GZIP = 1024
CACHE_SIZE = 64

router = APIRouter(include_in_schema=False)

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# the directory's and good practices' page addresses, named once (the cases side serves them)
_env.globals["case_slugs"] = SLUGS
#: `quoted`, snake_case and UPPER_CASE words of a source note: names of columns and codes.
IDENTIFIER = re.compile(r"`([^`]+)`|(?<![\w-])([a-z]+_[a-z_]+|_[A-Z]|[A-Z][A-Z0-9_]{2,})(?![\w-])")


@cache
def _data_codes() -> frozenset[str]:
    return frozenset(code for name in ("flow", "unit", "obs_status")
                     for code in get_codelist(name).codes)


def identifiers(text: str) -> Markup:
    """A source note with its column names and codes as <code> (they are not translated).

    Upper-case words are codes only when the data model has them (DEAD, PERSONS), never
    acronyms (ACNUR, UPM).
    """
    out, last = [], 0
    for match in IDENTIFIER.finditer(text):
        word = match.group(1) or match.group(2)
        if match.group(2) and word.isupper() and "_" not in word and word not in _data_codes():
            continue
        out += [escape(text[last:match.start()]), Markup("<code>%s</code>") % word]
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


_env.filters["identifiers"] = identifiers


def mount_web(app: FastAPI) -> None:
    """Start-up hook for the app factory: warm the analysis engine in the background.

    The first country profile reads every indicator's selections (tens of seconds on a busy
    machine); doing it at start-up spares the first visitor. The same thread then computes the
    forecast release once per store version when the store holds none (pages never compute
    it: until it is ready they say the forecast is being prepared). Static files need no mount: the
    router serves them.

    It starts its work once the API's warm-up (the in-memory columns) is over: both at once
    made a worker's start-up peak their sum. The thread is stopped (between forecast series)
    and joined at shut-down.
    """
    run_at_startup(app, "portal-warm-up", analysis_bridge.warm_up)


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


@contextmanager
def _open_store(request: Request) -> Iterator[Store]:
    """This request's own cursor on the app's store snapshot in force (the store service
    switches snapshots between requests, for the portal as for the API)."""
    from observatorio.publish.api.store_access import get_handle

    # A portal without a loaded store still renders, with "no data yet" in every chart.
    try:
        shared = get_handle(request.app.state).store
        store = Store(shared.cursor(), shared.path, read_only=True)
    except StoreMissing:
        store = Store.open(":memory:")
    try:
        yield store
    finally:
        store.close()


def _respond(request: Request, body: bytes, media_type: str, *, headers: dict[str, str] | None = None,
             gzipped: bytes | None = None, status_code: int = 200) -> Response:
    out = {"Vary": "Accept-Encoding", **(headers or {})}
    if "gzip" in request.headers.get("accept-encoding", "") and len(body) >= MIN_GZIP:
        out["Content-Encoding"] = "gzip"
        return Response(gzipped or gzip.compress(body, compresslevel=6), status_code=status_code,
                        media_type=media_type, headers=out)
    return Response(body, status_code=status_code, media_type=media_type, headers=out)


def _asset_response(request: Request, asset: assets.Asset, max_age: int = 3600,
                    immutable: bool = False) -> Response:
    cache = f"public, max-age={31536000 if immutable else max_age}" + (", immutable" if immutable else "")
    headers = {"ETag": asset.etag, "Cache-Control": cache}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return _respond(request, asset.body, asset.media_type, headers=headers, gzipped=asset.gzipped)


class _PageCache:
    """Built page contexts, keyed by store version: a load changes the version, so never stale.

    The pages only read a store that changes in batch loads; repeated visits (and the CSV
    behind a chart) then cost no query at all.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[str, ...], dict[str, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def build(self, req: PageRequest) -> dict[str, Any]:
        # pages with forecasts are rebuilt once the background warm-up has computed them, and
        # each day (an alert becomes history when its month has passed)
        forecast = (f"{analysis_bridge.forecast_token(req.app_state)}:{pages.today()}"
                    if req.page.id in ("overview", "country") else "")
        key = (str(req.settings.db_path), req.store.version(), req.lang, req.page.id,
               req.iso3 or "", urlencode(sorted(req.query.items())), forecast)
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        context = BUILDERS[req.page.id](req)
        # figures are built once more to learn their trace types: once per cached page
        context[TRACE_TYPES_KEY] = _trace_types(context)
        with self.lock:
            self.entries[key] = context
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return context


_pages = _PageCache(CACHE_SIZE)


# -- static -------------------------------------------------------------------------------------


@router.get("/static/vendor/plotly-{version}.min.js")
def plotly_js(request: Request, version: str) -> Response:
    """plotly.js, the light or the map-drawing bundle (versioned address: cached for good)."""
    asset = assets.plotly_asset_for(version)
    if asset is None:
        raise HTTPException(404)
    return _asset_response(request, asset, immutable=True)


@router.get("/static/geo/region_110m.geojson")
def region_shapes(request: Request) -> Response:
    return _asset_response(request, assets.geojson_asset(_settings(request).data_path), 86400)


@router.get(admin1_map.ADMIN1_GEOJSON_URL)
def admin1_shapes(request: Request, iso3: str) -> Response:
    """One country's departments / states (data/admin1_boundaries), keyed by ISO 3166-2."""
    asset = admin1_map.admin1_asset(_settings(request).data_path, iso3)
    if asset is None:
        raise HTTPException(404)
    return _asset_response(request, asset, 86400)


@router.get("/static/geo/topojson/{name}.json")
def region_topojson(request: Request, name: str) -> Response:
    """Whatever world topojson plotly.js asks for, answered with our own shapes."""
    return _asset_response(request, assets.topojson_asset(_settings(request).data_path), 86400)


@router.get("/static/geo/land/{name}.json")
def land_topojson(request: Request, name: str) -> Response:
    """For maps that draw land (``showland``): the world at 1:110m when the build extracted it,
    else our own shapes."""
    world = assets.world_topojson_asset() if name == "world_110m" else None
    if world is not None:
        return _asset_response(request, world, 86400)
    return _asset_response(request, assets.topojson_asset(_settings(request).data_path), 86400)


@router.get("/static/{name:path}")
def static_file(request: Request, name: str) -> Response:
    asset = assets.static_asset(name)
    if asset is None:
        raise HTTPException(404)
    return _asset_response(request, asset)


# -- pages --------------------------------------------------------------------------------------


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/es/", status_code=307)


@router.get("/es")
@router.get("/en")
def lang_root(request: Request) -> RedirectResponse:
    return RedirectResponse(f"{request.url.path}/", status_code=307)


@router.get("/es/{path:path}")
def spanish(request: Request, path: str) -> Response:
    return _dispatch(request, "es", path)


@router.get("/en/{path:path}")
def english(request: Request, path: str) -> Response:
    return _dispatch(request, "en", path)


def _dispatch(request: Request, lang: str, path: str) -> Response:
    segments = [s for s in path.split("/") if s]
    if len(segments) >= 2 and segments[-2] == "csv" and segments[-1].endswith(".csv"):
        return _chart_csv(request, lang, segments[:-2], segments[-1].removesuffix(".csv"))
    if len(segments) == 3 and segments[1] == "download" and segments[2].endswith(".csv"):
        found = resolve(lang, segments[:1])
        if found and found[0].id == "data":
            return _source_download(request, segments[2].removesuffix(".csv"))
    if len(segments) >= 2 and segments[0] == PAGE_BY_ID["publications"].slug(lang):
        return _publication(request, lang, segments[1:])
    found = resolve(lang, segments)
    if found is None:
        return _not_found(request, lang)
    if not path.endswith("/") and segments:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/{lang}/{'/'.join(segments)}/{query}", status_code=307)
    page, iso3 = found
    settings = _settings(request)
    with _open_store(request) as store:
        req = PageRequest(lang=lang, page=page, store=store, settings=settings,
                          query=dict(request.query_params), iso3=iso3, app_state=request.app.state)
        # the archive changes without a load: its page is never cached
        context = BUILDERS[page.id](req) if page.id == "publications" else _pages.build(req)
        if page.id == "country":  # practices change without a load: added after the cache
            context = {**context, "practice_links": practice_links(request, lang, iso3 or "", context)}
        html = _render(page.template, req, context, request)
    # an unknown choice in the query string (?pair=, ?nat=) is shown, and answered as 404
    return _respond(request, html.encode(), HTML_TYPE, headers={"Cache-Control": "no-cache"},
                    status_code=int(context.get("status", 200)))


def _publication(request: Request, lang: str, rest: list[str]) -> Response:
    """An archived bulletin (``archivo/<YYYY-MM>/<file>``) or one produced on request
    (``boletin?iso3=&period=&format=``); wrong fields answer 400 with the reason, never a 500."""
    settings = _settings(request)
    if len(rest) == 3 and rest[0] == "archivo":
        found = publications.archived_file(settings, rest[1], rest[2])
        if found is None:
            return _not_found(request, lang)
        path, media_type = found
        return Response(path.read_bytes(), media_type=media_type, headers={
            "Content-Disposition": f'attachment; filename="{rest[1]}-{rest[2]}"'})
    if rest != ["boletin"]:
        return _not_found(request, lang)
    page = PAGE_BY_ID["publications"]
    with _open_store(request) as store:
        req = PageRequest(lang=lang, page=page, store=store, settings=settings,
                          query=dict(request.query_params), app_state=request.app.state)
        try:
            produced = publications.on_request(store, settings, lang, dict(request.query_params))
        except ObservatorioError as exc:
            context = {**BUILDERS[page.id](req), "error": exc.message(lang)}
            html = _render(page.template, req, context, request)
            # the kind's status: busy (retry later), no Pango (the server's fault), bad options
            retry = {"Retry-After": str(publications.RETRY_AFTER_S)} if exc.retriable else None
            return _respond(request, html.encode(), HTML_TYPE, status_code=exc.http_status,
                            headers=retry)
    return Response(produced.data, media_type=produced.media_type, headers={
        "Content-Disposition": f'attachment; filename="{produced.filename}"'})


def _chart_csv(request: Request, lang: str, segments: list[str], chart_id: str) -> Response:
    found = resolve(lang, segments)
    if found is None:
        raise HTTPException(404)
    page, iso3 = found
    settings = _settings(request)
    with _open_store(request) as store:
        req = PageRequest(lang=lang, page=page, store=store, settings=settings,
                          query=dict(request.query_params), iso3=iso3, app_state=request.app.state)
        charts = _pages.build(req).get("charts", {})
        if chart_id not in charts:
            raise HTTPException(404)
        body = charts[chart_id].csv().encode()
    # the file says what was chosen: retornos-mirror-pair-MEX-GTM.csv
    chosen = [part for key, value in sorted(request.query_params.items())
              for part in (key, value) if value]
    name = "-".join(re.sub(r"[^A-Za-z0-9_-]+", "_", p).strip("_") or "_"
                    for p in [*segments, chart_id, *chosen]) or chart_id
    return _respond(request, body, CSV_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _source_download(request: Request, source: str) -> Response:
    with _open_store(request) as store:
        if source not in db.loaded_sources(store):
            raise HTTPException(404)
        body = _observations_csv(db.source_observations(store, source))
    return _respond(request, body, CSV_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{source}.csv"'})


def _observations_csv(batches: Iterator[list[dict[str, Any]]]) -> bytes:
    """A source's observations as CSV, batch by batch (never the whole release as rows): every
    contract column, text neutralised for spreadsheets, no value as an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutral_value(name) for name in FRAME_NAMES])
    for batch in batches:
        writer.writerows([_download_cell(row[name]) for name in FRAME_NAMES] for row in batch)
    return buffer.getvalue().encode()


def _download_cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return neutral_value(value)


def _not_found(request: Request, lang: str) -> Response:
    tx = Texts(lang)
    template = _env.get_template("not_found.html")
    html = template.render(**_base_context(lang, None, None, request), tx=tx, charts={})
    return _respond(request, html.encode(), HTML_TYPE, status_code=404)


def _base_context(lang: str, page_id: str | None, iso3: str | None, request: Request) -> dict[str, Any]:
    tx = Texts(lang)
    other = "en" if lang == "es" else "es"
    query = f"?{urlencode(dict(request.query_params))}" if request.query_params else ""
    switch = (page_url(other, page_id, iso3) if page_id else f"/{other}/") + query
    nav = [{"id": p.id, "url": page_url(lang, p.id), "label": tx(f"nav.{p.id}")}
           for p in PAGES if p.id in NAV_PAGES]
    return {"lang": lang, "other_lang": other, "switch_url": switch, "nav": nav,
            "cases_web": _settings(request).cases_web,  # statistics-only: no links to that side
            "page_id": page_id, "plotly_url": f"/static/vendor/plotly-{assets.plotly_version()}.min.js",
            "alternates": {code: (page_url(code, page_id, iso3) if page_id else f"/{code}/")
                           for code in ("es", "en")}}


#: Where a cached page context keeps the trace types of its figures (see _trace_types).
TRACE_TYPES_KEY = "_plotly_trace_types"


def _trace_types(context: dict[str, Any]) -> frozenset[str]:
    """The Plotly trace types of the figures a page draws (kept in its context when cached)."""
    known: frozenset[str] | None = context.get(TRACE_TYPES_KEY)
    if known is not None:
        return known
    return frozenset(trace["type"] for chart in context.get("charts", {}).values()
                     if not chart.empty for trace in figure(chart)["data"])


def _render(template_name: str, req: PageRequest, context: dict[str, Any], request: Request) -> str:
    template = _env.get_template(template_name)
    nav_id = "countries" if req.page.id == "country" else req.page.id
    base = _base_context(req.lang, req.page.id, req.iso3, request)
    base["nav_current"] = nav_id
    # plotly.js (the heaviest file by far) only where a chart will be drawn, and the bundle
    # with the map trace types only where one of the figures drawn is a map
    base["has_charts"] = any(not c.empty for c in context.get("charts", {}).values())
    version = assets.plotly_version_for(_trace_types(context))
    base["plotly_url"] = f"/static/vendor/plotly-{version}.min.js"
    return template.render(**base, **context, tx=req.tx, page=req.page, req=req)
