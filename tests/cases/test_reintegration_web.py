"""The officer page of a reintegration plan (issue 15, item 2): open the plan, record the
3-month follow-up by answering the questionnaire, link a service; in both languages, with CSRF,
through the same use cases as the API; errors shown on the page, never a 500."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from observatorio.cases.models import Case
from observatorio.cases.reintegration.questionnaire import questionnaire
from observatorio.cases.reintegration.web import router

from .conftest import make_app
from .test_reintegration import _returnee_case
from .test_web import _csrf, _web_login


def rt_reference(rt, case_id: int) -> str:
    with rt.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.reference


def test_plan_followup_and_service_through_the_officer_page(rt, world) -> None:
    case_id = _returnee_case(rt, world)
    app = make_app(rt)
    app.include_router(router)
    # the officer works 100 days after the plan starts: the 1- and 3-month follow-ups are due
    app.state.cases_clock = lambda: dt.datetime(2025, 7, 10, 12, tzinfo=dt.UTC)
    with TestClient(app) as client:
        assert _web_login(client, "hnd_reception").status_code == 303
        page = client.get(f"/cases/c/{case_id}/reintegration")
        assert page.status_code == 200 and "Abrir el plan de reintegración" in page.text
        csrf = _csrf(page.text)
        bad = client.post(f"/cases/c/{case_id}/reintegration", data={"csrf_token": csrf, "department": "GT-HU"})
        assert bad.status_code == 422 and "GT-HU" in bad.text
        assert bad.text.count('role="alert"') == 1  # said once (the page repeated the base's alert)
        reference = rt_reference(rt, case_id)
        assert f'>Caso {reference}</a> ›' in bad.text  # the way back names the case's reference, not its row id
        r = client.post(f"/cases/c/{case_id}/reintegration", follow_redirects=False,
                        data={"csrf_token": csrf, "department": "HN-CR", "started_on": "2025-04-01",
                              "economic_goal": "capital semilla"})
        assert r.status_code == 303
        page = client.get(f"/cases/c/{case_id}/reintegration?lang=en")
        assert "Record the 1-month follow-up" in page.text and "capital semilla" in page.text
        answers = {f"q_{q.id}": q.options[-1].id for q in questionnaire().questions}
        missing = client.post(f"/cases/c/{case_id}/reintegration/followups/1?lang=en",
                              data={"csrf_token": csrf, **{k: v for k, v in answers.items() if k != "q_housing"}})
        assert missing.status_code == 422 and "housing" in missing.text
        r = client.post(f"/cases/c/{case_id}/reintegration/followups/1", data={"csrf_token": csrf, **answers},
                        follow_redirects=False)
        assert r.status_code == 303
        page = client.get(f"/cases/c/{case_id}/reintegration?lang=en").text
        assert "Late (2025-07-10)" in page  # due 1 May, recorded 10 July: after the 15 days and "1.00" in page and "Record the 3-month follow-up" in page
        r = client.post(f"/cases/c/{case_id}/reintegration/services", follow_redirects=False,
                        data={"csrf_token": csrf, "dimension": "economic", "service_type": "capital semilla",
                              "provider_organisation_id": str(world.orgs["regional_io"])})
        assert r.status_code == 303
        assert "Organización internacional" in client.get(f"/cases/c/{case_id}/reintegration").text
        forged = client.post(f"/cases/c/{case_id}/reintegration/services",
                             data={"csrf_token": "0" * 40, "dimension": "economic", "service_type": "x",
                                   "provider_organisation_id": "1"})
        assert forged.status_code == 403
        # another organisation's officer: the same "not found" as a missing case
        client.cookies.clear()
        assert _web_login(client, "hnd_head").status_code == 303
        assert client.get(f"/cases/c/{case_id}/reintegration").status_code == 404
