"""Strict query parameters for every router: an unknown parameter is a 400 naming it.

Two ways to use it (docs/api.md):

* ``APIRouter(route_class=StrictRoute)`` — every route of the router accepts only the query
  parameters it declares, and FastAPI's validation failures become our bilingual 400;
* ``dependencies=[Depends(strict_params("a", "b"))]`` — for a router that already has its own
  route class, or a route that reads extra parameters from ``request.query_params`` itself.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from observatorio.publish.api.errors import ApiError, from_validation
from observatorio.store.query_errors import QueryError


def check_params(request: Request, allowed: Iterable[str]) -> None:
    """Raise ApiError(400) for the first query parameter not in ``allowed``."""
    allowed_set = set(allowed)
    for name in request.query_params:
        if name not in allowed_set:
            close = difflib.get_close_matches(name, sorted(allowed_set), n=3, cutoff=0.5)
            raise ApiError(400, "unknown_parameter", name, "api.unknown_parameter", close,
                           allowed=", ".join(sorted(allowed_set)) or "—")


def strict_params(*allowed: str) -> Callable[[Request], None]:
    """A dependency accepting only the named query parameters."""

    def dependency(request: Request) -> None:
        check_params(request, allowed)

    return dependency


def declared_params(route: APIRoute) -> frozenset[str]:
    """The query parameters a route declares (aliases included), computed once per route."""
    cached: frozenset[str] | None = getattr(route, "_declared_query_params", None)
    if cached is None:
        cached = frozenset(_query_aliases(route.dependant))
        route._declared_query_params = cached  # type: ignore[attr-defined]
    return cached


def _query_aliases(dependant: Dependant) -> Iterator[str]:
    # Walk sub-dependencies too: a dependency may declare query parameters of its own.
    for param in dependant.query_params:
        yield param.alias
    for sub in dependant.dependencies:
        yield from _query_aliases(sub)


class StrictRoute(APIRoute):
    """A route that rejects undeclared query parameters and answers errors in both languages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        allowed = declared_params(self) | frozenset(getattr(self, "extra_query_params", ()))

        async def strict_handler(request: Request) -> Response:
            try:
                check_params(request, allowed)
                return await handler(request)
            except ApiError as exc:
                return exc.response()
            except QueryError as exc:
                return ApiError.from_query(exc).response()
            except RequestValidationError as exc:
                return from_validation(exc).response()

        return strict_handler
