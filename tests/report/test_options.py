"""Bulletin options: without ``--period`` a bulletin is for the newest month with data."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.report.options import BulletinError, latest_data_month
from observatorio.store import Store


def test_default_month_is_the_newest_with_data(bundled_store_path: Path) -> None:
    with Store.open(bundled_store_path, read_only=True) as store:
        assert latest_data_month(store) == "2025-08"  # CBP's own file runs to August 2025


def test_an_empty_store_says_what_to_do(tmp_path: Path) -> None:
    with Store.open(tmp_path / "empty.duckdb") as store, pytest.raises(BulletinError) as caught:
        latest_data_month(store)
    assert "observatorio load" in caught.value.message("es")
    assert "--period" in caught.value.message("en")


def test_report_without_period_uses_the_newest_month(tmp_path: Path) -> None:
    """It answered «» no es un mes válido: the option had no default."""
    db = tmp_path / "empty.duckdb"
    Store.open(db).close()
    result = CliRunner().invoke(app, ["--db", str(db), "report", "regional", "--format", "html",
                                      "--out", str(tmp_path / "b.html")])
    assert result.exit_code == 1
    assert "«»" not in result.output and "no tiene datos mensuales" in result.output
