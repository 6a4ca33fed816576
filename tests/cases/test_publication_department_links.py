"""Tables linked by sums across their layers (specs' links, ``NESTED_IN``): the department table
is one table per month, the country tables one per month and country, and a country's
departments add up to its totals. Beyond the example of test_publication_department_sums: random
months of three countries, departments unknown (``_U``) in several countries, and the keys that
make a department's cell one number in the month's table and in its country's link."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from observatorio.cases.publication.returnees import RETURNEE, RETURNEE_COLUMNS
from observatorio.cases.publication.run import build_tables
from observatorio.cases.publication.specs import SPECS
from observatorio.cases.publication.tables import cross_tabulate
from observatorio.cases.publication.writer import observation_frame

from .test_publication import THRESHOLD, attack
from .test_publication_department_sums import AUGUST, BY_SEX_AGE, DEPARTMENTS

AGES = ("Y_LT12", "Y12T17", "Y18T59", "Y_GE60")
PREFIX = {"HND": "HN", "GTM": "GT", "SLV": "SV"}


def _month(seed: int, unknown: bool = False) -> pd.DataFrame:
    """A month of returnees in three countries, 2–5 departments each (``_U``, the department
    not given, in every country when ``unknown``); a department's women or men are often few."""
    rng = random.Random(seed)
    rows = []
    for country, prefix in PREFIX.items():
        departments = [f"{prefix}-{d:02d}" for d in range(rng.randint(2, 5))] + (["_U"] if unknown else [])
        for department in departments:
            for sex in "FM":
                n = rng.choice([0, 1, 2, 3, 4, rng.randint(5, 12), rng.randint(10, 40), rng.randint(10, 40)])
                rows += [{"period": AUGUST, "ref_area": country, "department": department, "municipality": "_U",
                          "sex": sex, "age": rng.choices(AGES, [1, 1, 8, 1])[0],
                          "accompaniment": rng.choice(["SINGLE_ADULT", "FAMILY"]),
                          "counterpart_area": rng.choice(["USA", "MEX"]), "case_type": RETURNEE}
                         for _ in range(n)]
    return pd.DataFrame(rows)[list(RETURNEE_COLUMNS)]


class _Attacker:
    """The department table and the country sex × age tables of a month, read from the published
    rows, as one linear system: each table's margins; a country's departments of one sex (and
    in all) add up to its total, with what its department-unknown (``_U``) returnees add, never
    published per country (unknowns); and those add up to the month's ``_U`` row."""

    def __init__(self, frame: pd.DataFrame, country_of: dict[str, str], countries: list[str]) -> None:
        self.value: dict[tuple[str, ...], float] = {}
        self.unknown: dict[tuple[str, ...], int] = {}
        # (the line summed, its total) → the entries adding up to it
        sums: dict[tuple[str, tuple[str, ...]], list[tuple[str, ...]]] = {}
        for r in frame[frame["table"].str.startswith(DEPARTMENTS)].itertuples():
            key: tuple[str, ...] = ("D", str(r.ref_area), str(r.sex))
            self._entry(key, r.obs_status == "C", r.value)
            if r.ref_area != "_T":
                sums.setdefault(("column", ("D", "_T", key[2])), []).append(key)
                whole = country_of.get(key[1])
                for country in [whole] if whole else countries:  # _U: one part in each country
                    part = key if whole else ("U", country, key[2])
                    sums.setdefault(("country", ("T", country, key[2], "_T")), []).append(part)
                    if not whole:
                        self.unknown.setdefault(part, len(self.unknown))
                        sums.setdefault(("unknown", key), []).append(part)
            if r.sex != "_T":
                sums.setdefault(("row", ("D", key[1], "_T")), []).append(key)
        for r in frame[frame["table"].str.startswith(BY_SEX_AGE)].itertuples():
            key = ("T", str(r.ref_area), str(r.sex), str(r.age))
            self._entry(key, r.obs_status == "C", r.value)
            if r.sex != "_T":
                sums.setdefault(("column", ("T", key[1], "_T", key[3])), []).append(key)
            if r.age != "_T":
                sums.setdefault(("row", ("T", key[1], key[2], "_T")), []).append(key)
        self.a_eq, self.b_eq = [], []
        for (_, total), parts in sums.items():
            row, rhs = np.zeros(len(self.unknown)), 0.0
            for sign, entry in [(-1.0, total)] + [(1.0, p) for p in parts]:
                if entry in self.unknown:
                    row[self.unknown[entry]] += sign
                else:
                    rhs -= sign * self.value.get(entry, 0.0)
            if row.any():
                self.a_eq.append(row)
                self.b_eq.append(rhs)

    def _entry(self, key: tuple[str, ...], hidden: bool, value: float) -> None:
        if hidden:
            self.unknown[key] = len(self.unknown)
        else:
            self.value[key] = float(value)

    def width(self, key: tuple[str, ...]) -> float:
        goal = np.zeros(len(self.unknown))
        goal[self.unknown[key]] = 1.0
        ends = [linprog(sign * goal, A_eq=np.array(self.a_eq), b_eq=np.array(self.b_eq), bounds=(0, None),
                        method="highs") for sign in (1.0, -1.0)]
        assert all(e.status in (0, 3) for e in ends), [e.message for e in ends]
        return float("inf") if ends[1].status == 3 else -float(ends[1].fun) - float(ends[0].fun)


