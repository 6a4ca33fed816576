"""The routes of an app, flattened: FastAPI keeps an included router as one route holding the
router's own (``original_router``), which the route walks of the tests look through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.routing import BaseRoute


def flat_routes(routes: list[Any]) -> Iterator[BaseRoute]:
    """``routes`` in matching order, with each included router's own routes in its place."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from flat_routes(route.original_router.routes)
        else:
            yield route
