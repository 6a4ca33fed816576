"""DHS OHSS enforcement monthly tables: both bundled editions loaded as two releases of the same
tables into a real store; check values of data/SOURCES.md section 10 read back out of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observatorio.harmonize.problems import Problems
from observatorio.loading import load_bundled
from observatorio.publish.api.app import create_app
from observatorio.settings import Settings
from observatorio.sources.adapters.ohss_enforcement import (
    DHS_REMOVALS,
    ICE_REMOVALS_AND_RETURNS,
    SHEETS,
    EnforcementMonthly,
)
from observatorio.sources.readers import read_xlsx_grid
from observatorio.store import Store

SOURCE = "ohss_enforcement_monthly"
ADAPTER = EnforcementMonthly()
JULY, AUGUST = date(2024, 11, 8), date(2024, 12, 6)
FY2023 = date(2022, 10, 1)  # annual tables: the 1 October that starts the fiscal year


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("ohss_enforcement") / "store.duckdb"
    with Store.open(path) as store:
        results = load_bundled(store, [ADAPTER], data_dir=data_dir)
    assert [r.release for r in results] == [JULY, AUGUST]
    return path


@pytest.fixture()
def store(store_path: Path) -> Iterator[Store]:
    with Store.open(store_path, read_only=True) as opened:
        yield opened


def _value(store: Store, table: str, period: date, citizenship: str = "_T", release: date | None = None) -> float:
    relation = "observations" if release is None else "observations_history"
    sql = (f'SELECT sum(value), count(*) FROM {relation} WHERE source = ? AND "table" = ? '  # noqa: S608
           "AND period = ? AND citizenship = ?" + ("" if release is None else " AND release = ?"))
    params: list[object] = [SOURCE, table, period, citizenship] + ([] if release is None else [release])
    total, count = store.con.execute(sql, params).fetchone()
    assert count == 1, (table, period, citizenship, count)
    return float(total)


def test_check_values_fiscal_year_2023(store: Store) -> None:
    assert _value(store, f"{ICE_REMOVALS_AND_RETURNS} — Total (fiscal year)", FY2023) == 142_580
    assert _value(store, f"{DHS_REMOVALS} — Total (fiscal year)", FY2023) == 177_770
    by_citizenship = f"{DHS_REMOVALS} (fiscal year)"
    assert _value(store, by_citizenship, FY2023, "GTM") == 20_180
    assert _value(store, by_citizenship, FY2023, "HND") == 22_200
    assert _value(store, by_citizenship, FY2023, "SLV") == 8_320
    assert _value(store, by_citizenship, FY2023, "MEX") == 83_150
    # ICE's own rounding: FY2014 was published by ICE as 315,943.
    assert _value(store, f"{ICE_REMOVALS_AND_RETURNS} — Total (fiscal year)", date(2013, 10, 1)) == 315_940


def test_months_are_not_the_published_total(store: Store) -> None:
    # Rounded cells: FY2023's months add up to 177,790, not the published 177,770; both kept,
    # in their own tables, so nothing is counted twice.
    months = store.con.execute(
        'SELECT sum(value) FROM observations WHERE source = ? AND "table" = ? '
        "AND period >= DATE '2022-10-01' AND period < DATE '2023-10-01'",
        [SOURCE, f"{DHS_REMOVALS} — Total"]).fetchone()[0]
    assert months == 177_790


def test_two_editions_are_two_releases_with_revisions(store: Store, data_dir: Path) -> None:
    october_2018 = date(2018, 10, 1)
    assert _value(store, DHS_REMOVALS, october_2018, "MEX", release=JULY) == 18_830
    assert _value(store, DHS_REMOVALS, october_2018, "MEX", release=AUGUST) == 18_820
    assert _value(store, DHS_REMOVALS, october_2018, "MEX") == 18_820  # observations = August
    changed = store.con.execute(
        """SELECT count(*) FROM (SELECT j.value AS july, a.value AS august
             FROM observations_history j JOIN observations_history a USING ("table", period, citizenship)
             WHERE j.source = ? AND a.source = ? AND j.release = ? AND a.release = ?
               AND j."table" IN (?, ?)) WHERE july IS DISTINCT FROM august""",
        [SOURCE, SOURCE, JULY, AUGUST, DHS_REMOVALS, f"{DHS_REMOVALS} — Total"]).fetchone()[0]
    # 110 of the 1,560 monthly cells changed (data/SOURCES.md); the Other column is not loaded.
    assert changed == 110 - _other_column_revisions(data_dir)


def _other_column_revisions(data_dir: Path) -> int:
    """How many monthly cells of the published Other column differ between the two editions."""
    columns = []
    for path in ADAPTER.bundled_paths(data_dir):
        grid = read_xlsx_grid(path, Problems(path.name))
        assert grid is not None
        rows = grid[DHS_REMOVALS]
        header = next(i for i, r in enumerate(rows) if r[0] == "Fiscal Year")
        other = rows[header].index("Other")
        year, cells = None, {}
        for r in rows[header + 1:]:
            if r[1] == "Total":
                year = r[0]
            elif r[1]:
                cells[(year, r[1])] = r[other]
        columns.append(cells)
    july, august = columns
    return sum(1 for key, value in july.items() if key in august and august[key] != value)



def test_revisions_endpoint_shows_both_editions(store_path: Path) -> None:
    with TestClient(create_app(Settings(db=store_path))) as client:
        r = client.get("/api/v1/revisions", params={
            "source": SOURCE, "table": DHS_REMOVALS, "citizenship": "MEX",
            "start": "2018-10", "end": "2018-10"})
    assert r.status_code == 200, r.text
    body = r.json()
    rows = body["data"] if isinstance(body, dict) else body
    assert sorted((row["vintage"], row["value"]) for row in rows) == [
        ("2024-11-08", 18_830.0), ("2024-12-06", 18_820.0)]


def test_every_counting_sheet_loads_with_its_own_tables(store: Store) -> None:
    tables = {r[0] for r in store.con.execute(
        'SELECT DISTINCT "table" FROM observations WHERE source = ?', [SOURCE]).fetchall()}
    for sheet in SHEETS:
        assert sheet in tables or f"{sheet} — Total" in tables, sheet
    # Nothing of a Total row is a month, nothing of a Total column is a citizenship detail.
    assert store.con.execute(
        """SELECT count(*) FROM observations WHERE source = ? AND (
             (freq = 'A') <> ("table" LIKE '%(fiscal year)'))""", [SOURCE]).fetchone()[0] == 0
    assert store.con.execute(
        "SELECT count(*) FROM observations WHERE source = ? AND citizenship = '_O'", [SOURCE]
    ).fetchone()[0] == 0


def test_tokens_year_to_date_and_rounding(store: Store) -> None:
    rows = store.con.execute(
        """SELECT obs_status, value, attributes FROM observations
           WHERE source = ? AND "table" = 'CHNV Paroles' AND citizenship = 'CUB' AND period = DATE '2022-10-01'""",
        [SOURCE]).fetchall()
    assert rows == [("L", None, '{"fiscal_year":"2023","rounded_to":10}')]  # X: not applicable
    status = dict(store.con.execute(
        """SELECT DISTINCT json_extract_string(attributes, '$.fiscal_year'), obs_status FROM observations
           WHERE source = ? AND "table" = ? AND value IS NOT NULL""", [SOURCE, DHS_REMOVALS]).fetchall())
    assert status["2024"] == "P" and status["2023"] == "A"  # 2024 YTD is provisional
    attributes = json.loads(store.con.execute(
        """SELECT attributes FROM observations WHERE source = ? AND "table" = ? AND period = DATE '2023-10-01'""",
        [SOURCE, f"{DHS_REMOVALS} — Total (fiscal year)"]).fetchone()[0])
    assert attributes == {"fiscal_year": "2024", "period_basis": "US_FEDERAL_FISCAL_YEAR",
                          "rounded_to": 10, "year_to_date": True}
