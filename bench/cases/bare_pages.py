"""The peer of the officer page renders: the same two pages from the same rows with bare
SQLAlchemy and a minimal Jinja template, served by uvicorn like the product (same engine and
pool, same worker count). No sign-in, no policy, no audit, no portal layout: the floor of what
a server-rendered case list and case page cost on this stack.

    uvicorn --app-dir bench/cases bare_pages:create_app --factory  (OBSERVATORIO_CASES_DB set)
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from jinja2 import Environment, select_autoescape
from sqlalchemy import func, select

from observatorio.cases.models import Case, CaseNote, CaseRevision, CaseService, CaseTask, Person
from observatorio.cases.runtime import Runtime

_env = Environment(autoescape=select_autoescape(default=True))
LIST = _env.from_string(
    "<!doctype html><title>cases</title><h1>cases ({{ total }})</h1><table>"
    "{% for c in cases %}<tr><td><a href='/bare/case/{{ c.id }}'>{{ c.reference }}</a></td><td>{{ c.case_type }}"
    "</td><td>{{ c.status }}</td><td>{{ c.risk_level }}</td><td>{{ c.country }}</td><td>{{ c.opened_at }}</td>"
    "</tr>{% endfor %}</table>")
CASE = _env.from_string(
    "<!doctype html><title>{{ c.reference }}</title><h1>{{ c.reference }}</h1><dl><dt>type</dt><dd>"
    "{{ c.case_type }}</dd><dt>status</dt><dd>{{ c.status }}</dd><dt>summary</dt><dd>{{ c.summary }}</dd>"
    "<dt>health</dt><dd>{{ c.health_details }}</dd></dl><h2>person</h2><p>{{ p.given_names }} {{ p.family_names }}"
    "</p><h2>notes</h2><ul>{% for n in notes %}<li>{{ n.body }}</li>{% endfor %}</ul><h2>tasks</h2><ul>"
    "{% for t in tasks %}<li>{{ t.title }} {{ t.due_date }}</li>{% endfor %}</ul><h2>services</h2><ul>"
    "{% for s in services %}<li>{{ s.service_type }} {{ s.status }}</li>{% endfor %}</ul><h2>history</h2><ul>"
    "{% for r in revisions %}<li>{{ r.version }} {{ r.changes }}</li>{% endfor %}</ul>")


def create_app() -> FastAPI:
    rt = Runtime.from_settings()
    app = FastAPI()

    @app.get("/bare/list")
    def case_list(org: int) -> HTMLResponse:
        with rt.sessions() as s:
            where = Case.organisation_id == org
            total = s.scalar(select(func.count(Case.id)).where(where))
            cases = s.scalars(select(Case).where(where).order_by(Case.opened_at.desc(), Case.id).limit(25)).unique()
            return HTMLResponse(LIST.render(total=total, cases=list(cases)))

    @app.get("/bare/case/{case_id}")
    def case_page(case_id: int) -> HTMLResponse:
        with rt.sessions() as s:
            case = s.get(Case, case_id)
            assert case is not None
            rows = {m: s.scalars(select(m).where(m.case_id == case_id)).all()
                    for m in (CaseNote, CaseTask, CaseService, CaseRevision)}
            return HTMLResponse(CASE.render(c=case, p=s.get(Person, case.person_id), notes=rows[CaseNote],
                                            tasks=rows[CaseTask], services=rows[CaseService],
                                            revisions=rows[CaseRevision]))

    return app
