"""IOM Mobility in the Americas Digest adapters on the real bundled ``.rda`` files: row counts,
the swapped roles of ``regout``, missing values, units and a copied block of months."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from observatorio.harmonize.problems import Problems
from observatorio.loading import harmonize_file
from observatorio.settings import get_settings
from observatorio.sources.adapters.iom_amerdigest import copied_months
from observatorio.sources.base import get_adapter
from observatorio.sources.readers import read_rda

FOLDER = "iom_amerdigest"
ROWS = {"regin": 51_281, "regout": 43_431, "irreg": 10_438}
REPORTERS = {"BRA", "COL", "CRI", "PER", "ECU", "GTM", "ARG", "HND", "BOL"}


def _path(stem: str) -> Path:
    return get_settings().data_path / FOLDER / f"{stem}.rda"


@cache
def harmonized(stem: str) -> pd.DataFrame:
    frame, problems, _ = harmonize_file(get_adapter(f"{FOLDER}.{stem}"), _path(stem))
    assert not problems, problems.items[:5]
    return frame


@cache
def raw(stem: str) -> pd.DataFrame:
    frames = read_rda(_path(stem), Problems(stem))
    assert frames is not None
    return frames[stem]


@pytest.mark.parametrize("stem", sorted(ROWS))
def test_tables_harmonize_without_problems(stem: str) -> None:
    assert len(raw(stem)) == ROWS[stem]
    frame = harmonized(stem)
    info = get_adapter(f"{FOLDER}.{stem}").info
    assert info.release == date(2025, 5, 20) and "MIT" in info.licence
    assert set(frame["freq"]) == {"M"} and {d.day for d in frame["period"]} == {1}


@pytest.mark.parametrize("stem", ["regin", "regout"])
def test_regular_tables_keep_every_row(stem: str) -> None:
    assert len(harmonized(stem)) == ROWS[stem]


def test_regin_reporting_country_and_unknown_nationality() -> None:
    frame, source = harmonized("regin"), raw("regin")
    assert set(frame["ref_area"]) == set(source["geo"])
    assert (frame["citizenship"][(source["nat"] == "OOO").to_numpy()] == "_U").all()
    assert set(frame["flow"]) == {"REGULAR_ENTRY"} and set(frame["unit"]) == {"PERSONS"}


def test_regout_roles_are_swapped_back() -> None:
    frame, source = harmonized("regout"), raw("regout")
    assert set(frame["ref_area"]) == REPORTERS  # the publisher's `nat` column; Mexico absent
    assert (frame["ref_area"] == source["nat"].to_numpy()).all()
    unknown = frame[source["geo"].isna().to_numpy()]
    assert len(unknown) == 188 and set(unknown["citizenship"]) == {"_U"}
    named = source["geo"].notna().to_numpy() & ~source["geo"].isin(["CSK", "SCG", "YUG"]).to_numpy()
    assert (frame["citizenship"][named] == source["geo"][named]).all()
    assert set(frame["flow"]) == {"REGULAR_EXIT"}


def test_irregular_missing_figure_is_null_with_status_m() -> None:
    frame = harmonized("irreg")
    missing = frame[frame["value"].isna()]
    assert len(missing) == 1
    row = missing.iloc[0]
    assert (row["ref_area"], row["period"], row["obs_status"]) == ("PAN", date(2024, 7, 1), "M")


def test_irregular_units_by_country() -> None:
    frame = harmonized("irreg")
    units = dict(frame.groupby("ref_area")["unit"].agg(lambda u: set(u)).items())
    assert units == {"MEX": {"EVENTS"}, "PAN": {"PERSONS"}, "HND": {"PERSONS"}, "COL": {"PERSONS"}}


def test_honduras_months_copied_from_regular_entries_are_left_out() -> None:
    source = raw("irreg")
    copied = copied_months(source, raw("regin"))
    months = sorted(pd.to_datetime(t, unit="D").date() for _, t in copied)
    assert {geo for geo, _ in copied} == {"HND"}
    assert months == [date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)]
    frame = harmonized("irreg")
    assert len(frame) == ROWS["irreg"] - 334
    honduras = frame[frame["ref_area"] == "HND"]
    assert max(honduras["period"]) == date(2025, 1, 1)
    assert "HND" not in set(honduras["citizenship"])  # Hondurans do not enter their own country irregularly


def test_darien_in_the_digest_matches_gdidata_in_2021() -> None:
    digest = harmonized("irreg")
    panama = digest[(digest["ref_area"] == "PAN") & digest["period"].map(lambda d: d.year == 2021)]
    assert panama["value"].sum() == 133_726


def test_historic_codes_keep_their_original_code() -> None:
    frame = harmonized("regin")
    yugoslavia = frame[(raw("regin")["nat"] == "YUG").to_numpy()]
    assert len(yugoslavia) > 0 and set(yugoslavia["citizenship"]) == {"_U"}
    assert {json.loads(a)["nat_code"] for a in yugoslavia["attributes"]} == {"YUG"}
