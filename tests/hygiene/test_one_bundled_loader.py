"""One function loads the bundled set (``loading.load_bundled_files``): ``observatorio load``,
``serve``'s first start and the test stores all go through it."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

import observatorio
from observatorio.errors import FileNotFound
from observatorio.loading import load_bundled, load_bundled_files
from observatorio.sources.base import get_adapter
from observatorio.store import Store

PACKAGE = Path(observatorio.__file__).resolve().parent
SMALL = ("iom_gdidata.irreg_honduras", "iom_gdidata.irreg_guatemala")


@pytest.fixture()
def half_data(tmp_path: Path, data_dir: Path) -> Path:
    """A data folder holding the second source's file only (the first one's is missing)."""
    folder = tmp_path / "data"
    second = get_adapter(SMALL[1])
    for path in second.bundled_paths(data_dir):
        target = folder / path.relative_to(data_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return folder


def test_a_failing_file_is_reported_and_the_next_one_loads(tmp_path: Path, half_data: Path) -> None:
    adapters = [get_adapter(s) for s in SMALL]
    started: list[str] = []
    finished: list[str] = []
    with Store.open(tmp_path / "s.duckdb") as store:
        outcomes = list(load_bundled_files(store, adapters, half_data,
                                           starting=lambda a: started.append(a.info.id),
                                           finished=lambda a: finished.append(a.info.id)))
        loaded = store.con.execute("SELECT DISTINCT source FROM loads").fetchall()
    assert started == finished == list(SMALL)
    assert isinstance(outcomes[0].error, FileNotFound) and outcomes[0].result is None
    assert outcomes[1].error is None and outcomes[1].result is not None and outcomes[1].result.rows > 0
    assert loaded == [(SMALL[1],)]


def test_load_bundled_stops_at_the_first_failure(tmp_path: Path, half_data: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        with pytest.raises(FileNotFound):
            load_bundled(store, [get_adapter(s) for s in SMALL], half_data)
        assert store.con.execute("SELECT count(*) FROM loads").fetchall() == [(0,)]


def test_only_loading_walks_the_bundled_files() -> None:
    """No second loop over ``bundled_paths``: outside the adapters, only loading.py calls it."""
    callers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(PACKAGE / "sources") or path == PACKAGE / "loading.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        callers += [f"{path.relative_to(PACKAGE)}:{node.lineno}" for node in ast.walk(tree)
                    if isinstance(node, ast.Attribute) and node.attr == "bundled_paths"]
    assert not callers, "load through observatorio.loading.load_bundled_files: " + ", ".join(callers)
