"""``/api/v1/reception/…``: arrivals, manifest import and intake, through the same use-cases
(policy, audit) as the officer pages and the command line."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile

from observatorio.api_texts import api_text
from observatorio.cases.api import PERSONAL, CasesRoute, CtxDep
from observatorio.cases.bounds import PathId
from observatorio.cases.errors import Invalid
from observatorio.cases.page_kit import now_of
from observatorio.cases.reception import arrivals, intake
from observatorio.cases.reception.manifest import MAX_BYTES
from observatorio.cases.reception.schemas import (
    ArrivalDetail,
    ArrivalIn,
    ArrivalOut,
    IntakeIn,
    IntakeOut,
    ManifestImportOut,
)

router = APIRouter(route_class=CasesRoute, tags=["reception"])
NOT_PERSONAL = {"x-personal-data": False}


@router.post("/api/v1/reception/arrivals", response_model=ArrivalOut, status_code=201, openapi_extra=NOT_PERSONAL,
             summary=api_text("api.doc.reception.create_arrival.summary"),
             description=api_text("api.doc.reception.create_arrival.description"))
def create_arrival(ctx: CtxDep, body: ArrivalIn) -> ArrivalOut:
    """Record a flight or bus of returnees announced to the officer's reception centre."""
    return arrivals.create_arrival(ctx, body)


@router.get("/api/v1/reception/arrivals", response_model=list[ArrivalOut], openapi_extra=NOT_PERSONAL,
            summary=api_text("api.doc.reception.list_arrivals.summary"),
            description=api_text("api.doc.reception.list_arrivals.description"))
def list_arrivals(ctx: CtxDep) -> list[ArrivalOut]:
    """The newest arrivals the user may read, with counts (expected, on the manifest, received)."""
    return arrivals.list_arrivals(ctx)


@router.get("/api/v1/reception/arrivals/{arrival_id}", response_model=ArrivalDetail, openapi_extra=PERSONAL,
            summary=api_text("api.doc.reception.get_arrival.summary"),
            description=api_text("api.doc.reception.get_arrival.description"))
def get_arrival(ctx: CtxDep, arrival_id: PathId) -> ArrivalDetail:
    """One arrival with its manifest (names, dates of birth: audited) and who was received."""
    return arrivals.get_arrival(ctx, arrival_id)


@router.post("/api/v1/reception/arrivals/{arrival_id}/manifest", response_model=ManifestImportOut,
             openapi_extra=PERSONAL,
             summary=api_text("api.doc.reception.import_manifest.summary"),
             description=api_text("api.doc.reception.import_manifest.description"))
async def import_manifest(request: Request, ctx: CtxDep, arrival_id: PathId,
                          file: Annotated[UploadFile, File(description=api_text("api.doc.field.manifest_file"))]) -> ManifestImportOut:
    """Import the manifest (CSV or XLSX); a file with any bad row imports nothing and the answer
    (422) lists every bad row and column."""
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise Invalid(key="refusal.reception.upload_too_large", megabytes=MAX_BYTES // 2**20, detail={"field": "file"})
    n = arrivals.import_manifest(ctx, arrival_id, file.filename or "manifest.csv", content, now_of(request).date())
    return ManifestImportOut(arrival_id=arrival_id, imported=n)


@router.post("/api/v1/reception/arrivals/{arrival_id}/intakes", response_model=IntakeOut, status_code=201,
             openapi_extra=PERSONAL,
             summary=api_text("api.doc.reception.record_intake.summary"),
             description=api_text("api.doc.reception.record_intake.description"))
def record_intake(request: Request, ctx: CtxDep, arrival_id: PathId, body: IntakeIn) -> IntakeOut:
    """Receive one person: identity check, destination, screening (required referrals), services."""
    return intake.record_intake(ctx, arrival_id, body, now_of(request).date())
