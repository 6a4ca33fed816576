"""The on-the-fly forecast runs in a child process (computed.py): its failures and a stop reach
the caller, and a stopped child is ended."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from observatorio.analysis.forecast.computed import ForecastChildFailed, compute_release
from observatorio.errors import ObservatorioError, StoreMissing


class Stopped(Exception):
    pass


def test_a_project_error_in_the_child_is_raised_here_as_itself(tmp_path: Path) -> None:
    """A missing store stays a StoreMissing (503, retriable), not a 500 naming the path."""
    store = SimpleNamespace(read_only=True, path=tmp_path / "missing.duckdb", limits=(64, 1))
    with pytest.raises(StoreMissing) as missing:
        compute_release(store)
    assert missing.value.http_status == 503 and missing.value.retriable


def test_any_other_failure_shows_nothing_of_the_child(tmp_path: Path) -> None:
    """A library's error in the child (here: a file that is no database) is a 500 whose message
    says only that the details are in the server's log."""
    garbage = tmp_path / "not-a-database.duckdb"
    garbage.write_text("secret /srv/path, pid 4242\n" * 100)
    with pytest.raises((ForecastChildFailed, ObservatorioError)) as failed:
        compute_release(SimpleNamespace(read_only=True, path=garbage, limits=None))
    for lang in ("es", "en"):
        assert "secret" not in failed.value.message(lang) and "4242" not in failed.value.message(lang)


def test_a_stop_from_progress_ends_the_child(bundled_store_path: Path) -> None:
    seen: list[str] = []

    def stop(series_id: str) -> None:
        seen.append(series_id)
        raise Stopped

    with pytest.raises(Stopped):
        compute_release(SimpleNamespace(read_only=True, path=bundled_store_path, limits=(64, 1)), progress=stop)
    assert len(seen) == 1  # the child was ended at its first series, nothing more was heard
