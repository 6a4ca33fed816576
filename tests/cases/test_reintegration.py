"""Reintegration follow-up (issue 15, item 2): a plan per returnee's case, follow-ups at the
questionnaire's milestones scored as data (IOM RSS model), services by provider organisation;
through the policy (case.reintegration) and audited; the API's answers and errors."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from observatorio.cases import case_records, person_records, person_rights
from observatorio.cases.errors import Conflict, Invalid, NotFound
from observatorio.cases.models import AuditEntry
from observatorio.cases.reintegration import plans
from observatorio.cases.reintegration.questionnaire import parse, questionnaire, score
from observatorio.cases.reintegration.schedule import add_months
from observatorio.cases.reintegration.schemas import FollowUpIn, PlanIn, PlanServiceIn
from observatorio.cases.schemas import CaseCreate, PersonCreate
from observatorio.cases.vocab import CaseType

from .conftest import ctx_for, login, make_app

START = dt.date(2025, 3, 31)


def _returnee_case(rt, world, user: str = "hnd_reception", org: str = "hnd_reception",
                   case_type: CaseType = CaseType.RETURNEE_REINTEGRATION) -> int:
    with rt.sessions() as s:
        ctx = ctx_for(s, world, user)
        p = person_records.create_person(ctx, PersonCreate(given_names="Retornado", organisation_id=world.orgs[org]))
        return case_records.create_case(ctx, CaseCreate(case_type=case_type, person_id=p.id,
                                                        organisation_id=world.orgs[org])).id


def _answers(option_index: int) -> dict[str, str]:
    return {q.id: q.options[option_index].id for q in questionnaire().questions}


def test_scores_follow_the_declared_weights() -> None:
    q = questionnaire()
    worst, best = score(q, _answers(0)), score(q, _answers(-1))
    assert (worst.composite, best.composite) == (0.0, 1.0)
    mixed = _answers(-1) | {"income_source": "none", "borrowing": "monthly"}  # 2 of 4 economic at 0
    got = score(q, mixed)
    assert (got.economic, got.social, got.psychosocial) == (0.5, 1.0, 1.0)
    assert got.composite == round((0.5 + 1 + 1) / 3, 4)
    with pytest.raises(Invalid, match="income_source"):
        score(q, {k: v for k, v in _answers(0).items() if k != "income_source"})
    with pytest.raises(Invalid, match="housing"):
        score(q, _answers(0) | {"housing": "castle"})


def test_questionnaire_file_is_validated() -> None:
    text = _bundled_text()
    assert parse(text, "q.yaml").key == "reintegration_sustainability@1"
    with pytest.raises(ValueError, match="q.yaml: questions.0.dimension"):
        parse(text.replace("dimension: economic\n", "dimension: spiritual\n", 1), "q.yaml")
    with pytest.raises(ValueError, match="milestones_months"):
        parse(text.replace("[1, 3, 6, 12]", "[3, 1]"), "q.yaml")
    with pytest.raises(ValueError, match="q.yaml: questions.0.weight"):
        parse(text.replace("    weight: 1\n", "    weight: -1\n", 1), "q.yaml")
    with pytest.raises(ValueError, match="score"):
        parse(text.replace("score: 1,", "score: 2,", 1), "q.yaml")


def _bundled_text() -> str:
    from importlib import resources
    return resources.files("observatorio.cases.reintegration").joinpath("questionnaire.yaml").read_text("utf-8")


def test_add_months_keeps_the_day_or_the_month_end() -> None:
    assert add_months(START, 1) == dt.date(2025, 4, 30) and add_months(START, 11) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 1, 15), 12) == dt.date(2026, 1, 15)


def test_plan_followups_and_services_through_the_policy(rt, world) -> None:
    case_id = _returnee_case(rt, world)
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        plan = plans.create_plan(ctx, case_id, PlanIn(department="HN-CR", economic_goal="taller de costura",
                                                      started_on=START), START)
        assert [(f.milestone_months, f.due_on) for f in plan.followups] == [
            (1, dt.date(2025, 4, 30)), (3, dt.date(2025, 6, 30)), (6, dt.date(2025, 9, 30)), (12, dt.date(2026, 3, 31))]
        plan = plans.record_followup(ctx_for(s, world, "hnd_reception"), case_id, 1,
                                     FollowUpIn(answers=_answers(0), recorded_on=dt.date(2025, 5, 2)),
                                     dt.date(2025, 5, 3))
        first = plan.followups[0]
        assert (first.status, first.composite) == ("on_time", 0.0)
        # the 3-month follow-up comes 20 days late (the grace is 15): recorded, but late
        plan = plans.record_followup(ctx_for(s, world, "hnd_reception"), case_id, 3,
                                     FollowUpIn(answers=_answers(-1), recorded_on=dt.date(2025, 7, 20)),
                                     dt.date(2025, 10, 20))
        assert [f.status for f in plan.followups] == ["on_time", "late", "missing", "not_due"]
        assert plan.followups[1].composite == 1.0
        plan = plans.add_plan_service(ctx_for(s, world, "hnd_reception"), case_id, PlanServiceIn(
            dimension="economic", service_type="capital semilla",
            provider_organisation_id=world.orgs["regional_io"]), START)
        assert plan.services[0].provider_name.startswith("Organización internacional")
        # errors: each bilingual, each naming what is wrong, nothing written
        with pytest.raises(Conflict):
            plans.record_followup(ctx_for(s, world, "hnd_reception"), case_id, 1,
                                  FollowUpIn(answers=_answers(0)), dt.date(2025, 12, 1))
        with pytest.raises(Invalid, match="follow-ups are at 1, 3, 6, 12 months"):
            plans.record_followup(ctx_for(s, world, "hnd_reception"), case_id, 2,
                                  FollowUpIn(answers=_answers(0)), dt.date(2025, 12, 1))
        with pytest.raises(Invalid, match="between"):  # before the window opens
            plans.record_followup(ctx_for(s, world, "hnd_reception"), case_id, 12,
                                  FollowUpIn(answers=_answers(0)), dt.date(2025, 12, 1))
        with pytest.raises(Conflict):
            plans.create_plan(ctx_for(s, world, "hnd_reception"), case_id, PlanIn(department="HN-CR"), START)
        with pytest.raises(Invalid, match="provider organisation"):
            plans.add_plan_service(ctx_for(s, world, "hnd_reception"), case_id, PlanServiceIn(
                dimension="social", service_type="x", provider_organisation_id=99999), START)
        # another organisation's officer does not even see the case
        with pytest.raises(NotFound):
            plans.get_plan(ctx_for(s, world, "hnd_head"), case_id, START)
        # the national supervisor reads the plan (case.read) but may not write it
        assert plans.get_plan(ctx_for(s, world, "hnd_supervisor"), case_id, START).department == "HN-CR"
        with pytest.raises(Exception) as exc:
            plans.add_plan_service(ctx_for(s, world, "hnd_supervisor"), case_id, PlanServiceIn(
                dimension="social", service_type="x", provider_organisation_id=world.orgs["regional_io"]), START)
        assert getattr(exc.value, "status", None) == 403
        log = s.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.outcome, AuditEntry.fields)
                        .where(AuditEntry.action.like("reintegration.%")).order_by(AuditEntry.id)).all()
    actions = [(a, act, o) for a, act, o, _ in log]
    assert ("hnd_reception", "reintegration.plan.create", "granted") in actions
    assert ("hnd_reception", "reintegration.followup", "granted") in actions
    assert ("hnd_supervisor", "reintegration.plan.read", "granted") in actions
    assert ("hnd_head", "reintegration.plan.read", "denied") in actions
    assert "costura" not in "".join(f for *_, f in log)  # the audit names fields, never values


def test_only_returnee_cases_get_a_plan_and_departments_are_the_cases_country(rt, world) -> None:
    detention = _returnee_case(rt, world, case_type=CaseType.DETENTION)
    returnee = _returnee_case(rt, world)
    with rt.sessions() as s:
        with pytest.raises(Invalid, match="returnee reintegration case"):
            plans.create_plan(ctx_for(s, world, "hnd_reception"), detention, PlanIn(department="HN-CR"), START)
        with pytest.raises(Invalid, match="GT-HU"):  # a Guatemalan department for a Honduran case
            plans.create_plan(ctx_for(s, world, "hnd_reception"), returnee, PlanIn(department="GT-HU"), START)
        with pytest.raises(NotFound):
            plans.get_plan(ctx_for(s, world, "hnd_reception"), returnee, START)  # none yet


def test_api_round_trip_and_bilingual_errors(rt, world) -> None:
    from observatorio.cases.reintegration.api import router

    app = make_app(rt)
    app.include_router(router)
    case_id = _returnee_case(rt, world)
    with TestClient(app) as client:
        headers = login(client, "hnd_reception")
        q = client.get("/api/v1/reintegration/questionnaire").json()
        assert q["milestones_months"] == [1, 3, 6, 12] and len(q["questions"]) == 12
        started = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).date().isoformat()
        r = client.post(f"/api/v1/cases/{case_id}/reintegration", json={"department": "HN-CR", "started_on": started},
                        headers=headers)
        assert r.status_code == 201, r.text
        r = client.post(f"/api/v1/cases/{case_id}/reintegration/followups/1",
                        json={"answers": {"income_source": "regular"}}, headers=headers)
        assert r.status_code == 422 and "borrowing" in r.json()["detail"]["en"] and r.json()["detail"]["es"]
        r = client.post(f"/api/v1/cases/{case_id}/reintegration", json={"department": "XX"}, headers=headers)
        assert r.status_code == 422 and r.json()["detail"]["es"]
        assert client.get(f"/api/v1/cases/{case_id}/reintegration").status_code == 401
        got = client.get(f"/api/v1/cases/{case_id}/reintegration", headers=headers).json()
        assert got["department"] == "HN-CR" and [f["status"] for f in got["followups"]][1:] == ["not_due"] * 3
        r = client.post(f"/api/v1/cases/{case_id}/reintegration/followups/1", json={"answers": _answers(-1)},
                        headers=headers)
        assert r.status_code == 200 and r.json()["followups"][0]["composite"] == 1.0


def test_erasure_removes_goals_and_answers_keeps_scores(rt, world) -> None:
    case_id = _returnee_case(rt, world)
    with rt.sessions() as s:
        plans.create_plan(ctx_for(s, world, "hnd_reception"), case_id,
                          PlanIn(department="HN-CR", economic_goal="taller de costura", started_on=START), START)
        plans.record_followup(ctx_for(s, world, "hnd_reception"), case_id, 1, FollowUpIn(answers=_answers(-1)),
                              dt.date(2025, 5, 1))
        person_id = case_records.get_case(ctx_for(s, world, "hnd_reception"), case_id).person_id
        person_rights.erase_person(ctx_for(s, world, "hnd_supervisor"), person_id)
        plan = plans.get_plan(ctx_for(s, world, "hnd_supervisor"), case_id, START)
    assert plan.economic_goal is None and plan.followups[0].answers is None
    assert plan.followups[0].composite == 1.0  # what the indicators count stays

