"""UNHCR Refugee Data Finder downloads: end-year populations, asylum decisions, asylum applications.

The three tables share UNHCR's layout: one row per year, country of origin and country of asylum,
with ISO codes beside the names. UNHCR's own non-ISO origin codes are mapped to SDMX special
codes (:data:`ORIGIN_SPECIAL`) and the published code and name stay in the attributes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

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
from observatorio.sources.adapters import unhcr_package
from observatorio.sources.adapters.unhcr_package import (
    ORIGIN_SPECIAL,
    PACKAGE_FOLDER,
    PACKAGE_RELEASE,
    STAGES,
    is_package_file,
)
from observatorio.sources.catalogue import source_info
from observatorio.sources.readers import ROW, read_csv

YEAR = "Year"
ORIGIN, ORIGIN_ISO = "Country of origin", "Country of origin (ISO)"
ASYLUM, ASYLUM_ISO = "Country of asylum", "Country of asylum (ISO)"
KEY_COLUMNS = (YEAR, ORIGIN, ORIGIN_ISO, ASYLUM, ASYLUM_ISO)

# ORIGIN_SPECIAL and STAGES live in unhcr_package.py: the CSV and the package read them.


def _read_table(
    path: Path, problems: Problems, required: tuple[str, ...], skip_lines: int = 0
) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series] | None:
    """The table (text cells) with its period (1 January), origin and asylum codes resolved."""
    raw = read_csv(path, problems, skip_lines=skip_lines, required=KEY_COLUMNS + required)
    if raw is None:
        return None
    rows = raw[ROW]
    year = pd.to_numeric(raw[YEAR].str.strip(), errors="coerce")
    bad = year.isna() | (year != year.round())
    problems.add_rows("impossible_period", rows[bad].tolist(), YEAR, raw[YEAR][bad].tolist(),
                      reason="expected a year such as 2023")
    period = year.where(~bad).map({y: date(int(y), 1, 1) for y in year[~bad].unique()}).astype(object)
    origin_code = raw[ORIGIN_ISO].str.strip()
    citizenship = resolve_countries(origin_code, rows, ORIGIN_ISO, problems, special=ORIGIN_SPECIAL)
    ref_area = resolve_countries(raw[ASYLUM_ISO].str.strip(), rows, ASYLUM_ISO, problems)
    return raw, period, citizenship, ref_area


def _origin_attributes(raw: pd.DataFrame, citizenship: pd.Series) -> pd.DataFrame:
    """The published origin code and name where the origin is not an ISO country (else null)."""
    special = citizenship.isin(list(set(ORIGIN_SPECIAL.values())))
    attributes = pd.DataFrame(index=raw.index, columns=["origin_code", "origin_name"], dtype=object)
    attributes.loc[special, "origin_code"] = raw.loc[special, ORIGIN_ISO].str.strip()
    attributes.loc[special, "origin_name"] = raw.loc[special, ORIGIN].str.strip()
    return attributes


def _numbers(raw: pd.Series, rows: pd.Series, column: str, problems: Problems,
             na_tokens: tuple[str, ...] = ()) -> tuple[pd.Series, pd.Series]:
    """:func:`parse_values`, with the plain numbers and "not applicable" tokens (nearly every
    cell) handled in one vectorised pass; only the rest goes through the text rules."""
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    status = pd.Series("A", index=raw.index, dtype=object)
    not_applicable = raw.isin(na_tokens)
    status[not_applicable] = "L"
    rest = values.isna() & ~not_applicable
    if rest.any():
        values[rest], status[rest] = parse_values(raw[rest], rows[rest], column, problems,
                                                  na_tokens=na_tokens)
    return values, status


def _long(wide: pd.DataFrame, measures: dict[str, str], keep: list[str], problems: Problems,
          na_tokens: tuple[str, ...] = ()) -> pd.DataFrame:
    """Wide measure columns → one row per (file row, measure) with ``flow``, ``value``, ``obs_status``."""
    parts = []
    for column, flow in measures.items():
        values, status = _numbers(wide[column], wide[ROW], column, problems, na_tokens)
        parts.append(wide[keep].assign(flow=flow, value=values, obs_status=status))
    return pd.concat(parts, ignore_index=True)


# -- end-year populations --------------------------------------------------------------------------

POPULATION_FLOWS = {
    "Refugees under UNHCR's mandate": "REFUGEE_STOCK",
    "Asylum-seekers": "ASYLUM_SEEKER_STOCK",
    "IDPs of concern to UNHCR": "IDP_STOCK",
    "Other people in need of international protection": "OIP_STOCK",
    "Stateless persons": "STATELESS_STOCK",
    "Host Community": "HOST_COMMUNITY_STOCK",
    "Others of concern": "OTHER_OF_CONCERN_STOCK",
}

#: Columns the Refugee Data Finder added after its 2023 downloads (10 columns, without them):
#: absent = not published in that release.
POPULATION_LATER_COLUMNS = frozenset({"Host Community", "Others of concern"})

#: The preamble line that dates the release, e.g. ``"Last updated:","13 June 2024"``.
_LAST_UPDATED = re.compile(r'^"?Last updated:?"?\s*,\s*"?([^"\r\n]+?)"?\s*$', re.MULTILINE)
_HEADER_START = re.compile(r"^\ufeff?\"?Year\"?,", re.MULTILINE)


class Population(Adapter):
    info = source_info("unhcr_refugee_data_finder.population")

    def detect_release(self, path: Path) -> date | None:
        """The "Last updated:" date of the preamble (None when the file has none); the package
        version for UNHCR's R package file."""
        if is_package_file(path):
            return PACKAGE_RELEASE
        return last_updated(path)

    def bundled_paths(self, data_dir: Path) -> list[Path]:
        return [self.bundled_path(data_dir), data_dir / PACKAGE_FOLDER / "population.rda"]

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        if is_package_file(path):
            return unhcr_package.read_population(path, problems, release, self.info.id)
        required = tuple(c for c in POPULATION_FLOWS if c not in POPULATION_LATER_COLUMNS)
        parsed = _read_table(path, problems, required, skip_lines=_preamble_lines(path))
        if parsed is None:
            return pd.DataFrame()
        raw, period, citizenship, ref_area = parsed
        wide = raw.assign(period=period, citizenship=citizenship, ref_area=ref_area,
                          attributes=attributes_column(_origin_attributes(raw, citizenship)))
        # A download from before a column existed did not publish it: no observation, no error.
        measures = {c: f for c, f in POPULATION_FLOWS.items() if c in raw.columns}
        long = _long(wide, measures, [ROW, "period", "citizenship", "ref_area", "attributes"],
                     problems, na_tokens=("-",))
        return assemble(long.index, {
            "dataflow": "FORCED_DISPLACEMENT", "source_row": long[ROW], "freq": "A",
            "period": long["period"], "ref_area": long["ref_area"], "citizenship": long["citizenship"],
            "counterpart_area": "_Z", "flow": long["flow"], "unit": "PERSONS", "value": long["value"],
            "obs_status": long["obs_status"], "attributes": long["attributes"],
            "source": self.info.id, "source_file": path.name, "release": release,
        })


