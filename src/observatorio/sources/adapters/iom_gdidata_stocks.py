"""IOM GDI ``gdidata`` global tables: Missing Migrants incidents, UNHCR and UN DESA stocks and
World Bank indicators (the copies IOM cleaned, with ISO3 codes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatorio.harmonize.problems import Problems
from observatorio.sources.adapter import register
from observatorio.sources.adapters.iom_gdidata import (
    SEX,
    IomTable,
    Reading,
    attributes_of,
)
from observatorio.sources.catalogue import source_info

UNHCR_GROUP_FLOW = {
    "refugee": "REFUGEE_STOCK",
    "asylum": "ASYLUM_SEEKER_STOCK",
    "idp": "IDP_STOCK",
    "stateless": "STATELESS_STOCK",
    "other": "OTHER_OF_CONCERN_STOCK",
    "refugee return": "REFUGEE_RETURN",
    "idp return": "IDP_RETURN",
}

#: WDI variables the observatory publishes → (flow, unit, dataflow); the others (gdp, income,
#: unem, inf, birth, depend, fdiin, fdiout, polstb) are not migration statistics and are skipped.
WDI_VARIABLES = {
    "pop": ("POPULATION", "PERSONS", "POPULATION"),
    "nmig": ("NET_MIGRATION", "PERSONS", "DEVELOPMENT"),
    "remin": ("REMITTANCES_IN", "USD", "DEVELOPMENT"),
    "remout": ("REMITTANCES_OUT", "USD", "DEVELOPMENT"),
}

#: World Bank's own code for the Channel Islands (IOM's crosswalk writes it XCX).
WDI_SPECIAL_AREAS = {"CHI": "_U"}


def _whole_or_none(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)


class MissingMigrantsIncidents(IomTable):
    """IOM Missing Migrants Project incidents: one row per incident, counted in its month."""

    columns = ("t", "type", "route", "geo", "dead", "cause", "surv", "nat", "location", "lon", "lat")
    info = source_info("iom_gdidata.iom_mmp")

    def harmonize(self, reading: Reading) -> dict[str, Any]:
        raw = reading.raw
        nat = raw["nat"].astype("string").str.strip()
        several = nat.str.contains(",", regex=False).fillna(False).astype(bool)
        citizenship, nat_attrs = reading.areas("nat", text=nat.where(~several, "UNK"))
        ref_area, geo_attrs = reading.areas("geo")
        day = reading.dates("t")
        values, status = reading.values("dead")
        attrs = {
            "incident_row": reading.rows, "date": day.map(lambda d: d.isoformat() if d else None),
            "incident_type": raw["type"], "route": raw["route"], "cause": raw["cause"],
            "location": raw["location"], "lon": raw["lon"], "lat": raw["lat"],
            "survivors": raw["surv"].map(_whole_or_none), "nationalities": nat.where(several),
            **nat_attrs, **geo_attrs,
        }
        return {
            "freq": "M", "period": reading.months("t"), "ref_area": ref_area,
            "citizenship": citizenship, "flow": "DEAD_OR_MISSING", "unit": "PERSONS",
            "value": values, "obs_status": status, "attributes": attributes_of(attrs, raw.index),
        }


class UnhcrPopulations(IomTable):
    """UNHCR populations of concern at year end (and returns during the year)."""

    columns = ("geo", "t", "from", "group", "n")
    info = source_info("iom_gdidata.unhcr")

    def harmonize(self, reading: Reading) -> dict[str, Any]:
        ref_area, geo_attrs = reading.areas("geo")
        citizenship, from_attrs = reading.areas("from")
        values, status = reading.values()
        return {
            "freq": "A", "period": reading.years(), "ref_area": ref_area,
            "citizenship": citizenship, "flow": reading.codes("group", UNHCR_GROUP_FLOW, "flow"),
            "unit": "PERSONS", "value": values, "obs_status": status,
            "attributes": attributes_of({**geo_attrs, **from_attrs}, reading.raw.index),
        }


class UndesaMigrantStock(IomTable):
    """UN DESA International Migrant Stock 2024: origin × destination × sex."""

    columns = ("geo", "t", "from", "sex", "n", "type_b", "type_c", "type_r", "type_i")
    info = source_info("iom_gdidata.undesa_stocks")

    def harmonize(self, reading: Reading) -> dict[str, Any]:
        raw = reading.raw
        ref_area, geo_attrs = reading.areas("geo")
        citizenship, from_attrs = reading.areas("from")
        values, status = reading.values()
        imputed = raw["type_i"].fillna(0).astype(int) == 1
        status = status.where(~(imputed | (np.floor(values) != values)) | values.isna(), "E")
        basis = pd.Series(None, index=raw.index, dtype=object)
        basis[raw["type_c"].fillna(0).astype(int) == 1] = "citizenship"
        basis[raw["type_b"].fillna(0).astype(int) == 1] = "birth"
        attrs = {
            "origin_basis": basis,
            "includes_refugees": raw["type_r"].map(lambda v: None if pd.isna(v) else bool(v)),
            **geo_attrs, **from_attrs,
        }
        return {
            "freq": "A", "period": reading.years(), "ref_area": ref_area,
            "citizenship": citizenship, "flow": "MIGRANT_STOCK",
            "sex": reading.codes("sex", SEX, "sex"), "unit": "PERSONS", "value": values,
            "obs_status": status, "attributes": attributes_of(attrs, raw.index),
        }


class WorldBankIndicators(IomTable):
    """World Bank WDI (population from UN WPP): population, net migration and remittances."""

    columns = ("geo", "var", "t", "v")
    info = source_info("iom_gdidata.wdi")

    def select(self, raw: pd.DataFrame, path: Path, problems: Problems) -> pd.DataFrame:
        return raw[raw["var"].astype("string").isin(list(WDI_VARIABLES)).fillna(False).astype(bool)]

    def harmonize(self, reading: Reading) -> dict[str, Any]:
        flow, unit, dataflow = reading.code_tuples("var", WDI_VARIABLES, "flow")
        ref_area, geo_attrs = reading.areas("geo", special=WDI_SPECIAL_AREAS)
        values, status = reading.values("v")
        fractional_count = (unit == "PERSONS") & (np.floor(values) != values) & values.notna()
        status = status.where(~((flow == "POPULATION") | fractional_count), "E")
        return {
            "dataflow": dataflow, "freq": "A", "period": reading.years(), "ref_area": ref_area,
            "flow": flow, "unit": unit, "value": values, "obs_status": status,
            "attributes": attributes_of(geo_attrs, reading.raw.index),
        }


register(MissingMigrantsIncidents())
register(UnhcrPopulations())
register(UndesaMigrantStock())
register(WorldBankIndicators())
