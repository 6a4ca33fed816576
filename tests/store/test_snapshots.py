"""Publication as a snapshot switch: atomic, embargo with an injected clock, rollback, and a
running application that switches between requests without a restart."""

from __future__ import annotations

import io
import os
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from observatorio.cli import app as cli
from observatorio.harmonize.problems import ValidationFailed
from observatorio.loading import load_file
from observatorio.publish.api.app import create_app
from observatorio.publish.api.store_access import StoreService
from observatorio.settings import Settings
from observatorio.store import Store, snapshots
from publish.snapshot_example import (  # tests/ is on sys.path (root conftest)
    FILE,
    MAPPING,
    SOURCE,
    T0,
    Clock,
    adapter,
    first_men,
    men_january,
    revised_file,
)


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    """A store with the example's first release, publishing through snapshots."""
    path = tmp_path / "var" / "observatorio.duckdb"
    with Store.open(path) as store:
        load_file(store, adapter(), FILE)
    assert snapshots.enable(path, Clock(T0))
    return path


def test_enable_keeps_the_data_and_links_the_store(db: Path) -> None:
    assert db.is_symlink() and len(snapshots.snapshots(db)) == 1
    assert men_january(db) > 0
    assert not snapshots.enable(db)  # twice: nothing more


def test_a_publication_is_a_new_snapshot_and_the_old_one_is_unchanged(db: Path, tmp_path: Path) -> None:
    old = Path(os.path.realpath(db))
    old_bytes = old.read_bytes()
    before = men_january(db)
    with snapshots.publishing(db) as store:
        load_file(store, adapter(), revised_file(tmp_path), date(2023, 8, 15))
    assert Path(os.path.realpath(db)) != old
    assert old.read_bytes() == old_bytes  # immutable
    assert men_january(db) == before + first_men()
    assert men_january(old) == before  # kept for rollback


def test_the_same_file_twice_makes_no_second_snapshot(db: Path) -> None:
    with snapshots.publishing(db) as store:
        assert load_file(store, adapter(), FILE).skipped
    assert len(snapshots.snapshots(db)) == 1
    assert not list(snapshots.folder_of(db).glob("*.partial*"))


def test_a_failed_load_leaves_no_snapshot_and_the_store_as_it_was(db: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_bytes(FILE.read_bytes().replace(b";Hombres;", b";Hombrez;"))
    current = os.path.realpath(db)
    with pytest.raises(ValidationFailed), snapshots.publishing(db) as store:
        load_file(store, adapter(), broken, date(2023, 8, 15))
    assert os.path.realpath(db) == current
    assert [p.name for p in snapshots.folder_of(db).iterdir() if not p.name.startswith(".")] == [
        Path(current).name]


def test_an_embargoed_publication_is_in_force_from_its_date_and_time(db: Path, tmp_path: Path) -> None:
    clock = Clock(T0)
    embargo = T0 + timedelta(hours=2)
    before_path = snapshots.in_force(db, clock())
    with snapshots.publishing(db, at=embargo, clock=clock) as store:
        load_file(store, adapter(), revised_file(tmp_path), date(2023, 8, 15))
    assert snapshots.in_force(db, clock()) == before_path
    assert snapshots.in_force(db, embargo - timedelta(seconds=1)) == before_path
    after = snapshots.in_force(db, embargo)
    assert after != before_path
    assert men_january(after) == men_january(before_path) + first_men()
    # a publication while one is embargoed waits for it, built on top of it
    with snapshots.publishing(db, clock=clock) as store:
        load_file(store, adapter(), revised_file(tmp_path, 3), date(2023, 9, 15))
    assert snapshots.in_force(db, clock()) == before_path
    assert men_january(snapshots.in_force(db, embargo)) == men_january(before_path) + 2 * first_men()
    assert snapshots.promote_due(db, embargo)
    assert Path(os.path.realpath(db)) == snapshots.in_force(db, embargo)
    assert snapshots.scheduled(db) == []


def test_rollback_returns_to_the_previous_snapshot_and_names_a_wrong_one(db: Path, tmp_path: Path) -> None:
    first = Path(os.path.realpath(db))
    with snapshots.publishing(db) as store:
        load_file(store, adapter(), revised_file(tmp_path), date(2023, 8, 15))
    runner = CliRunner()
    listed = runner.invoke(cli, ["--db", str(db), "--lang", "en", "release", "list"])
    assert listed.exit_code == 0 and "in force" in listed.output and first.name in listed.output
    wrong = runner.invoke(cli, ["--db", str(db), "--lang", "en", "release", "rollback", "--to", "nope"])
    assert wrong.exit_code == 1 and "there is no snapshot 'nope'" in wrong.output
    result = runner.invoke(cli, ["--db", str(db), "--lang", "en", "release", "rollback"])
    assert result.exit_code == 0, result.output
    assert Path(os.path.realpath(db)) == first
    again = runner.invoke(cli, ["--db", str(db), "--lang", "es", "release", "rollback"])
    assert again.exit_code == 1 and "no hay ninguna instantánea anterior" in again.output
    assert "Traceback" not in again.output


def test_load_from_the_command_line_publishes_a_snapshot(db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(db), "load", "--mapping", str(MAPPING), "--file",
                                      str(revised_file(tmp_path)), "--release", "2023-08-15"])
    assert result.exit_code == 0, result.output
    assert len(snapshots.snapshots(db)) == 2


