"""Fixtures of the API tests: the app over the bundled store, and a store with vintages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from observatorio.loading import harmonize_file, load_file
from observatorio.publish.api.app import create_app
from observatorio.settings import Settings
from observatorio.sources.base import get_adapter
from observatorio.store import Store

from ..live_server import serving
from .helpers import CBP
from .officer_app import app_with_one_officer


def make_client(db: Path) -> TestClient:
    return TestClient(create_app(Settings(db=db)))


@pytest.fixture(scope="session")
def api_app(bundled_store_path: Path) -> FastAPI:
    """The application serving the bundled store."""
    return create_app(Settings(db=bundled_store_path))


@pytest.fixture(scope="session")
def client(api_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(api_app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_url(api_app: FastAPI) -> Iterator[str]:
    """The application over the bundled store behind a real uvicorn server on 127.0.0.1."""
    with serving(api_app) as url:
        yield url


@pytest.fixture(scope="session")
def loaded_sources(bundled_store_path: Path) -> set[str]:
    """The sources present in the bundled store (other adapters land over time)."""
    with Store.open(bundled_store_path, read_only=True) as store:
        return {r[0] for r in store.con.execute("SELECT DISTINCT source FROM loads").fetchall()}


def _frame(frame: pd.DataFrame, **changes: object) -> pd.DataFrame:
    out = frame.copy()
    for name, value in changes.items():
        out[name] = value
    return out


@pytest.fixture(scope="session")
def vintage_store_path(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """The real CBP file in two releases, a second source counting the same events, and a
    stock flow over two years: the material of the vintage and double-counting tests."""
    path = tmp_path_factory.mktemp("vintages") / "observatorio.duckdb"
    adapter = get_adapter(CBP)
    csv = adapter.bundled_path(data_dir)
    frame, problems, _ = harmonize_file(adapter, csv)
    assert not problems
    with Store.open(path) as store:
        # An older release (2024-01-01) where every count was 1 lower: a revision.
        older = _frame(frame, release=date(2024, 1, 1), value=frame["value"] - 1)
        store.load_frame(older, source=CBP, release=date(2024, 1, 1), source_file=csv.name,
                         sha256="old" * 20)
        load_file(store, adapter, csv)  # the bundled release, latest
        copy = _frame(frame.head(50), source="test_copy")
        store.load_frame(copy, source="test_copy", release=date(2025, 1, 1),
                         source_file="copy.csv", sha256="copy" * 16)
        stock = pd.DataFrame([
            {**frame.iloc[0].to_dict(), "source": "test_stock", "flow": "REFUGEE_STOCK",
             "unit": "PERSONS", "freq": "A", "period": date(year, 1, 1), "value": 100.0 * year,
             "citizenship": "HND", "age": "_T", "accompaniment": "_T", "attributes": "{}",
             "obs_status": "A", "release": date(2025, 6, 1), "dataflow": "FORCED_DISPLACEMENT"}
            for year in (2022, 2023)
        ])
        store.load_frame(stock, source="test_stock", release=date(2025, 6, 1),
                         source_file="stock.csv", sha256="stock" * 13)
    return path


@pytest.fixture(scope="session")
def vintage_client(vintage_store_path: Path) -> Iterator[TestClient]:
    with make_client(vintage_store_path) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def officer_app(bundled_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The whole app with a cases side holding one consular head (officer_app.py), per module."""
    with app_with_one_officer(bundled_store_path, tmp_path_factory.mktemp("officer")) as app:
        yield app


@pytest.fixture
def officer_client(officer_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(officer_app, follow_redirects=False) as c:
        yield c
