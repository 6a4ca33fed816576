"""The DuckDB store: releases are kept, loads are idempotent and atomic, SQL is read-only."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from observatorio.errors import ReadOnlyViolation
from observatorio.loading import load_file
from observatorio.sources.base import get_adapter
from observatorio.store import Store, check_read_only

CBP = "cbp_sw_land_border_encounters"


@pytest.fixture()
def cbp_file(data_dir: Path) -> Path:
    return get_adapter(CBP).bundled_path(data_dir)


def _total(store: Store, table: str = "observations") -> float:
    row = store.con.execute(f"select coalesce(sum(value), 0) from {table} where source = ?", [CBP]).fetchone()  # noqa: S608
    assert row is not None
    return float(row[0])


def test_same_file_twice_changes_nothing(tmp_path: Path, cbp_file: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        first = load_file(store, get_adapter(CBP), cbp_file)
        version = store.version()
        second = load_file(store, get_adapter(CBP), cbp_file)
        assert not first.skipped and second.skipped
        assert store.version() == version
        assert store.con.execute("select count(*) from loads").fetchone() == (1,)
        assert store.con.execute("select count(*) from observations_history").fetchone() == (first.rows,)


def test_new_release_adds_and_previous_stays_queryable(tmp_path: Path, cbp_file: Path) -> None:
    adapter = get_adapter(CBP)
    with Store.open(tmp_path / "s.duckdb") as store:
        old = load_file(store, adapter, cbp_file, release=date(2025, 1, 1))
        new = load_file(store, adapter, cbp_file, release=date(2025, 9, 15))
        assert not new.skipped
        history = store.con.execute(
            "select release, count(*) from observations_history where source = ? group by 1 order by 1", [CBP]
        ).fetchall()
        assert history == [(date(2025, 1, 1), old.rows), (date(2025, 9, 15), new.rows)]
        latest = store.con.execute("select distinct release from observations where source = ?", [CBP]).fetchall()
        assert latest == [(date(2025, 9, 15),)]
        # Loading an older vintage later must not take over `observations`.
        load_file(store, adapter, cbp_file, release=date(2024, 6, 1))
        latest = store.con.execute("select distinct release from observations where source = ?", [CBP]).fetchall()
        assert latest == [(date(2025, 9, 15),)]


def test_every_row_has_lineage(tmp_path: Path, cbp_file: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        load_file(store, get_adapter(CBP), cbp_file)
        row = store.con.execute(
            "select count(*) filter (where source_file is null or source_row is null or load_id is null), "
            "min(source_row), max(source_row) from observations"
        ).fetchone()
    assert row == (0, 2, 1937)  # header is row 1; 1,936 data rows


def test_lineage_points_at_the_published_line(tmp_path: Path, cbp_file: Path) -> None:
    lines = cbp_file.read_text(encoding="utf-8").splitlines()
    with Store.open(tmp_path / "s.duckdb") as store:
        load_file(store, get_adapter(CBP), cbp_file)
        source_row, value = store.con.execute(
            "select source_row, value from observations order by value desc limit 1"
        ).fetchone()
    assert lines[source_row - 1].split(",")[-1] == str(int(value))


def test_read_only_store_refuses_writes(tmp_path: Path, cbp_file: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        load_file(store, get_adapter(CBP), cbp_file)
    with Store.open(path, read_only=True) as store, pytest.raises(duckdb.Error):
        store.con.execute("delete from loads")


@pytest.mark.parametrize(
    "sql",
    ["delete from loads", "drop table loads", "select 1; delete from loads", "attach 'x.db'",
     "copy observations to 'x.csv'", "insert into loads select * from loads", "pragma version"],
)
def test_sql_guard_refuses_anything_but_reads(sql: str) -> None:
    with pytest.raises(ReadOnlyViolation):
        check_read_only(sql)


@pytest.mark.parametrize(
    "sql", ["select 1", "  WITH x AS (select 1) select * from x;", "describe observations",
            "select ';' as semicolon_in_string"],
)
def test_sql_guard_accepts_reads(sql: str) -> None:
    check_read_only(sql)


def test_store_survives_copy_and_reopen(tmp_path: Path, cbp_file: Path) -> None:
    # The store is one self-contained file: a copy opens read-only with the same numbers,
    # and those numbers are the published file's own total.
    published = sum(int(line.rsplit(",", 1)[1]) for line in cbp_file.read_text(encoding="utf-8").splitlines()[1:])
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        load_file(store, get_adapter(CBP), cbp_file)
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    with Store.open(copy, read_only=True) as store:
        assert _total(store) == published
