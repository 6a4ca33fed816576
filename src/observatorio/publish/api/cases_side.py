"""The cases side of the application, loaded on the first request that needs it (issue 12, item 5).

The cases side (cases, submissions, the directory and practices: SQLAlchemy, the models, the
policy and 16 routers) costs a server worker about 40 MB, and most workers of a public server
never answer one of its requests. The app factory (app.py) therefore includes an empty router
where the cases routes belong (before the portal's catch-all ``/es/…`` and ``/en/…`` routes, which
would otherwise answer the directory pages) and :class:`LoadCasesSide`, the outermost middleware,
fills it on the first request for a path of the side (cases_paths.needs_cases_side) before that
request goes on: it is answered exactly as if the side had been there from the start. The
OpenAPI document loads it too (docs.py) as it lists the side's operations.

The import (about a second) runs in a worker thread, so the event loop keeps answering the
statistics side meanwhile; a lock makes two first requests load it once. The routers are
included into a new router first and that one into the empty one in one step: a request never
sees half the side, and an import that fails leaves nothing behind (the next request tries
again). Starlette captures the exception handlers when it builds its middleware stack (on the
first request), so the cases side's handlers are registered with the app, as the thin wrappers
below: they import the cases side only for a path of it, and answer every other path as the
statistics side's own handlers do.

Security is the routes' own (deny by default, audit) and is loaded with them; the lane of the
pages (cases_lane.py) and CORS (cross_origin.py) go by the paths, not by what is loaded.
"""

from __future__ import annotations

import logging
import threading

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from observatorio.publish.api.cases_paths import (
    PAGE_HEADERS,
    is_cases_path,
    needs_cases_side,
    under_cases,
)
from observatorio.publish.api.errors import internal_error_handler


def _routers() -> list[APIRouter]:
    """The side's routers, in the order they are matched (the import of the whole side)."""
    from observatorio.cases.admin_web import router as admin_web_router
    from observatorio.cases.api import router as cases_router
    from observatorio.cases.directory_api import router as directory_api_router
    from observatorio.cases.directory_web import router as directory_web_router
    from observatorio.cases.officer_forms import router as cases_forms_router
    from observatorio.cases.officer_web import router as cases_officer_router
    from observatorio.cases.practice_web import router as practice_web_router
    from observatorio.cases.reception.api import router as reception_api_router
    from observatorio.cases.reception.web import router as reception_web_router
    from observatorio.cases.referral_api import router as cases_referral_router
    from observatorio.cases.referral_web import router as cases_referral_web_router
    from observatorio.cases.reintegration.api import router as cases_reintegration_router
    from observatorio.cases.reintegration.web import router as cases_reintegration_web_router
    from observatorio.cases.web import router as cases_web_router
    from observatorio.publish.api.cases_publication import router as cases_publication_router
    from observatorio.publish.web.directory_pages import router as directory_pages_router
    from observatorio.submissions.web import router as submissions_router

    return [cases_router, cases_reintegration_router, cases_publication_router, cases_web_router,
            cases_officer_router, reception_api_router, reception_web_router, cases_forms_router,
            cases_referral_router, cases_referral_web_router, submissions_router,
            cases_reintegration_web_router, practice_web_router, directory_web_router,
            directory_api_router, directory_pages_router, admin_web_router]


class CasesSide:
    """The routes that read or write the application database, loaded on first use.

    Measured with bench/api/memory.py on the bench store (docs/benchmarks.md, "The cases side on
    first use"): without an application database a worker that answered only the statistics side
    holds what a statistics-only worker holds (``create_app`` 198 → 164 MB, after the API
    questions 404 → 367 MB; statistics-only 369). Loading the side costs ≈ 36 MB at import and
    about a second, once. With an application database the country pages' practice links read it
    (publish/web/practice_links.py: SQLAlchemy, the models, ≈ 28 of those MB): 405 → 400 MB. They
    now read it with the DB-API driver (public_case_reads.py) and load none of the side.
    """

    def __init__(self) -> None:
        #: included by the app factory where the side's routes belong; empty until loaded
        self.router = APIRouter()
        self._lock = threading.Lock()
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        """Import the side and include its routers (once; safe from any thread)."""
        if self._loaded:
            return
        with self._lock:
            self._load_claimed()

    def claim(self) -> bool:
        """Take the right to load now, without waiting (False: another thread is loading);
        the claimer calls :meth:`load_claimed` then :meth:`release`."""
        return self._lock.acquire(blocking=False)

    def load_claimed(self) -> None:
        """:meth:`load`'s work, by the claimer (in any thread)."""
        self._load_claimed()

    def release(self) -> None:
        self._lock.release()

    def _load_claimed(self) -> None:
        if self._loaded:
            return
        side = APIRouter()
        for router in _routers():
            side.include_router(router)
        self.router.include_router(side)  # one step: the whole side or nothing
        self._loaded = True


def load_cases_side(app: FastAPI) -> None:
    """Load the cases side of ``app`` now (tests that inspect its routes, the OpenAPI document);
    nothing on a statistics-only app (``cases_web`` false), which never has it."""
    side: CasesSide | None = getattr(app.state, "cases_side", None)
    if side is not None:
        side.load()


def _route_paths(scope: Scope) -> tuple[str, ...]:
    """The request's path, with and without the root path: the router matches the latter; when
    in doubt the side is loaded (a load too many costs memory, one too few a wrong answer)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path, path[len(root):] or "/"
    return (path,)


class LoadCasesSide:
    """Outermost middleware: the cases side loaded before the first request that needs it."""

    def __init__(self, app: ASGIApp, side: CasesSide) -> None:
        self.app = app
        self.side = side

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.side.loaded and scope["type"] in ("http", "websocket") \
                and any(needs_cases_side(path) for path in _route_paths(scope)):
            await self._load()
        await self.app(scope, receive, send)

    async def _load(self) -> None:
        """One request loads the side in a thread of the pool (the event loop keeps serving);
        the requests that come meanwhile wait on the event loop, not each in a thread of that
        pool, which also answers the statistics side. A load that fails fails its request; the
        next waiting request tries again."""
        while not self.side.loaded:
            if self.side.claim():
                try:
                    await run_in_threadpool(self.side.load_claimed)
                finally:
                    self.side.release()
            else:
                await anyio.sleep(0.05)


async def cases_http_error(request: Request, exc: Exception) -> Response:
    """The router's refusals (404, 405, the sign-in redirect): on a path of the cases side its
    own answer (cases/http_errors.py), elsewhere FastAPI's."""
    assert isinstance(exc, HTTPException)
    if is_cases_path(request.url.path):
        from observatorio.cases.http_errors import cases_http_error as answer

        return await answer(request, exc)
    return await http_exception_handler(request, exc)


async def cases_internal_error(request: Request, exc: Exception) -> Response:
    """The last resort's 500: under /cases/ with the pages' security headers
    (cases/http_errors.py), elsewhere the statistics side's (errors.py). When the cases side
    itself cannot be imported (a broken deployment: it used to stop the server at start-up, it
    now fails its first request), the statistics side's 500 with the pages' headers."""
    if under_cases(request.url.path):
        try:
            from observatorio.cases.http_errors import cases_internal_error as answer
        except Exception:  # the side's own import failed: say so in the log, answer plainly
            logging.getLogger("observatorio.cases").exception("the cases side could not be loaded")
            response = await internal_error_handler(request, exc)
            response.headers.update(PAGE_HEADERS)
            return response
        return await answer(request, exc)
    return await internal_error_handler(request, exc)
