"""The reads of the last four modules that wrote their own SQL over the observations (issue 12)
answer, through the store's builder, exactly as that SQL did.

Their SQL is kept here verbatim as the oracle (tests are not scanned by test_one_sql_builder.py):
the sub-national section on the bundled store's UNHCR Admin-1 rows, the returnees page on a store
holding the publication's shapes (suppressed cells, margins, municipalities, reintegration
indicators, populations of several years), a release's cells on every bundled load, and the
bulletin's default month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from observatorio.model.codelists import CRM_MEMBERS
from observatorio.model.contract import KEY_COLUMNS
from observatorio.publish.web import returnees_page, subnational
from observatorio.report.options import latest_data_month
from observatorio.store import page_reads
from observatorio.store.duck import Store
from observatorio.store.release_cells import cell_key, copy_load_cells
from publish.web.test_returnees_page import returnee_rows  # tests/ is on sys.path (root conftest)
from publish.web.tiny_store import tiny_store

OLD_ADMIN1 = """SELECT "table", ref_area, flow, sex, age, unit, period, sum(value) AS value
           FROM observations
           WHERE source = ? AND "table" IN (?, ?) AND ref_area LIKE ? AND value IS NOT NULL
             AND period = (SELECT max(period) FROM observations WHERE source = ?)
           GROUP BY ALL"""
OLD_CELLS = """SELECT period, ref_area, sex, age, accompaniment, counterpart_area, citizenship, value, obs_status
           FROM observations WHERE source = ? AND starts_with("table", ?)
                AND NOT starts_with("table", ?)"""
OLD_POPULATION = """SELECT ref_area, arg_max(value, period) AS value FROM observations
            WHERE flow = 'POPULATION' AND ref_area IN ({marks}) AND value IS NOT NULL
              AND json_extract_string(attributes, '$.municipality') IS NULL  -- a municipality's own
            GROUP BY ref_area"""
OLD_MUNICIPAL = """SELECT period, ref_area, attributes, value, obs_status FROM observations
           WHERE source = ? AND "table" = ? AND starts_with(ref_area, ?)"""
OLD_MUNICIPAL_POPULATION = """SELECT json_extract_string(attributes, '$.municipality') AS municipality,
                  arg_max(value, period) AS value FROM observations
           WHERE flow = 'POPULATION' AND value IS NOT NULL
             AND json_extract_string(attributes, '$.municipality') IS NOT NULL
           GROUP BY 1"""
OLD_INDICATORS = """SELECT "table", period, ref_area, attributes, value, obs_status FROM observations
           WHERE source = ? AND (starts_with("table", ?) OR starts_with("table", ?))
             AND starts_with(ref_area, ?)"""
OLD_LOAD_CELLS = """SELECT {key} AS cell, o.period, o.value
            FROM observations_history o WHERE o.load_id = ?"""


def _same(found: pd.DataFrame, expected: pd.DataFrame, ordered: bool) -> None:
    """Equal frames: values, column names and dtypes (and row order when the old SQL had one)."""
    if not ordered:  # the old SQL grouped without ORDER BY: its rows came in any order
        found = found.sort_values(list(found.columns)).reset_index(drop=True)
        expected = expected.sort_values(list(expected.columns)).reset_index(drop=True)
    pd.testing.assert_frame_equal(found, expected)


def _same_rows(found: list[dict[str, Any]], expected: list[dict[str, Any]], ordered: bool) -> None:
    """Equal rows (store/rows.py): keys, values and their types (and order when the old SQL had
    one)."""
    if not ordered:
        found, expected = sorted(found, key=repr), sorted(expected, key=repr)
    assert [[(k, type(v)) for k, v in r.items()] for r in found] == [
        [(k, type(v)) for k, v in r.items()] for r in expected]
    assert found == expected


def test_the_subnational_rows_are_the_old_sqls(bundled_store: Store) -> None:
    compared = 0
    for iso3 in sorted({*CRM_MEMBERS, "MEX", "USA", "CAN", "XXX"}):
        alpha2 = subnational._alpha2(iso3)
        expected = bundled_store.query_rows(OLD_ADMIN1, [
            subnational.SOURCE, subnational.TABLE_TOTAL, subnational.TABLE_BY_SEX_AGE, f"{alpha2}-%",
            subnational.SOURCE])
        _same_rows(subnational._rows(bundled_store, iso3), expected, ordered=False)
        compared += len(expected)
    assert compared > 500  # the bundled UNHCR file has Admin-1 rows for several members


def test_no_subnational_rows_without_the_source(tmp_path: Path) -> None:
    with Store.open(tmp_path / "empty.duckdb") as store:
        assert subnational._rows(store, "MEX") == []


@pytest.fixture(scope="module")
def returnees(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The returnees page's fixture rows, with populations of several years and sources (the
    newest of each area counts; a municipality's row is not its department's)."""
    path = tiny_store(tmp_path_factory.mktemp("moved") / "s.duckdb", returnees_page.SOURCE, returnee_rows())
    population = [("HN-CR", 2024, 1_800_000.0, "{}"), ("HN-CR", 2023, 1_900_000.0, "{}"),
                  ("HN-FM", 2022, 1_600_000.0, "{}"), ("HN-FM", 2024, None, "{}"),
                  ("HN-CR", 2024, 800_000.0, '{"municipality":"T-0501"}'),
                  ("HN-CR", 2021, 700_000.0, '{"municipality":"T-0501"}'),
                  ("HN-CR", 2024, 90_000.0, '{"municipality":"T-0502"}')]
    tiny_store(path, "fixture_population", [
        {"dataflow": "POPULATION", "ref_area": area, "flow": "POPULATION", "period": dt.date(year, 1, 1),
         "value": value, "attributes": attributes} for area, year, value, attributes in population])
    with Store.open(path, read_only=True) as store:
        yield store


