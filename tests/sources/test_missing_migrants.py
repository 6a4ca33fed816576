"""IOM Missing Migrants incidents from the bundled (Windows-1252, multi-line) CSV."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from observatorio.loading import harmonize_file, load_file
from observatorio.sources.adapters.missing_migrants import (
    MissingMigrants,
    coordinates,
    incident_country,
)
from observatorio.store import Store

# The adapter class itself (not the registry): these tests do not depend on other adapters.
ADAPTER = MissingMigrants()
SHAPES = Path("natural_earth_region") / "region_110m.geojson"


@pytest.fixture(scope="module")
def harmonized(data_dir: Path) -> pd.DataFrame:
    frame, problems, _ = harmonize_file(ADAPTER, ADAPTER.bundled_path(data_dir))
    assert not problems, problems.render("en")
    return frame


@pytest.fixture(scope="module")
def attributes(harmonized: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([json.loads(a) for a in harmonized["attributes"]], index=harmonized.index)


def _incident(harmonized: pd.DataFrame, attributes: pd.DataFrame, incident_id: str) -> pd.DataFrame:
    return harmonized[attributes["incident_id"] == incident_id].set_index("flow")


def test_file_is_pure_windows_1252(data_dir: Path) -> None:
    data = ADAPTER.bundled_path(data_dir).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    # No valid UTF-8 multi-byte sequence anywhere: not a mix, plain cp1252.
    assert not re.search(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}", data)


def test_one_observation_per_incident_and_flow(harmonized: pd.DataFrame, attributes: pd.DataFrame) -> None:
    assert len(harmonized) == 10274 * 2
    assert attributes["incident_id"].nunique() == 10274
    assert harmonized.groupby("flow").size().to_dict() == {"DEAD": 10274, "MISSING": 10274}
    assert set(harmonized["dataflow"]) == {"MISSING_MIGRANTS"}
    assert set(harmonized["unit"]) == {"PERSONS"} and set(harmonized["freq"]) == {"M"}
    assert set(harmonized["citizenship"]) == {"_U"}


def test_multi_line_records_stay_whole(harmonized: pd.DataFrame, attributes: pd.DataFrame) -> None:
    # 89 bare LFs sit inside quoted fields; records (not lines) are numbered 2..10,275.
    assert sorted(set(harmonized["source_row"])) == list(range(2, 10276))
    ids = attributes["incident_id"]
    assert set(ids[~ids.str.fullmatch(r"\d{4}\.MMP\d+")]) == {"7420"}  # the last record, as published
    # Record 3,977 holds a line break in its location; the next record is the next incident.
    assert set(harmonized.loc[attributes["incident_id"] == "2018.MMP00245", "source_row"]) == {3977}
    assert set(harmonized.loc[attributes["incident_id"] == "2018.MMP00246", "source_row"]) == {3978}


def test_cp1252_text_is_decoded(attributes: pd.DataFrame) -> None:
    locations = attributes.drop_duplicates("incident_id").set_index("incident_id")["location"]
    assert locations["2014.MMP00199"] == "Train tracks in Izúcar de Matamoros, Puebla, Mexico"
    assert "Culiacán,\u00a0Sinaloa" in locations["2018.MMP00402"]  # 0xA0 is a no-break space
    assert not attributes["location"].dropna().str.contains("\ufffd").any()


def test_blank_counts_are_unknown_not_zero(harmonized: pd.DataFrame) -> None:
    dead = harmonized[harmonized["flow"] == "DEAD"]
    missing = harmonized[harmonized["flow"] == "MISSING"]
    assert (dead["obs_status"] == "M").sum() == 430
    assert (missing["obs_status"] == "M").sum() == 9299 + 1  # blanks, plus one published -2
    assert harmonized.loc[harmonized["obs_status"] == "M", "value"].isna().all()
    assert harmonized.loc[harmonized["obs_status"] == "A", "value"].notna().all()
    assert (missing["value"] == 0).sum() == 48  # published zeros stay zeros


def test_negative_count_is_kept_as_published(harmonized: pd.DataFrame, attributes: pd.DataFrame) -> None:
    incident = _incident(harmonized, attributes, "2015.MMP00513")
    assert pd.isna(incident.loc["MISSING", "value"]) and incident.loc["MISSING", "obs_status"] == "M"
    assert json.loads(incident.loc["MISSING", "attributes"])["value_as_published"] == "-2"
    assert incident.loc["DEAD", "value"] == 15


def test_period_is_the_month_of_the_incident(harmonized: pd.DataFrame, attributes: pd.DataFrame) -> None:
    first = _incident(harmonized, attributes, "2014.MMP00001")
    assert first.loc["DEAD", "period"] == date(2014, 1, 1)  # incident date 2014-01-06
    assert first.loc["DEAD", "value"] == 1
    assert {p.year for p in harmonized["period"]} == set(range(2014, 2023))


def test_country_of_the_incident_from_its_coordinates(harmonized: pd.DataFrame, attributes: pd.DataFrame) -> None:
    first = _incident(harmonized, attributes, "2014.MMP00001")  # POINT (-110.366453 31.650259), Arizona
    assert set(first["ref_area"]) == {"USA"}
    assert json.loads(first.loc["DEAD", "attributes"])["lon"] == -110.366453
    by_region = harmonized.groupby(attributes["region_of_incident"])["ref_area"]
    assert set(by_region.get_group("Mediterranean")) <= {"_O", "_U"}
    north_america = by_region.get_group("North America").value_counts()
    assert north_america.index[0] == "USA"
    assert {"MEX", "GTM", "PAN", "COL"} <= set(harmonized["ref_area"])
    no_point = attributes["lon"].isna()
    assert (harmonized.loc[no_point, "ref_area"] == "_U").all() and no_point.sum() == 57 * 2


def test_point_in_polygon_is_vectorised_over_the_shapes(data_dir: Path) -> None:
    lon, lat = coordinates(pd.Series(["POINT (-87.2 14.1)", "POINT (-89.2 13.7)", "POINT (-30 0)", "", "x"]))
    areas = incident_country(lon, lat, data_dir / SHAPES)
    assert areas.tolist() == ["HND", "SLV", "_O", "_U", "_U"]


def test_lists_stay_as_published_and_as_lists(attributes: pd.DataFrame) -> None:
    both = attributes[attributes["route"] == "Central Mediterranean,US-Mexico border crossing"]
    assert len(both) == 2  # one incident, two flows
    assert both["routes"].iloc[0] == ["Central Mediterranean", "US-Mexico border crossing"]
    causes = attributes[attributes["cause_of_death"] == "Drowning,Mixed or unknown"]["causes"]
    assert causes.iloc[0] == ["Drowning", "Mixed or unknown"]
    harsh = "Harsh environmental conditions / lack of adequate shelter, food, water"
    causes = attributes[attributes["cause_of_death"] == f"Drowning,{harsh}"]["causes"]
    assert causes.iloc[0] == ["Drowning", harsh]  # ", " is inside an item, "," between items
    assert {"region_of_incident", "unsd_grouping", "region_of_origin", "source_quality"} <= set(attributes)


def test_loads_into_the_store(tmp_path: Path, data_dir: Path) -> None:
    with Store.open(tmp_path / "store.duckdb") as store:
        result = load_file(store, ADAPTER, ADAPTER.bundled_path(data_dir))
        (dead_usa_2019,) = store.con.execute(
            "SELECT sum(value) FROM observations WHERE source = ? AND flow = 'DEAD' "
            "AND ref_area = 'USA' AND year(period) = 2019", [ADAPTER.info.id]).fetchone()
        (unknown_zero,) = store.con.execute(
            "SELECT count(*) FROM observations WHERE source = ? AND obs_status = 'M' AND value = 0",
            [ADAPTER.info.id]).fetchone()
    assert result.rows == 20548
    assert dead_usa_2019 > 0
    assert unknown_zero == 0
