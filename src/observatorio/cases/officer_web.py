"""Officer web pages of the cases side (server-rendered, the portal's design and texts).

Every page acts through the same use-cases as the API (case_records.py, case_writes.py,
case_work.py, steps.py, case_views.py), so the one policy function decides and every read is
audited; a sensitive field the user lacks is never handed to the template. Forms carry the session-bound CSRF token of the login form's
mechanism (auth.csrf_token); the language is ``?lang=es|en`` (Spanish by default).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from observatorio.cases import (
    case_records,
    case_views,
    case_work,
    duplicates,
    list_filters,
    notifications,
    page_forms,
    person_records,
    referrals,
    steps,
    use_context,
)
from observatorio.cases.bounds import PathId, id_of
from observatorio.cases.case_list_page import ListPage, read_case_list
from observatorio.cases.case_page import read_case_page
from observatorio.cases.errors import CasesError
from observatorio.cases.page_ctx import BatchedCtx
from observatorio.cases.page_kit import (
    CsrfField,
    Officer,
    OfficerDep,
    RuntimeDep,
    as_error,
    csrf_refused,
    error_text,
    form_refused,
    invalid,
    lang_of,
    now_of,
    page_router,
    render,
)
from observatorio.cases.policy import authorize, case_resource, get_policy
from observatorio.cases.protocols.loader import catalogue
from observatorio.cases.schemas import CaseCreate, NoteIn, PersonCreate
from observatorio.cases.vocab import CaseStatus, CaseType, RiskLevel, Sex
from observatorio.publish.web.texts import Texts

router = page_router()
PAGE_SIZE = 25


# ---------------------------------------------------------------- pages


@router.get("/cases/work")
def my_work(request: Request, me: OfficerDep) -> Response:
    """My open cases, the overdue protocol steps of my cases and my open tasks."""
    unread = notifications.unread_count(me.ctx.session, me.principal.user_id)
    if not me.holds("case.read"):
        # Roles without cases (provider, reviewer, editor, admin…) land here at sign-in: listing
        # cases for them would only write a "denied case.list" audit entry at every login.
        return render(request, "cases_work.html", me=me, reads_cases=False, unread=unread)
    mine = case_records.list_cases(me.ctx, officer_id=me.principal.user_id, limit=50)
    open_cases = [c for c in mine.items if c.status != CaseStatus.CLOSED.value]
    overdue = steps.my_overdue_steps(me.ctx, now_of(request))
    # roles that assign cases (heads, national supervisors) also see what is late in their reach
    supervises = any(get_policy().scope_of(g.role, "case.assign") for g in me.principal.grants)
    supervised = steps.my_overdue_steps(me.ctx, now_of(request), supervised=True) if supervises else None
    tasks = case_views.my_open_tasks(me.ctx)
    incoming = referrals.incoming_referrals(me.ctx)
    return render(request, "cases_work.html", me=me, reads_cases=True, cases=open_cases, overdue=overdue,
                  tasks=tasks, supervised=supervised, today=now_of(request).date(), incoming=incoming,
                  unread=unread)


@router.get("/cases/")
def case_list(request: Request, me: OfficerDep, page: str | None = None) -> Response:
    """The cases the user may read, filtered, searched and paged (same policy and audit as the API)."""
    filters = list_filters.parse(request.query_params, me.principal.user_id)
    number = max(1, int(page)) if page and page.isdecimal() and len(page) < 6 else 1
    if filters.errors:  # a malformed filter is named, never silently dropped
        result = ListPage(items=[], total=0, limit=PAGE_SIZE, offset=0)
    else:  # list_cases' cases, decisions and audit entries, as plain rows of the shown columns
        result = read_case_list(me.ctx, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, **filters.query)
    pages = max(1, -(-result.total // PAGE_SIZE))
    lang = lang_of(request)
    return render(request, "cases_list.html", 422 if filters.errors else 200, me=me, result=result,
                  filters=filters.shown, number=number, pages=pages, case_types=list(CaseType),
                  statuses=list(CaseStatus), risks=list(RiskLevel),
                  choices=list_filters.choices(me.ctx.session, me.principal),
                  error=" ".join(e[lang] for e in filters.errors) or None)


def _case_context(request: Request, me: Officer, case_id: int) -> dict[str, Any]:
    """The case page's context: its reads in one use-case (one load of the case, one audit
    append and commit), then which forms the reader's role may use on it."""
    batch = BatchedCtx.of(me.ctx)
    page = read_case_page(batch, case_id, now_of(request))
    row, case = page.row, page.case
    note_groups = sorted(authorize(me.principal, "case.note", case_resource(row)).field_groups)
    doable = {st.step.id for st in page.checklist
              if st.completed_at is None and steps.decide_step(me.principal, row, st.step).allowed}
    context = {
        "case": case, "person": page.person, "protocol": page.protocol, "checklist": page.checklist,
        "doable": doable, "notes": page.notes, "tasks": page.tasks, "services": page.services,
        "history": page.history, "may_note": me.may("case.note", row), "note_groups": note_groups,
        **page_forms.case_forms(me.ctx.session, me.principal, row),
        "referrals": page.referrals, "consents": page.consents,
        "may_refer": me.may("case.refer", row), "may_withdraw": me.may("referral.withdraw_consent", row),
        # only the sensitive values the role is granted are handed to the template at all
        "sensitive": [(f, getattr(case, f)) for g in sorted(get_policy().field_groups)
                      for f in sorted(get_policy().field_groups[g]) if f not in case.hidden_fields],
    }
    batch.finish()  # after the last read: one audit append and commit for the whole page
    return context


