"""The column filters of the data routes as one FastAPI dependency, built from the contract.

``Depends(column_filters)`` declares one query parameter per filterable column
(model/dimensions.py FILTER_COLUMNS): FastAPI lists them in the OpenAPI document and the strict
route (params.py) accepts exactly them, so a dimension added to the contract is a parameter of
``/api/v1/observations`` and ``/api/v1/revisions`` with no edit here.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from fastapi import Query, Request

from observatorio.api_texts import api_text
from observatorio.model.dimensions import FILTER_COLUMNS

FILTER_DOC = api_text("api.doc.param.filter")

Filter = Annotated[str | None, Query(description=FILTER_DOC)]


def filters_of(request: Request) -> dict[str, list[str]]:
    """The column filters of the query string (repeated or comma-separated)."""
    params = request.query_params
    return {name: params.getlist(name) for name in FILTER_COLUMNS if name in params}


def column_filters(request: Request, **declared: Any) -> dict[str, list[str]]:
    """The dependency: every value of every filter parameter (FastAPI keeps one per name; the
    repeated ones are read from the query string)."""
    return filters_of(request)


# FastAPI reads a dependency's parameters from its signature: one keyword per column.
column_filters.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Filter)
       for name in FILTER_COLUMNS]
)
