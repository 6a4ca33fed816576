"""Reception benchmark: manifest import of 5,000 people and the monthly publication run, with
time and peak memory, against named peers.

Rows of the table:
  manifest-xlsx     observatorio: read + check every row + insert + audit (cases.reception.arrivals.import_manifest)
  peer-openpyxl     peer: openpyxl read-only iteration of the same XLSX (no checks, nothing stored)
  peer-pandas       peer: pandas.read_excel(engine="openpyxl") of the same XLSX (no checks, nothing stored)
  manifest-csv      observatorio on the same people as CSV
  publish-month     the publication run (all tables, primary + secondary suppression, load into
                    DuckDB) with 5,000 returnees received in the month
  peer-groupby      peer: the same returnee counts by pandas groupby, no suppression, nothing loaded

Time is the best wall-clock of three runs; peak memory is Python's allocations during a second run under
tracemalloc (so the timing is not slowed by it): allocations made by Python, not by C or Rust
readers (calamine, openpyxl's lxml), so the peers' peaks are understated. SQLite file database,
one process.

    .venv/bin/python bench/reception/run.py [--people 5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from sqlalchemy import insert, select

from observatorio.cases import accounts
from observatorio.cases.auth import principal_of
from observatorio.cases.config import CasesConfig
from observatorio.cases.db import upgrade
from observatorio.cases.models import Case, Person
from observatorio.cases.publication.returnees import returnee_records
from observatorio.cases.publication.run import publish
from observatorio.cases.reception.arrivals import create_arrival, import_manifest
from observatorio.cases.reception.models import Intake, ManifestEntry
from observatorio.cases.reception.schemas import ArrivalIn
from observatorio.cases.runtime import Runtime
from observatorio.cases.use_context import Ctx
from observatorio.cases.vocab import OrgKind
from observatorio.settings import Settings
from observatorio.store.duck import Store

CONFIG = CasesConfig(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)
SECRET = "bench-secret-bench-secret-bench-secret-bench"
DAY = dt.date(2025, 8, 14)
DEPARTMENTS = ["HN-CR", "HN-FM", "HN-AT", "HN-YO", "HN-CP", "HN-OL", "HN-CM", "HN-CH", "HN-EP", "HN-SB"]


def manifest_rows(n: int, seed: int = 5) -> list[list[Any]]:
    rnd = random.Random(seed)
    return [[f"Nombre {i}", f"Apellido {rnd.randint(1, 500)}",
             dt.date(rnd.randint(1960, 2012), rnd.randint(1, 12), rnd.randint(1, 28)), rnd.choice("FM")]
            for i in range(n)]


def xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["nombres", "apellidos", "fecha_nacimiento", "sexo"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv(rows: list[list[Any]]) -> bytes:
    frame = pd.DataFrame(rows, columns=["nombres", "apellidos", "fecha_nacimiento", "sexo"])
    return frame.to_csv(index=False).encode()


def measure(name: str, setup: Callable[[], Any], run: Callable[[Any], Any]) -> tuple[str, float, float]:
    """(name, seconds, peak MiB): the best of three timed runs (the machine is shared), then the
    peak of one more run under tracemalloc."""
    seconds = float("inf")
    for _ in range(3):
        state = setup()
        start = time.perf_counter()
        run(state)
        seconds = min(seconds, time.perf_counter() - start)
    state = setup()
    tracemalloc.start()
    run(state)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return name, seconds, peak


class World:
    """A SQLite cases database with one reception centre and its officer."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def fresh(self) -> tuple[Runtime, int]:
        self.count += 1
        url = f"sqlite:///{self.folder / f'cases-{self.count}.sqlite'}"
        upgrade(url)
        rt = Runtime.from_url(url, Settings(secret_key=SECRET), CONFIG)
        with rt.sessions() as s:
            org = accounts.add_organisation(s, "Centro de recepción", OrgKind.RECEPTION_CENTRE, "HND", None, "SPS")
            user = accounts.add_user(s, "officer", "bench password 0123456789", CONFIG, [(org, "reception_officer")])
            s.commit()
            return rt, user.id

    def ctx(self, rt: Runtime, user_id: int) -> tuple[Ctx, Any]:
        session = rt.sessions()
        return Ctx(session, principal_of(session, user_id), "bench", SECRET), session


