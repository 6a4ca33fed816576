"""UNHCR's own R package ``refugees`` (``data/*.rda``): the Refugee Population Statistics Database
in another layout and a newer release than the Refugee Data Finder downloads.

A source is a dataset, not a file layout: ``population``, ``asylum_applications`` and
``asylum_decisions`` are read here into the very same observations as the CSV downloads
(adapters in ``unhcr.py``, which call these readers for a ``.rda`` file), so each package file
loads as one more release of the dataset already in the store. ``demographics`` (2025, by sex,
age band and sub-national location) and ``solutions`` (returns, resettlement, naturalisation)
are datasets of their own, registered here.

Every package column is named (``coo_iso``, ``coa_iso``, ``year``…); ``NA`` in the application
and stage codes is a code, never a missing value (pyreadr keeps it as text).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatorio.harmonize.frame import (
    assemble,
    attributes_column,
    map_values,
    report_unknown,
    resolve_countries,
)
from observatorio.harmonize.problems import Problems
from observatorio.harmonize.subdivisions import resolve_subdivision
from observatorio.sources.adapter import Adapter, register
from observatorio.sources.catalogue import source_info
from observatorio.sources.readers import ROW, read_rda, require_columns

#: Release of the bundled package (version 2025.12.1: Global Trends 2025 with a December
#: correction; the version number is the release date).
PACKAGE_RELEASE = date(2025, 12, 1)
PACKAGE_FOLDER = "unhcr_refugees_package"

YEAR, ORIGIN, ORIGIN_NAME, ASYLUM = "year", "coo_iso", "coo_name", "coa_iso"
KEY = (YEAR, ORIGIN, ORIGIN_NAME, ASYLUM)

#: Package population columns → the flows of the CSV download (same dataset). The package's
#: returned_refugees / returned_idps are flows of the solutions dataset, loaded there.
POPULATION_COLUMNS = {
    "refugees": "REFUGEE_STOCK",
    "asylum_seekers": "ASYLUM_SEEKER_STOCK",
    "idps": "IDP_STOCK",
    "oip": "OIP_STOCK",
    "stateless": "STATELESS_STOCK",
    "hst": "HOST_COMMUNITY_STOCK",
    "ooc": "OTHER_OF_CONCERN_STOCK",
}
DECISION_COLUMNS = {
    "dec_recognized": "ASYLUM_DECISION_RECOGNIZED",
    "dec_other": "ASYLUM_DECISION_COMPLEMENTARY",
    "dec_rejected": "ASYLUM_DECISION_REJECTED",
    "dec_closed": "ASYLUM_DECISION_CLOSED",
}
SOLUTION_COLUMNS = {
    "returned_refugees": "REFUGEE_RETURN",
    "resettlement": "RESETTLEMENT",
    "naturalisation": "NATURALISATION",
    "returned_idps": "IDP_RETURN",
}
UNITS = {"C": "CASES", "P": "PERSONS"}
AUTHORITIES = frozenset({"G", "U", "J"})
#: Application types: N new, R repeat, A appeal, V, NR, J, NA, RA, FA, SP (NA is a code).
APPLICATION_TYPES = frozenset({"N", "R", "A", "V", "NR", "J", "NA", "RA", "FA", "SP"})


#: UNHCR origin codes outside ISO 3166 → SDMX special codes. Blank is how the applications
#: table writes "Unknown". Stateless people and UNHCR's "Tibetan" group are not a country.
ORIGIN_SPECIAL = {"UNK": "_U", "": "_U", "XXA": "_O", "STA": "_O", "TIB": "_O"}
#: UNHCR's stage-of-procedure codes seen so far (FI first instance, AR administrative review,
#: RA repeat/reopened application, JR judicial review, FA first instance and appeal, NA new
#: applications, TA temporary asylum, SP subsidiary protection…). ``NA`` is a code, never a
#: missing value. A new code fails the load so that it is looked at before it is published.
STAGES = frozenset({"FI", "AR", "FA", "RA", "JR", "IN", "EO", "NA", "TA", "SP", "TP", "BL",
                    "CA", "TR"})  # CA and TR first appear in the 2025 R package release


def is_package_file(path: Path) -> bool:
    """Whether ``path`` is a package data file (R ``save()`` archive) rather than a CSV download."""
    return path.suffix.lower() == ".rda"


def read_frame(path: Path, problems: Problems, required: tuple[str, ...]) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """The package data frame with its period (1 January), origin and asylum codes resolved
    (UNHCR's non-ISO origins become SDMX special codes, as for the CSV downloads)."""
    frames = read_rda(path, problems)
    if frames is None:
        return None
    raw = next(iter(frames.values()))
    if not require_columns(raw, KEY + required, problems):
        return None
    rows = raw[ROW]
    year = pd.to_numeric(raw[YEAR], errors="coerce")
    bad = year.isna() | (year != year.round())
    problems.add_rows("impossible_period", rows[bad].tolist(), YEAR, raw[YEAR][bad].tolist(),
                      reason="expected a year such as 2023")
    period = year.where(~bad).map({y: date(int(y), 1, 1) for y in year[~bad].unique()}).astype(object)
    origin_code = raw[ORIGIN].astype("string").str.strip()
    citizenship = resolve_countries(origin_code.astype(object), rows, ORIGIN, problems, special=ORIGIN_SPECIAL)
    # The package also uses UNHCR's UNK / XXA as a country of asylum (a few rows): same codes.
    asylum_code = raw[ASYLUM].astype("string").str.strip()
    ref_area = resolve_countries(asylum_code.astype(object), rows, ASYLUM, problems, special=ORIGIN_SPECIAL)
    special_codes = list(set(ORIGIN_SPECIAL.values()))
    special, special_asylum = citizenship.isin(special_codes), ref_area.isin(special_codes)
    origin = pd.DataFrame(index=raw.index, columns=["origin_code", "origin_name", "asylum_code"], dtype=object)
    origin.loc[special, "origin_code"] = origin_code[special]
    origin.loc[special, "origin_name"] = raw.loc[special, ORIGIN_NAME]
    origin.loc[special_asylum, "asylum_code"] = asylum_code[special_asylum]
    return raw, {"period": period, "citizenship": citizenship, "ref_area": ref_area, "origin": origin}


def _melt(raw: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """One row per (package row, measure column) with a non-zero figure. NaN means not reported
    (no observation); zeros are not loaded either: the package repeats every measure on every
    origin–asylum row, so most cells (4 of 5 in population, 1 of 2 in decisions) are zeros that
    would double the store and the load time for no information (no row = zero or not reported)."""
    parts = []
    for column, flow in columns.items():
        values = pd.to_numeric(raw[column], errors="coerce")
        keep = values.notna() & (values != 0)
        parts.append(pd.DataFrame({"at": raw.index[keep], "flow": flow, "value": values[keep].to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def read_population(path: Path, problems: Problems, release: date, source: str) -> pd.DataFrame:
    parsed = read_frame(path, problems, tuple(POPULATION_COLUMNS))
    if parsed is None:
        return pd.DataFrame()
    raw, keys = parsed
    return _assemble_melted(raw, keys, _melt(raw, POPULATION_COLUMNS), source, path, release)


def read_decisions(path: Path, problems: Problems, release: date, source: str) -> pd.DataFrame:
    required = ("procedure_type", "dec_level", "dec_pc", *DECISION_COLUMNS, "dec_total")
    parsed = read_frame(path, problems, required)
    if parsed is None:
        return pd.DataFrame()
    raw, keys = parsed
    rows = raw[ROW]
    unit = map_values(raw["dec_pc"], UNITS, rows, "dec_pc", "unit", problems)
    authority = raw["procedure_type"].astype("string").str.strip()
    report_unknown(authority, ~authority.isin(list(AUTHORITIES)), rows, "procedure_type", "authority", problems)
    stage = raw["dec_level"].astype("string").str.strip()
    report_unknown(stage, ~stage.isin(list(STAGES)), rows, "dec_level", "procedure_stage", problems)
    parts = raw[list(DECISION_COLUMNS)].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=1)
    total = pd.to_numeric(raw["dec_total"], errors="coerce")
    mismatch = (parts != total) & parts.notna() & total.notna()
    for row, published, part in zip(rows[mismatch], total[mismatch], parts[mismatch], strict=True):
        problems.warn("total_mismatch", row=int(row), column="dec_total", value=f"{published:.0f}",
                      parts=f"{part:.0f}")
    keys = {**keys, "origin": keys["origin"].assign(
        authority=authority.astype(object), procedure_stage=stage.astype(object),
        total_decisions_published=total.where(mismatch).astype("Int64"))}
    return _assemble_melted(raw, keys, _melt(raw, DECISION_COLUMNS), source, path,
                            release, dataflow="ASYLUM", unit=unit)


def read_applications(path: Path, problems: Problems, release: date, source: str) -> pd.DataFrame:
    """Applications at the package's detail: one row per authority, application type, stage and
    unit (the CSV download adds these up and says neither which are new nor which are cases)."""
    parsed = read_frame(path, problems, ("procedure_type", "app_type", "dec_level", "app_pc", "applied"))
    if parsed is None:
        return pd.DataFrame()
    raw, keys = parsed
    rows = raw[ROW]
    # Unit PERSONS as in the CSV download of the same dataset (whose figures already mix both),
    # so that a year-origin-asylum adds up to UNHCR's own total in every release; what the
    # package says each row counts (C cases, P persons) is kept in the attribute cases_or_persons.
    counted = raw["app_pc"].astype("string").str.strip()
    report_unknown(counted, ~counted.isin(list(UNITS)), rows, "app_pc", "unit", problems)
    authority = raw["procedure_type"].astype("string").str.strip()
    report_unknown(authority, ~authority.isin(list(AUTHORITIES)), rows, "procedure_type", "authority", problems)
    app_type = raw["app_type"].astype("string").str.strip()
    report_unknown(app_type, ~app_type.isin(list(APPLICATION_TYPES)), rows, "app_type", "application_type", problems)
    stage = raw["dec_level"].astype("string").str.strip()
    report_unknown(stage, ~stage.isin(list(STAGES)), rows, "dec_level", "procedure_stage", problems)
    values = pd.to_numeric(raw["applied"], errors="coerce")
    status = pd.Series(np.where(values.isna(), "M", "A"), index=raw.index, dtype=object)
    attributes = attributes_column(keys["origin"].assign(
        authority=authority.astype(object), application_type=app_type.astype(object),
        procedure_stage=stage.astype(object), cases_or_persons=counted.astype(object)))
    return assemble(raw.index, {
        "dataflow": "ASYLUM", "source_row": rows, "freq": "A", "period": keys["period"],
        "ref_area": keys["ref_area"], "citizenship": keys["citizenship"], "counterpart_area": "_Z",
        "flow": "ASYLUM_APPLICATION", "unit": "PERSONS", "value": values, "obs_status": status,
        "attributes": attributes, "source": source, "source_file": path.name, "release": release,
    })


# -- solutions ----------------------------------------------------------------------------------


def _assemble_melted(raw: pd.DataFrame, keys: dict[str, Any], long: pd.DataFrame, source: str,
                     path: Path, release: date, dataflow: str = "FORCED_DISPLACEMENT",
                     **columns: Any) -> pd.DataFrame:
    """The frame of :func:`_melt` rows: each takes its package row's keys and attributes."""
    at = long["at"]
    return assemble(long.index, {
        "dataflow": dataflow, "source_row": raw[ROW].to_numpy()[at], "freq": "A",
        "period": keys["period"].to_numpy()[at], "ref_area": keys["ref_area"].to_numpy()[at],
        "citizenship": keys["citizenship"].to_numpy()[at], "counterpart_area": "_Z",
        "flow": long["flow"], "unit": "PERSONS", "value": long["value"],
        "attributes": attributes_column(keys["origin"]).to_numpy()[at], "source": source,
        "source_file": path.name, "release": release,
        **{name: value.to_numpy()[at] if isinstance(value, pd.Series) else value
           for name, value in columns.items()},
    })


class Solutions(Adapter):
    info = source_info("unhcr_refugees_package.solutions")

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        parsed = read_frame(path, problems, tuple(SOLUTION_COLUMNS))
        if parsed is None:
            return pd.DataFrame()
        raw, keys = parsed
        long = _melt(raw, SOLUTION_COLUMNS)
        return _assemble_melted(raw, keys, long, self.info.id, path, release)


# -- demographics -------------------------------------------------------------------------------

POP_TYPES = {
    "REF": "REFUGEE_STOCK", "ASY": "ASYLUM_SEEKER_STOCK", "OIP": "OIP_STOCK", "IDP": "IDP_STOCK",
    "RDP": "IDP_RETURN", "RET": "REFUGEE_RETURN", "STA": "STATELESS_STOCK",
    "OOC": "OTHER_OF_CONCERN_STOCK", "HST": "HOST_COMMUNITY_STOCK",
}
#: Sex × age band columns; ``other`` is an age the office could not place in a band.
BANDS = {"0_4": "Y_LT5", "5_11": "Y5T11", "12_17": "Y12T17", "18_59": "Y18T59", "60": "Y_GE60", "other": "_U"}
SEX_AGE_COLUMNS = {f"{s.lower()}_{band}": (s, age) for s in ("F", "M") for band, age in BANDS.items()}
_ADMIN1 = re.compile(r"^(?P<name>.*?)\s*\[Admin 1\]\s*$")
_LEVEL = re.compile(r"\[(?P<level>[^\]]+)\]\s*$")

TABLE_BY_SEX_AGE = "country of asylum, by sex and age"
TABLE_TOTAL = "country of asylum, total"
TABLE_ADMIN1_BY_SEX_AGE = "Admin-1 location, by sex and age"
TABLE_ADMIN1_TOTAL = "Admin-1 location, total"


class Demographics(Adapter):
    info = source_info("unhcr_refugees_package.demographics")

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        parsed = read_frame(path, problems, ("pop_type", "location", *SEX_AGE_COLUMNS, "total"))
        if parsed is None:
            return pd.DataFrame()
        raw, keys = parsed
        rows = raw[ROW]
        flow = map_values(raw["pop_type"], POP_TYPES, rows, "pop_type", "flow", problems)
        subdivision = self._locations(raw, keys["ref_area"], problems)
        located = subdivision.notna()
        origin = attributes_column(keys["origin"])
        base = pd.DataFrame({"row": rows, "period": keys["period"], "country": keys["ref_area"],
                             "subdivision": subdivision, "citizenship": keys["citizenship"],
                             "flow": flow, "attributes": origin})
        frames = []
        for (sex, age), columns in (((s, a), [c]) for c, (s, a) in SEX_AGE_COLUMNS.items()):
            frames += self._cells(base, raw, columns[0], sex, age, located)
        frames += self._cells(base, raw, "total", "_T", "_T", located)
        long = pd.concat(frames, ignore_index=True)
        return assemble(long.index, {
            "dataflow": "FORCED_DISPLACEMENT", "source_row": long["row"], "table": long["table"],
            "freq": "A", "period": long["period"], "ref_area": long["ref_area"],
            "citizenship": long["citizenship"], "counterpart_area": "_Z", "flow": long["flow"],
            "sex": long["sex"], "age": long["age"], "unit": "PERSONS", "value": long["value"],
            "attributes": long["attributes"], "source": self.info.id, "source_file": path.name,
            "release": release,
        })

    @staticmethod
    def _cells(base: pd.DataFrame, raw: pd.DataFrame, column: str, sex: str, age: str,
               located: pd.Series) -> list[pd.DataFrame]:
        values = pd.to_numeric(raw[column], errors="coerce")
        has = values.notna() & (values != 0)
        total = sex == "_T"
        country = base[has].assign(ref_area=base["country"], sex=sex, age=age, value=values,
                                   table=TABLE_TOTAL if total else TABLE_BY_SEX_AGE)
        admin1 = base[has & located].assign(ref_area=base["subdivision"], sex=sex, age=age, value=values,
                                            table=TABLE_ADMIN1_TOTAL if total else TABLE_ADMIN1_BY_SEX_AGE)
        # A country adds up its locations (dispersed and Admin-2 included) per origin and type.
        keys = ["period", "ref_area", "citizenship", "flow", "sex", "age", "table", "attributes"]
        country = country.groupby(keys, as_index=False, dropna=False).agg(value=("value", "sum"), row=("row", "min"))
        admin1 = admin1.groupby(keys, as_index=False, dropna=False).agg(value=("value", "sum"), row=("row", "min"))
        return [country, admin1]

    @staticmethod
    def _locations(raw: pd.DataFrame, country: pd.Series, problems: Problems) -> pd.Series:
        """ISO 3166-2 code of each row's Admin-1 location (None elsewhere); one warning per
        country of asylum for what could not be placed in a subdivision (never dropped: those
        rows still count in the country tables)."""
        location = raw["location"].astype("string").fillna("").str.strip()
        pairs = pd.DataFrame({"country": country, "location": location}).drop_duplicates()
        lookup: dict[tuple[object, str], str | None] = {}
        for iso3, text in zip(pairs["country"], pairs["location"], strict=True):
            match = _ADMIN1.match(text)
            lookup[(iso3, text)] = resolve_subdivision(str(iso3), match.group("name")) if match and isinstance(iso3, str) else None
        codes = pd.Series([lookup[(c, t)] for c, t in zip(country, location, strict=True)], index=raw.index, dtype=object)
        unresolved = codes.isna() & country.notna()
        if unresolved.any():
            frame = pd.DataFrame({"country": country[unresolved], "location": location[unresolved],
                                  "row": raw.loc[unresolved, ROW],
                                  "persons": pd.to_numeric(raw.loc[unresolved, "total"], errors="coerce")})
            for iso3, group in frame.groupby("country", sort=True):
                names = group["location"].drop_duplicates()
                admin1 = [n for n in names if _ADMIN1.match(n)]
                levels = sorted({(m.group("level") if (m := _LEVEL.search(n)) else n) for n in names})
                problems.warn("unresolved_location", row=int(group["row"].min()), column="location",
                              value=str(iso3), rows=len(group), persons=float(group["persons"].sum()),
                              levels=", ".join(levels[:5]), admin1=", ".join(admin1[:5]) or "—")
        return codes


register(Solutions())
register(Demographics())
