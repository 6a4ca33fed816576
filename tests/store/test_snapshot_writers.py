"""Every command that writes to the store publishes a new snapshot: the one in force, which
servers are reading, is never written again (store/snapshots.py, docs/deployment.md)."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.data_commands import load_bundled_quietly
from observatorio.errors import PublishedSnapshotWrite
from observatorio.settings import get_settings
from observatorio.store import Store, snapshots

runner = CliRunner()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _in_force(db: Path) -> Path:
    return Path(os.path.realpath(db))


@pytest.fixture()
def empty_snapshot_store(tmp_path: Path) -> Path:
    """What ``observatorio release init`` makes of an absent store: one empty snapshot."""
    db = tmp_path / "var" / "observatorio.duckdb"
    assert snapshots.enable(db)
    return db


def test_opening_a_published_snapshot_for_writing_is_refused(empty_snapshot_store: Path) -> None:
    db = empty_snapshot_store
    snapshot = _in_force(db)
    before = _digest(snapshot)
    for path in (db, snapshot):  # the link and the file it points at
        with pytest.raises(PublishedSnapshotWrite) as caught:
            Store.open(path)
        assert snapshot.name in caught.value.message("es")
        assert "Nothing was changed" in caught.value.message("en")
    with Store.open(db, read_only=True) as store:  # readers are welcome
        assert store.version() == "empty"
    assert _digest(snapshot) == before


def test_forecast_store_publishes_a_new_snapshot(bundled_store_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "var" / "observatorio.duckdb"
    db.parent.mkdir()
    shutil.copyfile(bundled_store_path, db)
    assert snapshots.enable(db)
    old = _in_force(db)
    old_digest = _digest(old)
    with Store.open(db, read_only=True) as store:
        old_version = store.version()

    result = runner.invoke(app, ["--db", str(db), "--lang", "en", "forecast",
                                 "--series", "usbp.UNACCOMPANIED", "--horizon", "3"])

    assert result.exit_code == 0, result.output
    assert "Release stored" in result.stdout
    assert _digest(old) == old_digest  # the snapshot servers were reading is untouched
    assert _in_force(db) != old
    with Store.open(db, read_only=True) as store:
        runs = store.con.execute("SELECT count(*) FROM forecast_runs").fetchone()
        assert runs == (1,)
        assert store.version() != old_version  # the portal's caches see the new forecast


def test_forecast_on_an_empty_store_explains_and_writes_nothing(empty_snapshot_store: Path) -> None:
    db = empty_snapshot_store
    old = _in_force(db)
    before = _digest(old)
    for store_it in ("--store", "--no-store"):
        result = runner.invoke(app, ["--db", str(db), "--lang", "en", "forecast", "--series",
                                     "usbp", "--horizon", "3", store_it])
        # an empty store has nothing to forecast: a clear error, not a traceback
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert "too little history" in " ".join(result.output.split())
        assert "usbp.UNACCOMPANIED" in result.output
    assert _in_force(db) == old and _digest(old) == before
    assert len(snapshots.snapshots(db)) == 1


def test_serve_first_load_into_an_empty_snapshot_store_publishes(
    empty_snapshot_store: Path, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``serve`` loads the bundled files when the store holds no load yet, which is also the
    case of a store ``release init`` made before any load."""
    db = empty_snapshot_store
    old = _in_force(db)
    before = _digest(old)
    small = tmp_path / "data"
    shutil.copytree(data_dir / "worldbank_population", small / "worldbank_population")
    monkeypatch.setenv("OBSERVATORIO_DATA_DIR", str(small))
    get_settings.cache_clear()
    try:
        load_bundled_quietly(db, Console(file=io.StringIO()), "en")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert _digest(old) == before
    assert _in_force(db) != old
    with Store.open(db, read_only=True) as store:
        loads = store.con.execute("SELECT count(*) FROM loads").fetchone()
        assert loads is not None and loads[0] >= 1
