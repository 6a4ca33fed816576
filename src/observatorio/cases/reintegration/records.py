"""Reintegration indicators as countable records for the publication (cases/publication): one
record per due follow-up (was it on time?) and one per plan and dimension (did the score go up
between the first and the latest recorded follow-up?). Coded dimensions only: no name, no
identifier, no answer, no free text leaves this module. The published tables count them by
department, and suppress them like every other table; shares and changes are read off the counts.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatorio.cases.models import Case, Person
from observatorio.cases.publication.records import month_start, next_month
from observatorio.cases.reintegration import schedule
from observatorio.cases.reintegration.questionnaire import DIMENSIONS, questionnaire
from observatorio.cases.reintegration_models import ReintegrationFollowUp, ReintegrationPlan

#: The ``case_type`` of these records: no case type, so no case table counts them.
FOLLOWUP_RECORD = "reintegration_followup"
SCORE_RECORD = "reintegration_score"
#: A change smaller than this (on the 0–1 scale) counts as unchanged.
UNCHANGED_WITHIN = 0.05


def _change(first: float, last: float) -> str:
    if last - first > UNCHANGED_WITHIN:
        return "improved"
    if first - last > UNCHANGED_WITHIN:
        return "worsened"
    return "unchanged"


def reintegration_records(session: Session, up_to: dt.date, *, include_synthetic: bool = False) -> pd.DataFrame:
    """Records up to the end of ``up_to``'s month (the follow-ups due by then, judged as of then)."""
    end = next_month(up_to)
    as_of = end - dt.timedelta(days=1)
    grace = questionnaire().on_time_days
    query = (select(ReintegrationPlan.id, ReintegrationPlan.department, ReintegrationFollowUp.milestone_months,
                    ReintegrationFollowUp.due_on, ReintegrationFollowUp.recorded_on,
                    ReintegrationFollowUp.economic, ReintegrationFollowUp.social,
                    ReintegrationFollowUp.psychosocial)
             .join(ReintegrationFollowUp, ReintegrationFollowUp.plan_id == ReintegrationPlan.id)
             .join(Case, Case.id == ReintegrationPlan.case_id).join(Person, Person.id == Case.person_id)
             .order_by(ReintegrationPlan.id, ReintegrationFollowUp.milestone_months))
    if not include_synthetic:
        query = query.where(Case.synthetic.is_(False), Person.synthetic.is_(False))
    followups: list[tuple[object, ...]] = []
    scored: dict[int, list[tuple[dt.date, str, dict[str, float]]]] = {}
    for plan_id, department, _months, due, recorded, *scores in session.execute(query):
        state = schedule.status(due, recorded if recorded and recorded < end else None, as_of, grace)
        if state != "not_due":
            followups.append((month_start(due), department, FOLLOWUP_RECORD, state))
        if recorded is not None and recorded < end:
            values: dict[str, float] = {d: float(v or 0.0) for d, v in zip(DIMENSIONS, scores, strict=True)}
            scored.setdefault(plan_id, []).append((recorded, department, values))
    changes: list[tuple[object, ...]] = []
    for series in scored.values():
        if len(series) < 2:
            continue
        (_, department, first), (last_day, _, last) = series[0], series[-1]
        for dimension in DIMENSIONS:
            changes.append((month_start(last_day), department, SCORE_RECORD, dimension,
                            _change(first[dimension], last[dimension])))
    frames = [pd.DataFrame(followups, columns=["period", "ref_area", "case_type", "followup"]),
              pd.DataFrame(changes, columns=["period", "ref_area", "case_type", "dimension", "change"])]
    return pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)