# before /cases/c/{case_id}: "new" is not a case id
@router.get("/cases/c/new")
def case_form(request: Request, me: OfficerDep, person_id: str | None = None) -> Response:
    if refused := form_refused(request, me, "case.create"):
        return refused
    pid = person_id if id_of(person_id) else None
    return render(request, "cases_case_new.html", me=me, person_id=pid, case_types=list(CaseType),
                  risks=list(RiskLevel), values={})


@router.post("/cases/c/new")
async def case_submit(request: Request, me: OfficerDep, rt: RuntimeDep) -> Response:
    """Open a case for a registered person; it follows the current protocol of its type."""
    form = {k: str(v)[:20000] for k, v in (await request.form()).items()}
    if refused := csrf_refused(request, me, rt, form.get("csrf_token", "")):
        return refused
    fields = {k: form[k].strip() for k in ("case_type", "person_id", "risk_level", "summary", "location")
              if form.get(k, "").strip()}
    try:
        case = case_records.create_case(me.ctx, CaseCreate.model_validate(fields))
    except (ValidationError, CasesError) as exc:
        err = as_error(exc)
        return render(request, "cases_case_new.html", err.status, me=me, person_id=fields.get("person_id"),
                      case_types=list(CaseType), risks=list(RiskLevel), values=fields,
                      error=error_text(request, err))
    return RedirectResponse(f"/cases/c/{case.id}?lang={lang_of(request)}", status_code=303)


@router.get("/cases/c/{case_id}")
def case_page(request: Request, me: OfficerDep, case_id: PathId) -> Response:
    """A case: person, status, risk, protocol checklist, notes, tasks, services, history."""
    if not 0 < case_id < 2**31:
        return render(request, "cases_error.html", 404, me=me, message=Texts(lang_of(request))("cases.not_found"))
    try:
        context = _case_context(request, me, case_id)
    except CasesError as exc:
        return render(request, "cases_error.html", exc.status, me=me, message=error_text(request, exc))
    return render(request, "cases_case.html", me=me, **context)


def _case_with_message(request: Request, me: Officer, case_id: int, exc: CasesError) -> Response:
    """The case page again with a refused form's message; it answers the form's post, so its
    language switch leads to the case's own address (the post's answers no GET)."""
    back = f"/cases/c/{case_id}"
    try:
        context = _case_context(request, me, case_id)
    except CasesError as again:
        return render(request, "cases_error.html", again.status, switch_to=back, me=me,
                      message=error_text(request, again))
    return render(request, "cases_case.html", exc.status, switch_to=back, me=me, error=error_text(request, exc),
                  **context)


