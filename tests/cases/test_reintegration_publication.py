"""Reintegration indicators in the publication (issue 15, item 2): follow-ups on time and score
changes by department, counted, suppressed like every table, reconciled with the database, and
no suppressed cell recoverable from the published margins."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
from sqlalchemy import update

from observatorio.cases import case_records, person_records
from observatorio.cases.models import Case
from observatorio.cases.publication.run import publish
from observatorio.cases.publication.writer import SOURCE_ID
from observatorio.cases.reintegration import plans
from observatorio.cases.reintegration.questionnaire import questionnaire
from observatorio.cases.reintegration.records import reintegration_records
from observatorio.cases.reintegration.schemas import FollowUpIn, PlanIn
from observatorio.cases.schemas import CaseCreate, PersonCreate
from observatorio.cases.vocab import CaseType
from observatorio.harmonize.frame import check_frame
from observatorio.harmonize.problems import Problems
from observatorio.store.duck import Store

from .conftest import ctx_for
from .test_publication import THRESHOLD, attack

START = dt.date(2025, 3, 3)
PERIOD = dt.date(2025, 8, 1)
# department -> (plans, of which the 3-month follow-up is late, of which it improved)
WORLD = {"HN-CR": (14, 3, 10), "HN-FM": (9, 1, 2), "HN-OC": (2, 0, 1)}


def _answers(option_index: int) -> dict[str, str]:
    return {q.id: q.options[option_index].id for q in questionnaire().questions}


def _build(rt, world) -> None:
    with rt.sessions() as s:
        for department, (n, late, improved) in WORLD.items():
            for i in range(n):
                ctx = ctx_for(s, world, "hnd_reception")
                p = person_records.create_person(ctx, PersonCreate(given_names=f"R{i}",
                                                                   organisation_id=world.orgs["hnd_reception"]))
                case = case_records.create_case(ctx, CaseCreate(case_type=CaseType.RETURNEE_REINTEGRATION,
                                                                person_id=p.id, organisation_id=world.orgs["hnd_reception"]))
                plans.create_plan(ctx_for(s, world, "hnd_reception"), case.id,
                                  PlanIn(department=department, started_on=START), START)
                plans.record_followup(ctx_for(s, world, "hnd_reception"), case.id, 1,
                                      FollowUpIn(answers=_answers(1), recorded_on=dt.date(2025, 4, 3)), PERIOD)
                third = dt.date(2025, 7, 28) if i < late else dt.date(2025, 6, 5)
                plans.record_followup(ctx_for(s, world, "hnd_reception"), case.id, 3,
                                      FollowUpIn(answers=_answers(-1 if i < improved else 1), recorded_on=third),
                                      PERIOD)


def test_indicators_published_by_department_suppressed_and_safe(rt, world, tmp_path: Path) -> None:
    _build(rt, world)
    with rt.sessions() as s:
        records = reintegration_records(s, PERIOD)
        with Store.open(tmp_path / "stats.duckdb") as store:
            publish(s, store, PERIOD, THRESHOLD)
            frame = store.query_df("SELECT * FROM observations WHERE source = ?", [SOURCE_ID])
    # before suppression the counts are the database's: 2 follow-ups per plan, the 6- and
    # 12-month ones not due by the end of August (due 3 September and March)
    followups = records[records["case_type"] == "reintegration_followup"]
    assert len(followups) == 2 * sum(n for n, _, _ in WORLD.values())
    assert (followups["followup"] == "late").sum() == sum(late for _, late, _ in WORLD.values())
    changes = records[(records["case_type"] == "reintegration_score") & (records["dimension"] == "economic")]
    assert (changes["change"] == "improved").sum() == sum(improved for _, _, improved in WORLD.values())
    # published: departments as ISO 3166-2 ref_area, the indicator in attributes
    on_time = frame[frame["table"] == "reintegration_followup_by_department"]
    assert set(on_time["ref_area"]) == set(WORLD)
    cr_june = on_time[(on_time["ref_area"] == "HN-CR") & (pd.to_datetime(on_time["period"]) == pd.Timestamp(2025, 6, 1))]
    by_status = {json.loads(a)["followup"]: (v, st) for a, v, st in zip(
        cr_june["attributes"], cr_june["value"], cr_june["obs_status"], strict=True)}
    # 3 late: suppressed, and 11 on time with it (its complement: the row total is published)
    assert by_status["late"][1] == by_status["on_time"][1] == "C"
    margin = frame[(frame["table"] == "reintegration_followup_by_department.row_totals")
                   & (frame["ref_area"] == "HN-CR") & (pd.to_datetime(frame["period"]) == pd.Timestamp(2025, 6, 1))]
    assert margin[["value", "obs_status"]].values.tolist() == [[14.0, "A"]]
    assert frame.loc[frame["obs_status"] == "C", "value"].isna().all()
    assert set(frame["table"].str.split(".").str[0]) >= {"reintegration_followup_by_department",
                                                         "reintegration_score_change_by_department"}
    problems = Problems("publication")
    check_frame(frame.drop(columns=["load_id", "loaded_at"]), problems, release=PERIOD)
    assert not problems, problems
    tables, hidden = attack(frame, THRESHOLD)
    assert tables and hidden


def test_synthetic_plans_are_not_counted(rt, world) -> None:
    _build(rt, world)
    with rt.sessions() as s:
        before = len(reintegration_records(s, PERIOD))
        s.execute(update(Case).values(synthetic=True))
        s.commit()
        assert len(reintegration_records(s, PERIOD)) == 0 < before
