"""Fixtures shared by the whole suite: the real bundled data and one store loaded from it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from observatorio.loading import load_bundled
from observatorio.settings import get_settings
from observatorio.store import Store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The bundled published files (``data/`` in the repository), unchanged."""
    return get_settings().data_path


@pytest.fixture(scope="session")
def bundled_store_path(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A DuckDB store with every bundled source loaded once for the whole test session."""
    path = tmp_path_factory.mktemp("store") / "observatorio.duckdb"
    with Store.open(path) as store:
        load_bundled(store, data_dir=data_dir)
    return path


@pytest.fixture()
def bundled_store(bundled_store_path: Path) -> Iterator[Store]:
    """The session store opened read-only."""
    with Store.open(bundled_store_path, read_only=True) as store:
        yield store
