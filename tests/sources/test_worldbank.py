"""World Bank total population (SP.POP.TOTL) from the bundled CSV."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from observatorio.harmonize.problems import Problems
from observatorio.loading import harmonize_file, load_file
from observatorio.model.codelists import CRM_MEMBERS
from observatorio.sources.adapters.worldbank import AGGREGATES, SKIPPED, Population, skipped_codes
from observatorio.sources.readers import read_csv
from observatorio.store import Store

# The adapter class itself (not the registry): these tests do not depend on other adapters.
ADAPTER = Population()


@pytest.fixture(scope="module")
def harmonized(data_dir: Path) -> pd.DataFrame:
    frame, problems, _ = harmonize_file(ADAPTER, ADAPTER.bundled_path(data_dir))
    assert not problems, problems.render("en")
    return frame


@pytest.fixture(scope="module")
def raw(data_dir: Path) -> pd.DataFrame:
    frame = read_csv(ADAPTER.bundled_path(data_dir), Problems("population.csv"))
    assert frame is not None
    return frame


def test_crlf_file_reads_whole(raw: pd.DataFrame, data_dir: Path) -> None:
    assert b"\r\n" in ADAPTER.bundled_path(data_dir).read_bytes()[:200]
    assert len(raw) == 17195
    assert not raw["Value"].str.endswith("\r").any()


def test_aggregates_are_skipped_and_counted(raw: pd.DataFrame, harmonized: pd.DataFrame) -> None:
    skipped = skipped_codes(raw["Country Code"])
    assert len(skipped) == 49  # 48 aggregates in this copy, plus the Channel Islands
    assert {"WLD", "ARB", "HIC", "LCN", "CHI"} <= set(skipped)
    assert len(harmonized) == 17195 - sum(skipped.values()) == 14010
    assert not set(harmonized["ref_area"]) & set(SKIPPED)
    # Every code of the file is either a documented aggregate or resolves to a country.
    assert set(raw["Country Code"]) - set(harmonized["ref_area"]) <= set(AGGREGATES) | {"CHI"}


def test_all_crm_members_present(harmonized: pd.DataFrame) -> None:
    present = harmonized[harmonized["ref_area"].isin(CRM_MEMBERS)]
    counts = present.groupby("ref_area").size()
    assert len(counts) == 11
    assert (counts == 65).all()  # 1960–2024
    usa = present[(present["ref_area"] == "USA") & (present["period"] == date(1960, 1, 1))]
    assert usa["value"].tolist() == [180671000]


def test_contract_columns(harmonized: pd.DataFrame) -> None:
    assert set(harmonized["flow"]) == {"POPULATION"}
    assert set(harmonized["unit"]) == {"PERSONS"}
    assert set(harmonized["freq"]) == {"A"}
    assert set(harmonized["dataflow"]) == {"POPULATION"}
    assert harmonized["value"].notna().all()


def test_loads_into_the_store(tmp_path: Path, data_dir: Path) -> None:
    with Store.open(tmp_path / "store.duckdb") as store:
        result = load_file(store, ADAPTER, ADAPTER.bundled_path(data_dir))
        (aggregates,) = store.con.execute(
            "SELECT count(*) FROM observations WHERE ref_area IN ('WLD', 'ARB', 'CHI')").fetchone()
    assert result.rows == 14010
    assert aggregates == 0
