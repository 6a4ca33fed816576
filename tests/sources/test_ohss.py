"""The OHSS KHSM USBP encounters workbook, read from the bundled file and loaded into a real store."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from observatorio.harmonize.problems import Problems
from observatorio.loading import harmonize_file, load_file
from observatorio.sources.adapters.ohss import FISCAL_YEAR_BASIS, UsbpEncounters, _fiscal_months
from observatorio.store import Store

SOURCE = "ohss_cbp_usbp_encounters"
# The adapter class itself (not the registry): these tests do not depend on other adapters.
ADAPTER = UsbpEncounters()


@pytest.fixture(scope="module")
def harmonized(data_dir: Path) -> pd.DataFrame:
    frame, problems, release = harmonize_file(ADAPTER, ADAPTER.bundled_path(data_dir))
    assert not problems, problems.render("en")
    assert release == ADAPTER.info.release
    return frame


def _attributes(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([json.loads(a) for a in frame["attributes"]], index=frame.index)


def test_every_sheet_is_its_own_table(harmonized: pd.DataFrame) -> None:
    tables = harmonized.groupby("table").size()
    assert len(tables) == 16
    # Data rows of each sheet of "KHSM Encounters (USBP) fy25m11.xlsx" (data/SOURCES.md §1), as
    # pandas.read_excel counts them: 302 months (Oct 1999 – Nov 2024, one row each), 10,821 and 526.
    assert tables["Monthly Count"] == 302
    assert tables["Monthly Citizenship"] == 10821
    assert tables["Annual Rgn and Sector"] == 526
    # Each table is a complete cross-tabulation on its own: keys are unique within it.
    keys = ["table", "period", "citizenship", "age", "accompaniment", "attributes"]
    assert not harmonized.duplicated(keys).any()


def test_monthly_count_covers_302_months_from_october_1999(harmonized: pd.DataFrame) -> None:
    monthly = harmonized[harmonized["table"] == "Monthly Count"]
    assert (monthly["freq"] == "M").all()
    assert monthly["period"].nunique() == 302
    assert monthly["period"].min() == date(1999, 10, 1)  # FY2000 month 01 October
    assert monthly["period"].max() == date(2024, 11, 1)  # FY2025 month 02 November


def test_fiscal_month_index_maps_to_calendar_month(harmonized: pd.DataFrame) -> None:
    monthly = harmonized[harmonized["table"] == "Monthly Count"].set_index("source_row")
    # Row 2 is FY2000 "01 October", row 5 FY2000 "04 January": January is in calendar 2000.
    assert monthly.loc[2, "period"] == date(1999, 10, 1)
    assert monthly.loc[2, "value"] == 89810  # sheet "Monthly Count", first data row: FY2000 "01 October"
    assert monthly.loc[5, "period"] == date(2000, 1, 1)
    fiscal_year = _attributes(monthly)["fiscal_year"]
    january = monthly[[p.month == 1 for p in monthly["period"]]]
    assert all(p.year == int(fy) for p, fy in zip(january["period"], fiscal_year[january.index], strict=True))
    october = monthly[[p.month == 10 for p in monthly["period"]]]
    assert all(p.year == int(fy) - 1 for p, fy in zip(october["period"], fiscal_year[october.index], strict=True))


def test_month_text_must_agree_with_its_fiscal_index() -> None:
    problems = Problems("khsm.xlsx")
    raw = pd.Series(["01 October", "04 January", "12 September", "04 March", "13 October", ""])
    months = _fiscal_months(raw, pd.Series(range(2, 8)), "Monthly Count: Month", problems)
    assert months.tolist()[:3] == [1, 4, 12]
    assert months.isna().tolist()[3:] == [True, True, True]
    assert [p.row for p in problems.items] == [5, 6, 7]
    assert problems.rules() == {"impossible_period"}


def test_annual_sheets_start_on_the_first_day_of_the_fiscal_year(harmonized: pd.DataFrame) -> None:
    annual = harmonized[harmonized["table"] == "Annual Count"]
    assert (annual["freq"] == "A").all()
    attributes = _attributes(annual)
    assert (attributes["period_basis"] == FISCAL_YEAR_BASIS).all()
    fy2024 = annual[attributes["fiscal_year"] == "2024"]
    assert fy2024["period"].tolist() == [date(2023, 10, 1)]
    assert fy2024["value"].tolist() == [1557320]
    monthly = harmonized[harmonized["table"].str.startswith("Monthly")]
    assert "period_basis" not in _attributes(monthly).columns


def test_partial_fiscal_year_2025_is_provisional(harmonized: pd.DataFrame) -> None:
    fiscal_year = _attributes(harmonized)["fiscal_year"]
    assert (harmonized.loc[fiscal_year == "2025", "obs_status"] == "P").all()
    assert (harmonized.loc[fiscal_year != "2025", "obs_status"] == "A").all()


def test_quantities_rounded_to_ten_and_sparse(harmonized: pd.DataFrame) -> None:
    assert (harmonized["value"] % 10 == 0).all()
    assert (harmonized["value"] > 0).all()  # no invented zeros
    assert (harmonized["flow"] == "ENCOUNTER").all()
    assert (harmonized["unit"] == "EVENTS").all()
    assert (harmonized["ref_area"] == "USA").all()
    assert any("rounded to the nearest 10" in c for c in ADAPTER.info.caveats_en)


def test_citizenships_resolved(harmonized: pd.DataFrame) -> None:
    table = harmonized[harmonized["table"] == "Monthly Citizenship"]
    assert {"HND", "GTM", "SLV", "MEX", "NIC", "CRI", "PAN", "BLZ", "DOM", "CAN"} <= set(table["citizenship"])
    assert "_T" not in set(table["citizenship"])
    attributes = _attributes(harmonized)
    unknown = harmonized["citizenship"] == "_U"
    assert unknown.any()
    assert (attributes.loc[unknown, "citizenship_as_published"] == "Unknown").all()
    other = harmonized["citizenship"] == "_O"
    assert set(attributes.loc[other, "citizenship_as_published"]) == {"Serbia and Montenegro (former)"}
    china = table["citizenship"] == "CHN"  # published as "China, People's Republic"
    assert china.any()


def test_family_status_maps_to_accompaniment_and_age(harmonized: pd.DataFrame) -> None:
    table = harmonized[harmonized["table"] == "Monthly Family Status"]
    pairs = set(zip(table["accompaniment"], table["age"], strict=True))
    assert pairs == {("UNACCOMPANIED", "Y_LT18"), ("FAMILY_UNIT", "_U"), ("SINGLE_ADULT", "Y_GE18")}
    count = harmonized[harmonized["table"] == "Monthly Count"]
    assert set(count["accompaniment"]) == {"_T"} and set(count["age"]) == {"_T"}


def test_region_and_sector_are_attributes(harmonized: pd.DataFrame) -> None:
    table = harmonized[harmonized["table"] == "Monthly Rgn and Sector"]
    attributes = _attributes(table)
    assert set(attributes["region"]) == {"Southwest Land Border", "Northern Land Border", "Coastal Border"}
    assert "Rio Grande Valley, TX" in set(attributes["sector"])
    assert attributes["sector"].nunique() == 21


def test_loads_into_the_store(tmp_path: Path, data_dir: Path, harmonized: pd.DataFrame) -> None:
    with Store.open(tmp_path / "store.duckdb") as store:
        result = load_file(store, ADAPTER, ADAPTER.bundled_path(data_dir))
        assert result.rows == len(harmonized)
        (value,) = store.con.execute(
            "SELECT value FROM observations WHERE source = ? AND \"table\" = 'Annual Count' "
            "AND period = DATE '2023-10-01'", [SOURCE]).fetchone()
    assert value == 1557320  # sheet "Annual Count", FY2024 (Oct 2023 – Sep 2024), as published
