"""The differencing attack on reintegration_by_sex_age and returnees_by_sex_age (issue #15 item 4).

The two tables count nearly the same people by the same dimensions: one case per returnee
received (opened at the intake) against one row per intake, and the reintegration table also
counts the returnee_reintegration cases opened by hand. Two published entries of the same
dimensions that differ by 1 … threshold−1 give that small group away (13 reintegration cases
against 12 returnees: one woman of 18–59 opened a case by hand in HND in August). The attacker
here reads the published rows only (the statistics store), subtracts the published entries, and
bounds every hidden difference by linear programming with both tables as one system, knowing
each is non-negative and (when true) that the first counts at least the second."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import update

from observatorio.cases import case_records, person_records
from observatorio.cases.models import Case
from observatorio.cases.publication.returnees import returnee_records
from observatorio.cases.publication.run import all_records, build_tables, publish
from observatorio.cases.publication.tables import Table
from observatorio.cases.publication.writer import SOURCE_ID, observation_frame
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseCreate, PersonCreate
from observatorio.cases.vocab import CaseType, Sex
from observatorio.store.duck import Store

from .conftest import World, ctx_for
from .test_publication import THRESHOLD, assert_linked_totals_agree, attack
from .test_publication_returnees import AUGUST, _sex_age_records, receive

FIRST, SECOND = "reintegration_by_sex_age", "returnees_by_sex_age"
Entry = tuple[str, str]  # (sex, age), "_T" for a margin


def _grid(frame: pd.DataFrame, name: str, layer: tuple[object, str]) -> dict[Entry, float | None]:
    """One published table of one (month, country) as entry → value (None: hidden)."""
    family = frame[frame["table"].str.fullmatch(rf"{name}(\.row_totals|\.column_totals|\.total)?")
                   & (pd.to_datetime(frame["period"]) == pd.Timestamp(layer[0])) & (frame["ref_area"] == layer[1])]
    return {(r.sex, r.age): (None if r.obs_status == "C" else float(r.value)) for r in family.itertuples()}


def _as_arrays(grid: dict[Entry, float | None], rows: list[str], columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Values and hidden mask with the margins last; an entry the table does not list is a
    published zero (nobody of that sex or age band in it)."""
    values = np.zeros((len(rows), len(columns)))
    hidden = np.zeros(values.shape, dtype=bool)
    for (sex, age), value in grid.items():
        i, j = rows.index(sex), columns.index(age)
        hidden[i, j] = value is None
        values[i, j] = 0.0 if value is None else value
    return values, hidden


class _Joint:
    """The two published tables of one layer as one system of linear constraints."""

    def __init__(self, a: np.ndarray, a_hidden: np.ndarray, b: np.ndarray, b_hidden: np.ndarray,
                 a_at_least_b: bool) -> None:
        from observatorio.cases.publication.attack import _System

        systems = [_System(a, a_hidden), _System(b, b_hidden)]
        offset = len(systems[0].unknown)
        self.n = offset + len(systems[1].unknown)
        self.values = (a, b)
        self.index = [{ij: k for k, ij in enumerate(systems[0].unknown)},
                      {ij: offset + k for k, ij in enumerate(systems[1].unknown)}]
        self.a_eq: list[np.ndarray] = []
        self.b_eq: list[float] = []
        for system, start in zip(systems, (0, offset), strict=True):
            for row, rhs in zip(system.a_eq if system.a_eq is not None else [],
                                system.b_eq if system.b_eq is not None else [], strict=True):
                full = np.zeros(self.n)
                full[start:start + len(row)] = row
                self.a_eq.append(full)
                self.b_eq.append(float(rhs))
        self.a_ub: list[np.ndarray] = []
        self.b_ub: list[float] = []
        if a_at_least_b:  # b − a ≤ 0 where either is hidden
            for i, j in np.argwhere(a_hidden | b_hidden):
                goal, constant = self.linear((int(i), int(j)), (1.0, -1.0))
                self.a_ub.append(-goal)
                self.b_ub.append(constant)

    def linear(self, ij: tuple[int, int], weights: tuple[float, float]) -> tuple[np.ndarray, float]:
        goal, constant = np.zeros(self.n), 0.0
        for side, weight in enumerate(weights):
            if ij in self.index[side]:
                goal[self.index[side][ij]] = weight
            else:
                constant += weight * float(self.values[side][ij])
        return goal, constant

    def bounds(self, ij: tuple[int, int], weights: tuple[float, float]) -> tuple[float, float]:
        from scipy.optimize import linprog

        goal, constant = self.linear(ij, weights)
        constraints = {"A_eq": self.a_eq or None, "b_eq": self.b_eq or None, "A_ub": self.a_ub or None,
                       "b_ub": self.b_ub or None, "bounds": (0, None), "method": "highs"}
        least, most = linprog(goal, **constraints), linprog(-goal, **constraints)
        assert least.status in (0, 3) and most.status in (0, 3), (least.message, most.message)
        return (-float("inf") if least.status == 3 else float(least.fun) + constant,
                float("inf") if most.status == 3 else -float(most.fun) + constant)