def last_updated(path: Path) -> date | None:
    """The release date a Refugee Data Finder download states in its preamble, if any."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        head = "".join(line for _, line in zip(range(40), fh, strict=False))
    match = _LAST_UPDATED.search(head)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1).strip(), "%d %B %Y").date()
    except ValueError:
        return None


def _preamble_lines(path: Path) -> int:
    """Lines before the header row (14 in the 2024 download; 0 when there is no preamble)."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        head = "".join(line for _, line in zip(range(60), fh, strict=False))
    match = _HEADER_START.search(head)
    return head[: match.start()].count("\n") if match else 0


# -- asylum decisions ------------------------------------------------------------------------------

DECISION_FLOWS = {
    "Recognized decisions": "ASYLUM_DECISION_RECOGNIZED",
    "Complementary protection": "ASYLUM_DECISION_COMPLEMENTARY",
    "Rejected decisions": "ASYLUM_DECISION_REJECTED",
    "Otherwise closed": "ASYLUM_DECISION_CLOSED",
}
TOTAL_DECISIONS = "Total decisions"
AUTHORITY, STAGE, CASES_OR_PERSONS = "Authority", "Stage of procedure", "Cases / Persons"

#: Who decided: Government, UNHCR, or Joint.
AUTHORITIES = {"G": "government", "U": "UNHCR", "J": "joint"}
UNITS = {"C": "CASES", "P": "PERSONS"}


