"""IOM GDI ``gdidata`` global tables: Missing Migrants incidents, UNHCR and UN DESA stocks and
World Bank indicators (the copies IOM cleaned, with ISO3 codes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatorio.harmonize.problems import Problems
from observatorio.sources.adapters.iom_gdidata import (
    GDIDATA,
    SEX,
    IomTable,
    Reading,
    attributes_of,
    iom_info,
)
from observatorio.sources.base import register

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

NON_ISO = (
    "Los códigos que no son ISO 3166 (p. ej. OOO desconocido, STL apátridas, TIB, XCX Islas del "
    "Canal, ANT) se codifican _U y el código original queda en los atributos.",
    "Codes that are not ISO 3166 (e.g. OOO unknown, STL stateless, TIB, XCX Channel Islands, "
    "ANT) are coded _U and the original code is kept in the attributes.",
)


def _whole_or_none(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)


class MissingMigrantsIncidents(IomTable):
    """IOM Missing Migrants Project incidents: one row per incident, counted in its month."""

    columns = ("t", "type", "route", "geo", "dead", "cause", "surv", "nat", "location", "lon", "lat")
    info = iom_info(
        GDIDATA, "iom_mmp",
        title=("Migrantes fallecidos o desaparecidos, por incidente",
               "Dead or missing migrants, by incident"),
        original=("Proyecto Migrantes Desaparecidos de la OIM", "IOM Missing Migrants Project"),
        dataflow="MISSING_MIGRANTS", terms="IOM Missing Migrants Project, CC BY 4.0",
        caveats=(
            ("La cifra es «fallecidos o desaparecidos» sin separar (flujo DEAD_OR_MISSING).",
             "The figure is 'dead or missing', not separated (flow DEAD_OR_MISSING)."),
            ("Una fila por incidente; la fecha, la ruta, la causa, el lugar, las coordenadas y los "
             "sobrevivientes están en los atributos.",
             "One row per incident; date, route, cause, location, coordinates and survivors are in "
             "the attributes."),
            ("Si el incidente incluye varias nacionalidades, la nacionalidad es desconocida (_U) y "
             "la lista queda en el atributo «nationalities».",
             "When an incident involves several nationalities, citizenship is unknown (_U) and the "
             "list is in the 'nationalities' attribute."),
        ),
    )

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
    info = iom_info(
        GDIDATA, "unhcr",
        title=("Población desplazada por la fuerza, por país de asilo, origen y grupo",
               "Forcibly displaced populations, by country of asylum, origin and group"),
        original=("ACNUR, Refugee Data Finder", "UNHCR Refugee Data Finder"),
        dataflow="FORCED_DISPLACEMENT", terms="UNHCR Refugee Data Finder, CC BY 4.0",
        caveats=(
            ("Poblaciones al cierre del año; los retornos (refugiados y desplazados internos) son "
             "del año.",
             "End-of-year populations; returns (refugees and IDPs) are during the year."),
            NON_ISO,
        ),
    )

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
    info = iom_info(
        GDIDATA, "undesa_stocks",
        title=("Stock de migrantes internacionales por destino, origen y sexo",
               "International migrant stock by destination, origin and sex"),
        original=("ONU DAES, International Migrant Stock 2024", "UN DESA International Migrant Stock 2024"),
        dataflow="MIGRANT_STOCK",
        terms="United Nations, Department of Economic and Social Affairs (UN DESA), Population Division",
        caveats=(
            ("El origen puede ser el país de nacimiento o el de ciudadanía según el país de destino "
             "(atributo «origin_basis»); se publica en la columna de ciudadanía.",
             "Origin may be the country of birth or of citizenship depending on the destination "
             "('origin_basis' attribute); it is published in the citizenship column."),
            ("Las cifras imputadas por la ONU llevan estado E (estimado).",
             "Figures imputed by the UN carry status E (estimated)."),
            ("Años 1990, 1995, …, 2020 y 2024.", "Years 1990, 1995, …, 2020 and 2024."),
            NON_ISO,
        ),
    )

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
    info = iom_info(
        GDIDATA, "wdi",
        title=("Población, migración neta y remesas por país",
               "Population, net migration and remittances by country"),
        original=("Banco Mundial, WDI, y ONU, WPP", "World Bank WDI and UN WPP"),
        dataflow="DEVELOPMENT",
        terms="World Bank World Development Indicators, CC BY 4.0; UN World Population Prospects",
        caveats=(
            ("Solo población (pop), migración neta (nmig) y remesas recibidas y pagadas (remin, "
             "remout, US$ corrientes); los demás indicadores del archivo no se publican.",
             "Only population (pop), net migration (nmig) and remittances received and paid "
             "(remin, remout, current US$); the file's other indicators are not published."),
            ("La población (personas, no miles) es una estimación de la ONU (estado E).",
             "Population (persons, not thousands) is a UN estimate (status E)."),
            ("La migración neta puede ser negativa (más salidas que entradas).",
             "Net migration can be negative (more leaving than arriving)."),
            ("CHI (Islas del Canal, código del Banco Mundial) y ANT (Antillas Neerlandesas) se "
             "codifican _U con el código original en los atributos.",
             "CHI (Channel Islands, World Bank code) and ANT (Netherlands Antilles) are coded _U "
             "with the original code in the attributes."),
        ),
    )

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