def differencing_attack(frame: pd.DataFrame, truth: list[Table], threshold: int) -> int:
    """Assert no difference of the two tables' entries of one (month, country) that is 1 …
    threshold−1 is published, and none, nor any hidden entry of either table, can be narrowed to
    an interval shorter than the threshold by solving the two as one system; return the layers
    attacked. ``truth`` (the tables before suppression) only says which hidden differences are
    small and whether the first counts at least the second: the bounds come from the published
    rows alone."""
    true = {(t.spec.name, t.layer): t for t in truth if t.spec.name in (FIRST, SECOND)}
    layers = {layer for name, layer in true if name == FIRST and (SECOND, layer) in true}
    for layer in layers:
        grids = [_grid(frame, name, layer) for name in (FIRST, SECOND)]
        rows = sorted({s for g in grids for s, _ in g} - {"_T"}) + ["_T"]
        columns = sorted({a for g in grids for _, a in g} - {"_T"}) + ["_T"]
        (a, a_hidden), (b, b_hidden) = (_as_arrays(g, rows, columns) for g in grids)
        first, second = (_as_arrays({(r, c): float(v) for (r, c), v in _entries(true[(n, layer)]).items()},
                                    rows, columns)[0] for n in (FIRST, SECOND))
        published = ~a_hidden & ~b_hidden
        small = (np.abs(a - b) >= 1) & (np.abs(a - b) < threshold)
        assert not (published & small).any(), (
            f"{layer}: published entries differ by a small number: "
            f"{[(rows[i], columns[j], a[i, j], b[i, j]) for i, j in np.argwhere(published & small)]}")
        joint = _Joint(a, a_hidden, b, b_hidden, bool((first >= second).all()))
        true_small = (np.abs(first - second) >= 1) & (np.abs(first - second) < threshold)
        for i, j in np.argwhere(a_hidden | b_hidden):
            ij = (int(i), int(j))
            for weights, applies in (((1.0, -1.0), true_small[ij]), ((1.0, 0.0), a_hidden[ij]),
                                     ((0.0, 1.0), b_hidden[ij])):
                if applies:
                    low, high = joint.bounds(ij, weights)
                    assert high - low >= threshold, (layer, rows[i], columns[j], weights, low, high)
    return len(layers)


def _entries(table: Table) -> dict[Entry, int]:
    codes = [*table.row_codes, "_T"], [*table.column_codes, "_T"]
    return {(codes[0][i], codes[1][j]): int(table.counts[i, j]) for i, j in np.ndindex(table.counts.shape)}


def _open_by_hand(rt: Runtime, world: World, sex: Sex, born: dt.date) -> None:
    """A returnee_reintegration case opened by a reception officer, not at an intake."""
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        org = world.orgs["hnd_reception"]
        person = person_records.create_person(ctx, PersonCreate(given_names="Retornada", family_names="Sin Intake", sex=sex,
                                                         date_of_birth=born, nationality="HND", organisation_id=org))
        case_records.create_case(ctx, CaseCreate(case_type=CaseType.RETURNEE_REINTEGRATION, person_id=person.id,
                                            organisation_id=org))