class AsylumDecisions(Adapter):
    info = source_info("unhcr_refugee_data_finder.asylum-decisions")

    def detect_release(self, path: Path) -> date | None:
        return PACKAGE_RELEASE if is_package_file(path) else None

    def bundled_paths(self, data_dir: Path) -> list[Path]:
        return [self.bundled_path(data_dir), data_dir / PACKAGE_FOLDER / "asylum_decisions.rda"]

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        if is_package_file(path):
            return unhcr_package.read_decisions(path, problems, release, self.info.id)
        required = (AUTHORITY, STAGE, CASES_OR_PERSONS, *DECISION_FLOWS, TOTAL_DECISIONS)
        parsed = _read_table(path, problems, required)
        if parsed is None:
            return pd.DataFrame()
        raw, period, citizenship, ref_area = parsed
        rows = raw[ROW]
        unit = map_values(raw[CASES_OR_PERSONS], UNITS, rows, CASES_OR_PERSONS, "unit", problems)
        authority = raw[AUTHORITY].str.strip()
        report_unknown(authority, ~authority.isin(list(AUTHORITIES)), rows, AUTHORITY, "authority", problems)
        stage = raw[STAGE].str.strip()
        report_unknown(stage, ~stage.isin(STAGES), rows, STAGE, "procedure_stage", problems)
        mismatch = total_mismatches(raw)
        warn_total_mismatches(raw, mismatch, problems)
        warn_mixed_units(raw, problems)
        attributes = _origin_attributes(raw, citizenship).assign(
            authority=authority, procedure_stage=stage,
            total_decisions_published=pd.to_numeric(raw[TOTAL_DECISIONS], errors="coerce")
            .where(mismatch).astype("Int64"),
        )
        wide = raw.assign(period=period, citizenship=citizenship, ref_area=ref_area, unit=unit,
                          attributes=attributes_column(attributes))
        long = _long(wide, DECISION_FLOWS, [ROW, "period", "citizenship", "ref_area", "unit", "attributes"],
                     problems)
        return assemble(long.index, {
            "dataflow": "ASYLUM", "source_row": long[ROW], "freq": "A", "period": long["period"],
            "ref_area": long["ref_area"], "citizenship": long["citizenship"], "counterpart_area": "_Z",
            "flow": long["flow"], "unit": long["unit"], "value": long["value"],
            "obs_status": long["obs_status"],
            "attributes": long["attributes"],
            "source": self.info.id, "source_file": path.name, "release": release,
        })


def _decision_sums(raw: pd.DataFrame) -> pd.Series:
    return raw[list(DECISION_FLOWS)].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=1)


def total_mismatches(raw: pd.DataFrame) -> pd.Series:
    """Rows whose published "Total decisions" is not the sum of the four decision columns."""
    parts = _decision_sums(raw)
    total = pd.to_numeric(raw[TOTAL_DECISIONS], errors="coerce")
    return (parts != total) & parts.notna() & total.notna()


def warn_total_mismatches(raw: pd.DataFrame, mismatch: pd.Series, problems: Problems) -> None:
    """A warning per row whose published total is not the sum of its parts (the four decisions
    are loaded; the published total goes to the attribute ``total_decisions_published``)."""
    if not mismatch.any():
        return
    parts = _decision_sums(raw[mismatch])
    for row, total, part in zip(raw.loc[mismatch, ROW], raw.loc[mismatch, TOTAL_DECISIONS].str.strip(),
                                parts, strict=True):
        problems.warn("total_mismatch", row=int(row), column=TOTAL_DECISIONS, value=total,
                      parts=f"{part:.0f}")


def warn_mixed_units(raw: pd.DataFrame, problems: Problems) -> None:
    """A warning per country of asylum and year that reports some decisions as cases and others
    as persons, at that country-year's first row in cases."""
    unit = raw[CASES_OR_PERSONS].str.strip()
    known = unit.isin(list(UNITS))
    if not known.any():
        return
    keyed = pd.DataFrame({"asylum": raw[ASYLUM_ISO].str.strip(), "year": raw[YEAR].str.strip(),
                          "unit": unit, "row": raw[ROW]})[known]
    counts = keyed.groupby(["asylum", "year", "unit"], sort=False).size().unstack(fill_value=0)
    if not {"C", "P"} <= set(counts.columns):
        return
    mixed = counts[(counts["C"] > 0) & (counts["P"] > 0)]
    first_case = keyed[keyed["unit"] == "C"].groupby(["asylum", "year"], sort=False)["row"].min()
    found = sorted((int(first_case[key]), str(key[0]), str(key[1]), int(cases), int(persons))
                   for key, cases, persons in zip(mixed.index, mixed["C"], mixed["P"], strict=True))
    for row, asylum, year, cases, persons in found:
        problems.warn("mixed_units", row=row, column=CASES_OR_PERSONS, value="C", country=asylum,
                      year=year, cases=cases, persons=persons)


