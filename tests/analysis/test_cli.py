"""The ``indicators``, ``roles``, ``profile`` and ``mirror`` commands on the bundled store."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from observatorio import data_commands
from observatorio.analysis import cli as analysis_cli
from observatorio.cli import app

runner = CliRunner()


def run(store: Path, *args: str) -> str:
    result = runner.invoke(app, ["--db", str(store), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_roles_json_for_one_country(analysis_store_path: Path) -> None:
    records = json.loads(run(analysis_store_path, "roles", "--country", "pan", "--format", "json"))
    assert [r["country"] for r in records] == ["PAN"]
    assert "transit" in records[0]["roles_held"]
    assert records[0]["roles"][0]["name"] == "Origen"  # Spanish by default


def test_roles_csv_and_table_in_english(analysis_store_path: Path) -> None:
    frame = pd.read_csv(io.StringIO(run(analysis_store_path, "roles", "--year", "2023", "--format", "csv")))
    assert len(frame) == 11 * 4 and set(frame["year"]) == {2023}
    held = frame[frame["held"]]
    assert ("MEX", "transit") in set(zip(held["country"], held["role"], strict=True))
    table = run(analysis_store_path, "--lang", "en", "roles", "--country", "CRI")
    assert "Destination" in table and "no data" in table


def test_mirror_annual_csv(analysis_store_path: Path) -> None:
    out = run(analysis_store_path, "mirror", "--freq", "A", "--pair", "gtm_mex_returns", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    row = frame[frame["period"] == "2021-01-01"].iloc[0]
    assert (row["a"], row["b"], row["gap"]) == (45_714, 53_156, 7_442)


def test_mirror_table_lists_reasons(analysis_store_path: Path) -> None:
    out = run(analysis_store_path, "--lang", "en", "mirror", "--freq", "A", "--pair", "gtm_mex_returns")
    assert "45,714" in out and "53,156" in out and "events" in out


def test_profile_json_and_table(analysis_store_path: Path) -> None:
    prof = json.loads(run(analysis_store_path, "profile", "gtm", "--format", "json"))
    assert prof["country"] == "GTM" and "return" in prof["roles_held"]
    table = run(analysis_store_path, "profile", "HND")
    assert "Honduras" in table and "Retorno" in table


def test_indicators_catalogue_and_values(analysis_store_path: Path) -> None:
    catalogue = json.loads(run(analysis_store_path, "--lang", "en", "indicators", "--format", "json"))
    assert {"encounters_abroad", "recognition_rate_received", "dead_missing_americas"} <= {c["id"] for c in catalogue}
    out = run(analysis_store_path, "indicators", "returns_received", "--country", "GTM", "--freq", "A",
              "--from", "2021", "--to", "2021", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame["period"]) == ["2021-01-01"]


def test_errors_are_bilingual_and_exit_1(analysis_store_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(analysis_store_path), "roles", "--country", "XXX"])
    assert result.exit_code == 1 and "no es un país miembro" in result.output
    result = runner.invoke(app, ["--db", str(analysis_store_path), "--lang", "en", "indicators", "nope"])
    assert result.exit_code == 1 and "unknown indicator" in result.output
    result = runner.invoke(app, ["--db", str(analysis_store_path), "indicators", "population", "--freq", "M"])
    assert result.exit_code == 1


# -- reading at 80 columns, --lang anywhere (#11 item 16) -----------------------------------------


@pytest.fixture()
def eighty_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tables printed as on an 80-column terminal, whatever the test runner's width."""
    for module in (data_commands, analysis_cli):
        monkeypatch.setattr(module.console, "_width", 80)


@pytest.mark.parametrize("args", [("profile", "GTM", "--lang", "en"), ("profile", "GTM", "--lang=en"),
                                  ("--lang", "en", "profile", "GTM")])
def test_lang_before_or_after_the_command(analysis_store_path: Path, args: tuple[str, ...]) -> None:
    out = run(analysis_store_path, *args)
    assert "Profile of Guatemala" in out and "Perfil" not in out


def test_roles_table_is_readable_at_80_columns(analysis_store_path: Path, eighty_columns: None) -> None:
    out = run(analysis_store_path, "roles", "--lang", "en")
    assert max(len(line) for line in out.splitlines()) <= 80
    assert not re.findall(r"[a-z]+_[a-z0-9_]+", out), "raw indicator or source ids in the table"
    assert "Immigrant population" in " ".join(out.split())  # the indicator's name instead


def test_sources_table_fits_80_columns_without_microseconds(analysis_store_path: Path,
                                                             eighty_columns: None) -> None:
    out = run(analysis_store_path, "sources", "--lang", "en")
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "Release" in out and "cbp_sw_land_border_enc" in out
    loaded = pd.read_csv(io.StringIO(run(analysis_store_path, "sources", "--format", "csv")))["loaded_at"]
    assert all(len(v) == len("2026-01-01 10:00:00") for v in loaded), list(loaded)[:3]


def test_role_scores_use_the_language_decimal_mark(analysis_store_path: Path) -> None:
    """Scores were written "0.53" in the Spanish table too."""
    es = run(analysis_store_path, "roles", "--country", "MEX", "--year", "2023")
    en = run(analysis_store_path, "--lang", "en", "roles", "--country", "MEX", "--year", "2023")
    assert re.search(r"\b\d,\d\d\b", es) and not re.search(r"\b\d\.\d\d\b", es)
    assert re.search(r"\b\d\.\d\d\b", en)
