"""``observations_latest``: the latest release materialised in every load's own transaction,
rebuilt for stores from before it, and never read when another schema may have left it stale."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from observatorio.loading import load_file
from observatorio.model.dimensions import LATEST_ORDER
from observatorio.sources.base import get_adapter
from observatorio.store import Store
from observatorio.store.query import ObservationQuery, StoreCatalogue
from observatorio.store.schema import LATEST_TABLE_KEY

CBP = "cbp_sw_land_border_encounters"
FY2022 = 2_378_944
OLD_VIEW = """CREATE OR REPLACE VIEW observations AS
SELECT h.*
FROM observations_history h
WHERE h.load_id IN (SELECT load_id FROM loads WHERE is_latest)"""


@pytest.fixture()
def cbp_file(data_dir: Path) -> Path:
    return get_adapter(CBP).bundled_path(data_dir)


def _latest_rows(store: Store) -> list[tuple[object, ...]]:
    """The rows the old view would show: those of the loads marked latest."""
    return store.con.execute(
        "SELECT * FROM observations_history WHERE load_id IN "
        "(SELECT load_id FROM loads WHERE is_latest) ORDER BY ALL").fetchall()


def _table_rows(store: Store) -> list[tuple[object, ...]]:
    return store.con.execute("SELECT * FROM observations_latest ORDER BY ALL").fetchall()


def _fy2022(store: Store) -> float:
    query = ObservationQuery.build(filters={"source": [CBP]}, start="2021-10", end="2022-09",
                                   group_by=["source"])
    return float(query.run(store).column("value")[0].as_py())


def test_the_table_follows_every_release(tmp_path: Path, cbp_file: Path) -> None:
    adapter = get_adapter(CBP)
    with Store.open(tmp_path / "s.duckdb") as store:
        load_file(store, adapter, cbp_file, release=date(2025, 1, 1))
        assert _table_rows(store) == _latest_rows(store) != []
        load_file(store, adapter, cbp_file, release=date(2025, 9, 15))  # a new release
        assert _table_rows(store) == _latest_rows(store)
        releases = store.con.execute("SELECT DISTINCT release FROM observations_latest").fetchall()
        assert releases == [(date(2025, 9, 15),)]
        load_file(store, adapter, cbp_file, release=date(2024, 6, 1))  # an older vintage
        assert _table_rows(store) == _latest_rows(store)
        assert store.con.execute("SELECT count(*) FROM observations").fetchone() == (1936,)
        # the view is the table
        assert (store.con.execute("SELECT * FROM observations ORDER BY ALL").fetchall()
                == _table_rows(store))


def test_rows_are_kept_in_latest_order(tmp_path: Path, cbp_file: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        load_file(store, get_adapter(CBP), cbp_file)
        cols = ", ".join(f'"{c}"' for c in LATEST_ORDER)
        stored = store.con.execute(f"SELECT {cols} FROM observations_latest").fetchall()  # noqa: S608
        ordered = store.con.execute(
            f"SELECT {cols} FROM observations_latest ORDER BY {cols}").fetchall()  # noqa: S608
        assert stored == ordered


def test_a_failed_load_leaves_the_table_as_it_was(tmp_path: Path, cbp_file: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = get_adapter(CBP)
    with Store.open(tmp_path / "s.duckdb") as store:
        load_file(store, adapter, cbp_file, release=date(2025, 1, 1))
        before = _table_rows(store)

        def fail() -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(store, "_bump_version", fail)  # the transaction's last step
        with pytest.raises(RuntimeError):
            load_file(store, adapter, cbp_file, release=date(2025, 9, 15))
        assert _table_rows(store) == before
        assert store.con.execute("SELECT count(*) FROM loads").fetchone() == (1,)


def _make_old(path: Path) -> None:
    """Turn a store into one written before observations_latest existed."""
    with Store.open(path) as store:
        store.con.execute("BEGIN TRANSACTION")
        store.con.execute(OLD_VIEW)
        store.con.execute("DROP TABLE observations_latest")
        store.con.execute("DELETE FROM store_meta WHERE key = ?", [LATEST_TABLE_KEY])
        store.con.execute("UPDATE store_meta SET value = 'an older schema' WHERE key = 'ddl_sha256'")
        store.con.execute("COMMIT")


def test_an_old_store_is_read_as_before_and_upgraded_when_opened_for_writing(
    tmp_path: Path, cbp_file: Path
) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        load_file(store, get_adapter(CBP), cbp_file)
    _make_old(path)
    with Store.open(path, read_only=True) as store:  # what a server does: cannot upgrade
        assert not StoreCatalogue.of(store).latest_table
        assert _fy2022(store) == FY2022
        tables = {r[0] for r in store.con.execute("SHOW TABLES").fetchall()}
        assert "observations_latest" not in tables
    with Store.open(path) as store:  # what a load does: the upgrade, in one transaction
        assert _table_rows(store) == _latest_rows(store) != []
    with Store.open(path, read_only=True) as store:
        assert StoreCatalogue.of(store).latest_table
        assert _fy2022(store) == FY2022


def test_a_table_another_schema_kept_is_not_trusted(tmp_path: Path, cbp_file: Path) -> None:
    # Another (older) program loaded into the store without keeping observations_latest: its
    # schema hash replaced ours, so the marker no longer matches and the history is read.
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        load_file(store, get_adapter(CBP), cbp_file)
        store.con.execute("DELETE FROM observations_latest")  # stale
        store.con.execute("UPDATE store_meta SET value = 'another' WHERE key = 'ddl_sha256'")
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    with Store.open(copy, read_only=True) as store:
        assert not StoreCatalogue.of(store).latest_table
        assert _fy2022(store) == FY2022
    with Store.open(path) as store:  # opened for writing again: rebuilt
        assert _table_rows(store) == _latest_rows(store) != []
