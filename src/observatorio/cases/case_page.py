"""The case page's reads as one use-case: the case is loaded and its read decided once, then
its protocol, referrals, notes, tasks, services and history are read under that one decision,
and the person with its own policy decision (``case_page_person``: ``get_person``'s read as
plain rows). One statement per kind of row, no reload of the case per part, and one audit
append for the whole view.

The audit entries are those the separate use-cases record (``case.read``, ``case.protocol.read``,
``case.referrals.read``, ``case.notes.read``, ``case.tasks.read``, ``case.services.read``,
``case.history.read``, ``person.read``), with the same fields, so the trail and the reports
that count them are unchanged; they are appended together when the caller finishes its
``BatchedCtx``.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select

from observatorio.cases import case_views, record_views, steps, use_context
from observatorio.cases.case_page_person import read_page_person
from observatorio.cases.case_views import Change
from observatorio.cases.errors import CasesError
from observatorio.cases.models import Case, CaseNote, CaseService, CaseTask
from observatorio.cases.page_ctx import BatchedCtx
from observatorio.cases.policy import Decision
from observatorio.cases.protocols.loader import Protocol, StepState, checklist
from observatorio.cases.referral_schemas import ConsentOut, ReferralOut
from observatorio.cases.referrals import referrals_of_case
from observatorio.cases.schemas import CaseOut, NoteOut, PersonOut, ServiceOut, TaskOut


@dataclass(frozen=True)
class CasePageData:
    """What the case page shows, already cut to the reader's grants; ``row`` is the loaded case
    (for the page's own decisions on which forms to draw) and ``read`` its read decision."""

    case: CaseOut
    row: Case
    read: Decision
    person: PersonOut | None
    protocol: Protocol | None
    checklist: list[StepState]
    referrals: list[ReferralOut]
    consents: list[ConsentOut]
    notes: list[NoteOut]
    tasks: list[TaskOut]
    services: list[ServiceOut]
    history: list[Change]


def _children(model: type[CaseNote] | type[CaseTask] | type[CaseService], *order: str) -> Select[Any]:
    """The rows of one kind of child of a case, as plain rows of its table: the page only reads
    them into its own models, so no ORM objects or identity map (built once, at import)."""
    table = model.__table__
    return select(table).where(table.c.case_id == bindparam("case_id")).order_by(*(table.c[o] for o in order))


_NOTES = _children(CaseNote, "id")
_TASKS = _children(CaseTask, "due_date", "id")
_SERVICES = _children(CaseService, "id")


def read_case_page(ctx: BatchedCtx, case_id: int, now: dt.datetime) -> CasePageData:
    """Everything the case page shows of case ``case_id``; a case the reader may not read is
    refused (404, audited as denied) exactly as ``case_records.get_case`` refuses it."""
    case, d = use_context.load_case(ctx, case_id)
    ctx.log(d, "case.read", "case", case.id, record_views.visible_case_fields(d))
    protocol = steps._protocol(case)
    states = checklist(protocol, case.opened_at, steps._completed(ctx, case.id), now) if protocol else []
    ctx.log(d, "case.protocol.read", "case", case.id, ["protocol"])
    sent, consents = referrals_of_case(ctx, case, d)
    rows = ctx.session.connection().execute
    notes = [record_views.note_out(n, d) for n in rows(_NOTES, {"case_id": case.id})]
    ctx.log(d, "case.notes.read", "case", case.id, [f"note:{n.id}" for n in notes if not n.hidden])
    tasks = rows(_TASKS, {"case_id": case.id}).all()
    ctx.log(d, "case.tasks.read", "case", case.id, [f"task:{t.id}" for t in tasks])
    services = rows(_SERVICES, {"case_id": case.id}).all()
    ctx.log(d, "case.services.read", "case", case.id, [f"service:{s.id}" for s in services])
    history = case_views.history_of(ctx, case, d)
    data = CasePageData(
        case=record_views.case_out(case, d), row=case, read=d, person=None, protocol=protocol, checklist=states,
        referrals=sent, consents=consents, notes=notes, tasks=[TaskOut.model_validate(t) for t in tasks],
        services=[ServiceOut.model_validate(s) for s in services], history=history)
    # Last: a role that reads the case but not the person is refused here (audited), and the
    # refusal rolls the transaction back; everything above is already read and kept on record.
    with suppress(CasesError):
        return _with_person(data, read_page_person(ctx, case.person_id))
    return data


def _with_person(data: CasePageData, person: PersonOut) -> CasePageData:
    return CasePageData(**{**data.__dict__, "person": person})

