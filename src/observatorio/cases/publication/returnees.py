"""One row per returnee received (an intake at a reception centre), with only the coded
dimensions the returnee tables use: no name, no identifier, no free text leaves this function.
Synthetic intakes, arrivals and people are left out unless ``include_synthetic``."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatorio.cases.models import Organisation, Person
from observatorio.cases.publication.records import _SEX, _age_at, age_band, month_start, next_month
from observatorio.cases.reception.models import Arrival, Intake, Municipality

#: the ``case_type`` value of returnee rows: the returnee specs count these, never cases
RETURNEE = "returnee_received"
RETURNEE_COLUMNS: tuple[str, ...] = ("period", "ref_area", "department", "municipality", "sex", "age",
                                     "accompaniment", "counterpart_area", "case_type")


def returnee_records(session: Session, up_to: dt.date, *, include_synthetic: bool = False) -> pd.DataFrame:
    """Returnees received before the end of ``up_to``'s month: month received, the centre's
    country, department and municipality (code of the national list; ``_U`` when typed as text
    or not given) of destination, sex, age band on arrival, accompaniment, the country they
    were returned from."""
    query = (
        select(Intake.received_on, Organisation.country, Intake.department, Intake.municipality_code,
               Person.sex, Person.date_of_birth,
               Person.estimated_age, Intake.accompaniment, Arrival.arriving_from)
        .join(Arrival, Arrival.id == Intake.arrival_id)
        .join(Organisation, Organisation.id == Arrival.organisation_id)
        .join(Person, Person.id == Intake.person_id)
        .where(Intake.received_on < next_month(up_to))
    )
    if not include_synthetic:
        query = query.where(Intake.synthetic.is_(False), Arrival.synthetic.is_(False), Person.synthetic.is_(False))
    rows = [(month_start(day), country, department or "_U", municipality or "_U", _SEX.get(sex, "_U"),
             age_band(_age_at(birth, estimated, day)), accompaniment or "_U", origin, RETURNEE)
            for day, country, department, municipality, sex, birth, estimated, accompaniment, origin
            in session.execute(query)]
    return pd.DataFrame(rows, columns=list(RETURNEE_COLUMNS))


def municipality_names(session: Session) -> dict[str, str]:
    """The loaded national lists' names by code (public code lists): published beside the codes
    so the public page can name a municipality without the cases database."""
    return {code: name for code, name in session.execute(select(Municipality.code, Municipality.name))}
