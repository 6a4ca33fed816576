"""A load killed with SIGKILL at any moment leaves either no trace or the complete release.

A child process loads a big real file (the World Bank population CSV through the example
mapping, ~14,000 observations) into a store that already holds a CBP release; the test kills it
after a marker (right after BEGIN, after the INSERTs but before COMMIT) or after small delays,
then reopens the store.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from observatorio.loading import harmonize_file, load_file
from observatorio.sources.base import get_adapter
from observatorio.sources.mapping import MappingAdapter, load_mapping
from observatorio.store import Store

REPO = Path(__file__).resolve().parents[2]
MAPPING = REPO / "examples" / "mappings" / "worldbank_population.toml"
SOURCE = "example_worldbank_population"

CHILD = """
    from pathlib import Path
    from observatorio.loading import load_file
    from observatorio.sources.mapping import register_mapping_file

    db, mapping, data = sys.argv[2:5]
    adapter = register_mapping_file(Path(mapping))
    with Store.open(db) as store:
        print("READY", flush=True)
        load_file(store, adapter, Path(data))
    print("DONE", flush=True)
"""


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("kill") / "base.duckdb"
    with Store.open(path) as store:
        cbp = get_adapter("cbp_sw_land_border_encounters")
        load_file(store, cbp, cbp.bundled_path(data_dir))
    return path


@pytest.fixture(scope="module")
def expected_rows(data_dir: Path) -> int:
    frame, problems, _ = harmonize_file(MappingAdapter(load_mapping(MAPPING), MAPPING),
                                        data_dir / "worldbank_population" / "population.csv")
    assert not problems
    return len(frame)


_rng = random.Random(20261127)
MODES = ["in_transaction", "before_commit", "delay:0", *(f"delay:{_rng.uniform(0.05, 2.0):.2f}" for _ in range(3))]


@pytest.mark.parametrize("mode", MODES)
def test_killed_load_leaves_nothing_or_everything(
    base_store: Path, expected_rows: int, data_dir: Path, tmp_path: Path, mode: str,
    run_and_kill: Callable[[str, list[str], str], list[str]],
) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copy(base_store, db)
    markers = run_and_kill(CHILD, [str(db), str(MAPPING), str(data_dir / "worldbank_population" / "population.csv")],
                           mode)
    assert "READY" in markers
    if mode in ("in_transaction", "before_commit"):
        assert "DONE" not in markers  # killed inside the transaction, before COMMIT
    with Store.open(db) as store:  # it still opens (DuckDB replays or drops its WAL)
        loads = store.con.execute(
            "SELECT load_id, rows, is_latest FROM loads WHERE source = ?", [SOURCE]).fetchall()
        history = store.con.execute(
            "SELECT load_id, count(*) FROM observations_history WHERE source = ? GROUP BY 1",
            [SOURCE]).fetchall()
        visible = store.con.execute(
            "SELECT count(*) FROM observations WHERE source = ?", [SOURCE]).fetchone()
        cbp = store.con.execute(
            "SELECT count(*) FROM observations WHERE source = 'cbp_sw_land_border_encounters'").fetchone()
        cbp_loads = store.con.execute(
            "SELECT count(*) FROM loads WHERE source = 'cbp_sw_land_border_encounters'").fetchone()
        assert cbp == (1936,) and cbp_loads == (1,)
        if not loads:
            assert history == [] and visible == (0,), f"partial load after kill ({mode})"
        else:
            ((load_id, rows, is_latest),) = loads
            assert rows == expected_rows and is_latest
            assert history == [(load_id, expected_rows)] and visible == (expected_rows,)
        if mode in ("in_transaction", "before_commit"):
            assert not loads
        # The store still works: the same load now completes (or is recognised as done).
        adapter = MappingAdapter(load_mapping(MAPPING), MAPPING)
        result = load_file(store, adapter, data_dir / "worldbank_population" / "population.csv")
        assert result.skipped == bool(loads)
        assert store.con.execute("SELECT count(*) FROM observations WHERE source = ?",
                                 [SOURCE]).fetchone() == (expected_rows,)
