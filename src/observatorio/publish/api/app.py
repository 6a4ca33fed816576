"""The one FastAPI application: open-data API, SDMX, portal pages and the cases API."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from observatorio import __version__
from observatorio.api_texts import api_text
from observatorio.settings import Settings, get_settings
from observatorio.store.arrow_without_pandas import tell_arrow_no_pandas
from observatorio.store.heap import limit_arenas, use_system_allocator

#: The tags that group the operations, each with its description (the names stay the same in
#: every language: they are the groups' ids).
API_TAGS = [{"name": tag, "description": api_text(f"api.doc.tag.{tag}")} for tag in (
    "data", "metadata", "analysis", "forecasts", "sdmx", "cases", "directory", "reception")]


def create_served_app(settings: Settings | None = None) -> FastAPI:
    """The application of a server process (``observatorio serve``'s factory): as
    :func:`create_app`, in a process where pyarrow never imports pandas for its type checks
    (store/arrow_without_pandas.py; only here, not in every process that builds an app: a test
    session or a script may use pyarrow with pandas as it always did)."""
    tell_arrow_no_pandas()
    return create_app(settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for the given settings (the environment's by default)."""
    from starlette.exceptions import HTTPException

    from observatorio.errors import ObservatorioError
    from observatorio.publish.api.cases_lane import CasesLane
    from observatorio.publish.api.cases_side import (
        CasesSide,
        LoadCasesSide,
        cases_http_error,
        cases_internal_error,
    )
    from observatorio.publish.api.cross_origin import PublicCORS
    from observatorio.publish.api.docs import serve_docs
    from observatorio.publish.api.errors import internal_error_handler, observatorio_error_handler
    from observatorio.publish.api.fast import ObservationsFastPath
    from observatorio.publish.api.head import HeadAsGet
    from observatorio.publish.api.http import PublicReadMiddleware
    from observatorio.publish.api.routes import analysis, data, forecasts, metadata, sdmx
    from observatorio.publish.api.store_access import PinStoreForRequest
    from observatorio.publish.web.calendar_page import router as calendar_page_router
    from observatorio.publish.web.routes import mount_web
    from observatorio.publish.web.routes import router as web_router

    settings = settings or get_settings()
    limit_arenas(settings.malloc_arenas)  # each worker builds its app: its heaps, as Settings say
    use_system_allocator()
    # The document and the docs page in the reader's language, Swagger UI's assets served by the
    # app itself (docs.py): FastAPI's own routes for them are off.
    app = FastAPI(
        title=api_text("api.doc.title"),
        version=__version__,
        description=api_text("api.doc.description"),
        openapi_tags=API_TAGS,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    # The cases side loads on its first request (cases_side.py); never on a statistics-only server.
    side = CasesSide() if settings.cases_web else None
    app.state.cases_side = side
    # the document lists the cases side's operations: making it loads the side
    serve_docs(app, swagger_ui_parameters={"validatorUrl": None}, complete=side.load if side else None)
    app.state.settings = settings
    for module in (metadata, data, analysis, forecasts):
        app.include_router(module.router)
    app.include_router(sdmx.router)
    if side is not None:
        app.include_router(side.router)  # the directory pages before the portal's catch-all /es/… routes
    app.include_router(calendar_page_router)
    app.include_router(web_router)
    mount_web(app)
    _warm_up_on_start(app)
    # The one mapping of the error hierarchy to HTTP (kind → status, bilingual body).
    app.add_exception_handler(ObservatorioError, observatorio_error_handler)
    app.add_exception_handler(Exception, internal_error_handler)
    if side is not None:
        # Registered now (Starlette captures the handlers at the first request); each imports
        # the cases side for a path of it only. The router's 404/405 and the sign-in redirect
        # under /cases/ and the cases API, with the pages' security headers; the same 500, with
        # those headers under /cases/ (cases/http_errors.py). Every other path: as above.
        app.add_exception_handler(HTTPException, cases_http_error)
        app.add_exception_handler(Exception, cases_internal_error)
    # Innermost first: the direct way to /api/v1/observations (fast.py), gzip, then
    # ETag/304/cache (it keeps gzipped bodies), HEAD served as a bodiless GET, CORS outermost:
    # for the public statistics API only, never a path of the cases side (cross_origin.py).
    app.add_middleware(ObservationsFastPath)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(PublicReadMiddleware, cache_bytes=settings.api_cache_mb << 20)
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        PublicCORS,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["If-None-Match", "If-Modified-Since", "Accept", "Accept-Language"],
        expose_headers=["ETag", "Last-Modified", "Link", "X-Total-Count", "Content-Disposition"],
        max_age=86400,
    )
    # Every layer of one request reads the same store snapshot.
    app.add_middleware(PinStoreForRequest)
    # The cases pages go past all of the above, none of which is theirs (cases_lane.py).
    app.add_middleware(CasesLane)
    if side is not None:  # outermost: the cases side loaded before any of its requests goes on
        app.add_middleware(LoadCasesSide, side=side)
    return app


def _warm_up_on_start(app: FastAPI) -> None:
    """Open the store, its catalogue and its in-memory columns in a thread at start-up
    (store_access.warm_up), stopped and joined at shut-down."""
    import threading

    from observatorio.publish.api.store_access import close_service, warm_up
    from observatorio.publish.background import run_at_startup

    app.state.api_warmed = threading.Event()  # the portal's warm-up starts when this is set
    run_at_startup(app, "api-warm-up", warm_up)
    # last of the shut-down hooks: the portal's warm-up (mount_web) and this one are joined
    # before the request threads' cursors are closed
    app.router.on_shutdown.append(lambda: close_service(app.state))
