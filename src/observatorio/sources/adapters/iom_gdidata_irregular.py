"""IOM GDI ``gdidata`` tables on irregular migration and returns in the region (national
authorities of Guatemala, Mexico, Panama, Honduras and the USA, cleaned by IOM)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from observatorio.sources.adapters.cbp import DEMOGRAPHIC as CBP_DEMOGRAPHIC
from observatorio.sources.adapters.cbp import ENCOUNTER_TYPE_FLOW
from observatorio.sources.adapters.iom_gdidata import (
    GDIDATA,
    SEX,
    Bilingual,
    IomTable,
    Reading,
    attributes_of,
    iom_info,
)
from observatorio.sources.base import SourceInfo, register

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

EVENTS = ("UPM publica «eventos»: una persona puede contarse más de una vez.",
          "UPM publishes 'events' (`eventos`): one person can be counted more than once.")
CHILDREN_FROM_2023 = (
    "En 2021–2022 solo se registran hombres y mujeres (niños y niñas desde 2023): los adultos "
    "de esos años pueden incluir menores.",
    "In 2021–2022 only men and women are recorded (boys and girls from 2023 on): the adults of "
    "those years may include children.",
)
QUARTER_KEPT = ("El trimestre del publicador se conserva en los atributos.",
                "The publisher's quarter is kept in the attributes.")

IGM = ("Instituto Guatemalteco de Migración", "Guatemalan Migration Institute, IGM")
UPM = ("Unidad de Política Migratoria, UPM", "Mexico's Migration Policy Unit, UPM")
SNM = ("Servicio Nacional de Migración de Panamá", "Panama National Migration Service, SNM")
INM_HND = ("Instituto Nacional de Migración de Honduras, «Flujo Migratorio Irregular»",
           "Honduras National Migration Institute, 'Irregular Migration Flow' dashboard")
CBP = ("Oficina de Aduanas y Protección Fronteriza, CBP", "U.S. Customs and Border Protection, CBP")
GOVERNMENT_TERMS = "{}, government statistics"


def _info(stem: str, title: Bilingual, original: Bilingual, *caveats: Bilingual,
          dataflow: str = "IRREGULAR_MIGRATION", terms: str | None = None) -> SourceInfo:
    return iom_info(GDIDATA, stem, title=title, original=original, dataflow=dataflow,
                    terms=terms or GOVERNMENT_TERMS.format(original[1]), caveats=caveats)


class GuatemalaReturns(IomTable):
    """Guatemalans returned by Mexico and the USA, received by Guatemala (IGM)."""

    columns = ("t", "sex", "age", "origin", "n")
    info = _info(
        "irreg_guatemala",
        ("Guatemaltecos retornados desde México y EE. UU., por sexo y edad",
         "Guatemalans returned from Mexico and the USA, by sex and age"),
        IGM,
        ("Desde 2024-01 el país que retorna queda en blanco (salvo México): casi con certeza son "
         "retornos desde EE. UU., pero el publicador no lo indica; se codifican como desconocido "
         "(_U) con una nota en los atributos.",
         "From 2024-01 the returning country is blank (except Mexico): almost certainly returns "
         "from the USA, but the publisher does not say so; coded unknown (_U) with a note in the "
         "attributes."),
        dataflow="RETURNS",
    )

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
    info = _info(
        "irreg_mexico_dmg",
        ("México: personas extranjeras presentadas ante el INM, por sexo y edad (eventos)",
         "Mexico: foreigners presented to the INM, by sex and age (events)"),
        UPM, EVENTS,
        ("Para 12 a 17 años UPM no indica si viajaban acompañados (_U).",
         "For ages 12 to 17 UPM does not say whether they travelled accompanied (_U)."),
    )

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
    info = _info(
        "irreg_usa",
        ("EE. UU.: encuentros en la frontera terrestre suroeste por sector, tipo, demografía y "
         "nacionalidad",
         "USA: Southwest Land Border encounters by area, type, demographic and nationality"),
        CBP,
        ("Cuenta encuentros (eventos), no personas.", "Counts encounters (events), not people."),
        ("Antes de octubre de 2019 (año fiscal 2020) no hay sector ni nacionalidad: esas filas son "
         "totales por componente, con nacionalidad desconocida (_U).",
         "Before October 2019 (fiscal year 2020) there is no area or nationality: those rows are "
         "component totals, with nationality unknown (_U)."),
        ("La nacionalidad se da para 22 grupos; el resto es «otros» (_O).",
         "Nationality is given for 22 groups; the rest is 'other' (_O)."),
        ("CBP renombró «UAC» como «UC / Single Minors»: ambos son menores no acompañados.",
         "CBP renamed 'UAC' as 'UC / Single Minors': both are unaccompanied children."),
        dataflow="BORDER_ENFORCEMENT",
        terms="U.S. Customs and Border Protection (CBP), public domain (U.S. federal government work)",
    )

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
    _info(
        "irreg_mexico_exp",
        ("México: devoluciones por nacionalidad (deportación, retorno asistido, retorno asistido "
         "de niñas, niños y adolescentes; eventos)",
         "Mexico: returns by nationality (deportation, assisted return, assisted return of "
         "children; events)"),
        UPM, EVENTS,
        ("Se supone que cada persona fue devuelta a su país de nacionalidad (país de contraparte "
         "= nacionalidad).",
         "Each person is assumed to be returned to their country of nationality (counterpart "
         "area = citizenship)."),
        ("El tipo de devolución se conserva en los atributos.",
         "The type of return is kept in the attributes."),
        dataflow="RETURNS",
    ),
    ref_area="MEX", flow="RETURN_EXECUTED", unit="EVENTS", attribute_columns=("type",),
    returned_to_nationality=True,
))
register(ByNationality(
    _info(
        "irreg_mexico_nat",
        ("México: personas extranjeras presentadas ante el INM, por nacionalidad (eventos)",
         "Mexico: foreigners presented to the INM, by nationality (events)"),
        UPM, EVENTS,
        ("Incluye canalizaciones al DIF (cuadro 3.1.1 del Boletín).",
         "Includes referrals to DIF (Boletín table 3.1.1)."),
    ),
    ref_area="MEX", flow="PRESENTED", unit="EVENTS",
))
register(MexicoPresentedByDemography())
register(DarienByNationality(
    _info(
        "irreg_darien_nat",
        ("Panamá: tránsitos irregulares por el Darién, por nacionalidad",
         "Panama: irregular transits through the Darién, by nationality"),
        SNM,
        ("2010–2019 son totales anuales (frecuencia A, periodo 1 de enero); desde 2020, mensuales.",
         "2010–2019 are annual totals (frequency A, period 1 January); monthly from 2020."),
        QUARTER_KEPT,
    ),
    ref_area="PAN", flow="IRREGULAR_ENTRY", unit="PERSONS",
))
register(ByDemography(
    _info(
        "irreg_darien_dmg",
        ("Panamá: tránsitos irregulares por el Darién, por sexo y edad",
         "Panama: irregular transits through the Darién, by sex and age"),
        SNM, CHILDREN_FROM_2023, QUARTER_KEPT,
    ),
    ref_area="PAN", flow="IRREGULAR_ENTRY", quarter=True,
))
register(ByNationality(
    _info(
        "irreg_honduras",
        ("Honduras: llegadas de migrantes en situación irregular (total)",
         "Honduras: irregular migrant arrivals (total)"),
        INM_HND,
        ("Algunos meses valen 0 según el publicador.", "Some months are 0 as published."),
    ),
    ref_area="HND", flow="IRREGULAR_ENTRY", unit="PERSONS", nationality=None,
))
register(ByNationality(
    _info(
        "irreg_honduras_nat",
        ("Honduras: llegadas de migrantes en situación irregular, por nacionalidad",
         "Honduras: irregular migrant arrivals, by nationality"),
        INM_HND,
    ),
    ref_area="HND", flow="IRREGULAR_ENTRY", unit="PERSONS",
))
register(ByDemography(
    _info(
        "irreg_honduras_dmg",
        ("Honduras: llegadas de migrantes en situación irregular, por sexo y edad",
         "Honduras: irregular migrant arrivals, by sex and age"),
        INM_HND,
    ),
    ref_area="HND", flow="IRREGULAR_ENTRY",
))
register(UsaSouthwestEncounters())
