"""The router's own answers under ``/cases/`` as cases answers: an unknown path (404), a wrong
method (405) and the sign-in redirect (page_kit.officer's 303) are raised as Starlette
``HTTPException`` by the router or a dependency, before any cases route runs, so the routes'
security headers (page_kit.HEADERS: no-store, CSP, frame denial, no referrer, nosniff) were
missing from them and the body was FastAPI's English ``{"detail": "Not Found"}``.

One exception handler answers them, registered by the app factory before the cases routes are
loaded (publish/api/cases_side.py: a wrapper that calls it for a path of the cases side): a
bilingual error page (the page's language, ``?lang=``), or under ``/cases/api/`` the API's
bilingual JSON error body, always with the headers. Every other path keeps FastAPI's own answer.
The last resort's 500 gets the headers under /cases/ too (``cases_internal_error``).
The cases JSON API (``/api/v1/cases``, ``/api/v1/people`` … ``cases_paths.API_V1``) gets the same for its
unknown paths and wrong methods: the cases API's own bilingual error body (errors.CasesError,
``{"detail": {"es", "en"}}``) with no-store and nosniff; any other refusal there (none is
raised today; a 401 is a CasesError, answered by the route) keeps FastAPI's answer, as do the
statistics API's paths.
It runs inside FastAPI's exception layer, which the cases lane (publish/api/cases_lane.py) calls
directly: nothing is added to the lane's way."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException
from starlette.responses import Response

from observatorio.cases.errors import CasesError, NotFound
from observatorio.cases.page_kit import HEADERS, lang_of, render
from observatorio.publish.api.cases_paths import under_cases, under_cases_api
from observatorio.publish.api.errors import internal_error_handler
from observatorio.publish.web.texts import Texts

API_PREFIX = "/cases/api/"
#: status → (error code, text key); any other status is told as a refused request
_KNOWN = {404: ("not_found", "cases.page_not_found"), 405: ("method_not_allowed", "cases.method_not_allowed")}
_OTHER = ("invalid_request", "cases.request_refused")
_API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _cases_api_error(request: Request, exc: HTTPException) -> Response:
    """The cases API's own error answer to the router's 404 or 405 (the path is not echoed:
    it may hold a name)."""
    refusal: CasesError
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        refusal = CasesError(key="cases.refusal.method_not_allowed", method=request.method, allowed=allowed)
    else:
        refusal = NotFound(key="cases.refusal.no_such_endpoint")
    headers = dict(exc.headers or {}) | _API_HEADERS  # keep Allow
    return Response(orjson.dumps(refusal.body()), status_code=exc.status_code, media_type="application/json",
                    headers=headers)


async def cases_http_error(request: Request, exc: Exception) -> Response:
    """A router or dependency refusal: under /cases/ a cases answer with the security headers,
    elsewhere FastAPI's default."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in _KNOWN and under_cases_api(request.url.path):
        return _cases_api_error(request, exc)
    if not under_cases(request.url.path):
        return await http_exception_handler(request, exc)
    headers = dict(exc.headers or {}) | HEADERS  # keep Allow and Location, add the page headers
    if 300 <= exc.status_code < 400:  # the sign-in redirect: no body to show
        return Response(status_code=exc.status_code, headers=headers)
    code, key = _KNOWN.get(exc.status_code, _OTHER)
    if request.url.path.startswith(API_PREFIX):
        message = {lang: Texts(lang)(key) for lang in ("es", "en")}
        body: dict[str, Any] = {"error": {"code": code, "parameter": None, "message": message, "closest": []}}
        return Response(orjson.dumps(body), status_code=exc.status_code, media_type="application/json",
                        headers=headers)
    page = render(request, "cases_error.html", exc.status_code, me=None, message=Texts(lang_of(request))(key))
    page.headers.update(headers)
    return page


async def cases_internal_error(request: Request, exc: Exception) -> Response:
    """The last resort's bilingual 500 (publish/api/errors.py), with the security headers under
    /cases/: a page that failed half-way shows no personal data, but is still never cached or
    framed."""
    response = await internal_error_handler(request, exc)
    if under_cases(request.url.path):
        response.headers.update(HEADERS)
    return response