def import_setup(world: World, n: int) -> Callable[[], Any]:
    def setup() -> Any:
        rt, user_id = world.fresh()
        ctx, session = world.ctx(rt, user_id)
        arrival = create_arrival(ctx, ArrivalIn(mode="flight", arrival_date=DAY, arriving_from="USA",
                                                expected_count=min(n, 5000)))
        return ctx, arrival.id
    return setup


def received_world(world: World, n: int) -> Runtime:
    """A database with ``n`` returnees received in August (bulk inserts: setup, not measured)."""
    rt, user_id = world.fresh()
    ctx, session = world.ctx(rt, user_id)
    arrival = create_arrival(ctx, ArrivalIn(mode="flight", arrival_date=DAY, arriving_from="USA", expected_count=5000))
    rows = manifest_rows(n)
    rnd = random.Random(9)
    org_id = principal_of(session, user_id).grants[0].organisation_id
    session.execute(insert(Person), [{"given_names": r[0], "family_names": r[1], "date_of_birth": r[2],
                                      "sex": "female" if r[3] == "F" else "male", "organisation_id": org_id,
                                      "nationality": "HND", "documents": [], "contacts": []} for r in rows])
    people = session.scalars(select(Person.id).order_by(Person.id)).all()
    session.execute(insert(Case), [{"reference": f"HND-B-{i}", "case_type": "returnee_reintegration",
                                    "person_id": p, "organisation_id": org_id, "country": "HND",
                                    "opened_at": dt.datetime(2025, 8, 14, tzinfo=dt.UTC)}
                                   for i, p in enumerate(people)])
    cases = session.scalars(select(Case.id).order_by(Case.id)).all()
    session.execute(insert(Intake), [{"arrival_id": arrival.id, "person_id": p, "case_id": c,
                                      "identity_check": "matched", "department": rnd.choice(DEPARTMENTS),
                                      "accompaniment": rnd.choice(["SINGLE_ADULT", "FAMILY_UNIT", "UNACCOMPANIED"]),
                                      "vulnerabilities": [], "services": [], "received_on": DAY}
                                     for p, c in zip(people, cases, strict=True)])
    session.commit()
    session.close()
    return rt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=5000)
    args = parser.parse_args()
    n = args.people
    rows = manifest_rows(n)
    book, text = xlsx(rows), csv(rows)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Path(tmp))

        def do_import(content: bytes, name: str) -> Callable[[Any], Any]:
            def run(state: Any) -> None:
                ctx, arrival_id = state
                assert import_manifest(ctx, arrival_id, name, content, DAY) == n
                ctx.session.close()
            return run

        results.append(measure("manifest-xlsx", import_setup(world, n), do_import(book, "m.xlsx")))
        results.append(measure("peer-openpyxl", lambda: None, lambda _: sum(
            1 for _ in openpyxl.load_workbook(io.BytesIO(book), read_only=True).active.iter_rows(values_only=True))))
        results.append(measure("peer-pandas", lambda: None,
                               lambda _: pd.read_excel(io.BytesIO(book), engine="openpyxl", dtype=str)))
        results.append(measure("manifest-csv", import_setup(world, n), do_import(text, "m.csv")))

        rt = received_world(world, n)

        def do_publish(store_path: Path) -> None:
            with rt.sessions() as s, Store.open(store_path) as store:
                publish(s, store, DAY.replace(day=1), 5)

        stores = iter(Path(tmp) / f"stats-{i}.duckdb" for i in range(4))
        results.append(measure("publish-month", lambda: next(stores), do_publish))

        def groupby(_: Any) -> None:
            with rt.sessions() as s:
                records = returnee_records(s, DAY)
            for columns in (["department", "sex"], ["sex", "age"], ["accompaniment", "age"], ["counterpart_area"]):
                records.groupby(["period", *columns]).size()

        results.append(measure("peer-groupby", lambda: None, groupby))
        with rt.sessions() as s:
            stored = s.scalar(select(ManifestEntry.id).limit(1))
        rt.close()
    assert stored is None  # the publication world has no manifest: intakes were bulk-inserted
    print(f"{n} people · SQLite · one process")
    print(f"{'mode':<16}{'seconds':>10}{'peak MiB':>10}")
    for name, seconds, peak in results:
        print(f"{name:<16}{seconds:>10.2f}{peak:>10.1f}")


if __name__ == "__main__":
    main()
