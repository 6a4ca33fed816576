"""IOM "Mobility in the Americas Digest" (R package ``amerdigest``): regular entries and exits
and irregular entries by nationality, compiled from national administrative data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from observatorio.harmonize.problems import Problems
from observatorio.sources.adapter import SourceInfo, register
from observatorio.sources.adapters.iom_gdidata import (
    IomTable,
    Reading,
    attributes_of,
)
from observatorio.sources.catalogue import source_info
from observatorio.sources.readers import ROW, read_rda

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


register(DigestTable(
    source_info("iom_amerdigest.regin"),
    flow="REGULAR_ENTRY",
))
register(DigestTable(
    source_info("iom_amerdigest.regout"),
    flow="REGULAR_EXIT", reporter="nat",
))
register(IrregularEntries(
    source_info("iom_amerdigest.irreg"),
    flow="IRREGULAR_ENTRY",
))
