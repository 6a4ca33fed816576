"""Forecasts in a bulletin: from the stored release, stated relative to the data month."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.report.context import BulletinContext
from observatorio.report.model import Section
from observatorio.report.options import BulletinOptions
from observatorio.report.shared_sections import forecast_section
from observatorio.report.svg import render_svg
from observatorio.settings import Settings
from observatorio.store import Store


def test_forecast_is_said_relative_to_the_data_month(bundled_store_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "with-forecast.duckdb"
    shutil.copy(bundled_store_path, path)
    stored = CliRunner().invoke(app, ["--db", str(path), "forecast", "--series", "darien",
                                      "--store", "--format", "json"])
    assert stored.exit_code == 0, stored.output
    with Store.open(path, read_only=True) as store:
        def section(period: str) -> Section:
            ctx = BulletinContext(store, Settings(db=path),
                                  BulletinOptions.parse("regional", None, period, "en", "pdf"))
            return forecast_section(ctx, ["cbp_sw", "darien"], None)

        later = section("2025-06")
        assert [c.kind for c in later.charts] == ["forecast"]
        assert "Forecast made from data up to Apr 2025" in later.paragraphs[0]
        assert "(2 months later)" in later.paragraphs[0]
        assert any("80%" in p for p in later.paragraphs)  # the caveat
        assert render_svg(later.charts[0]).startswith("<svg")
        # a bulletin for a month before the forecast's data never shows it
        earlier = section("2024-03")
        assert not earlier.charts and "it is left out" in earlier.paragraphs[0]