def _figure(client: TestClient, **extra: str) -> float:
    answer = client.get("/api/v1/observations", params={
        "source": SOURCE, "sex": "M", "start": "2023-01", "end": "2023-01", "group_by": "sex",
        **extra})
    assert answer.status_code == 200, answer.text
    return float(answer.json()["data"][0]["value"])


def _portal_figure(client: TestClient) -> float:
    answer = client.get(f"/en/data/download/{SOURCE}.csv")
    assert answer.status_code == 200, answer.text
    frame = pd.read_csv(io.StringIO(answer.text))
    chosen = frame[(frame["sex"] == "M") & (frame["period"].astype(str).str.startswith("2023-01"))]
    return float(chosen["value"].sum())


def test_a_running_app_switches_between_requests_and_as_of_reads_the_old_release(
        db: Path, tmp_path: Path) -> None:
    clock = Clock(T0)
    embargo = T0 + timedelta(hours=1)
    application = create_app(Settings(db=db))
    application.state.store_service = StoreService(application.state.settings, clock)
    with TestClient(application) as client:
        old = _figure(client)
        with snapshots.publishing(db, at=embargo, clock=clock) as store:
            load_file(store, adapter(), revised_file(tmp_path), date(2023, 8, 15))
        assert _figure(client) == old  # embargoed
        assert _portal_figure(client) == old
        clock.now = embargo
        assert _figure(client) == old + first_men()  # no restart
        assert _portal_figure(client) == old + first_men()  # the portal too
        assert _figure(client, as_of="2023-07-31") == old
        assert Path(os.path.realpath(db)) == snapshots.in_force(db, embargo)  # the app promoted it
        snapshots.rollback(db)
        assert _figure(client) == old


def test_a_new_snapshots_warm_up_is_joined_at_shut_down(db: Path, tmp_path: Path) -> None:
    """The warm-up of a snapshot switched to while serving is no daemon thread (one still inside
    DuckDB when the interpreter finalises aborts the process) and shut-down joins it."""
    service = StoreService(Settings(db=db))
    service.current()
    with snapshots.publishing(db) as store:
        load_file(store, adapter(), revised_file(tmp_path), date(2023, 8, 15))
    service.current()  # the link moved: the new snapshot is read into memory in the background
    warm_ups = list(service._warm_ups)
    assert warm_ups and not any(t.daemon for t in warm_ups)
    service.close()
    assert not any(t.is_alive() for t in warm_ups)
    assert not service._warm_ups
