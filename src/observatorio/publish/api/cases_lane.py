"""The cases pages' own lane through the application's middleware (issue 14, page latency).

The middleware of the statistics side (store snapshot pinning, CORS, HEAD as GET, the public-read
cache, gzip, the observations fast path) does nothing for the signed-in pages under ``/cases/``
but still costs each of their requests a pass through every layer, and two of its effects are
unwanted there: gzip of pages that carry a CSRF token next to reflected input (the BREACH attack
on compressed secrets) and ``Access-Control-Allow-Origin: *`` on pages of personal data.

This middleware, outermost but for the one that loads the cases side on its first request
(cases_side.py, which only imports and adds routes), hands ``GET`` and ``POST`` requests under
``/cases/`` straight to the application's exception layer (FastAPI's exception handlers, then
the router), past that stack. The pages' own security does not live in that stack: the session cookie, the CSRF check of every
form and the security headers (no-store, CSP, frame denial, no referrer) are in their routes and
their renderer (cases/page_kit.py), so they apply exactly as before. ``HEAD`` and ``OPTIONS``
keep the full way (HeadAsGet; CORS, which answers no path of the cases side: cross_origin.py), as
does every other path (the cases API included).
The server-error layer (the 500 page) sits outside every middleware, so it still covers them.
"""

from __future__ import annotations

from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from observatorio.publish.api.cases_paths import PREFIX

METHODS = ("GET", "POST")


def exception_layer(app: ASGIApp) -> ASGIApp:
    """The innermost middleware layer below ``app``: FastAPI's exception handling of the router,
    found by following each layer's ``app``."""
    layer: object = app
    while not isinstance(layer, ExceptionMiddleware):
        inner = getattr(layer, "app", None)
        if inner is None:
            raise RuntimeError(f"no exception layer below {type(app).__name__}: add CasesLane outermost")
        layer = inner
    return layer


class CasesLane:
    """Send ``GET``/``POST`` under ``/cases/`` past the statistics-side middleware (module doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.inner = exception_layer(app)  # the layers below are built before this one

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in METHODS and scope["path"].startswith(PREFIX):
            await self.inner(scope, receive, send)
            return
        await self.app(scope, receive, send)
