"""IOM R-package tables (``gdidata``, ``amerdigest``): what their adapters share.

The observation tables are registered in ``iom_gdidata_irregular.py``,
``iom_gdidata_stocks.py`` and ``iom_amerdigest.py``. This module holds the common reading
pipeline (:class:`IomTable`), the code helpers, the source metadata factory and the IOM
country crosswalk (``countrynames.rda``), which is a lookup table, not a source.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pycountry

from observatorio.harmonize.countries import CountryResolver
from observatorio.harmonize.frame import (
    DIMENSION_DEFAULTS,
    assemble,
    canonical_json,
    parse_values,
    report_unknown,
    resolve_countries,
)
from observatorio.harmonize.problems import Problems
from observatorio.model.codelists import get_codelist
from observatorio.sources.adapter import Adapter
from observatorio.sources.readers import ROW, days_to_dates, read_rda, require_columns

#: The bundled gdidata package's folder (its tables' facts: sources/catalogue.yaml).
GDIDATA_FOLDER = "iom_gdidata"


#: Male/female labels of the IOM tables → SDMX sex codes.
SEX = {"male": "M", "female": "F"}


# ---------------------------------------------------------------------------------------------
# The IOM country crosswalk (countrynames.rda)

CROSSWALK_FILE = "countrynames.rda"
NAME_COLUMNS = ("name", "name_sort", "name_text")


@dataclass(frozen=True)
class CountryCrosswalk:
    """IOM's country list: its ISO3-like codes (some not ISO: ``OOO``, ``STL``, ``XCX``) and names."""

    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # code → its names

    def name(self, code: str) -> str | None:
        """IOM's English name for a code (historic ISO codes from pycountry), else None."""
        found = self.names.get(code)
        if found:
            return found[0]
        historic = pycountry.historic_countries.get(alpha_3=code)
        return historic.name if historic else None

    def knows(self, code: str) -> bool:
        return self.name(code) is not None

    def aliases(self) -> Iterator[tuple[str, str]]:
        """(name, ISO3) pairs for :class:`CountryResolver` (codes outside the area codelist skipped)."""
        area = get_codelist("area")
        for code, names in self.names.items():
            if code in area:
                for name in names:
                    yield name, code

    def resolver(self) -> CountryResolver:
        """A resolver that also knows IOM's spellings (e.g. "Kosovo (SCR 1244)")."""
        return CountryResolver(extra=dict(self.aliases()))


def read_country_crosswalk(path: Path, problems: Problems) -> CountryCrosswalk | None:
    """The crosswalk from ``countrynames.rda``; unreadable files go to ``problems``."""
    frames = read_rda(path, problems)
    if frames is None:
        return None
    frame = frames.get("countrynames", next(iter(frames.values())))
    if not require_columns(frame, ("iso3", *NAME_COLUMNS), problems):
        return None
    names: dict[str, tuple[str, ...]] = {}
    for record in frame[["iso3", *NAME_COLUMNS]].dropna(subset=["iso3"]).itertuples(index=False):
        code, *spellings = (str(v).strip() for v in record if not pd.isna(v))
        names[code] = tuple(dict.fromkeys(spellings))
    return CountryCrosswalk(names)


@cache
def crosswalk_in(folder: Path) -> CountryCrosswalk:
    """The crosswalk bundled in ``folder`` (empty, so only pycountry names are known, if absent)."""
    path = folder / CROSSWALK_FILE
    if not path.is_file():
        return CountryCrosswalk()
    return read_country_crosswalk(path, Problems(path.name)) or CountryCrosswalk()


def crosswalk_near(path: Path) -> CountryCrosswalk:
    """The crosswalk beside a bundled IOM file (gdidata folder, or its sibling for amerdigest)."""
    for folder in (path.parent, path.parent.parent / GDIDATA_FOLDER):
        if (folder / CROSSWALK_FILE).is_file():
            return crosswalk_in(folder.resolve())
    from observatorio.settings import get_settings

    return crosswalk_in((get_settings().data_path / GDIDATA_FOLDER).resolve())


# ---------------------------------------------------------------------------------------------
# Reading one table

#: IOM's own codes for "no country": the crosswalk names OOO "Unknown"; MMP writes UNK.
UNKNOWN_CODES: dict[str, str] = {"OOO": "_U", "UNK": "_U"}


