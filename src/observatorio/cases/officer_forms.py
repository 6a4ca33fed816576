"""Officer forms that change a case: edit (a stale edit shows what changed meanwhile), lifecycle
transitions, tasks and services; and the case list as CSV.

Same rules as officer_web.py: every form carries the session's CSRF token, every change goes
through the use-cases of case_writes.py and case_work.py (the one policy function decides, every
access is audited), refused input answers the page again with a bilingual message naming the
field, and a sensitive field the user lacks is never handed to a template.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from observatorio.cases import (
    audit_labels,
    case_audit,
    case_records,
    case_work,
    case_writes,
    list_filters,
    record_views,
    transitions,
    use_context,
)
from observatorio.cases.bounds import PathId
from observatorio.cases.errors import CasesError, Conflict
from observatorio.cases.models import User
from observatorio.cases.officer_web import _case_with_message
from observatorio.cases.page_kit import (
    HEADERS,
    CsrfField,
    Officer,
    OfficerDep,
    RuntimeDep,
    csrf_refused,
    error_text,
    invalid,
    lang_of,
    page_router,
    render,
)
from observatorio.cases.policy import get_policy, sensitive_case_fields
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseTransition, CaseUpdate, ServiceIn, TaskIn, TaskUpdate
from observatorio.cases.vocab import RiskLevel
from observatorio.formula_guard import neutral_text
from observatorio.publish.web.texts import Texts

router = page_router()
EDITABLE = ("risk_level", "summary", "location")
EXPORT_LIMIT = 5000
Short = Annotated[str, Form(max_length=200)]
Long = Annotated[str, Form(max_length=20000)]


def _back(request: Request, case_id: int, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/cases/c/{case_id}?lang={lang_of(request)}#{anchor}", status_code=303)


def _sensitive_editable(hidden: list[str]) -> list[str]:
    """The sensitive fields of the policy the user may see (and so edit), in a fixed order."""
    policy = get_policy()
    return [f for g in sorted(policy.field_groups) for f in sorted(policy.field_groups[g]) if f not in hidden]


def _usernames(me: Officer, ids: set[int]) -> dict[int, str]:
    rows = me.ctx.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all() if ids else []
    return {r.id: r.username for r in rows}


def _edit_page(request: Request, me: Officer, case: Any, values: dict[str, Any], version: int,
               status: int = 200, conflict: Conflict | None = None, error: str | None = None) -> Response:
    changes = conflict.extra.get("changes_since", []) if conflict else []
    who = _usernames(me, {c["user_id"] for c in changes if c.get("user_id")})
    return render(request, "cases_edit.html", status, me=me, case=case, values=values, version=version,
                  risks=list(RiskLevel), sensitive=_sensitive_editable(case.hidden_fields),
                  changes=changes, who=who, error=error)


@router.get("/cases/c/{case_id}/edit")
def edit_form(request: Request, me: OfficerDep, case_id: PathId) -> Response:
    """The case's editable fields, with the version the edit is based on."""
    try:
        case, d = use_context.load_case(me.ctx, case_id, "case.update", audit_action="case.read")
        use_context.refuse_if_erased(case, "case")  # an erased case takes no edits: say so at once
        out = record_views.case_out(case, d)
        me.ctx.log(d, "case.read", "case", case.id, record_views.visible_case_fields(d))
        me.ctx.commit()
    except CasesError as exc:
        return render(request, "cases_error.html", exc.status, me=me, message=error_text(request, exc))
    values = {f: getattr(out, f) for f in (*EDITABLE, *_sensitive_editable(out.hidden_fields))}
    return _edit_page(request, me, out, values, out.version)


@router.post("/cases/c/{case_id}/edit")
async def edit_submit(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId) -> Response:
    """Save an edit; a stale version shows who changed what since, and keeps what was typed."""
    form = {k: str(v)[:20000] for k, v in (await request.form()).items()}
    if refused := csrf_refused(request, me, rt, form.get("csrf_token", "")):
        return refused
    fields = set(EDITABLE) | set(sensitive_case_fields())
    # an emptied text field clears it; only the fields the form carried are sent
    sent: dict[str, Any] = {k: (form[k].strip() or None) for k in fields if k in form}
    try:
        data = CaseUpdate.model_validate({"version": form.get("version", ""), **sent})
        case_writes.update_case(me.ctx, case_id, data)
    except ValidationError as exc:
        return _edit_again(request, me, case_id, sent, form.get("version", ""), invalid(exc))
    except Conflict as exc:
        return _edit_again(request, me, case_id, sent, exc.extra.get("current_version"), exc)
    except CasesError as exc:
        return _edit_again(request, me, case_id, sent, form.get("version", ""), exc)
    return _back(request, case_id, "facts")


def _edit_again(request: Request, me: Officer, case_id: int, typed: dict[str, Any], version: Any,
                exc: CasesError) -> Response:
    """The edit form again with what was typed and the message. After a conflict the form carries
    the current version, so sending it again is a deliberate overwrite of the changes shown."""
    try:
        case = case_records.get_case(me.ctx, case_id)
    except CasesError as again:
        return render(request, "cases_error.html", again.status, me=me, message=error_text(request, again))
    allowed = {*EDITABLE, *_sensitive_editable(case.hidden_fields)}
    values = {f: getattr(case, f) for f in allowed} | {k: v for k, v in typed.items() if k in allowed}
    based_on = int(version) if str(version).isdecimal() and len(str(version)) < 10 else case.version
    return _edit_page(request, me, case, values, based_on, exc.status,
                      exc if isinstance(exc, Conflict) else None, error_text(request, exc))


