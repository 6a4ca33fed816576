"""U.S. Customs and Border Protection: Southwest Land Border Encounters (monthly CSV)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from observatorio.harmonize.fiscal import (
    US_FEDERAL_START_MONTH,
    month_number,
    vector_calendar_month_to_period,
)
from observatorio.harmonize.frame import (
    assemble,
    attributes_column,
    map_values,
    parse_values,
    report_unknown,
    resolve_countries,
)
from observatorio.harmonize.problems import Problems
from observatorio.sources.adapter import Adapter, register
from observatorio.sources.catalogue import source_info
from observatorio.sources.readers import ROW, read_csv

COLUMNS = (
    "Fiscal Year", "Month Grouping", "Month (abbv)", "Component", "Demographic",
    "Citizenship Grouping", "Title of Authority", "Encounter Type", "Encounter Count",
)  # fmt: skip

ENCOUNTER_TYPE_FLOW = {"Apprehensions": "APPREHENSION", "Inadmissibles": "INADMISSIBLE", "Expulsions": "EXPULSION"}

# CBP's demographic categories → (age, accompaniment).
DEMOGRAPHIC = {
    "Accompanied Minors": ("Y_LT18", "ACCOMPANIED"),
    "UAC": ("Y_LT18", "UNACCOMPANIED"),
    "UC / Single Minors": ("Y_LT18", "UNACCOMPANIED"),
    "FMUA": ("_U", "FAMILY_UNIT"),  # family units mix adults and children: age not given
    "Single Adults": ("Y_GE18", "SINGLE_ADULT"),
}

CITIZENSHIP_SPECIAL = {"Other": "_O", "OTHER": "_O"}


class SouthwestBorderEncounters(Adapter):
    info = source_info("cbp_sw_land_border_encounters")

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        raw = read_csv(path, problems, required=COLUMNS)
        if raw is None:
            return pd.DataFrame()
        rows = raw[ROW]
        # "2025 (FYTD)" marks the current, incomplete fiscal year: provisional figures.
        fy_text = raw["Fiscal Year"].str.strip()
        fytd = fy_text.str.contains("FYTD", case=False, regex=False)
        fiscal_year = pd.to_numeric(fy_text.str.extract(r"^(\d{4})")[0], errors="coerce")
        for row, value in zip(rows[fiscal_year.isna()], fy_text[fiscal_year.isna()], strict=True):
            problems.add("impossible_period", row=row, column="Fiscal Year", value=value,
                         reason="expected a year such as 2024 or '2025 (FYTD)'")
        months = raw["Month (abbv)"].map({m: month_number(m) for m in raw["Month (abbv)"].unique()})
        for row, value in zip(rows[months.isna()], raw["Month (abbv)"][months.isna()], strict=True):
            problems.add("impossible_period", row=row, column="Month (abbv)", value=value,
                         reason="expected a month abbreviation such as OCT")
        ok = fiscal_year.notna() & months.notna()
        period = pd.Series(None, index=raw.index, dtype=object)
        period[ok] = vector_calendar_month_to_period(fiscal_year[ok], months[ok], US_FEDERAL_START_MONTH)
        flow = map_values(raw["Encounter Type"], ENCOUNTER_TYPE_FLOW, rows, "Encounter Type", "flow", problems)
        demog = raw["Demographic"].map(DEMOGRAPHIC)
        report_unknown(raw["Demographic"], demog.isna(), rows, "Demographic", "accompaniment", problems)
        age = raw["Demographic"].map({k: v[0] for k, v in DEMOGRAPHIC.items()})
        accompaniment = raw["Demographic"].map({k: v[1] for k, v in DEMOGRAPHIC.items()})
        citizenship = resolve_countries(raw["Citizenship Grouping"], rows, "Citizenship Grouping",
                                        problems, special=CITIZENSHIP_SPECIAL)
        values, status = parse_values(raw["Encounter Count"], rows, "Encounter Count", problems)
        status = status.where(~fytd, "P")
        attributes = attributes_column(
            pd.DataFrame({
                "component": raw["Component"],
                "title_of_authority": raw["Title of Authority"],
                "fiscal_year": fiscal_year.astype("Int64").astype(str),
            })
        )
        return assemble(raw.index, {
            "dataflow": "BORDER_ENFORCEMENT", "source_row": rows, "freq": "M", "period": period,
            "ref_area": "USA", "citizenship": citizenship, "counterpart_area": "_Z", "flow": flow,
            "sex": "_T", "age": age, "accompaniment": accompaniment, "unit": "EVENTS",
            "value": values, "obs_status": status, "attributes": attributes,
            "source": self.info.id, "source_file": path.name, "release": release,
        })


register(SouthwestBorderEncounters())
