"""Returnee tables of the disclosure-controlled publication (issue #15 item 4, reception part):
returnees received by month, department of destination, sex, age band, accompaniment and the
country they were returned from. Totals reconcile with the cases database before suppression,
synthetic records are left out, and no suppressed cell can be recovered from what is published."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import update

from observatorio.cases.models import Organisation
from observatorio.cases.publication.records import RECORD_COLUMNS
from observatorio.cases.publication.returnees import RETURNEE, RETURNEE_COLUMNS, returnee_records
from observatorio.cases.publication.run import all_records, build_tables, publish
from observatorio.cases.publication.tables import Table
from observatorio.cases.publication.writer import SOURCE_ID, observation_frame
from observatorio.cases.reception import arrivals, intake
from observatorio.cases.reception.geography import load_municipalities
from observatorio.cases.reception.schemas import ArrivalIn, IntakeIn
from observatorio.cases.runtime import Runtime
from observatorio.harmonize.frame import check_frame
from observatorio.harmonize.problems import Problems
from observatorio.store.duck import Store

from .conftest import World, ctx_for
from .reception_files import csv_bytes, people
from .test_publication import THRESHOLD, assert_linked_totals_agree, attack

AUGUST = dt.date(2025, 8, 1)
RETURNEE_TABLES = ("returnees_by_department", "returnees_by_sex_age", "returnees_by_accompaniment",
                   "returnees_by_origin", "returnees_by_municipality")
DEPARTMENTS = ["HN-CR", "HN-FM", "HN-AT", "HN-YO", "HN-CP", "HN-OL", "HN-CM"]


def receive(rt: Runtime, world: World, n: int, day: dt.date, children: int = 0, origin: str = "USA") -> None:
    """An arrival of ``n`` people, all received: department and accompaniment vary by row."""
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        arrival = arrivals.create_arrival(ctx, ArrivalIn(mode="flight", arrival_date=day, arriving_from=origin,
                                                         expected_count=n))
        arrivals.import_manifest(ctx, arrival.id, "m.csv", csv_bytes(people(n, seed=n, children=children)), day)
        for k, entry in enumerate(arrivals.get_arrival(ctx, arrival.id).manifest):
            child = k < children
            intake.record_intake(ctx, arrival.id, IntakeIn(
                manifest_entry_id=entry.id, department=DEPARTMENTS[k % len(DEPARTMENTS)],
                accompaniment="UNACCOMPANIED" if child else ("FAMILY_UNIT" if k % 3 == 0 else "SINGLE_ADULT"),
                vulnerabilities=["unaccompanied_child"] if child else []), day)


def test_returnee_tables_reconcile_with_the_database_and_resist_the_attack(
        rt: Runtime, world: World, tmp_path: Path) -> None:
    receive(rt, world, 30, dt.date(2025, 8, 14), children=2)
    receive(rt, world, 12, dt.date(2025, 8, 20), origin="MEX")
    receive(rt, world, 9, dt.date(2025, 7, 3))
    with rt.sessions() as s:  # a synthetic (demo) centre's arrivals are never counted
        s.execute(update(Organisation).where(Organisation.id == world.orgs["hnd_reception"])
                  .values(synthetic=True))
        s.commit()
    receive(rt, world, 6, dt.date(2025, 8, 21))
    with rt.sessions() as s, Store.open(tmp_path / "stats.duckdb") as store:
        records = returnee_records(s, AUGUST)
        tables = build_tables(all_records(s, AUGUST), THRESHOLD)
        result = publish(s, store, AUGUST, THRESHOLD)
        frame = store.query_df("SELECT * FROM observations WHERE source = ?", [SOURCE_ID])
    assert list(records.columns) == list(RETURNEE_COLUMNS), "no identifier or name leaves the records"
    assert len(records) == 51, "the six synthetic intakes are left out"
    # Before suppression every returnee table's grand total per month equals the database's count.
    for name in RETURNEE_TABLES:
        per_month: dict[object, int] = {}
        for t in (t for t in tables if t.spec.name == name):
            per_month[t.layer[0]] = per_month.get(t.layer[0], 0) + int(t.counts[-1, -1])
        assert per_month == {dt.date(2025, 7, 1): 9, AUGUST: 42}, name
    published = frame[frame["table"].str.startswith("returnees_")]
    assert set(published["flow"]) == {"RETURN_RECEIVED"} and set(published["unit"]) == {"PERSONS"}
    august_total = published[(published["table"] == "returnees_by_department.total")
                             & (pd.to_datetime(published["period"]) == pd.Timestamp(AUGUST))]
    assert august_total["value"].tolist() == [42.0]
    departments = published[published["table"] == "returnees_by_department"]["ref_area"]
    assert set(departments) <= set(DEPARTMENTS)
    unaccompanied = published[(published["table"] == "returnees_by_accompaniment.row_totals")
                              & (published["accompaniment"] == "UNACCOMPANIED")]
    assert unaccompanied["obs_status"].tolist() == ["C"], "two children alone are a small cell"
    origins = published[published["table"] == "returnees_by_origin.column_totals"]
    assert set(origins["ref_area"]) == {"HND"}
    hidden = frame["obs_status"] == "C"
    assert frame.loc[hidden, "value"].isna().all() and frame.loc[~hidden, "value"].notna().all()
    problems = Problems("publication")
    check_frame(frame.drop(columns=["load_id", "loaded_at"]), problems, release=AUGUST)
    assert not problems, problems
    assert not result.skipped
    attack(frame, THRESHOLD)
    assert_linked_totals_agree(tables)


def generated_returnees(n: int, seed: int = 2026) -> pd.DataFrame:
    """``n`` returnee records with the skew of real reception data (a few departments and
    origins carry most people, a long tail of small ones)."""
    rng = np.random.default_rng(seed)

    def pick(codes: list[str], size: int) -> np.ndarray:
        weights = 1.0 / np.arange(1, len(codes) + 1) ** 1.2
        return rng.choice(codes, size=size, p=weights / weights.sum())

    months = [dt.date(2025, m, 1) for m in range(1, 13)]
    country = pick(["HND", "GTM", "SLV"], n)
    department = [f"{c[:2] if c != 'SLV' else 'SV'}-{d}" for c, d in
                  zip(country, pick(["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"], n), strict=True)]
    # up to eight municipalities per department, the first few carrying most people
    municipality = [f"{d}-{m}" for d, m in zip(department, pick([f"{k:02d}" for k in range(1, 9)], n), strict=True)]
    return pd.DataFrame({
        "period": [months[k] for k in rng.integers(0, len(months), size=n)],
        "ref_area": country,
        "department": department,
        "municipality": municipality,
        "sex": pick(["M", "F", "_U"], n),
        "age": pick(["Y18T59", "Y12T17", "Y_LT12", "Y_GE60", "_U"], n),
        "accompaniment": pick(["SINGLE_ADULT", "FAMILY_UNIT", "ACCOMPANIED", "UNACCOMPANIED", "_U"], n),
        "counterpart_area": pick(["USA", "MEX", "CAN", "CRI", "PAN", "ESP"], n),
        "case_type": RETURNEE,
    }, columns=list(RETURNEE_COLUMNS))


def test_attack_on_a_generated_world_of_50000_returnees() -> None:
    """Fixed seed; the records are the publication's input frame (the ORM would only slow it)."""
    records = generated_returnees(50_000)
    tables = build_tables(records, THRESHOLD)
    assert {t.spec.name for t in tables} == set(RETURNEE_TABLES)
    for name in RETURNEE_TABLES:
        assert sum(int(t.counts[-1, -1]) for t in tables if t.spec.name == name) == 50_000, name
    frame = observation_frame(tables, dt.date(2025, 12, 1), "generated")
    attacked, hidden = attack(frame, THRESHOLD)
    assert attacked == len(tables) and hidden > 0
    assert_linked_totals_agree(tables)


