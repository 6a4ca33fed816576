"""The store's load path: a repeated load is refused by the primary key of ``loads`` (no second
look-up), the metadata keys are written once each, and a frame Arrow cannot type loads exactly
as one it can."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from observatorio.loading import harmonize_file
from observatorio.sources.base import get_adapter
from observatorio.store import LoadResult, Store, file_sha256
from observatorio.store.frames import _as_arrow
from observatorio.store.loads import LoadNotStored, scratch_view
from observatorio.store.schema import LATEST_TABLE_KEY

CBP = "cbp_sw_land_border_encounters"


@pytest.fixture(scope="module")
def cbp_frame(data_dir: Path) -> tuple[pd.DataFrame, str, date]:
    path = get_adapter(CBP).bundled_path(data_dir)
    frame, problems, release = harmonize_file(get_adapter(CBP), path)
    assert not problems
    return frame, file_sha256(path), release


def _load(store: Store, frame: pd.DataFrame, sha: str, release: date, **kwargs: Any) -> LoadResult:
    return store.load_frame(frame, source=CBP, release=release, source_file="f.csv", sha256=sha,
                            **kwargs)


def _counts(store: Store) -> tuple[object, ...]:
    return tuple(store.con.execute(f"SELECT count(*) FROM {t}").fetchone()  # noqa: S608
                 for t in ("loads", "observations_history", "observations_latest", "sources",
                           "load_warnings"))


def test_the_same_frame_twice_is_skipped_without_a_trace(
        tmp_path: Path, cbp_frame: tuple[pd.DataFrame, str, date]) -> None:
    frame, sha, release = cbp_frame
    with Store.open(tmp_path / "s.duckdb") as store:
        first = _load(store, frame, sha, release, source_meta={"publisher": "CBP"})
        version, counts = store.version(), _counts(store)
        second = _load(store, frame, sha, release, source_meta={"publisher": "CBP"})
        assert not first.skipped and second.skipped
        assert (second.load_id, second.rows) == (first.load_id, 0)
        assert store.version() == version and _counts(store) == counts
        # the refused transaction was rolled back: the store takes the next release
        newer = _load(store, frame, sha, date(release.year + 1, 1, 1))
        assert not newer.skipped
        assert store.con.execute("SELECT count(*) FROM loads").fetchone() == (2,)


def test_another_broken_constraint_is_raised_and_nothing_is_written(
        tmp_path: Path, cbp_frame: tuple[pd.DataFrame, str, date]) -> None:
    frame, sha, release = cbp_frame
    with Store.open(tmp_path / "s.duckdb") as store:
        before = _counts(store)

        def clash(load_id: str) -> None:  # a record of the load that breaks another key
            store.con.execute("INSERT INTO store_meta VALUES ('schema_version', 'x')")

        with pytest.raises(LoadNotStored) as refused:
            _load(store, frame, sha, release, also=clash)
        assert refused.value.step == "also" and isinstance(refused.value.__cause__, duckdb.ConstraintException)
        assert _counts(store) == before
        assert not _load(store, frame, sha, release).skipped  # it was not taken for a repeat


def _warnings(count: int) -> pd.DataFrame:
    """``count`` well-formed warning rows as ``loading.warning_rows`` makes them."""
    return pd.DataFrame({
        "seq": pd.Series(range(1, count + 1), dtype="int32"), "rule": ["negative_value"] * count,
        "source_row": pd.Series(range(2, count + 2), dtype="Int64"), "source_column": ["value"] * count,
        "source_value": ["-1"] * count, "details": ["{}"] * count,
        "message_es": ["valor negativo"] * count, "message_en": ["negative value"] * count,
    })


@pytest.mark.parametrize(("broken", "refusal"), [
    ({"seq": pd.Series([1, 1], dtype="int32")}, "constraint"),  # two warnings with one key
    ({"rule": [None, "negative_value"]}, "NOT NULL"),  # a warning without its rule
    ({"source_row": ["2", "row three"]}, "Conversion"),  # a row number that is not one
])
def test_broken_warnings_refuse_the_whole_load_and_say_where(
        tmp_path: Path, cbp_frame: tuple[pd.DataFrame, str, date], broken: dict[str, Any],
        refusal: str) -> None:
    """The warnings go in after the rows: a warning the store refuses rolls the rows back too,
    and the error names the source, release, file and table, says nothing was written and what
    to do (was DuckDB's bare error, naming no table and no file)."""
    frame, sha, release = cbp_frame
    with Store.open(tmp_path / "s.duckdb") as store:
        before, version = _counts(store), store.version()
        with pytest.raises(LoadNotStored) as refused:
            _load(store, frame, sha, release, warnings=_warnings(2).assign(**broken))
        assert _counts(store) == before and store.version() == version
        assert refused.value.step == "load_warnings"
        assert store.con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name LIKE 'incoming%'"
                                 ).fetchone() == (0,)  # the failed load's data is not held on to
        es, en = refused.value.message("es"), refused.value.message("en")
        assert CBP in es and "f.csv" in es and "load_warnings" in es and "no cambió" in es
        assert refusal.lower() in en.lower() and "report it" in en
        assert not _load(store, frame, sha, release, warnings=_warnings(2)).skipped  # then it loads
        assert store.con.execute("SELECT count(*) FROM load_warnings").fetchone() == (2,)


