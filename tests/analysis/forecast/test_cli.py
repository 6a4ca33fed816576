"""``observatorio forecast``: formats, storing releases, bilingual errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from observatorio.cli import app

runner = CliRunner()


def test_json_without_storing(bundled_store_path: Path) -> None:
    result = runner.invoke(
        app, ["--db", str(bundled_store_path), "forecast", "--series", "usbp.MEX", "--horizon", "12",
              "--format", "json", "--no-store"],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["run_id"] is None
    rows = [r for r in payload["forecasts"] if r["freq"] == "M"]
    assert {r["series_id"] for r in rows} == {"usbp.MEX"}
    assert len(rows) == 12


def test_store_then_table(writable_store: Path) -> None:
    result = runner.invoke(app, ["--db", str(writable_store), "--lang", "en", "forecast",
                                 "--series", "usbp.UNACCOMPANIED", "--horizon", "6"])
    assert result.exit_code == 0, result.output
    assert "Release stored" in result.stdout
    csv = runner.invoke(app, ["--db", str(writable_store), "forecast", "--series", "usbp",
                              "--horizon", "3", "--format", "csv", "--no-store"])
    assert csv.exit_code == 0
    assert csv.stdout.splitlines()[0].startswith("series_id,freq,period,horizon")


def test_unknown_series_and_missing_store(tmp_path: Path, bundled_store_path: Path) -> None:
    bad = runner.invoke(app, ["--db", str(bundled_store_path), "forecast", "--series", "atlantis"])
    assert bad.exit_code == 2
    assert "atlantis" in bad.output
    missing = runner.invoke(app, ["--db", str(tmp_path / "none.duckdb"), "forecast"])
    assert missing.exit_code == 1
    assert "No existe el almacén" in missing.output


def test_table_numbers_follow_the_language(bundled_store_path: Path) -> None:
    """Spanish groups thousands with a point and writes "12 %", English with a comma: the
    table's means, intervals and probabilities and its headers follow ``--lang`` (they were
    English-style in both)."""
    args = ["forecast", "--series", "usbp.MEX", "--horizon", "3", "--no-store"]
    es = runner.invoke(app, ["--db", str(bundled_store_path), "--lang", "es", *args], terminal_width=200)
    en = runner.invoke(app, ["--db", str(bundled_store_path), "--lang", "en", *args], terminal_width=200)
    assert es.exit_code == 0 and en.exit_code == 0, es.output + en.output
    assert re.search(r"\d\.\d{3}–\d", es.stdout) and not re.search(r"\d,\d{3}", es.stdout)
    assert re.search(r"\d,\d{3}–\d", en.stdout) and not re.search(r"\d\.\d{3}\b", en.stdout)
    assert "Media" in es.stdout and "media / mean" not in es.stdout
    assert "Mean" in en.stdout
