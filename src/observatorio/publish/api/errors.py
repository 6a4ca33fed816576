"""Bilingual API errors: one body shape for every router, 400 for anything the caller got wrong.

Body: ``{"error": {"code", "parameter", "message": {"es", "en"}, "closest": [...]}}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from observatorio.api_texts import api_text
from observatorio.errors import ErrorKind, ObservatorioError, kind_of_status
from observatorio.i18n import both, t
from observatorio.store.query_errors import QueryError


class ErrorMessage(BaseModel):
    """The same message in Spanish and English."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.error_message")})

    es: str
    en: str


class ErrorDetail(BaseModel):
    """What was wrong, in which parameter, and the closest valid values."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.error_detail")})

    code: str = Field(description=api_text("api.doc.field.error.code"))
    parameter: str | None = Field(description=api_text("api.doc.field.error.parameter"))
    message: ErrorMessage
    closest: list[str] = Field(default_factory=list, description=api_text("api.doc.field.error.closest"))


class ErrorBody(BaseModel):
    """Every API error has this body."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.error_body")})

    error: ErrorDetail


class ApiError(ObservatorioError):
    """An API refusal with a bilingual message from messages.yaml (``api.*``). The status the
    caller names gives the kind (404 → not found…); the answer's status comes from the kind."""

    def __init__(
        self,
        status: int,
        code: str,
        parameter: str | None,
        key: str,
        closest: Sequence[str] = (),
        **values: Any,
    ) -> None:
        self.kind = kind_of_status(status)
        self.code = code
        self.parameter = parameter
        self.key = key
        self.closest = list(closest)
        self.values = {"parameter": parameter, **values}
        Exception.__init__(self, f"{code}: {parameter}")

    @property
    def status(self) -> int:
        return self.http_status

    @classmethod
    def from_query(cls, exc: QueryError) -> ApiError:
        values = {k: v for k, v in exc.values.items() if k != "parameter"}
        return cls(400, exc.code, exc.parameter, exc.key, exc.closest, **values)

    def message(self, lang: str = "es") -> str:
        return t(self.key, lang, **self.values)

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "parameter": self.parameter,
                "message": both(self.key, **self.values),
                "closest": self.closest,
            }
        }

    def response(self) -> Response:
        return error_response(self)


def error_response(exc: ObservatorioError) -> Response:
    """The one HTTP answer of every error: the kind's status (``HTTP_STATUS``), the error's own
    bilingual body, never cached; a throttled caller is told when to come back and an
    unauthenticated one how to authenticate."""
    headers = {"Cache-Control": "no-store"}
    retry_after = getattr(exc, "retry_after", None)
    if exc.retriable and retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if exc.kind is ErrorKind.UNAUTHENTICATED:
        headers["WWW-Authenticate"] = "Bearer"
    return Response(orjson.dumps(exc.body()), status_code=exc.http_status,
                    media_type="application/json", headers=headers)


#: OpenAPI description of the error answers, for ``responses=`` of every route.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": api_text("api.doc.response.bad_request")},
}


def from_validation(exc: RequestValidationError) -> ApiError:
    """FastAPI's own validation failure as our 400 (first problem; it names the parameter)."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body", "header")]
    parameter = loc[-1] if loc else None
    reason = str(first.get("msg", "invalid"))
    return ApiError(400, "invalid_value", parameter, "api.invalid_value", reason=reason)


async def observatorio_error_handler(request: Request, exc: Exception) -> Response:
    """The app's one exception handler for the error hierarchy (registered by the app factory)."""
    assert isinstance(exc, ObservatorioError)
    return error_response(exc)


#: Former names of the one handler (kept for callers that register it on their own apps).
api_error_handler = query_error_handler = observatorio_error_handler


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    """Last resort: a bilingual 500 body (the traceback goes to the server log)."""
    import logging

    logging.getLogger("observatorio.api").exception("internal error on %s", request.url.path)
    return ApiError(500, "internal", None, "api.internal").response()
