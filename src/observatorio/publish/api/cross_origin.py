"""CORS for the public statistics API only, denied by default.

Any origin may read the open data (docs/api.md, "HTTP"): the statistics API under ``/api/`` and
SDMX under ``/sdmx/``. Nothing else answers a cross-origin request: a path outside those two,
and every path of the cases side inside them (its pages and its JSON API, ``cases_paths``: one
list), passes through untouched, so neither a preflight nor a simple request with ``Origin``
gets ``Access-Control-Allow-*`` headers, and a browser keeps another site's script away from
personal data. Before, CORS wrapped the whole application and the cases API answered
``Access-Control-Allow-Origin: *``; only the pages' own lane (cases_lane.py) escaped it."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

from observatorio.publish.api.cases_paths import is_cases_path

#: the public, non-personal paths other sites may read
PUBLIC_PREFIXES = ("/api/", "/sdmx/")


def cross_origin_allowed(path: str) -> bool:
    """Whether ``path`` may answer a cross-origin request (deny by default)."""
    return path.startswith(PUBLIC_PREFIXES) and not is_cases_path(path)


class PublicCORS(CORSMiddleware):
    """Starlette's CORS, applied only where ``cross_origin_allowed``; every other request goes
    to the application as if no CORS layer were there."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not cross_origin_allowed(scope["path"]):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