def test_the_returnees_page_reads_are_the_old_sqls(returnees: Store) -> None:
    page = returnees_page
    cells = returnees.query_rows(OLD_CELLS, [page.SOURCE, page.RETURNEE_TABLES, page.MUNICIPAL_TABLES])
    assert len(cells) > 100
    # a plain scan, in the store's order both times: the page keeps the first of equal cells
    _same_rows(page._returnee_rows(returnees), cells, ordered=True)
    for codes in (["HN-CR", "HN-FM", "HN-AT"], ["HN-OL"]):
        expected = returnees.query_rows(OLD_POPULATION.format(marks=", ".join("?" for _ in codes)), codes)
        _same_rows(page._department_population(returnees, codes), expected, ordered=False)
    assert {r["ref_area"]: r["value"] for r in page._department_population(returnees, ["HN-CR", "HN-FM"])} == {
        "HN-CR": 1_800_000.0, "HN-FM": 1_600_000.0}
    _same_rows(page_reads.municipal_population(returnees), returnees.query_rows(OLD_MUNICIPAL_POPULATION),
               ordered=False)
    for iso3 in ("HND", "GTM"):
        alpha2 = page._alpha2(iso3) + "-"
        municipal = returnees.query_rows(OLD_MUNICIPAL, [page.SOURCE, page.MUNICIPAL_TABLE, alpha2])
        _same_rows(page._municipal_rows(returnees, iso3), municipal, ordered=True)
        indicators = returnees.query_rows(OLD_INDICATORS, [page.SOURCE, page.FOLLOWUP_TABLE, page.SCORE_TABLE,
                                                           alpha2])
        _same_rows(page._indicator_rows(returnees, iso3), indicators, ordered=True)
        assert (iso3 == "HND") == bool(municipal and indicators)


def test_a_loads_cells_are_the_old_sqls(bundled_store: Store) -> None:
    old_key = "CAST(json_object({}) AS VARCHAR)".format(", ".join(f"'{c}', o.\"{c}\"" for c in KEY_COLUMNS))
    assert cell_key("o") == old_key
    cursor = bundled_store.con.cursor()
    loads = [row[0] for row in cursor.execute("SELECT load_id FROM loads ORDER BY load_id").fetchall()]
    try:
        for load_id in loads:
            copy_load_cells(cursor, load_id, "moved_cells")
            found = cursor.execute("SELECT * FROM moved_cells ORDER BY ALL").df()
            expected = cursor.execute(OLD_LOAD_CELLS.format(key=old_key) + " ORDER BY ALL", [load_id]).df()
            _same(found, expected, ordered=True)
            cursor.execute("DROP TABLE moved_cells")
    finally:
        cursor.close()
    with pytest.raises(ValueError, match="plain table name"):
        copy_load_cells(bundled_store.con, loads[0], "x; DROP TABLE loads")


def test_the_default_bulletin_month_is_the_old_sqls(bundled_store: Store) -> None:
    newest = bundled_store.query_df(
        "select max(period) as newest from observations where freq = 'M'")["newest"].iloc[0]
    assert latest_data_month(bundled_store) == f"{newest.year:04d}-{newest.month:02d}"