def _narrowed(records: pd.DataFrame) -> dict[tuple[str, ...], float]:
    """Every small department cell, small sex × age entry, and small department-unknown group
    of a country, that the attacker narrows below the threshold."""
    frame = observation_frame(build_tables(records, THRESHOLD), AUGUST, "generated")
    attack(frame, THRESHOLD)  # each table alone resists
    known = records[records["department"] != "_U"]
    country_of = dict(zip(known["department"], known["ref_area"], strict=True))
    attacker = _Attacker(frame, country_of, sorted(PREFIX))
    counts = {("D", d, s): n for (d, s), n in records.groupby(["department", "sex"]).size().items()}
    counts |= {("T", c, s, a): n for (c, s, a), n in records.groupby(["ref_area", "sex", "age"]).size().items()}
    unknown = records[records["department"] == "_U"]
    counts |= {("U", c, s): n for (c, s), n in unknown.groupby(["ref_area", "sex"]).size().items()}
    small = [key for key in attacker.unknown if 1 <= counts.get(key, 0) < THRESHOLD]
    return {key: width for key in small if (width := attacker.width(key)) < THRESHOLD}


def test_random_months_of_three_countries_give_no_small_cell_back() -> None:
    """Before the links, 33 of 40 such months gave small cells back (docs/cases.md)."""
    for seed in range(6):
        assert not _narrowed(_month(seed)), f"month {seed}"


def test_departments_unknown_in_every_country_give_no_small_group_back() -> None:
    """The month's ``_U`` row adds up the countries' department-unknown returnees: they link
    the countries' tables too."""
    for seed in range(4):
        assert not _narrowed(_month(seed, unknown=True)), f"month {seed}"


def test_a_department_cell_has_one_key_in_the_month_table_and_in_its_country_link() -> None:
    """NESTED_IN: HN-AT's women are the same entry, by key, in returnees_by_department (one table
    per month), in HND's departments × sex link and as a margin of HN-AT's municipality table;
    the link's margins are HND's sex totals in returnees_by_sex_age. A department code seen in
    two countries (``_U``) names no country: the month's entry is not any country's."""
    records = _month(3, unknown=True)
    by_name = {spec.name: cross_tabulate(records, spec) for spec in SPECS if "returnees" in spec.name}
    month = by_name["returnees_by_department"][0]
    link = next(t for t in by_name["returnees_by_department_in_country"] if t.layer[1] == "HND")
    municipality = next(t for t in by_name["returnees_by_municipality"] if t.layer[1] == "HN-01")
    sex_age = next(t for t in by_name["returnees_by_sex_age"] if t.layer[1] == "HND")
    f = month.column_codes.index("F")
    in_month = month.entry_key(month.row_codes.index("HN-01"), f)
    assert in_month == link.entry_key(link.row_codes.index("HN-01"), link.column_codes.index("F"))
    assert in_month == municipality.entry_key(len(municipality.row_codes), municipality.column_codes.index("F"))
    assert link.entry_key(len(link.row_codes), link.column_codes.index("F")) == \
        sex_age.entry_key(sex_age.row_codes.index("F"), len(sex_age.column_codes))
    unknown_in_month = month.entry_key(month.row_codes.index("_U"), f)
    assert unknown_in_month != link.entry_key(link.row_codes.index("_U"), link.column_codes.index("F"))


def test_links_are_not_published() -> None:
    records = _month(1)
    names = {t.spec.name for t in build_tables(records, THRESHOLD)}
    assert names.isdisjoint({spec.name for spec in SPECS if not spec.published})
    assert {"returnees_by_department", "returnees_by_sex_age"} <= names
