"""Readers of the published files, independent of the adapters, for hand-computed checks.

Each function reads the raw file with pandas / pyreadr and nothing of the observatory, so a
test compares the store's indicator against a figure computed straight from the source.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pyreadr

from observatorio.settings import get_settings

FISCAL_MONTHS = ["OCT", "NOV", "DEC", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP"]


def data_dir() -> Path:
    return get_settings().data_path


@cache
def rda(folder: str, name: str) -> pd.DataFrame:
    """An .rda table with ``t`` (days since 1970) turned into a date and ``year`` added."""
    frame = next(iter(pyreadr.read_r(str(data_dir() / folder / f"{name}.rda")).values()))
    if "t" in frame.columns and pd.api.types.is_float_dtype(frame["t"]):
        frame["date"] = pd.to_datetime(frame["t"], unit="D")
        frame["year"] = frame["date"].dt.year
    return frame


@cache
def population() -> pd.DataFrame:
    return pd.read_csv(data_dir() / "worldbank_population" / "population.csv")


def population_of(iso3: str, year: int) -> float:
    pop = population()
    return float(pop.loc[(pop["Country Code"] == iso3) & (pop["Year"] == year), "Value"].iloc[0])


@cache
def usbp_monthly_citizenship() -> pd.DataFrame:
    """The USBP workbook's 'Monthly Citizenship' sheet with the calendar year of each row."""
    path = next((data_dir() / "ohss_cbp_usbp_encounters").glob("*.xlsx"))
    sheet = pd.read_excel(path, sheet_name="Monthly Citizenship")
    sheet.columns = ["fy", "month", "citizenship", "quantity"]
    fiscal_month = sheet["month"].str[:2].astype(int)  # "01 October" is fiscal month 1
    sheet["year"] = sheet["fy"] - (fiscal_month <= 3).astype(int)
    sheet["calendar_month"] = (fiscal_month + 8) % 12 + 1
    return sheet


@cache
def cbp_sw() -> pd.DataFrame:
    """The CBP Southwest border CSV with the calendar year of each row."""
    path = next((data_dir() / "cbp_sw_land_border_encounters").glob("*.csv"))
    frame = pd.read_csv(path)
    fy = frame["Fiscal Year"].astype(str).str[:4].astype(int)
    month = frame["Month (abbv)"].str.upper()
    frame["year"] = fy - month.isin(["OCT", "NOV", "DEC"]).astype(int)
    return frame


@cache
def unhcr_population() -> pd.DataFrame:
    return pd.read_csv(data_dir() / "unhcr_refugee_data_finder" / "population.csv", skiprows=14,
                       na_values=["-"])


@cache
def unhcr_decisions() -> pd.DataFrame:
    return pd.read_csv(data_dir() / "unhcr_refugee_data_finder" / "asylum-decisions.csv",
                       keep_default_na=False, na_values=[""])


@cache
def unhcr_applications() -> pd.DataFrame:
    return pd.read_csv(data_dir() / "unhcr_asylum_applications" / "asylum-applications.csv")


@cache
def ohss_removals() -> pd.DataFrame:
    """DHS removals by citizenship of the latest bundled OHSS edition: one row per month with its
    calendar ``date`` (fiscal-year Total rows left out), one column per published citizenship."""
    path = sorted((data_dir() / "ohss_enforcement_monthly").glob("*.xlsx"))[-1]
    sheet = pd.read_excel(path, sheet_name="DHS Removals by Citizenship", header=None, engine="calamine")
    header = sheet.index[sheet[0] == "Fiscal Year"][0]
    frame = sheet.iloc[header + 1:].set_axis(list(sheet.iloc[header]), axis=1)
    frame = frame[frame["Month"].notna()]
    fiscal_year = frame["Fiscal Year"].where(frame["Month"] == "Total").ffill()
    frame = frame.assign(fiscal_year=fiscal_year.astype(str).str[:4].astype(int))
    frame = frame[frame["Month"] != "Total"]
    month = pd.to_datetime(frame["Month"], format="%B").dt.month
    year = frame["fiscal_year"] - (month >= 10).astype(int)
    return frame.assign(date=pd.to_datetime(dict(year=year, month=month, day=1)), year=year)


@cache
def unhcr_package(name: str) -> pd.DataFrame:
    """A table of UNHCR's R package `refugees` (the latest release of the UNHCR datasets)."""
    return next(iter(pyreadr.read_r(str(data_dir() / "unhcr_refugees_package" / f"{name}.rda")).values()))