def _act(request: Request, me: Officer, rt: Runtime, csrf: str, case_id: int,
         change: Callable[[], object], anchor: str) -> Response:
    """One case-page form: the CSRF token, then ``change``; a refusal (policy, validation,
    conflict) answers the case page again with the message, a success goes back to the section
    ``anchor`` of the case page. Ids beyond a column never get here (PathId, page_kit.PageRoute)."""
    if refused := csrf_refused(request, me, rt, csrf):
        return refused
    try:
        change()
    except ValidationError as exc:
        return _case_with_message(request, me, case_id, invalid(exc))
    except CasesError as exc:
        return _case_with_message(request, me, case_id, exc)
    return _back(request, case_id, anchor)


def _given(**fields: str | None) -> dict[str, str]:
    """The form fields that were filled in, stripped (an empty field is not sent)."""
    return {k: v.strip() for k, v in fields.items() if v and v.strip()}


@router.post("/cases/c/{case_id}/transition")
def transition(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId, csrf: CsrfField = "",
               to: Annotated[str, Form(max_length=40)] = "",
               version: Annotated[str, Form(max_length=12)] = "", reason: Long = "") -> Response:
    """Move the case to the next stage of its lifecycle (or close, or reopen), with a reason.
    A reason over its limit is refused by the schema: the case page again, naming the field."""
    data = {"version": version, "to": to, **_given(reason=reason)}
    return _act(request, me, rt, csrf, case_id, lambda: transitions.transition_case(
        me.ctx, case_id, CaseTransition.model_validate(data)), "facts")


@router.post("/cases/c/{case_id}/tasks")
def add_task(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId, csrf: CsrfField = "",
             title: Short = "", due_date: Annotated[str, Form(max_length=20)] = "",
             assignee_id: Annotated[str, Form(max_length=12)] = "") -> Response:
    """Add a task, optionally with a due date and an assignee of the case's organisation."""
    data = _given(title=title, due_date=due_date, assignee_id=assignee_id)
    return _act(request, me, rt, csrf, case_id,
                lambda: case_work.add_task(me.ctx, case_id, TaskIn.model_validate(data)), "tasks")


@router.post("/cases/c/{case_id}/tasks/{task_id}")
def mark_task(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId, task_id: PathId,
              csrf: CsrfField = "", done: Annotated[str, Form(max_length=5)] = "1") -> Response:
    """Mark a task done (``done=1``) or open again (``done=0``)."""
    return _act(request, me, rt, csrf, case_id,
                lambda: case_work.update_task(me.ctx, case_id, task_id, TaskUpdate(done=done == "1")), "tasks")


@router.post("/cases/c/{case_id}/services")
def add_service(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId, csrf: CsrfField = "",
                service_type: Short = "", status: Annotated[str, Form(max_length=20)] = "planned",
                description: Long = "", delivered_on: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Record a service planned or delivered for the case."""
    data = _given(service_type=service_type, status=status, description=description, delivered_on=delivered_on)
    return _act(request, me, rt, csrf, case_id,
                lambda: case_work.add_service(me.ctx, case_id, ServiceIn.model_validate(data)), "services")


@router.get("/cases/c/{case_id}/trail")
def trail_page(request: Request, me: OfficerDep, case_id: PathId) -> Response:
    """The case's latest audit entries, for roles with audit.read (a page of its own, so that
    showing a case does not also read, and log a read of, the audit)."""
    try:
        case = case_records.get_case(me.ctx, case_id)
        trail = case_audit.case_trail(me.ctx, case_id)
    except CasesError as exc:
        return render(request, "cases_error.html", exc.status, me=me, message=error_text(request, exc))
    return render(request, "cases_trail.html", me=me, case=case,
                  trail=audit_labels.trail_rows(trail, lang_of(request)))


@router.get("/cases/export.csv")
def export_csv(request: Request, me: OfficerDep) -> Response:
    """The filtered case list as CSV (UTF-8 with BOM for spreadsheets), each text cell through the
    formula guard; each exported case is audited as listed, as on the page."""
    tx = Texts(lang_of(request))
    filters = list_filters.parse(request.query_params, me.principal.user_id)
    if filters.errors:
        return render(request, "cases_error.html", 422, me=me,
                      message=" ".join(e[lang_of(request)] for e in filters.errors))
    result = case_records.list_cases(me.ctx, limit=EXPORT_LIMIT, **filters.query)
    columns = ("reference", "case_type", "status", "risk_level", "country", "summary", "location", "opened_at")
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([tx(f"cases.f.{c}") if c != "opened_at" else tx("cases_forms.opened_at") for c in columns])
    for c in result.items:
        row = [c.reference, tx(f"cases.type.{c.case_type}"), tx(f"cases.status.{c.status}"),
               tx(f"cases.risk.{c.risk_level}"), c.country, c.summary or "", c.location or "",
               c.opened_at.strftime("%Y-%m-%d %H:%M")]
        writer.writerow([neutral_text(v) for v in row])
    headers = {**HEADERS, "Content-Disposition": 'attachment; filename="cases.csv"'}
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
