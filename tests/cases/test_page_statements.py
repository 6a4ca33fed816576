"""Statement budgets of the officer case page and case list (issue 14's latency target).

Each page is counted in SQL statements sent, on both databases, after one warm-up view (chain
tips and statement caches known). The counts do not depend on how many notes, tasks, services
or listed cases there are: a regression that reloads the case per part, or queries per row,
fails here. BEGIN and COMMIT are not counted (see test_roundtrips.statements).
"""

from __future__ import annotations

from sqlalchemy import func, select

from observatorio.cases import case_records, case_work, person_records
from observatorio.cases.audit import verify
from observatorio.cases.models import AuditEntry
from observatorio.cases.schemas import CaseCreate, NoteIn, PersonCreate, ServiceIn, TaskIn
from observatorio.cases.vocab import CaseType

from .conftest import ctx_for
from .test_roundtrips import statements
from .test_web import _web_login

# session lookup, case, completed steps, referrals, consents, notes, tasks, services, history,
# person (with the person's cases and their shares, one statement), family links, the audit
# append; SQLite appends in three statements (locked read of the tip, insert, tip update) where
# PostgreSQL uses one. The assignable members are kept per user after the warm-up view (page_forms.KEPT_MEMBERS).
CASE_PAGE = {"postgresql": 12, "sqlite": 14}
# session lookup, the page of cases, the audit append; a full page adds the count of all
# matching cases (the filter form's choices are kept per user after the warm-up view: see
# list_filters.KEPT_CHOICES)
CASE_LIST = {"postgresql": 3, "sqlite": 5}


def _statements_of(client, rt, path: str) -> list[str]:
    assert client.get(path).status_code == 200  # warm-up
    with statements(rt) as seen:
        assert client.get(path).status_code == 200
    return seen


def _add_rows(rt, seeded, case_id: int, n: int) -> None:
    with rt.sessions() as s:
        ctx = ctx_for(s, seeded.world, "gtm_head")
        for i in range(n):
            case_work.add_note(ctx, case_id, NoteIn(body=f"nota {i}"))
            case_work.add_task(ctx, case_id, TaskIn(title=f"tarea {i}"))
            case_work.add_service(ctx, case_id, ServiceIn(service_type="legal"))


def test_case_page_statement_budget(client, rt, seeded) -> None:
    with rt.sessions() as s:  # a case with a protocol (its checklist is read too)
        ctx = ctx_for(s, seeded.world, "gtm_head")
        person = person_records.create_person(ctx, PersonCreate(given_names="Niña", family_names="Presupuesto"))
        case_id = case_records.create_case(ctx, CaseCreate(case_type=CaseType.UNACCOMPANIED_CHILD,
                                                           person_id=person.id, summary="s")).id
    _add_rows(rt, seeded, case_id, 1)
    assert _web_login(client, "gtm_head").status_code == 303
    budget = CASE_PAGE[rt.engine.dialect.name]
    seen = _statements_of(client, rt, f"/cases/c/{case_id}")
    assert len(seen) == budget, seen
    assert sum(x.startswith("SELECT case_file") for x in seen) == 1, seen  # the case (the person's cases
    assert sum(x.startswith("SELECT person") for x in seen) == 1, seen  # are read with the person)

    _add_rows(rt, seeded, case_id, 4)  # more rows of each kind: not one statement more
    assert len(_statements_of(client, rt, f"/cases/c/{case_id}")) == budget
    with rt.sessions() as s:  # still audited part by part, and the chain verifies
        actions = {a for (a,) in s.query(AuditEntry.action).filter(AuditEntry.record_id == str(case_id))}
        assert {"case.read", "case.protocol.read", "case.referrals.read", "case.notes.read", "case.tasks.read",
                "case.services.read", "case.history.read"} <= actions
        assert verify(s).ok


def test_case_list_statement_budget(client, rt, seeded) -> None:
    with rt.sessions() as s:  # 30 more cases of the consulate: a full first page and a short second
        ctx = ctx_for(s, seeded.world, "gtm_head")
        for i in range(30):
            person = person_records.create_person(ctx, PersonCreate(given_names=f"Persona {i}", family_names="Lista"))
            case_records.create_case(ctx, CaseCreate(case_type=CaseType.DETENTION, person_id=person.id, summary="s"))
    assert _web_login(client, "gtm_head").status_code == 303
    budget = CASE_LIST[rt.engine.dialect.name]
    full = _statements_of(client, rt, "/cases/")
    assert len(full) == budget + 1, full  # 25 cases listed and audited, the total counted
    short = _statements_of(client, rt, "/cases/?page=2")
    assert len(short) == budget, short  # the last page tells the total without counting
    with rt.sessions() as s:  # the total shown either way is the count of every readable case
        principal = ctx_for(s, seeded.world, "gtm_head").principal
        expected = s.scalar(select(func.count()).select_from(case_records.case_query(principal).subquery()))
    assert 25 < expected <= 50
    for path in ("/cases/", "/cases/?page=2"):
        html = client.get(path).text
        assert f"<small>({expected})</small>" in html and "Página" in html and "de 2" in html, path
