"""IOM GDI ``gdidata`` tables on irregular migration and returns in the region (national
authorities of Guatemala, Mexico, Panama, Honduras and the USA, cleaned by IOM)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from observatorio.sources.adapter import SourceInfo, register
from observatorio.sources.adapters.cbp import DEMOGRAPHIC as CBP_DEMOGRAPHIC
from observatorio.sources.adapters.cbp import ENCOUNTER_TYPE_FLOW
from observatorio.sources.adapters.iom_gdidata import (
    SEX,
    IomTable,
    Reading,
    attributes_of,
)
from observatorio.sources.catalogue import source_info

#: men/women/boys/girls (Darién, Honduras) → (sex, age); the publishers do not give accompaniment.
DEMOG_SEX_AGE = {
    "men": ("M", "Y_GE18"),
    "women": ("F", "Y_GE18"),
    "boys": ("M", "Y_LT18"),
    "girls": ("F", "Y_LT18"),
}

#: Guatemala IGM age groups → (age, accompaniment); adults have no accompaniment status (`_Z`).
GUATEMALA_AGE = {
    "adult": ("Y_GE18", "_Z"),
    "accompanied child": ("Y_LT18", "ACCOMPANIED"),
    "unaccompanied child": ("Y_LT18", "UNACCOMPANIED"),
}

#: Mexico UPM age groups → (age, accompaniment); UPM does not say whether 12–17s travel alone.
MEXICO_AGE = {
    "18+": ("Y_GE18", "_Z"),
    "12-17": ("Y12T17", "_U"),
    "under 12, accompanied": ("Y_LT12", "ACCOMPANIED"),
    "under 12, unaccompanied": ("Y_LT12", "UNACCOMPANIED"),
}

#: Guatemala leaves the returning country blank from 2024 on: almost surely the USA, but unsaid.
UNLABELLED_ORIGIN_NOTE = "probably USA, unlabelled by the publisher"

#: Darién: 2010–2019 are annual totals stored at January; monthly figures start in 2020.
DARIEN_MONTHLY_FROM = 2020


class GuatemalaReturns(IomTable):
    """Guatemalans returned by Mexico and the USA, received by Guatemala (IGM)."""

    columns = ("t", "sex", "age", "origin", "n")
    info = source_info("iom_gdidata.irreg_guatemala")

    def harmonize(self, reading: Reading) -> dict[str, Any]:
        raw = reading.raw
        origin, origin_attrs = reading.areas("origin")
        age, accompaniment = reading.code_tuples("age", GUATEMALA_AGE, "age")
        note = pd.Series(None, index=raw.index, dtype=object).where(raw["origin"].notna(),
                                                                    UNLABELLED_ORIGIN_NOTE)
        values, status = reading.values()
        return {
            "freq": "M", "period": reading.month_starts(), "ref_area": "GTM", "citizenship": "GTM",
            "counterpart_area": origin, "flow": "RETURN_RECEIVED",
            "sex": reading.codes("sex", SEX, "sex"), "age": age, "accompaniment": accompaniment,
            "unit": "PERSONS", "value": values, "obs_status": status,
            "attributes": attributes_of({**origin_attrs, "origin_note": note}, raw.index),
        }


class ByNationality(IomTable):
    """Monthly counts by nationality (``t``, ``nat``, ``n``) recorded by one country's authority.

    ``nationality=None`` reads a total-only table (``t``, ``n``); ``attribute_columns`` are kept
    as attributes; ``returned_to_nationality`` sets the counterpart to the nationality.
    """

    def __init__(
        self, info: SourceInfo, *, ref_area: str, flow: str, unit: str,
        nationality: str | None = "nat", attribute_columns: tuple[str, ...] = (),
        returned_to_nationality: bool = False,
    ) -> None:
        self.info = info
        self.ref_area, self.flow, self.unit = ref_area, flow, unit
        self.nationality = nationality
        self.attribute_columns = attribute_columns
        self.returned_to_nationality = returned_to_nationality
        self.columns = ("t", *([nationality] if nationality else []), *attribute_columns, "n")

    def harmonize(self, reading: Reading) -> dict[str, Any]:
        raw = reading.raw
        attrs: dict[str, Any] = {c: raw[c].astype("string") for c in self.attribute_columns}
        fields: dict[str, Any] = {}
        if self.nationality:
            citizenship, code_attrs = reading.areas(self.nationality)
            attrs.update(code_attrs)
            attrs["publisher_entry"] = reading.repeats("t", self.nationality, *self.attribute_columns)
            fields["citizenship"] = citizenship
            if self.returned_to_nationality:
                fields["counterpart_area"] = citizenship
        values, status = reading.values()
        return {
            "freq": "M", "period": reading.month_starts(), "ref_area": self.ref_area,
            "flow": self.flow, "unit": self.unit, "value": values, "obs_status": status,
            "attributes": attributes_of({**attrs, **self.extra_attributes(reading)}, raw.index),
            **fields, **self.period_fields(reading),
        }

    def extra_attributes(self, reading: Reading) -> dict[str, Any]:
        return {}

    def period_fields(self, reading: Reading) -> dict[str, Any]:
        return {}


class DarienByNationality(ByNationality):
    """Darién: annual totals 2010–2019 (stored at January) and monthly figures from 2020."""

    def __init__(self, info: SourceInfo, **mapping: Any) -> None:
        super().__init__(info, **mapping)
        self.columns = ("t", "q", "nat", "n")

    def extra_attributes(self, reading: Reading) -> dict[str, Any]:
        quarter = quarter_labels(reading)
        return {"quarter": quarter.where(~self._annual(reading), None)}

    def period_fields(self, reading: Reading) -> dict[str, Any]:
        annual = self._annual(reading)
        period = reading.month_starts()
        not_january = annual & period.map(lambda d: d is not None and d.month != 1)
        for row, value in zip(reading.rows[not_january], period[not_january], strict=True):
            reading.problems.add("impossible_period", row=row, column="t", value=value,
                                 reason=f"annual totals before {DARIEN_MONTHLY_FROM} are stored at January")
        return {"freq": annual.map({True: "A", False: "M"}), "period": period}

    @staticmethod
    def _annual(reading: Reading) -> pd.Series:
        years = reading.month_starts().map(lambda d: d.year if d is not None else DARIEN_MONTHLY_FROM)
        return years < DARIEN_MONTHLY_FROM


def quarter_labels(reading: Reading, column: str = "q") -> pd.Series:
    """tsibble yearquarter (days since 1970) → "2023-Q1"."""
    return reading.month_starts(column).map(
        lambda d: f"{d.year}-Q{(d.month - 1) // 3 + 1}" if d is not None else None)


class ByDemography(IomTable):
    """Monthly counts by men/women/boys/girls (Darién, Honduras); ``q`` kept when present."""

    def __init__(self, info: SourceInfo, *, ref_area: str, flow: str, quarter: bool = False) -> None:
        self.info = info
        self.ref_area, self.flow, self.quarter = ref_area, flow, quarter
        self.columns = ("t", *(("q",) if quarter else ()), "demog", "n")

    def harmonize(self, reading: Reading) -> dict[str, Any]:
        sex, age = reading.code_tuples("demog", DEMOG_SEX_AGE, "sex")
        attrs = {"quarter": quarter_labels(reading)} if self.quarter else {}
        values, status = reading.values()
        return {
            "freq": "M", "period": reading.month_starts(), "ref_area": self.ref_area,
            "flow": self.flow, "sex": sex, "age": age, "unit": "PERSONS", "value": values,
            "obs_status": status, "attributes": attributes_of(attrs, reading.raw.index),
        }


class MexicoPresentedByDemography(IomTable):
    """Mexico UPM: foreigners presented to the INM by sex and age group (events)."""

    columns = ("t", "sex", "age", "n")
    info = source_info("iom_gdidata.irreg_mexico_dmg")

    def harmonize(self, reading: Reading) -> dict[str, Any]:
        age, accompaniment = reading.code_tuples("age", MEXICO_AGE, "age")
        values, status = reading.values()
        return {
            "freq": "M", "period": reading.month_starts(), "ref_area": "MEX", "flow": "PRESENTED",
            "sex": reading.codes("sex", SEX, "sex"), "age": age, "accompaniment": accompaniment,
            "unit": "EVENTS", "value": values, "obs_status": status,
        }


class UsaSouthwestEncounters(IomTable):
    """CBP Southwest Land Border encounters by calendar month, as cleaned by IOM."""

    columns = ("t", "t_fy", "component", "area", "authority", "type", "demog", "nat", "n")
    info = source_info("iom_gdidata.irreg_usa")

    def harmonize(self, reading: Reading) -> dict[str, Any]:
        raw = reading.raw
        age, accompaniment = reading.code_tuples("demog", CBP_DEMOGRAPHIC, "accompaniment")
        # IOM writes CBP's residual "Other" citizenship group as OOO.
        citizenship, code_attrs = reading.areas("nat", special={"OOO": "_O"})
        fiscal_year = reading.month_starts("t_fy").map(lambda d: str(d.year) if d is not None else None)
        values, status = reading.values()
        attrs = {
            "component": raw["component"].astype("string"), "area": raw["area"].astype("string"),
            "title_of_authority": raw["authority"].astype("string"), "fiscal_year": fiscal_year,
            **code_attrs,
        }
        return {
            "freq": "M", "period": reading.month_starts(), "ref_area": "USA",
            "citizenship": citizenship, "flow": reading.codes("type", ENCOUNTER_TYPE_FLOW, "flow"),
            "age": age, "accompaniment": accompaniment, "unit": "EVENTS", "value": values,
            "obs_status": status, "attributes": attributes_of(attrs, raw.index),
        }


register(GuatemalaReturns())
register(ByNationality(
    source_info("iom_gdidata.irreg_mexico_exp"),
    ref_area="MEX", flow="RETURN_EXECUTED", unit="EVENTS", attribute_columns=("type",),
    returned_to_nationality=True,
))
register(ByNationality(
    source_info("iom_gdidata.irreg_mexico_nat"),
    ref_area="MEX", flow="PRESENTED", unit="EVENTS",
))
register(MexicoPresentedByDemography())
register(DarienByNationality(
    source_info("iom_gdidata.irreg_darien_nat"),
    ref_area="PAN", flow="IRREGULAR_ENTRY", unit="PERSONS",
))
register(ByDemography(
    source_info("iom_gdidata.irreg_darien_dmg"),
    ref_area="PAN", flow="IRREGULAR_ENTRY", quarter=True,
))
register(ByNationality(
    source_info("iom_gdidata.irreg_honduras"),
    ref_area="HND", flow="IRREGULAR_ENTRY", unit="PERSONS", nationality=None,
))
register(ByNationality(
    source_info("iom_gdidata.irreg_honduras_nat"),
    ref_area="HND", flow="IRREGULAR_ENTRY", unit="PERSONS",
))
register(ByDemography(
    source_info("iom_gdidata.irreg_honduras_dmg"),
    ref_area="HND", flow="IRREGULAR_ENTRY",
))
register(UsaSouthwestEncounters())
