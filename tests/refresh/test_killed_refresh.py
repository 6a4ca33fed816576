"""A refresh killed with SIGKILL at any moment leaves the store as it was, or with the whole new
release (its rows, its change report and the source's refresh state together).

The store holds a World Bank release refreshed from the imitated publisher; the publisher then
revises a value, and a child process runs ``observatorio refresh worldbank_population``; the test
kills it right after BEGIN, just before COMMIT, or after small delays (pattern of
tests/harmonize/test_killed_load.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.store import Store

from .publishers import Publishers, _read_csv

SOURCE = "worldbank_population"
CHILD = """
    from observatorio.cli import app

    db, declarations = sys.argv[2:4]
    print("READY", flush=True)
    try:
        app(["--db", db, "refresh", "worldbank_population", "--discovery", declarations, "--no-mail"])
    finally:
        print("DONE", flush=True)
"""

_rng = random.Random(20261204)
MODES = ["in_transaction", "before_commit", "delay:0", *(f"delay:{_rng.uniform(0.2, 3.0):.2f}" for _ in range(3))]


def _state(db: Path) -> tuple[list, list, list, list]:
    with Store.open(db, read_only=True) as store:
        q = store.con.execute
        return (
            q("SELECT load_id, rows, is_latest FROM loads WHERE source = ? ORDER BY loaded_at", [SOURCE]).fetchall(),
            q("SELECT load_id, count(*) FROM observations_history GROUP BY 1 ORDER BY 1").fetchall(),
            q("SELECT load_id, revised FROM release_changes ORDER BY 1").fetchall(),
            q("SELECT result, load_id FROM refresh_state WHERE source = ?", [SOURCE]).fetchall(),
        )


@pytest.mark.parametrize("mode", MODES)
def test_killed_refresh_leaves_the_store_as_it_was_or_complete(
    localhost_only: None, publishers: tuple[Publishers, str], declarations: Path,
    tmp_path: Path, data_dir: Path, mode: str, run_and_kill: Callable[[str, list[str], str], list[str]],
) -> None:
    state, _ = publishers
    db = tmp_path / "store.duckdb"
    result = CliRunner().invoke(app, ["--db", str(db), "refresh", SOURCE, "--discovery", str(declarations)])
    assert result.exit_code == 0, result.output
    before = _state(db)
    rows = _read_csv(data_dir / "worldbank_population" / "population.csv")
    next(r for r in rows if r["Country Code"] == "GTM" and r["Year"] == "2022")["Value"] = "1"
    state.publish_worldbank(rows, updated="2026-02-01")

    seen = run_and_kill(CHILD, [str(db), str(declarations)], mode)
    assert "READY" in seen

    after = _state(db)
    if mode in ("in_transaction", "before_commit"):
        assert "DONE" not in seen
        assert after == before, f"partial refresh after kill ({mode})"
    if after != before:  # the kill came after COMMIT: the whole release and its report
        loads, history, changes, refresh_state = after
        assert len(loads) == 2 and loads[0][0] == before[0][0][0] and loads[1][2]
        new_id = loads[1][0]
        assert dict(history)[new_id] == loads[1][1]
        assert (new_id, 1) in changes
        assert refresh_state == [("loaded", new_id)]
    # The store still works: the refresh now completes (or finds nothing new).
    result = CliRunner().invoke(app, ["--db", str(db), "refresh", SOURCE, "--discovery", str(declarations)])
    assert result.exit_code == 0, result.output
    loads = _state(db)[0]
    assert len(loads) == 2 and loads[-1][2]
