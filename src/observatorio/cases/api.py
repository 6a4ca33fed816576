"""REST API of the cases side: /api/v1/auth, /api/v1/people, /api/v1/cases, /api/v1/audit.

Routes only translate HTTP to service calls; the policy and the audit live in the service.
Each route declares ``x-personal-data`` so a test can enumerate those that must be audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from observatorio import validation_text
from observatorio.api_texts import api_text
from observatorio.cases import (
    accounts,
    audit_queries,
    case_records,
    case_work,
    case_writes,
    person_records,
    person_rights,
    transitions,
    use_context,
)
from observatorio.cases.auth import (
    authenticate,
    decode_token,
    principal_of_token,
    revoke_session,
    start_session,
)
from observatorio.cases.bounds import MAX_ID, Offset, PathId, QueryId
from observatorio.cases.errors import CasesError, Unauthenticated
from observatorio.cases.models import User
from observatorio.cases.policy import describe, get_policy
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import (
    AuditOut,
    CaseAssign,
    CaseCreate,
    CaseOut,
    CasePage,
    CaseShareIn,
    CaseTransition,
    CaseUpdate,
    ErasureOut,
    FamilyLinkIn,
    MembershipOut,
    MeOut,
    NoteIn,
    NoteOut,
    OrganisationOut,
    Outcome,
    PasswordChange,
    PersonCreate,
    PersonOut,
    PersonPage,
    PersonUpdate,
    ServiceIn,
    ServiceOut,
    TaskIn,
    TaskOut,
    TaskUpdate,
    Token,
    VerifyOut,
)
from observatorio.cases.vocab import CaseStatus, CaseType, RiskLevel
from observatorio.i18n import both
from observatorio.publish.api.errors import error_response


class CasesRoute(APIRoute):
    """Turns the cases errors and FastAPI's validation failures into bilingual JSON errors here
    too, so that the cases routers answer the same on an app without the observatory's handler
    (the tests' small apps); the answer itself is the app's one ``error_response``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def wrapped(request: Request) -> Response:
            try:
                response = await handler(request)
                # Personal data must not linger in shared or browser caches.
                response.headers.setdefault("Cache-Control", "no-store")
                return response
            except RequestValidationError as exc:
                # 422 like the service's Invalid, in both languages, never echoing the input.
                return JSONResponse({"detail": validation_text.bilingual(exc.errors())}, status_code=422,
                                    headers={"Cache-Control": "no-store"})
            except CasesError as exc:  # the app's one error answer (publish/api/errors.py)
                return error_response(exc)

        return wrapped


router = APIRouter(route_class=CasesRoute, tags=["cases"])
PERSONAL = {"x-personal-data": True}
# Free-text query parameters: no control characters (PostgreSQL rejects NUL; none is ever needed).
SAFE_TEXT = r"^[^\x00-\x1f\x7f]*$"
NOT_PERSONAL = {"x-personal-data": False}

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_runtime(request: Request) -> Runtime:
    """The app's cases runtime, built on first use from ``app.state.settings`` (tests preset it)."""
    rt = getattr(request.app.state, "cases_runtime", None)
    if rt is None:
        rt = Runtime.from_settings(getattr(request.app.state, "settings", None))
        request.app.state.cases_runtime = rt
    return rt


async def runtime_of(request: Request) -> Runtime:
    """``get_runtime`` as a dependency. It is ``async`` because it does no I/O once the runtime
    exists: a plain ``def`` dependency costs every request a hop to the thread pool and back,
    which under concurrent page loads is CPU spent switching threads, not serving."""
    return get_runtime(request)


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]


async def get_session(rt: RuntimeDep) -> AsyncIterator[Session]:
    """The request's session, opened and closed on the event loop when that does no I/O (each
    hop to the thread pool and back costs CPU in thread switches under concurrent requests).
    Opening connects nothing (that happens on first use). Closing after the request committed
    (every audited read and write does) only drops objects; a transaction still open is rolled
    back, a round trip to the database, so that close runs in the thread pool."""
    session = rt.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def get_token(rt: RuntimeDep, token: Annotated[str | None, Depends(oauth2)]) -> tuple[int, str]:
    """(user id, session id) of the bearer token, checked for signature and expiry."""
    if not token:
        raise_unauth()
    return decode_token(token or "", rt.secret)


