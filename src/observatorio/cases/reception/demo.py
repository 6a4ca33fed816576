"""Synthetic reception data for the demo world: arrivals at the demo reception centres, their
manifests and every person received, through the same use-cases as the officers (policy and
audit). The centres are synthetic, so every arrival, person, case and intake is too and the
publication never counts them. ``observatorio cases reception demo`` runs it after ``cases demo``."""

from __future__ import annotations

import datetime as dt
import random

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatorio.cases.auth import principal_of
from observatorio.cases.demo import LABEL, LOCALES
from observatorio.cases.errors import Invalid
from observatorio.cases.models import User
from observatorio.cases.reception import arrivals, geography, intake
from observatorio.cases.reception.schemas import Accompaniment, ArrivalIn, IntakeIn
from observatorio.cases.use_context import Ctx

#: the demo's reception officers (cases/demo.py USERS)
OFFICERS = ("demo.recepcion.hnd", "demo.recepcion.gtm")
ORIGINS = ("USA", "USA", "MEX")


def _manifest(fake: Faker, rng: random.Random, n: int, day: dt.date) -> bytes:
    lines = ["nombres,apellidos,fecha_nacimiento,sexo"]
    for _ in range(n):
        sex = rng.choice("FM")
        given = fake.first_name_female() if sex == "F" else fake.first_name_male()
        born = day - dt.timedelta(days=rng.randint(9 * 365, 60 * 365))
        lines.append(f"{given},{fake.last_name()} {LABEL},{born.isoformat()},{sex}")
    return ("\n".join(lines) + "\n").encode()


def build(session: Session, n_arrivals: int = 3, per_arrival: int = 20, seed: int | None = None) -> int:
    """Arrivals of the last months at each demo reception centre, everyone received; returns
    the number of people received. Needs the demo world (``cases demo``)."""
    rng = random.Random(seed)
    fake = Faker(LOCALES)
    if seed is not None:
        Faker.seed(seed)
    officers = session.scalars(select(User).where(User.username.in_(OFFICERS))).all()
    if not officers:
        raise Invalid(key="refusal.reception.no_demo_world")
    received = 0
    today = dt.date.today()
    for officer in officers:
        ctx = Ctx(session, principal_of(session, officer.id), "127.0.0.1", "demo")
        departments = [d.code for d in geography.departments(ctx.principal.grants[0].country)]
        for k in range(n_arrivals):
            day = today - dt.timedelta(days=30 * k + rng.randint(0, 20))
            arrival = arrivals.create_arrival(ctx, ArrivalIn(
                mode=rng.choice(["flight", "bus"]), arrival_date=day, arriving_from=ORIGINS[k % len(ORIGINS)],
                expected_count=per_arrival))
            arrivals.import_manifest(ctx, arrival.id, "demo.csv", _manifest(fake, rng, per_arrival, day), day)
            for entry in arrivals.get_arrival(ctx, arrival.id).manifest:
                age = intake.age_at(entry.date_of_birth, day)  # as intake counts it (a child is never alone by omission)
                child = age is not None and age < 18
                alone = child and rng.random() < 0.5
                accompaniment: Accompaniment = ("UNACCOMPANIED" if alone else "ACCOMPANIED" if child
                                                else rng.choice(["SINGLE_ADULT", "SINGLE_ADULT", "FAMILY_UNIT"]))
                flags = ["unaccompanied_child"] if alone else []
                if rng.random() < 0.1:
                    flags.append(rng.choice(["health", "protection_need", "criminal_record"]))
                intake.record_intake(ctx, arrival.id, IntakeIn(
                    manifest_entry_id=entry.id, department=rng.choice(departments),
                    municipality_text=f"{fake.city()} ({LABEL})"[:120], accompaniment=accompaniment,
                    vulnerabilities=flags, services=["food", "phone_call"]), day)
                received += 1
    return received