def test_attack_on_the_demo_world_with_reception(rt: Runtime) -> None:
    """The demo world with its reception centres' arrivals (all synthetic: never published; the
    attack counts them anyway), built through the officers' use-cases."""
    from observatorio.cases import demo
    from observatorio.cases.reception import demo as reception_demo

    with rt.sessions() as s:
        demo.build(s, rt.config, n_cases=30, seed=7)
        s.commit()
        received = reception_demo.build(s, n_arrivals=2, per_arrival=15, seed=7)
        synthetic = all_records(s, dt.date.today(), include_synthetic=True)
        published = returnee_records(s, dt.date.today())
    assert received == 60 and published.empty, "demo receptions are synthetic"
    assert (synthetic["case_type"] == RETURNEE).sum() == 60
    tables = build_tables(synthetic, THRESHOLD)
    frame = observation_frame(tables, dt.date.today().replace(day=1), "demo")
    attacked, hidden = attack(frame, THRESHOLD)
    assert attacked > 0 and hidden > 0
    assert_linked_totals_agree(tables)


MUNICIPALITIES = ("code,name,department\nT-0501,San Pedro Sula (prueba),HN-CR\nT-0502,Choloma (prueba),HN-CR\n"
                  "T-0503,Omoa (prueba),HN-CR\nT-0801,Distrito Central (prueba),HN-FM\n")