TokenDep = Annotated[tuple[int, str], Depends(get_token)]


def get_ctx(request: Request, rt: RuntimeDep, session: SessionDep, token: TokenDep) -> use_context.Ctx:
    """The unit of work of an authenticated API request (its session must still be live)."""
    principal = principal_of_token(session, *token, rt.config.session_idle)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite holds its write lock per transaction (BEGIN IMMEDIATE): do not hold it while
        # the request body is handled. PostgreSQL goes on in the same transaction, saving a
        # commit and a begin per request.
        session.commit()
    return use_context.Ctx(session, principal, client_ip(request), rt.secret)


def raise_unauth() -> None:
    raise Unauthenticated(key="cases.refusal.authentication_required")


CtxDep = Annotated[use_context.Ctx, Depends(get_ctx)]


# ---------------------------------------------------------------- auth

@router.post("/api/v1/auth/token", response_model=Token, openapi_extra=NOT_PERSONAL,
             summary=api_text("api.doc.cases.login.summary"),
             description=api_text("api.doc.cases.login.description"))
def login(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], rt: RuntimeDep,
          session: SessionDep) -> Token:
    """OAuth2 password flow: an expiring bearer token for valid credentials."""
    user = authenticate(session, form.username, form.password, client_ip(request), rt.config)
    token = start_session(session, user.id, rt.secret, rt.config.token_ttl_minutes)
    session.commit()
    return Token(access_token=token, expires_in=rt.config.token_ttl_minutes * 60)


@router.post("/api/v1/auth/logout", status_code=204, openapi_extra=NOT_PERSONAL,
             summary=api_text("api.doc.cases.logout.summary"),
             description=api_text("api.doc.cases.logout.description"))
def logout(ctx: CtxDep, token: TokenDep) -> Response:
    """End this token's session: it is refused from now on."""
    revoke_session(ctx.session, token[1])
    ctx.session.commit()
    return Response(status_code=204)


@router.post("/api/v1/auth/password", status_code=204, openapi_extra=NOT_PERSONAL,
             summary=api_text("api.doc.cases.change_password.summary"),
             description=api_text("api.doc.cases.change_password.description"))
def change_password(request: Request, ctx: CtxDep, rt: RuntimeDep, body: PasswordChange) -> Response:
    """Change one's own password; every session of the user ends, this one too (log in again)."""
    user = authenticate(ctx.session, ctx.principal.username, body.current_password, client_ip(request),
                        rt.config)
    accounts.set_password(ctx.session, user, body.new_password, rt.config)
    ctx.session.commit()
    return Response(status_code=204)


@router.get("/api/v1/auth/me", response_model=MeOut, openapi_extra=NOT_PERSONAL,
            summary=api_text("api.doc.cases.me.summary"),
            description=api_text("api.doc.cases.me.description"))
def me(ctx: CtxDep) -> MeOut:
    """The logged-in user and memberships."""
    user = ctx.session.get(User, ctx.principal.user_id)
    assert user is not None
    return MeOut(id=user.id, username=user.username, full_name=user.full_name, memberships=[
        MembershipOut(organisation=OrganisationOut.model_validate(m.organisation), role=m.role)
        for m in user.memberships])


@router.get("/api/v1/cases/policy", openapi_extra=NOT_PERSONAL,
            summary=api_text("api.doc.cases.policy_matrix.summary"),
            description=api_text("api.doc.cases.policy_matrix.description"))
def policy_matrix() -> dict[str, Any]:
    """The access matrix as data (actions × roles × scope), the sensitive field groups and the
    actions a share extends to the organisation shared with."""
    p = get_policy()
    return {"actions": p.actions, "matrix": describe(), "share_grants": sorted(p.share_grants),
            "field_groups": {g: sorted(f) for g, f in p.field_groups.items()},
            "role_field_groups": {r.name: sorted(r.field_groups) for r in p.roles.values()}}


