"""The one FastAPI application: open-data API, SDMX, portal pages and the cases API."""

from __future__ import annotations

from fastapi import FastAPI

from observatorio import __version__
from observatorio.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for the given settings (the environment's by default)."""
    from observatorio.cases.api import router as cases_router
    from observatorio.publish.api.routes import analysis, data, forecasts, metadata
    from observatorio.publish.web.routes import router as web_router

    settings = settings or get_settings()
    app = FastAPI(
        title="Observatorio Migratorio Regional — API",
        version=__version__,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    for module in (metadata, data, analysis, forecasts):
        app.include_router(module.router)
    app.include_router(cases_router)
    app.include_router(web_router)
    return app