@dataclass
class Reading:
    """One table being harmonized: its raw rows, the problems found and the crosswalk."""

    raw: pd.DataFrame
    problems: Problems
    crosswalk: CountryCrosswalk
    _month_starts: dict[str, pd.Series] = field(default_factory=dict, repr=False)

    @property
    def rows(self) -> pd.Series:
        return self.raw[ROW]

    def months(self, column: str = "t") -> pd.Series:
        """First day of each month from days since 1970 (tsibble yearmonth / R Date → its month)."""
        dates = self.dates(column)
        return dates.map(lambda d: d.replace(day=1) if d is not None else None)

    def month_starts(self, column: str = "t") -> pd.Series:
        """Dates that must already be month starts (yearmonth); others are reported (once)."""
        if column in self._month_starts:
            return self._month_starts[column]
        dates = self._month_starts[column] = self.dates(column)
        bad = dates.map(lambda d: d is not None and d.day != 1)
        for row, value in zip(self.rows[bad].head(20), dates[bad].head(20), strict=True):
            self.problems.add("impossible_period", row=row, column=column, value=value,
                              reason="expected the first day of a month (tsibble yearmonth)")
        return dates

    def years(self, column: str = "t") -> pd.Series:
        """1 January of each year number."""
        numbers = pd.to_numeric(self.raw[column], errors="coerce")
        lookup = {y: date(int(y), 1, 1) for y in numbers.dropna().unique() if 1 <= y <= 9999}
        return numbers.map(lookup).astype(object)

    def dates(self, column: str) -> pd.Series:
        """``datetime.date`` per row from days since 1970 or R ``Date`` (None where missing)."""
        raw = self.raw[column]
        # Convert each distinct value once: 190k rows share a few hundred months.
        uniques = pd.Series(pd.unique(raw.dropna()))
        lookup = dict(zip(uniques, days_to_dates(uniques), strict=True))
        return raw.map(lookup).astype(object).where(raw.notna(), None)

    def repeats(self, *columns: str) -> pd.Series:
        """2, 3, … on the 2nd, 3rd … row with the same values in ``columns``, else None.

        Some tables list a country twice in one month (IOM coded two publisher labels, e.g.
        two spellings of Taiwan, to one ISO3). Both rows are kept as published; this ordinal,
        kept as an attribute, keeps their keys apart and the sum is the country's figure.
        """
        ordinal = self.raw.groupby(list(columns), dropna=False, sort=False).cumcount() + 1
        return ordinal.map(lambda k: int(k) if k > 1 else None).astype(object)

    def values(self, column: str = "n", *, blank: str = "error") -> tuple[pd.Series, pd.Series]:
        """(values, obs_status) of a numeric column (see :func:`parse_values`)."""
        return parse_values(self.raw[column], self.rows, column, self.problems, blank=blank)

    def codes(self, column: str, mapping: Mapping[str, str], codelist: str) -> pd.Series:
        """Codes for a label column through an exact mapping; unmapped labels are reported."""
        return self.code_tuples(column, {k: (v,) for k, v in mapping.items()}, codelist)[0]

    def code_tuples(
        self, column: str, mapping: Mapping[str, tuple[str, ...]], codelist: str
    ) -> list[pd.Series]:
        """Several dimensions from one label column (e.g. demog → sex, age); one series each.

        Unmapped labels are reported and give None.
        """
        positions, uniques = self._factorize(column)
        width = len(next(iter(mapping.values())))
        found = [mapping.get(str(label).strip()) for label in uniques]
        unmapped = pd.Series(np.array([v is None for v in found] + [True])[positions], index=self.raw.index)
        report_unknown(self.raw[column], unmapped, self.rows, column, codelist, self.problems)
        return [self._per_row(positions, [v[i] if v else None for v in found], None)
                for i in range(width)]

    def _factorize(self, column: str | pd.Series) -> tuple[np.ndarray, pd.Index]:
        # Work on the distinct labels (a few hundred) rather than on every row (up to 190k);
        # a missing label gets position -1, i.e. the extra last slot of _per_row.
        values = self.raw[column] if isinstance(column, str) else column
        return pd.factorize(values.astype(object), use_na_sentinel=True)

    def _per_row(self, positions: np.ndarray, per_unique: list[Any], missing: Any) -> pd.Series:
        return pd.Series(np.array([*per_unique, missing], dtype=object)[positions], index=self.raw.index)

    def areas(
        self, column: str, *, special: Mapping[str, str] | None = None, missing: str = "_U",
        text: pd.Series | None = None,
    ) -> tuple[pd.Series, dict[str, pd.Series]]:
        """Area codes of an ISO3 column, and attributes keeping any code that is not ISO 3166.

        R ``NA`` → ``missing``; ``special`` maps publisher codes first (OOO, UNK → ``_U`` by
        default); codes the crosswalk or pycountry know but the area codelist lacks (``STL``
        stateless, ``XCX`` Channel Islands, ``YUG``) → ``_U``, with the original code and name
        in the attributes ``<column>_code`` / ``<column>_name`` so keys stay unique.
        """
        column_values = self.raw[column] if text is None else text
        positions, uniques = self._factorize(column_values)
        labels = [str(u).strip() for u in uniques]
        special = {**UNKNOWN_CODES, **(special or {})}
        area = get_codelist("area")
        codes: list[str | None] = []
        for label in labels:
            if label in special:
                codes.append(special[label])
            elif label in area:
                codes.append(label)
            elif self.crosswalk.knows(label):
                codes.append("_U")
            else:
                codes.append(None)
        unresolved = [i for i, code in enumerate(codes) if code is None]
        if unresolved:
            todo = pd.Series(positions, index=self.raw.index).isin(unresolved)
            found = resolve_countries(column_values[todo], self.rows[todo], column, self.problems,
                                      resolver=self.crosswalk.resolver())
            for i in unresolved:
                matches = found[positions[todo.to_numpy()] == i].dropna()
                codes[i] = matches.iloc[0] if len(matches) else None
        original = [label if code != label else None for label, code in zip(labels, codes, strict=True)]
        # Special codes speak for themselves (_U, _O); name the others from the crosswalk.
        names = [self.crosswalk.name(o) if o is not None and o not in special else None
                 for o in original]
        return self._per_row(positions, codes, missing), {
            f"{column}_code": self._per_row(positions, original, None),
            f"{column}_name": self._per_row(positions, names, None),
        }


