"""IOM GDI ``gdidata`` adapters on the real bundled ``.rda`` files: check values, every quirk of
data/SOURCES.md §7, and no validation problem in any table."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from observatorio.errors import UnknownSource
from observatorio.harmonize.problems import Problems
from observatorio.loading import harmonize_file
from observatorio.settings import get_settings
from observatorio.sources.adapters.iom_gdidata import read_country_crosswalk
from observatorio.sources.base import all_adapters, get_adapter
from observatorio.sources.readers import read_rda

FOLDER = "iom_gdidata"
TABLES = (
    "iom_mmp", "irreg_darien_dmg", "irreg_darien_nat", "irreg_guatemala", "irreg_honduras",
    "irreg_honduras_dmg", "irreg_honduras_nat", "irreg_mexico_dmg", "irreg_mexico_exp",
    "irreg_mexico_nat", "irreg_usa", "undesa_stocks", "unhcr", "wdi",
)  # fmt: skip


def _path(stem: str) -> Path:
    return get_settings().data_path / FOLDER / f"{stem}.rda"


@cache
def harmonized(stem: str) -> pd.DataFrame:
    adapter = get_adapter(f"{FOLDER}.{stem}")
    frame, problems, _ = harmonize_file(adapter, _path(stem))
    assert not problems, problems.items[:5]
    return frame


@cache
def raw(stem: str) -> pd.DataFrame:
    frames = read_rda(_path(stem), Problems(stem))
    assert frames is not None
    return frames[stem]


def year(frame: pd.DataFrame) -> pd.Series:
    return frame["period"].map(lambda d: d.year)


def attrs(frame: pd.DataFrame) -> pd.Series:
    return frame["attributes"].map(json.loads)


def test_every_table_is_registered_and_the_crosswalk_is_not() -> None:
    ids = {a.info.id for a in all_adapters() if a.info.folder == FOLDER}
    assert ids == {f"{FOLDER}.{stem}" for stem in TABLES}
    with pytest.raises(UnknownSource):
        get_adapter(f"{FOLDER}.countrynames")


@pytest.mark.parametrize("stem", TABLES)
def test_every_table_harmonizes_without_problems(stem: str) -> None:
    frame = harmonized(stem)
    info = get_adapter(f"{FOLDER}.{stem}").info
    assert info.release == date(2025, 6, 19)
    assert info.caveats_es and len(info.caveats_es) == len(info.caveats_en)
    assert "MIT" in info.licence
    assert (frame["source"] == info.id).all()
    # One observation per published row (wdi keeps only its migration variables).
    if stem != "wdi":
        assert len(frame) == len(raw(stem))
        assert frame["source_row"].tolist() == list(range(1, len(frame) + 1))


def test_guatemala_returns_from_mexico_2021_check_value() -> None:
    frame = harmonized("irreg_guatemala")
    # Sum of `n` in irreg_guatemala.rda for `t` in 2021 and `origin` == "MEX" (recomputed from the
    # raw file); the same 2021 figure the README's `mirror` example quotes.
    assert frame[(year(frame) == 2021) & (frame["counterpart_area"] == "MEX")]["value"].sum() == 45_714
    assert set(frame["flow"]) == {"RETURN_RECEIVED"} and set(frame["citizenship"]) == {"GTM"}


def test_guatemala_unlabelled_origin_is_unknown_with_a_note_not_a_guess() -> None:
    frame = harmonized("irreg_guatemala")
    unlabelled = frame[frame["counterpart_area"] == "_U"]
    assert len(unlabelled) == raw("irreg_guatemala")["origin"].isna().sum() > 0
    assert min(unlabelled["period"]) == date(2024, 1, 1)
    # data/SOURCES.md §7 quirks: "2024 NA total 61,680" (`n` where `origin` is R NA, `t` in 2024).
    assert unlabelled["value"][year(unlabelled) == 2024].sum() == 61_680
    assert {a["origin_note"] for a in attrs(unlabelled)} == {"probably USA, unlabelled by the publisher"}
    assert set(frame["counterpart_area"]) == {"MEX", "USA", "_U"}


def test_guatemala_ages_use_no_total_code() -> None:
    frame = harmonized("irreg_guatemala")
    pairs = set(zip(frame["age"], frame["accompaniment"], strict=True))
    assert pairs == {("Y_GE18", "_Z"), ("Y_LT18", "ACCOMPANIED"), ("Y_LT18", "UNACCOMPANIED")}
    assert set(frame["sex"]) == {"M", "F"}


def test_mexico_returns_of_guatemalans_2021_check_value() -> None:
    frame = harmonized("irreg_mexico_exp")
    guatemalans = frame[(year(frame) == 2021) & (frame["citizenship"] == "GTM")]
    # Sum of `n` in irreg_mexico_exp.rda for `t` in 2021 and `nat` == "GTM", all return types
    # (recomputed from the raw file; the README's `mirror` example quotes it).
    assert guatemalans["value"].sum() == 53_156
    # Returned to their country of nationality (stated assumption), kind of return kept.
    assert (frame["counterpart_area"] == frame["citizenship"]).all()
    assert {a["type"] for a in attrs(frame)} == {
        "deportation", "assisted return", "assisted return of children"}
    assert set(frame["unit"]) == {"EVENTS"} and set(frame["flow"]) == {"RETURN_EXECUTED"}


def test_mexico_presented_by_nationality_and_by_demography_agree() -> None:
    by_nat, by_dmg = harmonized("irreg_mexico_nat"), harmonized("irreg_mexico_dmg")
    assert set(by_nat["flow"]) == set(by_dmg["flow"]) == {"PRESENTED"}
    assert set(by_dmg["citizenship"]) == {"_T"}
    assert by_nat["value"].sum() == raw("irreg_mexico_nat")["n"].sum()
    assert set(zip(by_dmg["age"], by_dmg["accompaniment"], strict=True)) == {
        ("Y_GE18", "_Z"), ("Y12T17", "_U"), ("Y_LT12", "ACCOMPANIED"), ("Y_LT12", "UNACCOMPANIED")}


def test_darien_annual_sums_check_values() -> None:
    frame = harmonized("irreg_darien_nat")
    monthly = frame[frame["freq"] == "M"]
    sums = monthly.groupby(year(monthly))["value"].sum()
    # data/SOURCES.md §7 quirks: "Annual sums match Panama's published totals: 2021 133,726;
    # 2022 248,284; 2023 520,085; 2024 302,203" (sum of `n` by year of `t`, 2020 on).
    assert sums[2021] == 133_726
    assert sums[2022] == 248_284
    assert sums[2023] == 520_085
    assert sums[2024] == 302_203


def test_darien_annual_totals_are_not_january_spikes_of_the_monthly_series() -> None:
    frame = harmonized("irreg_darien_nat")
    annual, monthly = frame[frame["freq"] == "A"], frame[frame["freq"] == "M"]
    assert set(year(annual)) == set(range(2010, 2020))
    assert {(d.month, d.day) for d in annual["period"]} == {(1, 1)}
    assert year(monthly).min() == 2020
    assert set(frame["freq"]) == {"A", "M"}
    # Every month of 2020–2024 is there, so January is one month among twelve.
    assert len({d for d in monthly["period"] if d.year == 2023}) == 12
    quarters = {a.get("quarter") for a in attrs(monthly)}
    assert "2023-Q1" in quarters and None not in quarters
    assert all("quarter" not in a for a in attrs(annual))


def test_darien_children_are_not_invented_before_2023() -> None:
    frame = harmonized("irreg_darien_dmg")
    children = frame[frame["age"] == "Y_LT18"]
    assert year(children).min() == 2023
    assert set(frame[year(frame) < 2023]["age"]) == {"Y_GE18"}
    assert set(zip(frame["sex"], frame["age"], strict=True)) == {
        ("M", "Y_GE18"), ("F", "Y_GE18"), ("M", "Y_LT18"), ("F", "Y_LT18")}
    assert frame["value"].sum() == raw("irreg_darien_dmg")["n"].sum()


def test_honduras_keeps_real_zeros() -> None:
    frame = harmonized("irreg_honduras")
    zeros = (raw("irreg_honduras")["n"] == 0).sum()
    assert zeros > 0 and (frame["value"] == 0).sum() == zeros
    assert set(frame["citizenship"]) == {"_T"} and set(frame["ref_area"]) == {"HND"}


def test_honduras_repeated_nationality_rows_are_kept_apart_and_add_up() -> None:
    frame = harmonized("irreg_honduras_nat")
    taiwan = frame[(frame["period"] == date(2023, 3, 1)) & (frame["citizenship"] == "TWN")]
    # irreg_honduras_nat.rda has two rows for `nat` == "TWN" at `t` = 2023-03-01, `n` 719 and 1.
    assert sorted(taiwan["value"]) == [1, 719]
    assert sorted(a.get("publisher_entry", 1) for a in attrs(taiwan)) == [1, 2]
    assert frame["value"].sum() == raw("irreg_honduras_nat")["n"].sum()


def test_usa_encounters_match_the_cbp_fiscal_year_2022_check_value() -> None:
    frame = harmonized("irreg_usa")
    fy2022 = frame[attrs(frame).map(lambda a: a["fiscal_year"] == "2022")]
    # data/SOURCES.md §2: CBP's published Southwest land border total for FY22, 2,378,944.
    assert fy2022["value"].sum() == 2_378_944
    assert set(frame["flow"]) == {"APPREHENSION", "INADMISSIBLE", "EXPULSION"}


def test_usa_both_names_of_unaccompanied_children_map_to_one_code() -> None:
    frame, source = harmonized("irreg_usa"), raw("irreg_usa")
    for label in ("UAC", "UC / Single Minors"):
        rows = frame[(source["demog"] == label).to_numpy()]
        assert set(zip(rows["age"], rows["accompaniment"], strict=True)) == {("Y_LT18", "UNACCOMPANIED")}
    family = frame[(source["demog"] == "FMUA").to_numpy()]
    assert set(zip(family["age"], family["accompaniment"], strict=True)) == {("_U", "FAMILY_UNIT")}


def test_usa_nationality_groups_other_and_unknown() -> None:
    frame, source = harmonized("irreg_usa"), raw("irreg_usa")
    assert (frame["citizenship"][(source["nat"] == "OOO").to_numpy()] == "_O").all()
    unknown = frame[frame["citizenship"] == "_U"]
    assert len(unknown) == source["nat"].isna().sum()
    assert max(unknown["period"]) < date(2019, 10, 1) <= min(frame[frame["citizenship"] != "_U"]["period"])
    assert (frame["value"] == 0).sum() == (source["n"] == 0).sum() > 0
    assert {a.get("title_of_authority") for a in attrs(frame)} == {"Title 8", "Title 42"}


def test_missing_migrants_incidents() -> None:
    frame, source = harmonized("iom_mmp"), raw("iom_mmp")
    assert set(frame["flow"]) == {"DEAD_OR_MISSING"} and set(frame["freq"]) == {"M"}
    assert frame["value"].sum() == source["dead"].sum()
    assert {d.day for d in frame["period"]} == {1}
    details = attrs(frame)
    assert details.map(lambda a: a["incident_row"]).is_unique
    several = source["nat"].str.contains(",", regex=False).to_numpy()
    assert (frame["citizenship"][several] == "_U").all()
    assert details[several].map(lambda a: "," in a["nationalities"]).all()
    assert {"route", "cause", "location", "lon", "lat", "date"} <= set(details.iloc[0])


def test_unhcr_groups_and_non_iso_origins() -> None:
    frame, source = harmonized("unhcr"), raw("unhcr")
    assert set(frame["flow"]) == {
        "REFUGEE_STOCK", "ASYLUM_SEEKER_STOCK", "IDP_STOCK", "STATELESS_STOCK",
        "OTHER_OF_CONCERN_STOCK", "REFUGEE_RETURN", "IDP_RETURN"}
    stateless = frame[(source["from"] == "STL").to_numpy()]
    assert (stateless["citizenship"] == "_U").all()
    assert {a["from_code"] for a in attrs(stateless)} == {"STL"}
    assert set(frame["freq"]) == {"A"} and set(frame["counterpart_area"]) == {"_Z"}


def test_undesa_stocks_imputed_are_estimates_and_origin_basis_is_said() -> None:
    frame, source = harmonized("undesa_stocks"), raw("undesa_stocks")
    assert sorted({d.year for d in frame["period"]}) == [1990, 1995, 2000, 2005, 2010, 2015, 2020, 2024]
    imputed = (source["type_i"] == 1).to_numpy()
    assert (frame["obs_status"][imputed] == "E").all() and (frame["obs_status"][~imputed] == "A").all()
    assert {a.get("origin_basis") for a in attrs(frame)} >= {"birth", "citizenship"}
    assert set(frame["flow"]) == {"MIGRANT_STOCK"} and set(frame["sex"]) == {"M", "F"}


def test_wdi_keeps_migration_variables_and_negative_net_migration() -> None:
    frame, source = harmonized("wdi"), raw("wdi")
    assert set(frame["flow"]) == {"POPULATION", "NET_MIGRATION", "REMITTANCES_IN", "REMITTANCES_OUT"}
    assert len(frame) == source["var"].isin(["pop", "nmig", "remin", "remout"]).sum()
    assert (frame[frame["flow"] == "NET_MIGRATION"]["value"] < 0).any()
    assert set(frame[frame["flow"] == "POPULATION"]["obs_status"]) == {"E"}
    assert set(frame[frame["flow"].str.startswith("REMITTANCES")]["unit"]) == {"USD"}
    assert set(frame["dataflow"]) == {"POPULATION", "DEVELOPMENT"}
    usa_2023 = frame[(frame["ref_area"] == "USA") & (frame["flow"] == "POPULATION") & (year(frame) == 2023)]
    assert usa_2023["value"].iloc[0] > 300_000_000  # persons, not thousands


def test_crosswalk_gives_aliases_for_iom_spellings() -> None:
    crosswalk = read_country_crosswalk(_path("countrynames"), Problems("countrynames.rda"))
    assert crosswalk is not None
    pairs = dict(crosswalk.aliases())
    assert pairs["Kosovo (SCR 1244)"] == "XKX"
    assert "Unknown" not in pairs  # OOO is not an area code
    resolver = crosswalk.resolver()
    assert resolver.resolve("Hong Kong SAR, China") == "HKG"
    assert resolver.resolve("Taiwan Province of China, China") == "TWN"
    assert crosswalk.name("XCX") == "Channel Islands"


def test_bad_content_is_reported_with_row_and_column_not_raised(tmp_path: Path) -> None:
    pyreadr = pytest.importorskip("pyreadr")
    broken = pd.DataFrame({
        "t": [18262.0, 18262.0, 18277.0],  # 2020-01-01 twice, then 2020-01-16 (not a month start)
        "sex": ["male", "robot", "female"],
        "age": ["adult", "adult", "elder"],
        "origin": ["MEX", "XXQ", None],
        "n": [1.0, None, 2.0],
    })
    path = tmp_path / "irreg_guatemala.rda"
    pyreadr.write_rdata(str(path), broken, df_name="irreg_guatemala")
    _, problems, _ = harmonize_file(get_adapter(f"{FOLDER}.irreg_guatemala"), path)
    found = {(p.rule, p.row, p.column) for p in problems.items}
    assert found == {
        ("unknown_code", 2, "sex"), ("unknown_code", 3, "age"), ("unknown_country", 2, "origin"),
        ("missing_value", 2, "n"), ("impossible_period", 3, "t"),
    }
