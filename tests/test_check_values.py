"""Every check value of data/SOURCES.md comes out of the store exactly, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatorio.cli import app

runner = CliRunner()

CBP = "cbp_sw_land_border_encounters"
DARIEN = "iom_gdidata.irreg_darien_nat"
APPLICATIONS = "unhcr_asylum_applications"

CHECKS = [
    pytest.param(
        f"select sum(value) from observations where source='{CBP}' "
        f"and period >= '{fy - 1}-10-01' and period < '{fy}-10-01'",
        expected,
        id=f"cbp-sw-fy{fy}",
    )
    for fy, expected in [(2022, 2378944), (2023, 2475669), (2024, 2135005)]
] + [
    pytest.param(
        f"select sum(value) from observations where source='{DARIEN}' and year(period) = {year}",
        expected,
        id=f"darien-{year}",
    )
    for year, expected in [(2021, 133726), (2022, 248284), (2023, 520085), (2024, 302203)]
] + [
    pytest.param(
        f"select sum(value) from observations where source='{APPLICATIONS}' "
        f"and citizenship='{origin}' and ref_area='{asylum}' and year(period) = {year}",
        expected,
        id=f"unhcr-applications-{origin}-{asylum}-{year}",
    )
    for origin, asylum, year, expected in [("HND", "USA", 2018, 26241), ("NIC", "CRI", 2019, 31757)]
]


@pytest.mark.parametrize(("query", "expected"), CHECKS)
def test_check_value(bundled_store_path: Path, query: str, expected: int) -> None:
    result = runner.invoke(app, ["--db", str(bundled_store_path), "sql", query, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == str(expected)


def test_quickstart_check_value_in_table_output(bundled_store_path: Path) -> None:
    query = CHECKS[0].values[0]
    result = runner.invoke(app, ["--db", str(bundled_store_path), "sql", query])
    assert result.exit_code == 0, result.output
    assert "2378944" in result.output
