"""A direct way to ``GET /api/v1/observations``: the route's own answer without FastAPI's
parameter machinery.

Resolving and validating the route's 25 declared query parameters costs FastAPI about as much
CPU as computing a typical answer from the in-memory columns (store/memory.py), and the hop to
its thread pool as much again. This ASGI middleware sits innermost (inside CORS, the
ETag/response cache and gzip) and answers the request itself when every query parameter is one
the route declares and the typed ones are plainly valid (``limit``/``offset`` ASCII digits, a
``format`` and ``lang`` the route accepts): it builds the question with the route's own
``observations_query`` and encodes it with its ``answer``, so the bytes are the route's. A
question the in-memory columns answer from a few rows is computed right here on the event loop;
any other goes to the thread pool, as under FastAPI. Anything else — an unknown or repeated
typed parameter, a malformed number, no store — continues to the FastAPI route, which answers
it (or gives its 400) as before.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from observatorio.errors import StoreMissing
from observatorio.i18n import normalize_lang
from observatorio.model.dimensions import FILTER_COLUMNS
from observatorio.publish.api.errors import ApiError
from observatorio.publish.api.filters import filters_of
from observatorio.publish.api.formats import Format
from observatorio.store.query_errors import QueryError

PATH = "/api/v1/observations"
#: The query parameters of the route (tests/publish/api check it against FastAPI's view).
PARAMETERS: frozenset[str] = frozenset(
    (*FILTER_COLUMNS, "start", "end", "group_by", "release", "as_of", "limit", "offset",
     "format", "lang", "aggregate"))
_TEXT = ("start", "end", "group_by", "release", "as_of", "aggregate")
_TYPED = ("limit", "offset", "format", "lang")
_DIGITS = re.compile(r"[0-9]{1,15}")
_FORMATS = {f.value: f for f in Format}
_LANGS = ("es", "en")
#: Questions reading at most this many in-memory rows are answered on the event loop.
INLINE_ROWS = 20_000
#: Formats cheap enough to encode on the event loop (the others go to the thread pool).
_INLINE_FORMATS = (Format.json, Format.csv)


class ObservationsFastPath:
    """Answer plain ``GET /api/v1/observations`` requests directly (see the module doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        args = _arguments(request)
        handle = _handle(scope) if args is not None else None
        if args is None or handle is None:
            await self.app(scope, receive, send)
            return
        response = await _respond(request, handle, args)
        await response(scope, receive, send)


def _arguments(request: Request) -> dict[str, Any] | None:
    """The route's arguments when FastAPI would accept the query string as it is, else None."""
    params = request.query_params
    for name in params:
        if name not in PARAMETERS:
            return None
    for name in (*_TEXT, *_TYPED):  # FastAPI reads one value of these: let it say which
        if len(params.getlist(name)) > 1:
            return None
    fmt = _FORMATS.get(params.get("format", "json"))
    lang = params.get("lang", "es")
    limit, offset = params.get("limit"), params.get("offset", "0")
    if fmt is None or lang not in _LANGS:
        return None
    if (limit is not None and not _DIGITS.fullmatch(limit)) or not _DIGITS.fullmatch(offset):
        return None
    args: dict[str, Any] = {name: params.get(name) for name in _TEXT}
    args.update(fmt=fmt, lang=normalize_lang(lang),
                limit=None if limit is None else int(limit), offset=int(offset))
    return args


def _handle(scope: Scope) -> Any:
    from observatorio.publish.api.store_access import get_handle

    state = getattr(scope.get("app"), "state", None)
    if state is None:
        return None
    try:
        return get_handle(state)
    except StoreMissing:  # the route answers 503
        return None


async def _respond(request: Request, handle: Any, args: dict[str, Any]) -> Any:
    from observatorio.publish.api.routes.data import answer, observations_query

    try:
        query = observations_query(
            filters_of(request), args["start"], args["end"], args["group_by"], args["release"],
            args["as_of"], args["limit"], args["offset"], args["fmt"], args["aggregate"])
        if args["fmt"] in _INLINE_FORMATS and query.in_memory(handle.store, INLINE_ROWS):
            return answer(request, handle, query, args["fmt"], args["lang"])
        return await run_in_threadpool(answer, request, handle, query, args["fmt"], args["lang"])
    except ApiError as exc:
        return exc.response()
    except QueryError as exc:
        return ApiError.from_query(exc).response()