def test_municipality_table_names_codes_and_keeps_small_municipalities_hidden(
        rt: Runtime, world: World, tmp_path: Path) -> None:
    """Campaign targeting by municipality: intake's municipality codes are published per
    department × sex, named from the loaded list, under the same disclosure control."""
    listed = tmp_path / "municipios.csv"
    listed.write_text(MUNICIPALITIES, encoding="utf-8")
    # 20 to San Pedro Sula, 12 to Choloma, 2 to Omoa (small), 9 to Distrito Central
    plan = ["T-0501"] * 20 + ["T-0502"] * 12 + ["T-0503"] * 2 + ["T-0801"] * 9
    with rt.sessions() as s:
        load_municipalities(s, listed)
        ctx = ctx_for(s, world, "hnd_reception")
        arrival = arrivals.create_arrival(ctx, ArrivalIn(mode="flight", arrival_date=dt.date(2025, 8, 14),
                                                         arriving_from="USA", expected_count=len(plan)))
        arrivals.import_manifest(ctx, arrival.id, "m.csv", csv_bytes(people(len(plan), seed=3)), AUGUST)
        for code, entry in zip(plan, arrivals.get_arrival(ctx, arrival.id).manifest, strict=True):
            intake.record_intake(ctx, arrival.id, IntakeIn(
                manifest_entry_id=entry.id, department="HN-FM" if code == "T-0801" else "HN-CR",
                municipality_code=code, accompaniment="SINGLE_ADULT"), dt.date(2025, 8, 14))
    with rt.sessions() as s, Store.open(tmp_path / "stats.duckdb") as store:
        tables = build_tables(all_records(s, AUGUST), THRESHOLD)
        publish(s, store, AUGUST, THRESHOLD)
        frame = store.query_df("SELECT * FROM observations WHERE source = ?", [SOURCE_ID])
    by_municipality = [t for t in tables if t.spec.name == "returnees_by_municipality"]
    assert {t.layer[1]: int(t.counts[-1, -1]) for t in by_municipality} == {"HN-CR": 34, "HN-FM": 9}
    totals = frame[frame["table"] == "returnees_by_municipality.row_totals"]
    attributes = [json.loads(a) for a in totals["attributes"]]
    named = {a["municipality"]: (a.get("municipality_name"), status)
             for a, status in zip(attributes, totals["obs_status"], strict=True)}
    assert named["T-0501"] == ("San Pedro Sula (prueba)", "A") and named["T-0503"][1] == "C"
    assert named["T-0502"][1] == "C", "the complement of the small municipality is hidden too"
    assert set(totals["ref_area"]) == {"HN-CR", "HN-FM"}
    problems = Problems("publication")
    check_frame(frame.drop(columns=["load_id", "loaded_at"]), problems, release=AUGUST)
    assert not problems, problems
    attacked, hidden = attack(frame, THRESHOLD)
    assert hidden > 0
    assert_linked_totals_agree(tables)


def _sex_age_records(cells: dict[tuple[str, str], int], kind: str) -> pd.DataFrame:
    """``cells`` (sex, age) → people, as returnee records or as case records (``kind``: a case
    type; ``at_intake`` unless returnee_reintegration opened by hand, ``"by_hand"``)."""
    rows = [(sex, age) for (sex, age), n in cells.items() for _ in range(n)]
    frame = pd.DataFrame(rows, columns=["sex", "age"])
    frame["period"], frame["ref_area"] = AUGUST, "HND"
    if kind == RETURNEE:
        frame["department"], frame["municipality"], frame["accompaniment"] = "HN-CR", "_U", "SINGLE_ADULT"
        frame["counterpart_area"], frame["case_type"] = "USA", RETURNEE
        return frame[list(RETURNEE_COLUMNS)]
    frame["citizenship"] = "HND"
    frame["case_type"] = "returnee_reintegration" if kind == "by_hand" else kind
    frame["at_intake"] = kind != "by_hand"
    return frame[list(RECORD_COLUMNS)]


def _sex_age(tables: list[Table], name: str) -> Table:
    [table] = [t for t in tables if t.spec.name == name]
    return table


