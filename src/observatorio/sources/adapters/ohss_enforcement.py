"""DHS OHSS "Immigration Enforcement and Legal Processes" monthly tables (XLSX, one edition a month).

Every counting sheet is a cross-tabulation by fiscal year and month with one or two header rows
(an optional group row, e.g. ``USBP`` / ``OFO``, above the column headers). Each sheet becomes
its own tables, never summed together (column ``table``):

* ``<sheet>``: the month rows of the detail columns (no ``Total`` column, no ``Other``);
* ``<sheet> (fiscal year)``: the published fiscal-year ``Total`` rows of the same columns — the
  publisher rounds each cell to the nearest ten, so a year's months do not add up to its total
  and the published total is kept as its own annual observation;
* ``<sheet> — <totals>`` and ``<sheet> — <totals> (fiscal year)``: the ``Total…`` columns, named
  by which header levels they total (``·`` marks a level that is not a total), so a total is
  never added to its own parts.

``Other`` / ``All other…`` citizenship columns are residual groupings of the citizenships not
selected (which differ by sheet and edition): not an observation of any country, so not loaded.
Each edition is a release (its file name starts with the publication date, ``2024_1206_…``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from observatorio.harmonize.fiscal import US_FEDERAL_START_MONTH, calendar_year_of, month_number
from observatorio.harmonize.frame import assemble, canonical_json, resolve_countries
from observatorio.harmonize.problems import Problems
from observatorio.sources.adapter import Adapter, register
from observatorio.sources.catalogue import source_info
from observatorio.sources.readers import read_xlsx_grid

FISCAL_YEAR, MONTH, TOTAL = "Fiscal Year", "Month", "Total"
#: The fiscal year still running is written like ``2024 YTD``.
_YEAR = re.compile(r"^\s*(\d{4})(?:\.0)?(\s*YTD)?\s*$", re.IGNORECASE)  # 2014.0 read as a number
#: Footnote marks glued to header labels: ``Enforcement Encounters1``, ``T8 repatriations1``.
_FOOTNOTE = re.compile(r"(?<=[A-Za-z)])\d{1,2}$")
#: Residual citizenship columns (the citizenships not selected): never loaded.
_OTHER = re.compile(r"^(all\s+)?others?\b", re.IGNORECASE)
#: Cells that say "no figure": X not applicable (status L), - and NA not available (status M).
NOT_APPLICABLE, NOT_AVAILABLE = frozenset({"X"}), frozenset({"-", "NA", "N/A"})
#: Every count is rounded to the nearest ten by the publisher (privacy).
ROUNDED_TO = 10
FISCAL_YEAR_BASIS = "US_FEDERAL_FISCAL_YEAR"

#: OHSS spellings of citizenships the country crosswalk does not know.
CITIZENSHIP_ALIASES = {
    "China, People's Republic": "CHN",
    "Korea, South": "KOR",
    "Congo, Democratic Republic": "COD",
    "Congo, Republic": "COG",
    "Burma": "MMR",
}


@dataclass(frozen=True)
class Sheet:
    """What one sheet counts, and which header level (if any) holds citizenships."""

    dataflow: str
    flow: str
    unit: str
    citizenship: str | None = None  # "group" (the row above the headers) or "header"


_ENCOUNTERS = Sheet("BORDER_ENFORCEMENT", "ENCOUNTER", "EVENTS")
_ENCOUNTERS_BY_CITIZENSHIP = Sheet("BORDER_ENFORCEMENT", "ENCOUNTER", "EVENTS", "header")

#: The counting sheets of the workbook (TOC is not one). A sheet not listed here is reported.
SHEETS: dict[str, Sheet] = {
    "CBP Encounter by Type + Region": _ENCOUNTERS,
    "SWB Encounters by Citizenship": _ENCOUNTERS_BY_CITIZENSHIP,
    "SWB Encounters by Family Status": _ENCOUNTERS,
    "SWB Enc by Sector+Field Ofc": _ENCOUNTERS,
    "Nationwide USBP": _ENCOUNTERS_BY_CITIZENSHIP,
    "Nationwide OFO": _ENCOUNTERS_BY_CITIZENSHIP,
    "SWB USBP": _ENCOUNTERS_BY_CITIZENSHIP,
    "CBP One Appointments": Sheet("REGULAR_MOBILITY", "CBP_ONE_APPOINTMENT", "EVENTS", "header"),
    "CBP SWB Book-Outs by Agency": Sheet("BORDER_ENFORCEMENT", "ENCOUNTER_BOOK_OUT", "EVENTS"),
    "CBP SWB Book-Outs by Family": Sheet("BORDER_ENFORCEMENT", "ENCOUNTER_BOOK_OUT", "EVENTS"),
    "CBP SWB Book-Outs by Citp": Sheet("BORDER_ENFORCEMENT", "ENCOUNTER_BOOK_OUT", "EVENTS", "group"),
    "ERO Arrests by Citizenship": Sheet("BORDER_ENFORCEMENT", "ADMIN_ARREST", "EVENTS", "header"),
    "ERO Arrests by Criminality": Sheet("BORDER_ENFORCEMENT", "ADMIN_ARREST", "EVENTS"),
    "ICE Book-Ins by Citizenship": Sheet("BORDER_ENFORCEMENT", "DETENTION_BOOK_IN", "EVENTS", "header"),
    "ICE Book-Ins by Criminality": Sheet("BORDER_ENFORCEMENT", "DETENTION_BOOK_IN", "EVENTS"),
    "ICE Book-Ins by Arrest Agency": Sheet("BORDER_ENFORCEMENT", "DETENTION_BOOK_IN", "EVENTS"),
    "ICE Book-Outs by Criminality": Sheet("BORDER_ENFORCEMENT", "DETENTION_BOOK_OUT", "EVENTS"),
    "ICE Book-Outs by Arrest Agency": Sheet("BORDER_ENFORCEMENT", "DETENTION_BOOK_OUT", "EVENTS"),
    "ICE ERO R&R by Citizenship": Sheet("RETURNS", "RETURN_EXECUTED", "EVENTS", "header"),
    "ICE ERO R&R by Criminality": Sheet("RETURNS", "RETURN_EXECUTED", "EVENTS"),
    "ICE ERO R&R by Arrest Agcy": Sheet("RETURNS", "RETURN_EXECUTED", "EVENTS"),
    "DHS Repats by Type": Sheet("RETURNS", "RETURN_EXECUTED", "EVENTS"),
    "DHS Removals by Criminality": Sheet("RETURNS", "RETURN_EXECUTED", "EVENTS"),
    "DHS Removals by Arrest Agcy": Sheet("RETURNS", "RETURN_EXECUTED", "EVENTS"),
    "DHS Removals by Citizenship": Sheet("RETURNS", "RETURN_EXECUTED", "EVENTS", "header"),
    "DHS Enf Returns by Citizenship": Sheet("RETURNS", "RETURN_EXECUTED", "EVENTS", "header"),
    "DHS Adm Returns by Citizens": Sheet("RETURNS", "RETURN_EXECUTED", "EVENTS", "header"),
    "SWB CF Filed by Citp": Sheet("ASYLUM", "CREDIBLE_FEAR_REFERRAL", "PERSONS", "header"),
    "SWB CF Completed by Result": Sheet("ASYLUM", "CREDIBLE_FEAR_DECISION", "PERSONS"),
    "Nationwide CF Filed by Citp": Sheet("ASYLUM", "CREDIBLE_FEAR_REFERRAL", "PERSONS", "header"),
    "Nationwide CF by Result": Sheet("ASYLUM", "CREDIBLE_FEAR_DECISION", "PERSONS"),
    "CHNV I-134": Sheet("REGULAR_MOBILITY", "PAROLE_SUPPORTER_CONFIRMED", "PERSONS", "header"),
    "CHNV Travel Authorization": Sheet("REGULAR_MOBILITY", "PAROLE_TRAVEL_AUTHORIZATION", "EVENTS", "header"),
    "CHNV Paroles": Sheet("REGULAR_MOBILITY", "PAROLE_GRANTED", "PERSONS", "header"),
}
NOT_COUNTING = frozenset({"TOC"})

#: Table names of the check values (see data/SOURCES.md, section 10).
DHS_REMOVALS = "DHS Removals by Citizenship"
ICE_REMOVALS_AND_RETURNS = "ICE ERO R&R by Citizenship"

_RELEASE_IN_NAME = re.compile(r"^(\d{4})_(\d{2})(\d{2})_")


class EnforcementMonthly(Adapter):
    info = source_info("ohss_enforcement_monthly")

    def detect_release(self, path: Path) -> date | None:
        """The publication date the file name starts with (``2024_1206_…`` → 6 December 2024)."""
        match = _RELEASE_IN_NAME.match(path.name)
        if not match:
            return None
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None

    def bundled_paths(self, data_dir: Path) -> list[Path]:
        """Every bundled edition, oldest first (each is loaded as its own release)."""
        return sorted((data_dir / self.info.folder).glob(self.info.filename))

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        grids = read_xlsx_grid(path, problems)
        if grids is None:
            return pd.DataFrame()
        for name in SHEETS:
            if name not in grids:
                problems.add("missing_sheet", value=name, found=", ".join(grids))
        frames = []
        for name, grid in grids.items():
            if name in NOT_COUNTING:
                continue
            sheet = SHEETS.get(name)
            if sheet is None:
                # A new table in a later edition: reported, not guessed at.
                problems.warn("unknown_sheet", column=name, value=name)
                continue
            frame = _read_sheet(name, grid, sheet, problems)
            if frame is not None:
                frames.append(frame)
        if not frames:
            return pd.DataFrame()
        long = pd.concat(frames, ignore_index=True)
        return assemble(long.index, {
            "dataflow": long["dataflow"], "source_row": long["source_row"], "table": long["table"],
            "freq": long["freq"], "period": long["period"], "ref_area": "USA",
            "citizenship": long["citizenship"], "counterpart_area": "_Z", "flow": long["flow"],
            "unit": long["unit"], "value": long["value"], "obs_status": long["obs_status"],
            "attributes": long["attributes"], "source": self.info.id, "source_file": path.name,
            "release": release,
        })


@dataclass(frozen=True)
class _Column:
    """One published column: where it is, its labels by level, and what it becomes."""

    index: int
    labels: tuple[str, ...]  # (group, header) or (header,)
    table: str
    citizenship_label: str | None  # the label to resolve, None when the sheet has no citizenship
    attributes: dict[str, str]


def _label(cell: object) -> str:
    text = " ".join(str(cell).split()) if cell is not None else ""
    return _FOOTNOTE.sub("", text).strip()


def _is_total(label: str) -> bool:
    return label.casefold().startswith("total")


def _columns(name: str, grid: list[list[object]], header: int, sheet: Sheet) -> list[_Column]:
    """The sheet's data columns, with the group row (if any) carried right over blank cells."""
    heads = [_label(c) for c in grid[header]]
    # Row 0 is the "Return to Table of Contents." link, row 1 the title: a group row sits between.
    group_row = grid[header - 1] if header >= 3 else None
    groups: list[str] = []
    current = ""
    for j in range(len(heads)):
        cell = _label(group_row[j]) if group_row is not None and j < len(group_row) else ""
        current = cell or current
        groups.append(current if j >= 2 else "")
    has_groups = any(groups)
    out = []
    for j in range(2, len(heads)):
        if not heads[j]:
            continue
        labels = (groups[j], heads[j]) if has_groups else (heads[j],)
        level_names = ("group", "header") if has_groups else ("header",)
        citizenship_at = level_names.index(sheet.citizenship) if sheet.citizenship in level_names else None
        citizenship = labels[citizenship_at] if citizenship_at is not None else None
        if citizenship is not None and _OTHER.match(citizenship):
            continue  # a residual group of unselected citizenships: not an observation
        totals = [lbl if _is_total(lbl) else "·" for lbl in labels]
        table = name if all(t == "·" for t in totals) else f"{name} — {' / '.join(totals)}"
        attributes = {
            level: lbl for level, lbl, at in zip(level_names, labels, range(len(labels)), strict=True)
            if lbl and at != citizenship_at and not _is_total(lbl)
        }
        label = None if citizenship is None or _is_total(citizenship) else citizenship
        out.append(_Column(j, labels, table, label if sheet.citizenship else None, attributes))
    return out


