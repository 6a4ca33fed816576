"""The on-the-fly forecast runs in a child process (computed.py): its failures and a stop reach
the caller, and a stopped child is ended."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from observatorio.analysis.forecast.computed import ForecastChildFailed, compute_release


class Stopped(Exception):
    pass


def test_a_failure_in_the_child_is_raised_here(tmp_path: Path) -> None:
    store = SimpleNamespace(read_only=True, path=tmp_path / "missing.duckdb")
    with pytest.raises(ForecastChildFailed, match="StoreMissing"):  # with the child's traceback
        compute_release(store)


def test_a_stop_from_progress_ends_the_child(bundled_store_path: Path) -> None:
    seen: list[str] = []

    def stop(series_id: str) -> None:
        seen.append(series_id)
        raise Stopped

    with pytest.raises(Stopped):
        compute_release(SimpleNamespace(read_only=True, path=bundled_store_path), progress=stop)
    assert len(seen) == 1  # the child was ended at its first series, nothing more was heard
