"""The work recorded on a case: notes (sensitive ones need their field group), tasks and
services. Every function checks the policy, does the work, and appends the audit entries in
the same transaction (``use_context.Ctx``)."""

from __future__ import annotations

from sqlalchemy import select

from observatorio.cases.errors import Forbidden, Invalid, not_found
from observatorio.cases.models import CaseNote, CaseService, CaseTask, Organisation
from observatorio.cases.record_views import note_out
from observatorio.cases.schemas import (
    NoteIn,
    NoteOut,
    ServiceIn,
    ServiceOut,
    TaskIn,
    TaskOut,
    TaskUpdate,
)
from observatorio.cases.use_context import Ctx, check_officer, load_case, load_case_for_work


def add_note(ctx: Ctx, case_id: int, data: NoteIn) -> NoteOut:
    """Add a note; a sensitive note needs its field group."""
    case, d = load_case_for_work(ctx, case_id, "case.note")
    if data.sensitivity and data.sensitivity not in d.field_groups:
        raise ctx.deny(Forbidden(key="refusal.case.note_sensitivity", detail={"sensitivity": data.sensitivity}),
                       "case.note", "case", case_id, [f"sensitivity:{data.sensitivity}"])
    note = CaseNote(case_id=case.id, author_id=ctx.principal.user_id, body=data.body,
                    sensitivity=data.sensitivity)
    ctx.session.add(note)
    ctx.session.flush()
    ctx.log(d, "case.note", "case", case.id, [f"note:{note.id}"])
    out = note_out(note, d)
    ctx.commit()
    return out


def list_notes(ctx: Ctx, case_id: int) -> list[NoteOut]:
    """Notes of a case; bodies of sensitive notes withheld from roles without the group."""
    case, d = load_case(ctx, case_id, audit_action="case.notes.read")
    notes = ctx.session.scalars(select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.id)).all()
    out = [note_out(n, d) for n in notes]
    ctx.log(d, "case.notes.read", "case", case.id, [f"note:{n.id}" for n in out if not n.hidden])
    ctx.commit()
    return out


def add_task(ctx: Ctx, case_id: int, data: TaskIn) -> TaskOut:
    """Add a task with an optional due date and assignee (a member of the case's organisation)."""
    case, d = load_case_for_work(ctx, case_id, "case.task")
    if data.assignee_id is not None:
        check_officer(ctx, data.assignee_id, case.organisation_id)
    task = CaseTask(case_id=case.id, title=data.title, due_date=data.due_date, assignee_id=data.assignee_id)
    ctx.session.add(task)
    ctx.session.flush()
    ctx.log(d, "case.task", "case", case.id, [f"task:{task.id}"])
    out = TaskOut.model_validate(task)
    ctx.commit()
    return out


def update_task(ctx: Ctx, case_id: int, task_id: int, data: TaskUpdate) -> TaskOut:
    """Mark a task done or not done."""
    case, d = load_case(ctx, case_id, "case.task")
    task = ctx.session.get(CaseTask, task_id)
    if task is None or task.case_id != case.id:  # another case's task is as missing, and audited
        raise ctx.deny(not_found("task", task_id), "case.task", "case", case_id, [f"task:{task_id}"])
    task.done = data.done
    ctx.session.flush()
    ctx.log(d, "case.task", "case", case.id, [f"task:{task.id}"])
    out = TaskOut.model_validate(task)
    ctx.commit()
    return out


def list_tasks(ctx: Ctx, case_id: int) -> list[TaskOut]:
    """Tasks of a case, earliest due first."""
    case, d = load_case(ctx, case_id, audit_action="case.tasks.read")
    tasks = ctx.session.scalars(select(CaseTask).where(CaseTask.case_id == case_id)
                                .order_by(CaseTask.due_date, CaseTask.id)).all()
    ctx.log(d, "case.tasks.read", "case", case.id, [f"task:{t.id}" for t in tasks])
    out = [TaskOut.model_validate(t) for t in tasks]
    ctx.commit()
    return out


def add_service(ctx: Ctx, case_id: int, data: ServiceIn) -> ServiceOut:
    """Record a service planned or delivered for the case."""
    case, d = load_case_for_work(ctx, case_id, "case.service")
    provider = data.provider_organisation_id
    if provider is not None and ctx.session.get(Organisation, provider) is None:
        raise Invalid(key="refusal.case.unknown_provider", provider=provider)
    svc = CaseService(case_id=case.id, **data.model_dump())
    ctx.session.add(svc)
    ctx.session.flush()
    ctx.log(d, "case.service", "case", case.id, [f"service:{svc.id}"])
    out = ServiceOut.model_validate(svc)
    ctx.commit()
    return out


def list_services(ctx: Ctx, case_id: int) -> list[ServiceOut]:
    """Services of a case."""
    case, d = load_case(ctx, case_id, audit_action="case.services.read")
    svcs = ctx.session.scalars(select(CaseService).where(CaseService.case_id == case_id)
                               .order_by(CaseService.id)).all()
    ctx.log(d, "case.services.read", "case", case.id, [f"service:{s.id}" for s in svcs])
    out = [ServiceOut.model_validate(s) for s in svcs]
    ctx.commit()
    return out
