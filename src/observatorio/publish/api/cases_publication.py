"""POST /api/v1/cases/publication: the publisher role's publication run (counts only, audited).

Lives on the publishing side because it writes into the statistics store, which the cases
package never imports; the check, the run and the audit are the cases side's (publish_as)."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from typing import Annotated

import duckdb
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from observatorio.api_texts import api_text
from observatorio.cases.api import NOT_PERSONAL, CasesRoute, CtxDep, RuntimeDep
from observatorio.cases.errors import CasesError, Invalid
from observatorio.cases.page_kit import now_of
from observatorio.cases.publication.access import REASON_MAX, publish_as, require_run
from observatorio.cases.publication.closing import require_closed
from observatorio.cases.publication.run import Rules, check_threshold, parse_period
from observatorio.errors import ErrorKind, ObservatorioError
from observatorio.settings import get_settings
from observatorio.store.snapshots import publishing

router = APIRouter(route_class=CasesRoute, tags=["cases"])


class StoreUnavailable(CasesError):
    kind = ErrorKind.UNAVAILABLE


class PublicationIn(BaseModel):
    period: Annotated[str, Field(max_length=7, description=api_text("api.doc.field.publication.period"))]
    threshold: Annotated[int | None, Field(ge=1, le=1000)] = None
    revise: Annotated[bool, Field(description=api_text("api.doc.field.publication.revise"))] = False
    reason: Annotated[str | None, Field(max_length=REASON_MAX,
                                        description=api_text("api.doc.field.publication.reason"))] = None


class PublicationOut(BaseModel):
    load_id: str
    release: dt.date
    rows: int
    suppressed: int
    skipped: bool


@router.post("/api/v1/cases/publication", response_model=PublicationOut, openapi_extra=NOT_PERSONAL,
             summary=api_text("api.doc.cases.publish_cases.summary"),
             description=api_text("api.doc.cases.publish_cases.description"))
def publish_cases(request: Request, ctx: CtxDep, rt: RuntimeDep, body: PublicationIn) -> PublicationOut:
    """Publish the disclosure-controlled case aggregates up to ``period`` as a store release."""
    today = now_of(request).date()
    rules = Rules(today, rt.config.publication_closing_days, body.revise, body.reason)
    require_run(ctx, rules)  # a revision: publication.revise and a reason, before anything is read
    period = parse_period(body.period)
    configured = rt.config.publication_threshold
    threshold = check_threshold(body.threshold or configured)
    if threshold < configured:
        # An account may protect more than the configured rule, never less.
        raise Invalid(key="cases.refusal.threshold_below_configured", configured=configured)
    require_closed(period, today, rt.config.publication_closing_days)  # refused before the store opens
    settings = getattr(request.app.state, "settings", None) or get_settings()
    # With snapshots (docs/deployment.md) this writes a new one and the servers switch to it;
    # a plain store file is written in place (and is busy while a server reads it).
    opened = ExitStack()
    try:
        store = opened.enter_context(publishing(settings.db_path))
    except (ObservatorioError, duckdb.Error):
        raise StoreUnavailable(key="cases.refusal.store_unavailable") from None
    with opened:
        result = publish_as(ctx, store, period, threshold, rules)
    return PublicationOut(load_id=result.load_id, release=result.release, rows=result.rows,
                          suppressed=result.suppressed, skipped=result.skipped)
