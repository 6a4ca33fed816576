"""DHS Office of Homeland Security Statistics: Key Homeland Security Metrics, USBP encounters (XLSX).

Every sheet of the workbook is its own cross-tabulation (counts, by citizenship, by region…) of
the same encounters; each becomes its own ``table`` so nothing is ever summed across sheets.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd

from observatorio.harmonize.fiscal import (
    US_FEDERAL_START_MONTH,
    month_number,
    vector_fiscal_month_to_period,
)
from observatorio.harmonize.frame import (
    assemble,
    attributes_column,
    map_values,
    parse_values,
    resolve_countries,
)
from observatorio.harmonize.problems import Problems
from observatorio.sources.adapter import Adapter, register
from observatorio.sources.catalogue import source_info
from observatorio.sources.readers import ROW, read_xlsx, require_columns

FISCAL_YEAR = "Fiscal Year"  # published as "Fiscal\nYear": headers are compared with spaces collapsed
MONTH = "Month"
QUANTITY = "Quantity"

#: The sixteen tables of the KHSM workbook: each level of detail, annual and monthly.
EXPECTED_SHEETS: tuple[str, ...] = tuple(
    f"{freq} {detail}"
    for detail in ("Count", "Citizenship", "Region", "Family Status", "Sector", "Rgn and Citp",
                   "Rgn and Fam Status", "Rgn and Sector")
    for freq in ("Annual", "Monthly")
)

#: Breakdown columns a sheet may carry, besides the fiscal year, month and quantity.
CITIZENSHIP, REGION, FAMILY_STATUS, SECTOR = "Citizenship", "Region", "Family Status", "Sector"
BREAKDOWNS = (CITIZENSHIP, REGION, FAMILY_STATUS, SECTOR)

_FISCAL_MONTH = re.compile(r"\s*(\d{1,2})\s+(\S+)\s*")

# USBP family status → (age, accompaniment). Family units mix adults and children: age unknown.
FAMILY_STATUS_AGE = {
    "Unaccompanied Children": "Y_LT18",
    "Family Unit Individuals": "_U",
    "Single Adults": "Y_GE18",
}
FAMILY_STATUS_ACCOMPANIMENT = {
    "Unaccompanied Children": "UNACCOMPANIED",
    "Family Unit Individuals": "FAMILY_UNIT",
    "Single Adults": "SINGLE_ADULT",
}

# Citizenships with no current ISO 3166 code; the published name is kept in the attributes.
CITIZENSHIP_SPECIAL = {
    "Unknown": "_U",
    "UNKNOWN": "_U",
    "Other": "_O",
    "OTHER": "_O",
    "Serbia and Montenegro (former)": "_O",  # dissolved 2006; its ISO code SCG was withdrawn
}

#: Attribute value saying an annual period is a US federal fiscal year (October–September).
FISCAL_YEAR_BASIS = "US_FEDERAL_FISCAL_YEAR"


class UsbpEncounters(Adapter):
    info = source_info("ohss_cbp_usbp_encounters")

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        sheets = read_xlsx(path, problems)
        if sheets is None:
            return pd.DataFrame()
        # A workbook missing one of its tables is not the published file: loading the rest would
        # silently drop a breakdown users rely on. Extra sheets in a later release are fine.
        for name in EXPECTED_SHEETS:
            if name not in sheets:
                problems.add("missing_sheet", value=name, found=", ".join(sheets))
        for sheet in sheets.values():
            sheet.columns = [" ".join(str(c).split()) for c in sheet.columns]
        partial_years = _partial_fiscal_years(sheets)
        frames = [self._read_sheet(name, sheet, path, release, partial_years, problems)
                  for name, sheet in sheets.items() if len(sheet)]
        frames = [f for f in frames if f is not None]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def _read_sheet(
        self, name: str, raw: pd.DataFrame, path: Path, release: date, partial_years: set[int],
        problems: Problems,
    ) -> pd.DataFrame | None:
        if not require_columns(raw, (FISCAL_YEAR, QUANTITY), problems):
            return None
        rows = raw[ROW]
        number = pd.to_numeric(raw[FISCAL_YEAR], errors="coerce")
        bad_year = number.isna() | (number != number.round())
        fiscal_year = number.where(~bad_year).astype("Int64")
        problems.add_rows("impossible_period", rows[bad_year].tolist(), f"{name}: {FISCAL_YEAR}",
                          raw[FISCAL_YEAR][bad_year].tolist(), reason="expected a fiscal year such as 2024")
        monthly = MONTH in raw.columns
        if monthly:
            fiscal_month = _fiscal_months(raw[MONTH], rows, f"{name}: {MONTH}", problems)
            ok = ~bad_year & fiscal_month.notna()
        else:
            fiscal_month = pd.Series(1, index=raw.index)
            ok = ~bad_year
        period = pd.Series(None, index=raw.index, dtype=object)
        period[ok] = vector_fiscal_month_to_period(fiscal_year[ok], fiscal_month[ok], US_FEDERAL_START_MONTH)

        citizenship: pd.Series | str = "_T"
        age: pd.Series | str = "_T"
        accompaniment: pd.Series | str = "_T"
        attributes = pd.DataFrame({"fiscal_year": fiscal_year.astype(str)}, index=raw.index)
        if not monthly:
            attributes["period_basis"] = FISCAL_YEAR_BASIS
        if CITIZENSHIP in raw.columns:
            citizenship = resolve_countries(raw[CITIZENSHIP], rows, f"{name}: {CITIZENSHIP}", problems,
                                            special=CITIZENSHIP_SPECIAL)
            # Two publisher groupings could share `_O`: the published name keeps them apart.
            attributes["citizenship_as_published"] = raw[CITIZENSHIP].where(citizenship.str.startswith("_"))
        if FAMILY_STATUS in raw.columns:
            column = f"{name}: {FAMILY_STATUS}"
            accompaniment = map_values(raw[FAMILY_STATUS], FAMILY_STATUS_ACCOMPANIMENT, rows, column,
                                       "accompaniment", problems)
            age = raw[FAMILY_STATUS].astype("string").str.strip().map(FAMILY_STATUS_AGE).astype(object)
        if REGION in raw.columns:
            attributes["region"] = raw[REGION].astype("string").str.strip()
        if SECTOR in raw.columns:
            attributes["sector"] = raw[SECTOR].astype("string").str.strip()
        unknown = [c for c in raw.columns if c not in (FISCAL_YEAR, MONTH, QUANTITY, ROW, *BREAKDOWNS)]
        for column in unknown:
            # A breakdown we do not know would silently merge rows: refuse it by name.
            problems.add("unknown_code", row=1, column=f"{name}: {column}", value=column,
                         codelist="column", closest=list(BREAKDOWNS))

        values, status = parse_values(raw[QUANTITY], rows, f"{name}: {QUANTITY}", problems)
        status = status.where(~fiscal_year.isin(list(partial_years)) | (status != "A"), "P")
        return assemble(raw.index, {
            "dataflow": "BORDER_ENFORCEMENT", "source_row": rows, "table": name,
            "freq": "M" if monthly else "A", "period": period, "ref_area": "USA",
            "citizenship": citizenship, "counterpart_area": "_Z", "flow": "ENCOUNTER", "sex": "_T",
            "age": age, "accompaniment": accompaniment, "unit": "EVENTS", "value": values,
            "obs_status": status, "attributes": attributes_column(attributes),
            "source": self.info.id, "source_file": path.name, "release": release,
        })


def _fiscal_months(raw: pd.Series, rows: pd.Series, column: str, problems: Problems) -> pd.Series:
    """Fiscal-month index from text like "01 October"; the month name must agree with it."""
    lookup = {value: _fiscal_month(value) for value in pd.unique(raw)}  # a dozen distinct texts
    index = raw.map(lookup)
    bad = index.isna()
    problems.add_rows("impossible_period", rows[bad].tolist(), column, raw[bad].tolist(),
                      reason="expected the fiscal month and its name, such as '01 October'")
    return index.astype("Int64")


def _fiscal_month(text: object) -> int | None:
    match = _FISCAL_MONTH.fullmatch(str(text))
    if not match:
        return None
    index = int(match.group(1))
    # Fiscal month 1 of the US federal year is October: index n is calendar month (n + 8) % 12 + 1.
    calendar_month = (index + US_FEDERAL_START_MONTH - 2) % 12 + 1
    if not 1 <= index <= 12 or month_number(match.group(2)) != calendar_month:
        return None
    return index


def _partial_fiscal_years(sheets: dict[str, pd.DataFrame]) -> set[int]:
    """Fiscal years with fewer than 12 months in the monthly sheets: the year still running."""
    pairs = [sheet[[FISCAL_YEAR, MONTH]].drop_duplicates() for sheet in sheets.values()
             if {FISCAL_YEAR, MONTH} <= set(sheet.columns)]
    if not pairs:
        return set()
    months = pd.concat(pairs).drop_duplicates()
    years = pd.to_numeric(months[FISCAL_YEAR], errors="coerce")
    counts = months[MONTH].groupby(years).nunique()
    return set(counts[counts < 12].index.astype("int64").tolist())


register(UsbpEncounters())