def _read_sheet(name: str, grid: list[list[object]], sheet: Sheet, problems: Problems) -> pd.DataFrame | None:
    header = next((i for i, row in enumerate(grid[:20]) if row and _label(row[0]) == FISCAL_YEAR), None)
    if header is None:
        problems.add("missing_column", column=f"{name}: {FISCAL_YEAR}", value=FISCAL_YEAR)
        return None
    columns = _columns(name, grid, header, sheet)
    # Data rows: a fiscal year's "Total" row (the year written in column A), then its months.
    records: list[tuple[int, int, bool, str, int | None]] = []  # row, fiscal year, ytd, freq, month
    fiscal_year: int | None = None
    ytd = False
    for i in range(header + 1, len(grid)):
        row = grid[i]
        first, second = (_label(row[0]) if row else ""), (_label(row[1]) if len(row) > 1 else "")
        if second == TOTAL:
            match = _YEAR.match(first)
            if not match:
                problems.add("impossible_period", row=i + 1, column=f"{name}: {FISCAL_YEAR}", value=first,
                             reason="expected a fiscal year such as 2023 or 2024 YTD")
                fiscal_year = None
                continue
            fiscal_year, ytd = int(match.group(1)), bool(match.group(2))
            records.append((i, fiscal_year, ytd, "A", None))
        elif second:
            month = month_number(second)
            if month is None or fiscal_year is None:
                problems.add("impossible_period", row=i + 1, column=f"{name}: {MONTH}", value=second,
                             reason="expected a month name below its fiscal year's Total row")
                continue
            records.append((i, fiscal_year, ytd, "M", month))
        elif first:
            break  # the notes under the table
    if not records:
        problems.add("empty")
        return None
    citizenships = _resolve_citizenships(name, columns, header, problems)
    # Plain loops over the cells (about 3,000 a sheet): a pandas frame per column costs 20× more.
    out: dict[str, list[object]] = {k: [] for k in ("source_row", "table", "freq", "period",
                                                    "citizenship", "value", "obs_status", "attributes")}
    encoded: dict[tuple[int, int, bool, str], str] = {}
    for i, fiscal_year, ytd, freq, month in records:
        row = grid[i]
        if month is None:
            period = date(fiscal_year - 1, US_FEDERAL_START_MONTH, 1)
        else:
            period = date(calendar_year_of(fiscal_year, month, US_FEDERAL_START_MONTH), month, 1)
        for column in columns:
            cell = row[column.index] if column.index < len(row) else ""
            value, status = _cell(cell, ytd)
            if status is None:
                continue  # a blank cell: not published
            key = (column.index, fiscal_year, ytd, freq)
            if key not in encoded:
                encoded[key] = canonical_json({
                    **column.attributes, "fiscal_year": str(fiscal_year), "rounded_to": ROUNDED_TO,
                    "year_to_date": True if ytd else None,
                    "period_basis": FISCAL_YEAR_BASIS if freq == "A" else None,
                })
            out["source_row"].append(i + 1)
            out["table"].append(column.table + " (fiscal year)" if freq == "A" else column.table)
            out["freq"].append(freq)
            out["period"].append(period)
            out["citizenship"].append(citizenships.get(column.index, "_T"))
            out["value"].append(value)
            out["obs_status"].append(status)
            out["attributes"].append(encoded[key])
    if not out["value"]:
        return None
    return pd.DataFrame(out).assign(dataflow=sheet.dataflow, flow=sheet.flow, unit=sheet.unit)