def test_metadata_keys_are_written_once_each(
        tmp_path: Path, cbp_frame: tuple[pd.DataFrame, str, date]) -> None:
    frame, sha, release = cbp_frame
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        _load(store, frame, sha, release, source_meta={"publisher": "CBP"})
        first = store.version()
        _load(store, frame, sha, date(release.year + 1, 1, 1), source_meta={"publisher": "US CBP"})
        assert store.version() != first
        keys = store.con.execute("SELECT key FROM store_meta ORDER BY key").fetchall()
        assert keys == sorted([("ddl_sha256",), (LATEST_TABLE_KEY,), ("schema_version",), ("version",)])
        assert store.con.execute("SELECT source, publisher FROM sources").fetchall() == [(CBP, "US CBP")]
    size = path.read_bytes()
    with Store.open(path):  # the schema is current: opening for writing writes nothing
        pass
    assert path.read_bytes() == size


def test_a_frame_arrow_cannot_type_is_stored_the_same(
        tmp_path: Path, cbp_frame: tuple[pd.DataFrame, str, date]) -> None:
    frame, sha, release = cbp_frame
    # Timestamps for dates and a column mixing numbers and text: handed to DuckDB as pandas.
    rows = frame["source_row"].astype(object)
    rows.iloc[1] = str(rows.iloc[1])
    odd = frame.assign(period=pd.to_datetime(frame["period"]), source_row=rows)
    assert isinstance(_as_arrow(odd), pd.DataFrame)
    assert not isinstance(_as_arrow(frame), pd.DataFrame)
    cols = "* EXCLUDE (loaded_at)"
    stored = []
    for name, given in (("arrow", frame), ("pandas", odd)):
        with Store.open(tmp_path / f"{name}.duckdb") as store:
            _load(store, given, sha, release)
            stored.append(store.con.execute(f"SELECT {cols} FROM observations_latest").fetchall())  # noqa: S608
    assert stored[0] == stored[1] != []


def test_a_refused_record_written_with_the_load_keeps_its_own_error(
        tmp_path: Path, cbp_frame: tuple[pd.DataFrame, str, date]) -> None:
    """A record the load's ``also`` writes from registered data (a refresh's change cells, its
    requests) that the store refuses: the broken key is what surfaces, not DuckDB's "transaction
    is aborted" from unregistering the data, and the data is not held after the rollback."""
    frame, sha, release = cbp_frame
    with Store.open(tmp_path / "s.duckdb") as store:
        def clash(load_id: str) -> None:
            rows = pd.DataFrame({"key": ["schema_version"], "value": ["x"]})
            with scratch_view(store.con, "clashing_meta", rows):
                store.con.execute("INSERT INTO store_meta SELECT key, value FROM clashing_meta")

        with pytest.raises(LoadNotStored) as refused:
            _load(store, frame, sha, release, also=clash)
        assert refused.value.step == "also" and isinstance(refused.value.__cause__, duckdb.ConstraintException)
        assert store.con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'clashing_meta'"
                                 ).fetchone() == (0,)