@router.post("/cases/c/{case_id}/steps/{step_id}")
async def complete_step(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId, step_id: str) -> Response:
    """Complete a protocol step with what it requires to be recorded."""
    form = await request.form()
    if refused := csrf_refused(request, me, rt, str(form.get("csrf_token", ""))):
        return refused
    record = {k[len("record_"):]: str(v)[:5000] for k, v in form.items() if k.startswith("record_")}
    try:
        steps.complete_step(me.ctx, case_id, step_id[:40], record, now_of(request))
    except CasesError as exc:
        return _case_with_message(request, me, case_id, exc)
    return RedirectResponse(f"/cases/c/{case_id}?lang={lang_of(request)}#protocol", status_code=303)


@router.post("/cases/c/{case_id}/notes")
def add_note(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId, csrf: CsrfField = "",
             body: Annotated[str, Form(max_length=20000)] = "",
             sensitivity: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Add a note, optionally tagged with a sensitive group the user holds."""
    if refused := csrf_refused(request, me, rt, csrf):
        return refused
    try:
        data = NoteIn(body=body, sensitivity=sensitivity or None)  # type: ignore[arg-type]
        case_work.add_note(me.ctx, case_id, data)
    except ValidationError as exc:
        return _case_with_message(request, me, case_id, invalid(exc))
    except CasesError as exc:
        return _case_with_message(request, me, case_id, exc)
    return RedirectResponse(f"/cases/c/{case_id}?lang={lang_of(request)}#notes", status_code=303)


@router.get("/cases/people/new")
def person_form(request: Request, me: OfficerDep) -> Response:
    if refused := form_refused(request, me, "person.create"):
        return refused
    return render(request, "cases_person_new.html", me=me, sexes=list(Sex), values={})


@router.post("/cases/people/new")
async def person_submit(request: Request, me: OfficerDep, rt: RuntimeDep) -> Response:
    """Register a person, then go to the form that opens a case for them."""
    form = {k: str(v)[:500] for k, v in (await request.form()).items()}
    if refused := csrf_refused(request, me, rt, form.get("csrf_token", "")):
        return refused
    fields = {k: form[k].strip() for k in ("given_names", "family_names", "date_of_birth", "sex", "nationality")
              if form.get(k, "").strip()}
    if "nationality" in fields:
        fields["nationality"] = fields["nationality"].upper()
    try:
        data = PersonCreate.model_validate(fields)
        # possible duplicates first, among the people the officer may read, for a user who may
        # register at all; registering anyway is a deliberate second submit (confirm_new)
        look = form.get("confirm_new") != "1" and use_context.holds(me.principal, "person.create")
        found = duplicates.possible_duplicates(me.ctx, data.given_names or "", data.family_names,
                                               data.date_of_birth) if look else []
        if found:
            return render(request, "cases_person_new.html", me=me, sexes=list(Sex), values=fields,
                          duplicates=found)
        person = person_records.create_person(me.ctx, data)
    except (ValidationError, CasesError) as exc:
        err = as_error(exc)
        return render(request, "cases_person_new.html", err.status, me=me, sexes=list(Sex), values=fields,
                      error=error_text(request, err))
    return RedirectResponse(f"/cases/c/new?person_id={person.id}&lang={lang_of(request)}", status_code=303)


@router.get("/cases/protocols")
def protocols_page(request: Request) -> Response:
    """Public: every homologated protocol, its steps, and where a national variant differs."""
    cat = catalogue()
    listing = []
    for (case_type, version), pf in sorted(cat.files.items()):
        listing.append({"file": pf, "current": cat.current_version(case_type) == version,
                        "base": cat.resolve(case_type, version, None),
                        "variants": [(c, v, cat.resolve(case_type, version, c)) for c, v in sorted(pf.variants.items())]})
    roles = {name: role.label for name, role in get_policy().roles.items()}
    return render(request, "cases_protocols.html", me=None, listing=listing, roles=roles)