def attributes_of(columns: Mapping[str, pd.Series | Any], index: pd.Index) -> pd.Series:
    """Canonical JSON per row of the given attribute columns, computed once per distinct row."""
    frame = pd.DataFrame(
        {k: (v.reindex(index) if isinstance(v, pd.Series) else v) for k, v in columns.items()},
        index=index,
    ).astype(object)
    if frame.shape[1] == 0:
        return pd.Series("{}", index=index, dtype=object)
    frame = frame.where(frame.notna(), None)
    if frame.isna().all().all():
        return pd.Series("{}", index=index, dtype=object)
    # One JSON text per distinct combination: most tables have a handful, MMP one per row.
    group = frame.groupby(list(frame.columns), dropna=False, sort=False).ngroup().to_numpy()
    first = ~pd.Series(group).duplicated().to_numpy()
    names = list(frame.columns)
    texts = np.empty(group.max() + 1, dtype=object)
    for gid, record in zip(group[first], frame[first].itertuples(index=False, name=None), strict=True):
        texts[gid] = canonical_json(dict(zip(names, record, strict=True)))
    return pd.Series(texts[group], index=index, dtype=object)


class IomTable(Adapter):
    """An ``.rda`` table of an IOM R package; subclasses say how its columns map.

    ``read`` checks the columns, lets :meth:`select` drop rows the observatory does not publish,
    then assembles what :meth:`harmonize` returns with the lineage columns.
    """

    columns: tuple[str, ...] = ()

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        frames = read_rda(path, problems)
        if frames is None:
            return pd.DataFrame()
        stem = self.info.filename.removesuffix(".rda")
        raw = frames.get(stem, next(iter(frames.values())))
        if not require_columns(raw, self.columns, problems):
            return pd.DataFrame()
        reading = Reading(self.select(raw, path, problems), problems, crosswalk_near(path))
        fields = {
            **DIMENSION_DEFAULTS, "dataflow": self.info.dataflow, "source_row": reading.rows,
            "source": self.info.id, "source_file": path.name, "release": release,
            **self.harmonize(reading),
        }
        size = len(reading.raw)
        # Broadcast scalars as arrays: assemble's list broadcasting dominates 190k-row tables.
        return assemble(reading.raw.index, {
            name: np.full(size, value, dtype=object) if not isinstance(value, (pd.Series, np.ndarray))
            else value for name, value in fields.items()
        })

    def select(self, raw: pd.DataFrame, path: Path, problems: Problems) -> pd.DataFrame:
        """The rows that become observations (all by default); ``path`` is the file read.

        Rows left out because of what the file holds (not by design) are reported to
        ``problems`` as warnings, so that users see them.
        """
        return raw

    @abstractmethod
    def harmonize(self, reading: Reading) -> dict[str, Any]:
        """Contract columns (series or scalars) for the rows of ``reading.raw``."""
