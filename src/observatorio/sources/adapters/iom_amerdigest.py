"""IOM "Mobility in the Americas Digest" (R package ``amerdigest``): regular entries and exits
and irregular entries by nationality, compiled from national administrative data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from observatorio.harmonize.problems import Problems
from observatorio.sources.adapters.iom_gdidata import (
    AMERDIGEST,
    Bilingual,
    IomTable,
    Reading,
    attributes_of,
    iom_info,
)
from observatorio.sources.base import SourceInfo, register
from observatorio.sources.readers import ROW, read_rda

GOVERNMENTS = "national governments' administrative data (migration authorities of each country)"

#: Mexico counts "eventos" (one person can be presented several times); Panama and Honduras
#: count people.
IRREGULAR_UNIT_BY_COUNTRY = {"MEX": "EVENTS"}


class DigestTable(IomTable):
    """A digest table (``t``, ``geo``, ``nat``, ``n``): monthly counts by nationality.

    ``reporter`` is the column holding the reporting country (``geo`` except in ``regout``,
    where the publisher swapped the roles); the other column is the travellers' nationality.
    """

    columns = ("t", "geo", "nat", "n")

    def __init__(self, info: SourceInfo, *, flow: str, reporter: str = "geo") -> None:
        self.info = info
        self.flow = flow
        self.reporter = reporter
        self.nationality = "nat" if reporter == "geo" else "geo"

    def harmonize(self, reading: Reading) -> dict[str, Any]:
        ref_area, area_attrs = reading.areas(self.reporter)
        citizenship, nat_attrs = reading.areas(self.nationality)
        # Unknown is not zero: a missing figure stays null with status M.
        values, status = reading.values(blank="missing")
        return {
            "freq": "M", "period": reading.month_starts(), "ref_area": ref_area,
            "citizenship": citizenship, "flow": self.flow, "unit": self.unit(ref_area),
            "value": values, "obs_status": status,
            "attributes": attributes_of({**area_attrs, **nat_attrs,
                                         "publisher_entry": reading.repeats("t", "geo", "nat")},
                                        reading.raw.index),
        }

    def unit(self, ref_area: pd.Series) -> pd.Series | str:
        return "PERSONS"


class IrregularEntries(DigestTable):
    """Irregular entries: Mexico's figures are events, the others people.

    Some country-months of the published ``irreg`` table are row-for-row copies of that
    country's regular entries (``regin``): Honduras 2025-02 to 2025-04 lists 76,358 Hondurans
    and 30,426 US citizens "entering irregularly", exactly its regular entries. Those months
    are not irregular entries and are left out (see the caveats); any other month is kept.
    """

    def select(self, raw: pd.DataFrame, path: Path, problems: Problems) -> pd.DataFrame:
        regular = path.parent / REGULAR_ENTRIES_FILE
        if not regular.is_file():
            return raw
        frames = read_rda(regular, Problems(regular.name))
        if not frames:
            return raw
        copied = copied_months(raw, next(iter(frames.values())))
        month = pd.Series(list(zip(raw["geo"], raw["t"], strict=True)), index=raw.index)
        left_out = month.isin(copied)
        # One warning per country-month left out, at its first row (users must see dropped rows).
        for geo, t in sorted(copied, key=lambda key: (str(key[0]), key[1])):
            rows = raw.loc[raw["geo"].eq(geo) & raw["t"].eq(t), ROW]
            problems.warn("copied_months", row=int(rows.min()), column="t",
                          value=pd.to_datetime(t, unit="D").strftime("%Y-%m"), country=geo,
                          rows=len(rows), regular=REGULAR_ENTRIES_FILE)
        return raw[~left_out]

    def unit(self, ref_area: pd.Series) -> pd.Series | str:
        return ref_area.map(IRREGULAR_UNIT_BY_COUNTRY).fillna("PERSONS").astype(object)


REGULAR_ENTRIES_FILE = "regin.rda"

#: A country-month is taken for a copy only when it lists at least this many nationalities,
#: so that a coincidence on one or two small figures cannot drop real data.
MIN_COPIED_NATIONALITIES = 10


def copied_months(irregular: pd.DataFrame, regular: pd.DataFrame) -> set[tuple[Any, Any]]:
    """(geo, t) whose (nationality, count) rows are exactly the regular entries of that month."""

    def by_month(frame: pd.DataFrame) -> dict[Any, frozenset[tuple[Any, Any]]]:
        return {key: frozenset(zip(group["nat"], group["n"], strict=True))
                for key, group in frame.groupby(["geo", "t"], sort=False)}

    regular_months = by_month(regular)
    return {key for key, rows in by_month(irregular).items()
            if len(rows) >= MIN_COPIED_NATIONALITIES and regular_months.get(key) == rows}


NATIONALITY_UNKNOWN = (
    "La nacionalidad «OOO» (desconocida) y los códigos históricos (CSK, SCG, YUG) se codifican "
    "_U; el código original queda en los atributos.",
    "Nationality 'OOO' (unknown) and historic codes (CSK, SCG, YUG) are coded _U; the original "
    "code is kept in the attributes.",
)
AUTHORITIES = ("autoridades migratorias nacionales", "national migration authorities")


def _info(stem: str, title: Bilingual, dataflow: str, *caveats: Bilingual) -> SourceInfo:
    return iom_info(AMERDIGEST, stem, title=title, original=AUTHORITIES, dataflow=dataflow,
                    terms=GOVERNMENTS, caveats=caveats)


register(DigestTable(
    _info(
        "regin",
        ("Entradas regulares por nacionalidad, según el país que registra",
         "Regular entries by nationality, by recording country"),
        "REGULAR_MOBILITY", NATIONALITY_UNKNOWN,
        ("Todas las filas son mensuales; Bolivia solo informa junio–septiembre de 2024.",
         "All rows are monthly; Bolivia only reports June–September 2024."),
    ),
    flow="REGULAR_ENTRY",
))
register(DigestTable(
    _info(
        "regout",
        ("Salidas regulares por nacionalidad, según el país que registra",
         "Regular exits by nationality, by recording country"),
        "REGULAR_MOBILITY",
        ("En el archivo publicado los papeles están invertidos: el país que registra está en la "
         "columna «nat» y la nacionalidad en «geo»; aquí se corrigen.",
         "In the published file the roles are swapped: the recording country is in column 'nat' "
         "and the nationality in 'geo'; they are corrected here."),
        ("Nacionalidad en blanco en el original: desconocida (_U). México no informa salidas.",
         "Blank nationality in the original: unknown (_U). Mexico does not report exits."),
        ("Los códigos históricos (CSK, SCG, YUG) se codifican _U con el código original en los "
         "atributos.",
         "Historic codes (CSK, SCG, YUG) are coded _U with the original code in the attributes."),
    ),
    flow="REGULAR_EXIT", reporter="nat",
))
register(IrregularEntries(
    _info(
        "irreg",
        ("Entradas irregulares por nacionalidad en Colombia, Honduras, México y Panamá",
         "Irregular entries by nationality in Colombia, Honduras, Mexico and Panama"),
        "IRREGULAR_MIGRATION",
        ("México cuenta eventos (una persona puede contarse varias veces); Colombia, Honduras y "
         "Panamá cuentan personas.",
         "Mexico counts events (one person can be counted several times); Colombia, Honduras and "
         "Panama count people."),
        ("Panamá es el tránsito por el Darién (2021-01 a 2025-03); una cifra de Panamá (2024-07) "
         "falta en el original: valor nulo con estado M.",
         "Panama is the Darién transit (2021-01 to 2025-03); one Panama figure (2024-07) is "
         "missing in the original: null value with status M."),
        NATIONALITY_UNKNOWN,
        ("Honduras 2025-02 a 2025-04 se omite: en el archivo publicado esos meses son una copia "
         "exacta de las entradas regulares de Honduras (regin), no entradas irregulares.",
         "Honduras 2025-02 to 2025-04 is left out: in the published file those months are an "
         "exact copy of Honduras' regular entries (regin), not irregular entries."),
    ),
    flow="IRREGULAR_ENTRY",
))