# -- footnotes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Footnote:
    """One UNHCR caveat on the figures of a country (of asylum or origin) and years."""

    text: str
    year_from: int | None
    year_to: int | None
    origin: str | None  # ISO3 of the country of origin it concerns, if any
    asylum: str | None  # ISO3 of the country of asylum it concerns, if any
    population_type: str | None  # UNHCR population type code, e.g. ASY (asylum-seekers)

    def applies_to(self, country: str, year: int) -> bool:
        """True when the note concerns ``country`` (as origin or asylum) in ``year``."""
        in_years = (self.year_from is None or self.year_from <= year) and (
            self.year_to is None or year <= self.year_to)
        return in_years and country in (self.origin, self.asylum)


def read_footnotes(path: Path) -> list[Footnote]:
    """UNHCR's footnotes.csv (free-text caveats by country and years), for the API and portal.

    It is not an observation table: it is never loaded into the store.
    """
    problems = Problems(path.name)
    raw = read_csv(path, problems, required=("Footnote", "Year", ORIGIN_ISO, ASYLUM_ISO, "Population type"))
    if raw is None:
        raise ValueError(problems.render("en"))
    notes = []
    for record in raw.to_dict("records"):
        years = [int(y) for y in re.findall(r"\d{4}", record["Year"])]
        notes.append(Footnote(
            text=" ".join(record["Footnote"].split()),
            year_from=min(years) if years else None,
            year_to=max(years) if years else None,
            origin=record[ORIGIN_ISO].strip() or None,
            asylum=record[ASYLUM_ISO].strip() or None,
            population_type=record["Population type"].strip() or None,
        ))
    return notes


# -- asylum applications ---------------------------------------------------------------------------

APPLIED = "applied"
#: Countries of asylum UNHCR's footnotes.csv says report asylum applications as cases (some
#: years): named by the warning that this file does not say which figures are cases.
CASE_REPORTERS = ("USA", "GBR", "KAZ")


class AsylumApplications(Adapter):
    info = source_info("unhcr_asylum_applications")

    def detect_release(self, path: Path) -> date | None:
        return PACKAGE_RELEASE if is_package_file(path) else None

    def bundled_paths(self, data_dir: Path) -> list[Path]:
        return [self.bundled_path(data_dir), data_dir / PACKAGE_FOLDER / "asylum_applications.rda"]

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        if is_package_file(path):
            return unhcr_package.read_applications(path, problems, release, self.info.id)
        parsed = _read_table(path, problems, (APPLIED,))
        if parsed is None:
            return pd.DataFrame()
        raw, period, citizenship, ref_area = parsed
        # About the whole column: reported at its header (row 1), as missing columns are.
        problems.warn("unit_unstated", row=1, column=APPLIED, examples=", ".join(CASE_REPORTERS))
        values, _ = _numbers(raw[APPLIED], raw[ROW], APPLIED, problems)
        # Rows repeating a year–origin–asylum key are parts of one figure (breakdowns the file
        # does not show): add them up explicitly and keep the parts for lineage.
        key = [YEAR, ORIGIN_ISO, ASYLUM_ISO]
        frame = raw[key + [ORIGIN, ROW]].assign(value=values, period=period, citizenship=citizenship,
                                                ref_area=ref_area)
        repeated = frame.duplicated(key, keep=False)
        single = frame[~repeated].assign(source_rows=None, source_values=None)
        parts = frame[repeated].sort_values(key + [ROW], kind="stable")  # each key's rows together
        first = ~parts.duplicated(key)
        merged = parts[first].copy()
        merged["value"] = parts.groupby(first.cumsum().to_numpy())["value"].sum(min_count=1).to_numpy()
        bounds = np.flatnonzero(first.to_numpy())[1:]
        # Tuples (hashable) become JSON lists in the attributes.
        merged["source_rows"] = [tuple(chunk.tolist()) for chunk in np.split(parts[ROW].to_numpy(), bounds)]
        merged["source_values"] = [
            tuple(int(v) if v == v else None for v in chunk.tolist())
            for chunk in np.split(parts["value"].to_numpy(), bounds)
        ]
        out = pd.concat([single, merged], ignore_index=True).sort_values(ROW, ignore_index=True)
        attributes = _origin_attributes(out, out["citizenship"]).assign(
            source_rows=out["source_rows"], source_values=out["source_values"])
        source_row = out[ROW].where(out["source_rows"].isna())
        return assemble(out.index, {
            "dataflow": "ASYLUM", "source_row": source_row, "freq": "A", "period": out["period"],
            "ref_area": out["ref_area"], "citizenship": out["citizenship"], "counterpart_area": "_Z",
            "flow": "ASYLUM_APPLICATION", "unit": "PERSONS", "value": out["value"],
            "attributes": attributes_column(attributes),
            "source": self.info.id, "source_file": path.name, "release": release,
        })


register(Population())
register(AsylumDecisions())
register(AsylumApplications())