def test_published_reintegration_and_returnee_entries_cannot_be_differenced(
        rt: Runtime, world: World, tmp_path: Path) -> None:
    """42 returnees received in August (each with the case their intake opened) and one woman's
    reintegration case opened by hand: the women's, the 18–59's and the August totals differ by
    exactly one case between the tables. None of those pairs may be published, and the hidden
    difference cannot be narrowed."""
    receive(rt, world, 30, dt.date(2025, 8, 14), children=2)
    receive(rt, world, 12, dt.date(2025, 8, 20), origin="MEX")
    _open_by_hand(rt, world, Sex.FEMALE, dt.date(1990, 5, 5))
    with rt.sessions() as s:  # every case opened on its intake's day (the hand-opened one too)
        s.execute(update(Case).values(opened_at=dt.datetime(2025, 8, 20, 15, tzinfo=dt.UTC)))
        s.commit()
    with rt.sessions() as s, Store.open(tmp_path / "stats.duckdb") as store:
        tables = build_tables(all_records(s, AUGUST), THRESHOLD)
        returnees = returnee_records(s, AUGUST)
        publish(s, store, AUGUST, THRESHOLD)
        frame = store.query_df("SELECT * FROM observations WHERE source = ?", [SOURCE_ID])
    first = next(t for t in tables if t.spec.name == FIRST and t.layer == (AUGUST, "HND"))
    second = next(t for t in tables if t.spec.name == SECOND and t.layer == (AUGUST, "HND"))
    assert (int(first.counts[-1, -1]), int(second.counts[-1, -1])) == (43, 42), "the example is what it says"
    assert differencing_attack(frame, tables, THRESHOLD) == 1
    totals = {name: _grid(frame, name, (AUGUST, "HND"))[("_T", "_T")] for name in (FIRST, SECOND)}
    assert totals == {FIRST: None, SECOND: 42.0}, "43 against 42: hidden among the cases, not the returnees"
    attack(frame, THRESHOLD)
    assert_linked_totals_agree(tables)
    _assert_returnee_tables_as_alone(tables, returnees)



def _assert_returnee_tables_as_alone(tables: list[Table], returnees: pd.DataFrame) -> None:
    """The returnee tables hide what they would without the case tables: the protection's cost
    falls on the reintegration table only."""
    alone = {(t.spec.name, t.layer): t.suppressed for t in build_tables(returnees, THRESHOLD)}
    together = {(t.spec.name, t.layer): t.suppressed for t in tables if t.spec.name.startswith("returnees")}
    assert together.keys() == alone.keys()
    assert all((together[k] == alone[k]).all() for k in alone)

def _generated(seed: int) -> Iterator[pd.DataFrame]:
    """Returnees of one (month, country) by sex × age band, their cases opened at intake (a few
    dated in the next month for odd seeds), and a few reintegration cases opened by hand spread
    over the cells."""
    rng = np.random.default_rng(seed)
    cells = [(sex, age) for sex in ("F", "M", "_U") for age in ("Y_LT12", "Y12T17", "Y18T59", "Y_GE60")]
    received = {cell: int(n) for cell, n in zip(cells, rng.integers(0, 40, size=len(cells)), strict=True)}
    by_hand = {cells[k]: 1 + int(rng.integers(0, 3)) for k in rng.choice(len(cells), size=3, replace=False)}
    # odd seeds: a few cases opened at intake fall in the next month (opened after midnight
    # UTC), so the reintegration table counts fewer than the returnees in those cells
    late = {cells[k]: int(rng.integers(1, 3)) for k in rng.choice(len(cells), size=2, replace=False)} \
        if seed % 2 else {}
    yield _sex_age_records(received, "returnee_received")
    yield _sex_age_records({c: max(n - late.get(c, 0), 0) for c, n in received.items()}, "returnee_reintegration")
    yield _sex_age_records(by_hand, "by_hand")


def test_differencing_attack_on_generated_tables() -> None:
    """Twenty generated (month, country) tables, each with 3 cells of 1–3 cases opened by hand
    (and, for half of them, 2 cells with 1–2 cases fewer than returnees, dated in the next month):
    no small difference is published or can be narrowed, the tables still resist the attack on
    each alone, linked entries agree, and the returnee table hides what it would alone."""
    for seed in range(20):
        parts = list(_generated(seed))
        records = pd.concat(parts, ignore_index=True)
        tables = build_tables(records, THRESHOLD)
        frame = observation_frame(tables, AUGUST, "generated")
        assert differencing_attack(frame, tables, THRESHOLD) == 1, seed
        attack(frame, THRESHOLD)
        assert_linked_totals_agree(tables)
        _assert_returnee_tables_as_alone(tables, parts[0])
