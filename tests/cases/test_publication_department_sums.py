"""The department table against the country tables, linked by sums rather than by shared keys.

returnees_by_department is one table per month over every country (a department's ISO 3166-2
code names its country), while returnees_by_sex_age is one table per (month, country). No entry
of one has the key of an entry of the other, so suppress_linked never links them, yet they are
linked by sums: the departments of one country, in the column of one sex, add up to that
country's sex total in returnees_by_sex_age. A department's small cell hidden with a complement
in another country's department (the cheapest in its column) is then given back exactly: the
country's published sex total less the country's published departments.

The attacker reads the published rows only and solves both tables of the month as one system
(each table's margins, the sums by country, non-negativity). It failed before the suppression
linked the tables by these sums (review report, 2026-12-05; specs' links and NESTED_IN, the
joint attack in suppression.suppress_linked)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from observatorio.cases.publication.returnees import RETURNEE, RETURNEE_COLUMNS
from observatorio.cases.publication.run import build_tables
from observatorio.cases.publication.writer import observation_frame

from .test_publication import THRESHOLD, attack

AUGUST = dt.date(2025, 8, 1)
DEPARTMENTS, BY_SEX_AGE = "returnees_by_department", "returnees_by_sex_age"


def _records(people: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """(country, department, sex, people) → returnee records of August, all 18–59."""
    rows = [{"period": AUGUST, "ref_area": country, "department": department, "municipality": "_U", "sex": sex,
             "age": "Y18T59", "accompaniment": "SINGLE_ADULT", "counterpart_area": "USA", "case_type": RETURNEE}
            for country, department, sex, n in people for _ in range(n)]
    return pd.DataFrame(rows)[list(RETURNEE_COLUMNS)]


class _Month:
    """The two published tables of one month as one linear system over their hidden entries."""

    def __init__(self, frame: pd.DataFrame, country_of: dict[str, str]) -> None:
        self.value: dict[tuple[str, ...], float] = {}  # published entries
        self.unknown: dict[tuple[str, ...], int] = {}  # hidden entries → variable
        # each equation: an entry (its key) = the sum of others, tagged by the line it sums
        sums: dict[tuple[str, tuple[str, ...]], list[tuple[str, ...]]] = {}
        for r in frame[frame["table"].str.startswith(DEPARTMENTS)].itertuples():
            key: tuple[str, ...] = ("D", str(r.ref_area), str(r.sex))
            self._entry(key, r)
            if r.ref_area != "_T":
                sums.setdefault(("column", ("D", "_T", key[2])), []).append(key)
                # the link: a country's departments of one sex (or in all) add up to its total
                sums.setdefault(("country", ("T", country_of[key[1]], key[2], "_T")), []).append(key)
            if r.sex != "_T":
                sums.setdefault(("row", ("D", key[1], "_T")), []).append(key)
        for r in frame[frame["table"].str.startswith(BY_SEX_AGE)].itertuples():
            key = ("T", str(r.ref_area), str(r.sex), str(r.age))
            self._entry(key, r)
            if r.sex != "_T":
                sums.setdefault(("column", ("T", key[1], "_T", key[3])), []).append(key)
            if r.age != "_T":
                sums.setdefault(("row", ("T", key[1], key[2], "_T")), []).append(key)
        self.a_eq: list[np.ndarray] = []
        self.b_eq: list[float] = []
        for (_, total), parts in sums.items():
            row, rhs = np.zeros(len(self.unknown)), 0.0
            for sign, entry in [(-1.0, total)] + [(1.0, p) for p in parts]:
                if entry in self.unknown:
                    row[self.unknown[entry]] += sign
                else:
                    rhs -= sign * self.value.get(entry, 0.0)  # an entry not listed is a zero
            if row.any():
                self.a_eq.append(row)
                self.b_eq.append(rhs)

    def _entry(self, key: tuple[str, ...], r: Any) -> None:
        if r.obs_status == "C":
            self.unknown[key] = len(self.unknown)
        else:
            self.value[key] = float(r.value)

    def width(self, key: tuple[str, ...]) -> float:
        from scipy.optimize import linprog

        goal = np.zeros(len(self.unknown))
        goal[self.unknown[key]] = 1.0
        ends = [linprog(sign * goal, A_eq=np.array(self.a_eq), b_eq=np.array(self.b_eq), bounds=(0, None),
                        method="highs") for sign in (1.0, -1.0)]
        assert all(e.status in (0, 3) for e in ends), [e.message for e in ends]
        return float("inf") if ends[1].status == 3 else -float(ends[1].fun) - float(ends[0].fun)


def test_a_small_department_cell_is_not_given_back_by_its_country_total() -> None:
    """2 women of HN-AT and 3 of GT-01 in August, hidden in the department table with each
    other as complements (the F column's two small cells) and the men of their departments:
    the department table alone resists its attack. But returnees_by_sex_age publishes HND's 22
    women, and HN-CR's 20 are published: HN-AT's women are 22 − 20 = 2."""
    country_of = {"HN-CR": "HND", "HN-AT": "HND", "GT-01": "GTM", "GT-02": "GTM"}
    people = [("HND", "HN-CR", "F", 20), ("HND", "HN-CR", "M", 20), ("HND", "HN-AT", "F", 2),
              ("HND", "HN-AT", "M", 20), ("GTM", "GT-01", "F", 3), ("GTM", "GT-01", "M", 25),
              ("GTM", "GT-02", "F", 25), ("GTM", "GT-02", "M", 25)]
    tables = build_tables(_records(people), THRESHOLD)
    frame = observation_frame(tables, AUGUST, "generated")
    attack(frame, THRESHOLD)  # each table alone resists
    small = {("D", d, s) for c, d, s, n in people if 1 <= n < THRESHOLD}
    month = _Month(frame, country_of)
    assert small <= set(month.unknown), "the small cells are hidden"
    narrowed = {key: month.width(key) for key in small if month.width(key) < THRESHOLD}
    assert not narrowed, f"narrowed below {THRESHOLD} by the country tables' sex totals: {narrowed}"