# ---------------------------------------------------------------- people

@router.post("/api/v1/people", status_code=201, response_model=PersonOut, openapi_extra=PERSONAL,
             summary=api_text("api.doc.cases.create_person.summary"))
def create_person(ctx: CtxDep, body: PersonCreate) -> PersonOut:
    """Register a person."""
    return person_records.create_person(ctx, body)


@router.get("/api/v1/people", response_model=PersonPage, openapi_extra=PERSONAL,
            summary=api_text("api.doc.cases.search_people.summary"),
            description=api_text("api.doc.cases.search_people.description"))
def search_people(
    ctx: CtxDep,
    q: Annotated[str | None, Query(max_length=100, pattern=SAFE_TEXT)] = None,
    nationality: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
    document: Annotated[str | None, Query(max_length=60, pattern=SAFE_TEXT)] = None,
    date_of_birth: dt.date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> PersonPage:
    """Search people the user may read."""
    return person_records.search_people(ctx, q=q, nationality=nationality, document=document,
                                        date_of_birth=date_of_birth, limit=limit, offset=offset)


@router.get("/api/v1/people/{person_id}", response_model=PersonOut, openapi_extra=PERSONAL,
            summary=api_text("api.doc.cases.get_person.summary"))
def get_person(ctx: CtxDep, person_id: PathId) -> PersonOut:
    """One person."""
    return person_records.get_person(ctx, person_id)


@router.patch("/api/v1/people/{person_id}", response_model=PersonOut, openapi_extra=PERSONAL,
              summary=api_text("api.doc.cases.update_person.summary"),
              description=api_text("api.doc.cases.update_person.description"))
def update_person(ctx: CtxDep, person_id: PathId, body: PersonUpdate) -> PersonOut:
    """Edit a person (optimistic locking on ``version``)."""
    return person_records.update_person(ctx, person_id, body)


@router.post("/api/v1/people/{person_id}/family-links", response_model=PersonOut, openapi_extra=PERSONAL,
             summary=api_text("api.doc.cases.add_family_link.summary"))
def add_family_link(ctx: CtxDep, person_id: PathId, body: FamilyLinkIn) -> PersonOut:
    """Link a relative."""
    return person_records.add_family_link(ctx, person_id, body)


@router.get("/api/v1/people/{person_id}/export", openapi_extra=PERSONAL,
            summary=api_text("api.doc.cases.export_person.summary"),
            description=api_text("api.doc.cases.export_person.description"))
def export_person(ctx: CtxDep, person_id: PathId) -> dict[str, Any]:
    """All data held on one person (right of access)."""
    return person_rights.export_person(ctx, person_id)


@router.post("/api/v1/people/{person_id}/erase", response_model=ErasureOut, openapi_extra=PERSONAL,
             summary=api_text("api.doc.cases.erase_person.summary"),
             description=api_text("api.doc.cases.erase_person.description"))
def erase_person(ctx: CtxDep, person_id: PathId) -> ErasureOut:
    """Pseudonymise one person on request (right to erasure)."""
    return person_rights.erase_person(ctx, person_id)


# ---------------------------------------------------------------- cases

@router.post("/api/v1/cases", status_code=201, response_model=CaseOut, openapi_extra=PERSONAL,
             summary=api_text("api.doc.cases.create_case.summary"))
def create_case(ctx: CtxDep, body: CaseCreate) -> CaseOut:
    """Open a case."""
    return case_records.create_case(ctx, body)


@router.get("/api/v1/cases", response_model=CasePage, openapi_extra=PERSONAL,
            summary=api_text("api.doc.cases.list_cases.summary"),
            description=api_text("api.doc.cases.list_cases.description"))
def list_cases(
    ctx: CtxDep,
    q: Annotated[str | None, Query(max_length=100, pattern=SAFE_TEXT)] = None,
    status: CaseStatus | None = None,
    case_type: CaseType | None = None,
    risk_level: RiskLevel | None = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
    organisation_id: QueryId = None,
    officer_id: QueryId = None,
    opened_from: dt.date | None = None,
    opened_to: dt.date | None = None,
    sort: case_records.SortKey = "-opened_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> CasePage:
    """Cases the user may read, filtered."""
    return case_records.list_cases(
        ctx, sort=sort, limit=limit, offset=offset, q=q,
        status=status.value if status else None, case_type=case_type.value if case_type else None,
        risk_level=risk_level.value if risk_level else None, country=country,
        organisation_id=organisation_id, officer_id=officer_id, opened_from=opened_from, opened_to=opened_to)


@router.get("/api/v1/cases/{case_id}", response_model=CaseOut, openapi_extra=PERSONAL,
            summary=api_text("api.doc.cases.get_case.summary"))
def get_case(ctx: CtxDep, case_id: PathId) -> CaseOut:
    """One case."""
    return case_records.get_case(ctx, case_id)


@router.patch("/api/v1/cases/{case_id}", response_model=CaseOut, openapi_extra=PERSONAL,
              summary=api_text("api.doc.cases.update_case.summary"),
              description=api_text("api.doc.cases.update_case.description"))
def update_case(ctx: CtxDep, case_id: PathId, body: CaseUpdate) -> CaseOut:
    """Edit a case; 409 with the changes since when ``version`` is stale."""
    return case_writes.update_case(ctx, case_id, body)


@router.post("/api/v1/cases/{case_id}/transition", response_model=CaseOut, openapi_extra=PERSONAL,
             summary=api_text("api.doc.cases.transition_case.summary"),
             description=api_text("api.doc.cases.transition_case.description"))
def transition_case(ctx: CtxDep, case_id: PathId, body: CaseTransition) -> CaseOut:
    """Move a case through its lifecycle."""
    return transitions.transition_case(ctx, case_id, body)


@router.post("/api/v1/cases/{case_id}/assign", response_model=CaseOut, openapi_extra=PERSONAL,
             summary=api_text("api.doc.cases.assign_case.summary"),
             description=api_text("api.doc.cases.assign_case.description"))
def assign_case(ctx: CtxDep, case_id: PathId, body: CaseAssign) -> CaseOut:
    """Assign organisation and/or officer."""
    return case_writes.assign_case(ctx, case_id, body)


@router.post("/api/v1/cases/{case_id}/shares", response_model=CaseOut, openapi_extra=PERSONAL,
             summary=api_text("api.doc.cases.share_case.summary"),
             description=api_text("api.doc.cases.share_case.description"))
def share_case(ctx: CtxDep, case_id: PathId, body: CaseShareIn) -> CaseOut:
    """Share a case with another organisation."""
    return case_writes.share_case(ctx, case_id, body)


@router.get("/api/v1/cases/{case_id}/notes", response_model=list[NoteOut], openapi_extra=PERSONAL,
            summary=api_text("api.doc.cases.list_notes.summary"))
def list_notes(ctx: CtxDep, case_id: PathId) -> list[NoteOut]:
    """Notes of a case."""
    return case_work.list_notes(ctx, case_id)


@router.post("/api/v1/cases/{case_id}/notes", status_code=201, response_model=NoteOut, openapi_extra=PERSONAL,
             summary=api_text("api.doc.cases.add_note.summary"))
def add_note(ctx: CtxDep, case_id: PathId, body: NoteIn) -> NoteOut:
    """Add a note."""
    return case_work.add_note(ctx, case_id, body)


@router.get("/api/v1/cases/{case_id}/tasks", response_model=list[TaskOut], openapi_extra=PERSONAL,
            summary=api_text("api.doc.cases.list_tasks.summary"))
def list_tasks(ctx: CtxDep, case_id: PathId) -> list[TaskOut]:
    """Tasks of a case."""
    return case_work.list_tasks(ctx, case_id)


@router.post("/api/v1/cases/{case_id}/tasks", status_code=201, response_model=TaskOut, openapi_extra=PERSONAL,
             summary=api_text("api.doc.cases.add_task.summary"))
def add_task(ctx: CtxDep, case_id: PathId, body: TaskIn) -> TaskOut:
    """Add a task."""
    return case_work.add_task(ctx, case_id, body)


@router.patch("/api/v1/cases/{case_id}/tasks/{task_id}", response_model=TaskOut, openapi_extra=PERSONAL,
              summary=api_text("api.doc.cases.update_task.summary"))
def update_task(ctx: CtxDep, case_id: PathId, task_id: PathId, body: TaskUpdate) -> TaskOut:
    """Complete or reopen a task."""
    return case_work.update_task(ctx, case_id, task_id, body)


@router.get("/api/v1/cases/{case_id}/services", response_model=list[ServiceOut], openapi_extra=PERSONAL,
            summary=api_text("api.doc.cases.list_services.summary"))
def list_services(ctx: CtxDep, case_id: PathId) -> list[ServiceOut]:
    """Services of a case."""
    return case_work.list_services(ctx, case_id)


@router.post("/api/v1/cases/{case_id}/services", status_code=201, response_model=ServiceOut,
             openapi_extra=PERSONAL, summary=api_text("api.doc.cases.add_service.summary"))
def add_service(ctx: CtxDep, case_id: PathId, body: ServiceIn) -> ServiceOut:
    """Record a service."""
    return case_work.add_service(ctx, case_id, body)


# ---------------------------------------------------------------- audit

@router.get("/api/v1/audit", response_model=list[AuditOut], openapi_extra=NOT_PERSONAL,
            summary=api_text("api.doc.cases.query_audit.summary"),
            description=api_text("api.doc.cases.query_audit.description"))
def query_audit(
    request: Request,
    response: Response,
    ctx: CtxDep,
    actor_id: QueryId = None,
    action: Annotated[str | None, Query(max_length=40, pattern=SAFE_TEXT)] = None,
    record_type: Annotated[str | None, Query(max_length=20, pattern=SAFE_TEXT)] = None,
    record_id: Annotated[str | None, Query(max_length=40, pattern=SAFE_TEXT)] = None,
    since: Annotated[str | None, Query(max_length=32, pattern=SAFE_TEXT)] = None,
    until: Annotated[str | None, Query(max_length=32, pattern=SAFE_TEXT)] = None,
    outcome: Annotated[Outcome | None,
                       Query(description=api_text("api.doc.param.audit_outcome"))] = None,
    after_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    upto_id: Annotated[int | None, Query(
        ge=0, le=MAX_ID,
        description=api_text("api.doc.param.audit_upto"))] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    """Audit entries within the user's scope (supervisors and auditors), granted and denied,
    oldest first; a full page carries ``Link: <…>; rel="next"``."""
    page = audit_queries.query_audit(ctx, actor_id=actor_id, action=action, record_type=record_type,
                                     record_id=record_id, since=since, until=until, outcome=outcome,
                                     after_id=after_id, upto_id=upto_id, limit=limit)
    response.headers["X-Audit-Upto"] = str(page.upto_id)
    if len(page.items) == limit:
        nxt = request.url.include_query_params(after_id=page.items[-1].id, upto_id=page.upto_id)
        response.headers["Link"] = f'<{nxt}>; rel="next"'
    return page.items


@router.get("/api/v1/audit/verify", response_model=VerifyOut, openapi_extra=NOT_PERSONAL,
            summary=api_text("api.doc.cases.verify_audit.summary"),
            description=api_text("api.doc.cases.verify_audit.description"))
def verify_audit(ctx: CtxDep) -> VerifyOut:
    """Verify the audit hash chain end to end."""
    v = audit_queries.verify_audit(ctx)
    msg = both("audit_check.intact") if v.ok else {"es": v.reason_es, "en": v.reason_en}
    return VerifyOut(ok=v.ok, checked=v.checked, broken_at=v.broken_at, message=msg)