def _joint_bounds(more: Table, fewer: Table) -> dict[tuple[str, tuple[int, int]], tuple[float, float]]:
    """Bounds of every hidden entry of two tables of the same shape solved as one system, with
    what an attacker may assume of them: ``more`` counts at least ``fewer`` entry by entry."""
    from scipy.optimize import linprog

    from observatorio.cases.publication.attack import _System

    systems = [(more.spec.name, _System(more.counts, more.suppressed)),
               (fewer.spec.name, _System(fewer.counts, fewer.suppressed))]
    names = [(name, ij) for name, system in systems for ij in system.unknown]
    index = {key: k for k, key in enumerate(names)}
    a_eq, b_eq = [], []
    for name, system in systems:
        for row, rhs in zip(system.a_eq if system.a_eq is not None else [], system.b_eq if system.b_eq is not None else [],
                            strict=True):
            full = np.zeros(len(names))
            full[[index[(name, ij)] for ij in system.unknown]] = row
            a_eq.append(full)
            b_eq.append(rhs)
    a_ub, b_ub = [], []
    for ij in np.ndindex(more.counts.shape):  # fewer − more ≤ 0
        row, rhs = np.zeros(len(names)), 0.0
        for table, sign in ((fewer, 1.0), (more, -1.0)):
            if (table.spec.name, ij) in index:
                row[index[(table.spec.name, ij)]] += sign
            else:
                rhs -= sign * float(table.counts[ij])
        if row.any():
            a_ub.append(row)
            b_ub.append(rhs)
    bounds = {}
    for k, key in enumerate(names):
        goal = np.zeros(len(names))
        goal[k] = 1.0
        low = linprog(goal, A_eq=a_eq, b_eq=b_eq, A_ub=a_ub or None, b_ub=b_ub or None, method="highs")
        high = linprog(-goal, A_eq=a_eq, b_eq=b_eq, A_ub=a_ub or None, b_ub=b_ub or None, method="highs")
        bounds[key] = (float(low.fun), float("inf") if high.status == 3 else -float(high.fun))
    return bounds


def test_reintegration_and_returnees_by_sex_age_are_suppressed_together() -> None:
    """reintegration_by_sex_age counts the cases opened at intake (one per returnee received,
    a received child's unaccompanied_child case included) and the returnee_reintegration cases
    opened by hand: the people of returnees_by_sex_age by the same dimensions, plus a few. One
    case opened by hand makes a cell 5 there that is 4 among the returnees: published in one
    table and hidden in the other, it would give the hidden cell away (5 less the cases opened
    by hand). The reintegration table hides every entry the returnee table hides (and the ones
    whose difference with it is small, test_publication_differencing.py), and no hidden entry
    can be narrowed even solving the two tables as one system."""
    received = {("F", "Y18T59"): 4, ("M", "Y18T59"): 30, ("F", "Y12T17"): 12, ("M", "Y12T17"): 15,
                ("F", "Y_GE60"): 9, ("M", "Y_GE60"): 11}
    records = pd.concat([_sex_age_records(received, RETURNEE),
                         _sex_age_records({("F", "Y12T17"): 1}, "unaccompanied_child"),
                         _sex_age_records({k: v - (k == ("F", "Y12T17")) for k, v in received.items()},
                                          "returnee_reintegration"),
                         _sex_age_records({("F", "Y18T59"): 1}, "by_hand")], ignore_index=True)
    tables = build_tables(records, THRESHOLD)
    returnees, cases = _sex_age(tables, "returnees_by_sex_age"), _sex_age(tables, "reintegration_by_sex_age")
    assert not [t for t in tables if t.spec.name.startswith("consular")], "every case was opened at intake or is a returnee's"
    assert (returnees.row_codes, returnees.column_codes) == (cases.row_codes, cases.column_codes)
    assert cases.counts[0, 1] == 5 and returnees.counts[0, 1] == 4  # F × Y18T59: one case by hand
    assert returnees.suppressed[0, 1] and cases.suppressed[0, 1]
    assert (cases.suppressed | ~returnees.suppressed).all(), "hidden among the returnees: hidden among the cases"
    assert_linked_totals_agree(tables)
    attacked, hidden = attack(observation_frame(tables, AUGUST, "linked"), THRESHOLD)
    assert attacked == len(tables) and hidden > 0
    # the two solved together, knowing one counts at least the other cell by cell
    for entry, (low, high) in _joint_bounds(cases, returnees).items():
        assert high - low >= THRESHOLD, (entry, low, high)


def test_reintegration_by_sex_age_is_returnees_by_sex_age_when_every_case_was_opened_at_intake() -> None:
    """The same people by the same dimensions (no case opened by hand): the same counts and the
    same cells hidden, so the second table tells an attacker nothing the first does not."""
    received = {("F", "Y18T59"): 3, ("M", "Y18T59"): 30, ("F", "Y12T17"): 12, ("M", "Y12T17"): 2,
                ("F", "Y_GE60"): 9, ("M", "Y_GE60"): 11}
    children = {("M", "Y12T17"): 2}
    records = pd.concat([_sex_age_records(received, RETURNEE),
                         _sex_age_records(children, "unaccompanied_child"),
                         _sex_age_records({k: v - children.get(k, 0) for k, v in received.items()},
                                          "returnee_reintegration")], ignore_index=True)
    tables = build_tables(records, THRESHOLD)
    returnees, cases = _sex_age(tables, "returnees_by_sex_age"), _sex_age(tables, "reintegration_by_sex_age")
    assert (returnees.counts == cases.counts).all() and (returnees.suppressed == cases.suppressed).all()
    assert cases.suppressed.sum() > 0
    attack(observation_frame(tables, AUGUST, "same"), THRESHOLD)
