"""One row per countable case, with only the coded dimensions the tables use: no name, no
identifier, no free text leaves this function.

``at_intake`` says a reception intake opened the case (an intake row names it): such a case is a
returnee's, counted with the reception centre's returnees whatever its type (an unaccompanied
child's case is an ``unaccompanied_child`` one), never as a consular case (specs.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from observatorio.cases.models import Case, Person
from observatorio.cases.reception.models import Intake

RECORD_COLUMNS: tuple[str, ...] = ("period", "ref_area", "citizenship", "sex", "age", "case_type", "at_intake")

_SEX = {"female": "F", "male": "M"}  # "other" and "unknown" have no contract code but _U

#: (upper bound exclusive, code): the age bands of the published tables (contract age codes).
AGE_BANDS: tuple[tuple[int, str], ...] = ((12, "Y_LT12"), (18, "Y12T17"), (60, "Y18T59"), (1000, "Y_GE60"))


def month_start(value: dt.date) -> dt.date:
    return dt.date(value.year, value.month, 1)


def next_month(value: dt.date) -> dt.date:
    return dt.date(value.year + value.month // 12, value.month % 12 + 1, 1)


def age_band(age: int | None) -> str:
    if age is None or age < 0:
        return "_U"
    return next(code for upper, code in AGE_BANDS if age < upper)


def _age_at(birth: dt.date | None, estimated: int | None, when: dt.date) -> int | None:
    if birth is None:
        return estimated
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))


def case_records(session: Session, up_to: dt.date, *, include_synthetic: bool = False) -> pd.DataFrame:
    """Cases opened before the end of ``up_to``'s month; synthetic (demo) cases and people are
    left out unless ``include_synthetic`` (only the attack test on the demo world asks for them)."""
    # EXISTS, not a join: one row per case even if several intakes named it
    at_intake = exists().where(Intake.case_id == Case.id).label("at_intake")
    query = (
        select(Case.opened_at, Case.country, Case.case_type, Person.nationality, Person.sex,
               Person.date_of_birth, Person.estimated_age, at_intake)
        .join(Person, Person.id == Case.person_id)
    )
    if not include_synthetic:
        query = query.where(Case.synthetic.is_(False), Person.synthetic.is_(False))
    end = next_month(up_to)
    rows = []
    for opened, country, case_type, nationality, sex, birth, estimated, intake in session.execute(query):
        day = opened.date()  # the month is compared in Python: SQLite keeps no time zone
        if day >= end:
            continue
        rows.append((month_start(day), country, nationality or "_U", _SEX.get(sex, "_U"),
                     age_band(_age_at(birth, estimated, day)), case_type, bool(intake)))
    return pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
