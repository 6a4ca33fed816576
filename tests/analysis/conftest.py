"""Fixtures of the analysis tests: one indicator engine over the bundled store for the session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from observatorio.analysis.indicators import IndicatorEngine
from observatorio.store import Store


@pytest.fixture(scope="session")
def analysis_store_path(request: pytest.FixtureRequest) -> Path:
    """The bundled store (``OBSERVATORIO_ANALYSIS_TEST_DB`` reuses a store already loaded from it)."""
    reuse = os.environ.get("OBSERVATORIO_ANALYSIS_TEST_DB")
    if reuse:
        return Path(reuse)
    path: Path = request.getfixturevalue("bundled_store_path")
    return path


@pytest.fixture(scope="session")
def analysis_engine(analysis_store_path: Path) -> Iterator[IndicatorEngine]:
    """An engine over the store, shared by the session so each selection is read once."""
    with Store.open(analysis_store_path, read_only=True) as store:
        yield IndicatorEngine(store.con)