def _cell(cell: object, ytd: bool) -> tuple[float | None, str | None]:
    """Value and status of one cell; status None for a blank cell (not published). Text that
    is not a number nor a known token keeps status A with no value: the contract check then
    reports it as a missing value at its row."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return float(cell), "P" if ytd else "A"
    text = "" if cell is None else str(cell).strip()
    if not text:
        return None, None
    if text in NOT_APPLICABLE:
        return None, "L"
    if text in NOT_AVAILABLE:
        return None, "M"
    try:
        return float(text.replace(",", "")), "P" if ytd else "A"
    except ValueError:
        return None, "P" if ytd else "A"


def _resolve_citizenships(name: str, columns: list[_Column], header: int, problems: Problems) -> dict[int, str]:
    """Column index → ISO3 of its citizenship; unknown names are reported at the header row."""
    named = [c for c in columns if c.citizenship_label is not None]
    if not named:
        return {}
    labels = pd.Series([c.citizenship_label for c in named], dtype=object)
    rows = pd.Series([header + 1] * len(named))
    codes = resolve_countries(labels, rows, f"{name}: header", problems, special=CITIZENSHIP_ALIASES)
    return {c.index: code for c, code in zip(named, codes, strict=True) if isinstance(code, str)}


register(EnforcementMonthly())
