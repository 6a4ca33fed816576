"""UNHCR Refugee Data Finder tables (population, decisions, applications) from the bundled files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from observatorio.harmonize.problems import Problems
from observatorio.loading import harmonize_file, load_file
from observatorio.sources.adapters.unhcr import (
    DECISION_FLOWS,
    POPULATION_FLOWS,
    AsylumApplications,
    AsylumDecisions,
    Population,
    read_footnotes,
    total_mismatches,
)
from observatorio.sources.readers import read_csv
from observatorio.store import Store

# The adapter classes themselves (not the registry): these tests do not depend on other adapters.
POPULATION, DECISIONS, APPLICATIONS = Population(), AsylumDecisions(), AsylumApplications()


def _harmonize(adapter, data_dir: Path) -> pd.DataFrame:  # noqa: ANN001
    frame, problems, _ = harmonize_file(adapter, adapter.bundled_path(data_dir))
    assert not problems, problems.render("en")
    return frame


def _attributes(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([json.loads(a) for a in frame["attributes"]], index=frame.index)


@pytest.fixture(scope="module")
def population(data_dir: Path) -> pd.DataFrame:
    return _harmonize(POPULATION, data_dir)


@pytest.fixture(scope="module")
def decisions(data_dir: Path) -> pd.DataFrame:
    return _harmonize(DECISIONS, data_dir)


@pytest.fixture(scope="module")
def applications(data_dir: Path) -> pd.DataFrame:
    return _harmonize(APPLICATIONS, data_dir)


# -- population --------------------------------------------------------------------------------

def test_population_release_comes_from_the_last_updated_line(data_dir: Path) -> None:
    assert POPULATION.detect_release(POPULATION.bundled_path(data_dir)) == date(2024, 6, 13)
    # A file without the preamble declares nothing.
    assert POPULATION.detect_release(DECISIONS.bundled_path(data_dir)) is None


def test_population_has_one_row_per_file_row_and_type(population: pd.DataFrame) -> None:
    assert len(population) == 48731 * 7
    per_flow = population.groupby("flow").size()
    assert set(per_flow.index) == set(POPULATION_FLOWS.values())
    assert (per_flow == 48731).all()
    # The header is line 15: the first record is line 16, the last line 48,746.
    assert population["source_row"].min() == 16
    assert population["source_row"].max() == 48746
    assert (population["release"] == date(2024, 6, 13)).all()


def test_population_first_record(population: pd.DataFrame) -> None:
    first = population[population["source_row"] == 16].set_index("flow")
    # 2015,Afghanistan,AFG,Afghanistan,AFG,0,0,1174306,-,0,0,150317
    assert first.loc["IDP_STOCK", "value"] == 1174306
    assert first.loc["OTHER_OF_CONCERN_STOCK", "value"] == 150317
    assert first.loc["REFUGEE_STOCK", "value"] == 0
    assert first.loc["IDP_STOCK", "period"] == date(2015, 1, 1)
    assert (first["ref_area"] == "AFG").all() and (first["citizenship"] == "AFG").all()
    assert (first["counterpart_area"] == "_Z").all()
    assert (first["unit"] == "PERSONS").all() and (first["dataflow"] == "FORCED_DISPLACEMENT").all()


def test_population_dash_is_not_applicable(population: pd.DataFrame) -> None:
    dash = population["obs_status"] == "L"
    assert dash.sum() == 48615
    assert population.loc[dash, "value"].isna().all()
    assert set(population.loc[dash, "flow"]) == {"OIP_STOCK"}
    assert population.loc[~dash, "value"].notna().all()


def test_population_non_iso_origins_keep_the_published_code(population: pd.DataFrame) -> None:
    special = population[population["citizenship"].isin(["_U", "_O"])]
    attributes = _attributes(special)
    mapping = set(zip(attributes["origin_code"], special["citizenship"], strict=True))
    assert mapping == {("UNK", "_U"), ("XXA", "_O"), ("TIB", "_O")}
    assert set(attributes["origin_name"]) == {"Unknown", "Stateless", "Tibetan"}  # no trailing space
    assert "CUW" in set(population["ref_area"])  # "Curacao " with its trailing space


# -- decisions ---------------------------------------------------------------------------------

def test_decisions_rows_and_flows(decisions: pd.DataFrame) -> None:
    assert len(decisions) == 45641 * 4
    assert set(decisions["flow"]) == set(DECISION_FLOWS.values())  # "Total decisions" is not a flow
    assert set(decisions["dataflow"]) == {"ASYLUM"}


def test_decisions_stage_na_is_a_code(decisions: pd.DataFrame) -> None:
    attributes = _attributes(decisions)
    assert (attributes["procedure_stage"] == "NA").sum() == 721 * 4
    assert attributes["procedure_stage"].notna().all()
    assert set(attributes["authority"]) == {"G", "U", "J"}


def test_decisions_cases_and_persons_are_units(decisions: pd.DataFrame) -> None:
    counts = decisions.groupby("unit").size()
    assert counts.to_dict() == {"CASES": 2072 * 4, "PERSONS": 43569 * 4}


def test_decisions_total_mismatches_are_flagged_not_errors(data_dir: Path, decisions: pd.DataFrame) -> None:
    raw = read_csv(DECISIONS.bundled_path(data_dir), Problems("asylum-decisions.csv"))
    assert raw is not None
    mismatch = total_mismatches(raw)
    assert mismatch.sum() == 174
    flagged = decisions[decisions["attributes"].str.contains("total_decisions_published")]
    assert flagged["source_row"].nunique() == 174
    assert set(flagged["source_row"]) == set(raw.loc[mismatch, "__row__"])


def test_footnotes_are_caveats_not_observations(data_dir: Path) -> None:
    notes = read_footnotes(data_dir / "unhcr_refugee_data_finder" / "footnotes.csv")
    assert len(notes) == 38
    usa_2020 = [n for n in notes if n.applies_to("USA", 2020)]
    assert any("person per case of 1.5" in n.text for n in usa_2020)
    ranged = [n for n in notes if n.asylum == "GBR" and n.year_from == 2017]
    assert ranged and ranged[0].year_to == 2022 and ranged[0].applies_to("GBR", 2019)
    assert all("\n" not in n.text for n in notes)


# -- applications ------------------------------------------------------------------------------

def test_applications_check_values(applications: pd.DataFrame) -> None:
    def applied(origin: str, asylum: str, year: int) -> float:
        hit = applications[(applications["citizenship"] == origin) & (applications["ref_area"] == asylum)
                           & (applications["period"] == date(year, 1, 1))]
        assert len(hit) == 1
        return float(hit["value"].iloc[0])

    assert applied("HND", "USA", 2018) == 26241
    assert applied("NIC", "CRI", 2019) == 31757


def test_applications_repeated_keys_are_added_explicitly(data_dir: Path, applications: pd.DataFrame) -> None:
    raw = read_csv(APPLICATIONS.bundled_path(data_dir), Problems("asylum-applications.csv"))
    assert raw is not None and len(raw) == 90803
    attributes = _attributes(applications)
    merged = attributes["source_rows"].notna()
    # Every file row is accounted for exactly once: alone, or listed in one aggregate.
    listed = [row for rows in attributes.loc[merged, "source_rows"] for row in rows]
    singles = applications.loc[~merged, "source_row"].tolist()
    assert sorted(listed + singles) == raw["__row__"].tolist()
    assert applications["value"].sum() == pd.to_numeric(raw["applied"]).sum()
    assert applications.loc[merged, "source_row"].isna().all()  # many rows → no single row
    hnd_usa = applications[(applications["citizenship"] == "HND") & (applications["ref_area"] == "USA")
                           & (applications["period"] == date(2018, 1, 1))]
    parts = json.loads(hnd_usa["attributes"].iloc[0])
    assert parts["source_values"] == [1806, 18899, 5536] and len(parts["source_rows"]) == 3


def test_applications_cover_2000_to_2020_whatever_the_row_order(applications: pd.DataFrame) -> None:
    years = {p.year for p in applications["period"]}
    assert years == set(range(2000, 2021))
    assert (applications["flow"] == "ASYLUM_APPLICATION").all()


def test_all_three_load_into_the_store(tmp_path: Path, data_dir: Path) -> None:
    with Store.open(tmp_path / "store.duckdb") as store:
        for adapter in (POPULATION, DECISIONS, APPLICATIONS):
            load_file(store, adapter, adapter.bundled_path(data_dir))
        rows = dict(store.con.execute(
            "SELECT source, count(*) FROM observations GROUP BY source").fetchall())
        (na_stage,) = store.con.execute(
            "SELECT count(*) FROM observations WHERE source = ? "
            "AND json_extract_string(attributes, '$.procedure_stage') = 'NA'",
            [DECISIONS.info.id]).fetchone()
        (hnd_usa,) = store.con.execute(
            "SELECT sum(value) FROM observations WHERE source = ? AND citizenship = 'HND' "
            "AND ref_area = 'USA' AND year(period) = 2018", [APPLICATIONS.info.id]).fetchone()
    assert rows[POPULATION.info.id] == 48731 * 7
    assert rows[DECISIONS.info.id] == 45641 * 4
    assert na_stage == 721 * 4
    assert hnd_usa == 26241
