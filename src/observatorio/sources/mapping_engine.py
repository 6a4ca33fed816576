"""Reads a table as a mapping file describes it and builds the harmonized frame.

Everything that checks values goes through :mod:`observatorio.harmonize.frame` (parse_values,
resolve_countries, report_unknown, assemble), so a mapped table gets exactly the checks and the
messages of a Python adapter; ``loading.harmonize_file`` then runs ``check_frame`` on the result.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from observatorio.formula_guard import recorded_name
from observatorio.harmonize.countries import default_resolver
from observatorio.harmonize.fiscal import (
    fiscal_year_start,
    month_number,
    vector_calendar_month_to_period,
    vector_fiscal_month_to_period,
)
from observatorio.harmonize.frame import (
    DIMENSION_DEFAULTS,
    assemble,
    attributes_column,
    parse_values,
    report_unknown,
    resolve_countries,
)
from observatorio.harmonize.problems import Problems
from observatorio.model.codelists import get_codelist
from observatorio.sources import control_chars
from observatorio.sources.mapping_spec import DIMENSION_CODELISTS
from observatorio.sources.readers import ROW, decode, detect_encoding, read_csv

if TYPE_CHECKING:
    from observatorio.sources.mapping_spec import (
        DimensionSpec,
        FileSection,
        MappingSpec,
        PeriodSection,
    )

VALUE = "__value__"  # melted cell value
VALUE_COLUMN = "__value_column__"  # header of the column the cell came from


def fold(text: str) -> str:
    """Case-, accent- and space-insensitive key (``"  Niños  NO acompañados"`` → ``ninos no acompanados``)."""
    plain = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def read_mapped(
    spec: MappingSpec, path: Path, problems: Problems, release: date, *, source_id: str
) -> pd.DataFrame:
    """The harmonized frame of ``path`` read as ``spec`` says; problems go to ``problems``."""
    raw = read_table(spec.file, path, problems)
    if raw is None:
        return pd.DataFrame()
    columns = _resolve_columns(spec, raw, problems)
    if columns is None:
        return pd.DataFrame()
    # Give every column the name the mapping uses for it (a copy: two names may share a column).
    raw = raw.assign(**{k: raw[v] for k, v in columns.items() if k != v})
    raw = _drop_rows(spec, raw)
    long = _melt(spec, raw)
    if long.empty:
        problems.add("empty")
        return pd.DataFrame()
    rows = long[ROW]
    period, fiscal_year = _period(spec.period, long, rows, problems)
    dims = {dim: _dimension(dim, dspec, long, rows, problems)
            for dim, dspec in spec.dimensions.given().items()}
    _apply_column_codes(spec, long, dims)
    values, status = _values(spec.file, long, rows, problems)
    if "obs_status" in dims:
        # A blank or n/a cell says more than the publisher's flag column: keep M/L from the cell.
        status = status.where(status != "A", dims.pop("obs_status"))
    attrs = pd.DataFrame({name: _text(long[col]) for name, col in spec.attributes.items()}, index=long.index)
    if spec.period.keep_fiscal_year:
        attrs["fiscal_year"] = fiscal_year
    frame = assemble(long.index, {
        "dataflow": spec.source.dataflow, "source": source_id, "source_file": recorded_name(path),
        "source_row": rows, "release": release, "freq": spec.period.freq, "period": period,
        **{d: s for d, s in dims.items()}, "value": values, "obs_status": status,
        "attributes": attributes_column(attrs),
    })
    if spec.value.duplicates == "sum":
        frame = sum_duplicates(frame)
    return frame


def sum_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """One observation per key: values summed, first row kept for lineage.

    The sum keeps the rows' status when they agree; otherwise it is ``E`` (estimated): a sum
    over a missing part is not the publisher's figure.
    """
    key = [c for c in frame.columns if c not in ("value", "obs_status", "source_row")]
    # Group on text so that None/NaN in a key column (e.g. table) still groups.
    groups = frame[key].astype(str).agg("\x1f".join, axis=1)
    if not groups.duplicated().any():
        return frame
    grouped = frame.groupby(groups, sort=False)
    first = ~groups.duplicated()
    out = frame[first].copy()
    key_of_first = groups[first]
    out["value"] = key_of_first.map(grouped["value"].sum(min_count=1)).astype("float64").to_numpy()
    out["obs_status"] = key_of_first.map(
        grouped["obs_status"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else "E")).to_numpy()
    return out.reset_index(drop=True)


# -- reading ---------------------------------------------------------------------------------


def read_table(spec: FileSection, path: Path, problems: Problems) -> pd.DataFrame | None:
    """The table as text/number cells with ``__row__`` (1-based row in the file or sheet)."""
    fmt = spec.format if spec.format != "auto" else _sniff_format(path)
    if fmt == "xlsx":
        return _read_xlsx(path, spec, problems)
    encoding = detect_encoding(path) if spec.encoding == "auto" else spec.encoding
    delimiter = spec.delimiter
    if delimiter == "auto":
        text = decode(path, encoding, problems)
        if text is None:
            return None
        delimiter = _sniff_delimiter(text, spec.header_index)
    return read_csv(path, problems, encoding=encoding, skip_lines=spec.header_index, delimiter=delimiter)


def _sniff_format(path: Path) -> str:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        return "xlsx"
    with path.open("rb") as fh:
        magic = fh.read(4)
    return "xlsx" if magic == b"PK\x03\x04" else "csv"


def _sniff_delimiter(text: str, header_index: int) -> str:
    sample = "\n".join(text.splitlines()[header_index: header_index + 20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _read_xlsx(path: Path, spec: FileSection, problems: Problems) -> pd.DataFrame | None:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types for corrupt workbooks
        problems.add("unreadable", reason=str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__,
                     format="XLSX")
        return None
    names = list(book.sheet_names)
    sheet = spec.sheet if spec.sheet is not None else 0
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            problems.add("missing_sheet", value=sheet, found=", ".join(names))
            return None
        name = names[sheet]
    else:
        matches = [n for n in names if n == sheet] or [n for n in names if fold(n) == fold(sheet)]
        if not matches:
            problems.add("missing_sheet", value=sheet, found=", ".join(names))
            return None
        name = matches[0]
    try:
        # skip_empty_area=False keeps row numbers equal to the sheet's own (A1 is row 1).
        cells = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        problems.add("unreadable", reason=str(exc).splitlines()[0][:200], format="XLSX")
        return None
    at = spec.header_index
    if len(cells) <= at:
        problems.add("empty")
        return None
    header = _unique_headers(cells[at])
    body = [list(r) + [""] * (len(header) - len(r)) for r in cells[at + 1:]]
    frame = pd.DataFrame([r[: len(header)] for r in body], columns=header, dtype=object)
    frame[ROW] = range(at + 2, at + 2 + len(frame))
    blank = frame.drop(columns=[ROW]).map(lambda v: v is None or (isinstance(v, str) and not v.strip()))
    frame = frame[~blank.all(axis=1)]
    return frame if control_chars.check_frame(frame, ROW, problems) else None


def _unique_headers(cells: list[Any]) -> list[str]:
    out: list[str] = []
    for i, cell in enumerate(cells):
        name = "" if cell is None else (str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell))
        name = name.strip() or f"Unnamed: {i}"
        while name in out:
            name += ".1"
        out.append(name)
    return out


def _resolve_columns(spec: MappingSpec, raw: pd.DataFrame, problems: Problems) -> dict[str, str] | None:
    """Mapping column name → the file's header; every missing one is reported."""
    wanted: list[str] = []
    p = spec.period
    wanted += [c for c in (p.year, p.month, p.quarter, p.date, p.column) if isinstance(c, str)]
    wanted += [d.column for d in spec.dimensions.given().values() if d.column is not None]
    if spec.value.column is not None:
        wanted.append(spec.value.column)
    wanted += list(spec.value.columns or {})
    wanted += list(spec.attributes.values())
    wanted += [r.column for r in spec.drop_rows if r.column is not None]
    synthetic = {spec.value.header_as} if spec.value.melt is not None else set()
    headers = [c for c in raw.columns if c != ROW]
    by_fold: dict[str, str] = {}
    for h in headers:
        by_fold.setdefault(fold(h), h)
    out: dict[str, str] = {}
    missing: list[str] = []
    for name in dict.fromkeys(wanted):
        if name in synthetic:
            continue
        position = re.fullmatch(r"#(\d+)", name.strip())
        if name in headers:
            out[name] = name
        elif position and 1 <= int(position.group(1)) <= len(headers):
            out[name] = headers[int(position.group(1)) - 1]  # "#3": the third column, any header
        elif fold(name) in by_fold:
            out[name] = by_fold[fold(name)]
        else:
            missing.append(name)
    header_row = spec.file.header_index + 1
    for name in missing:
        problems.add("missing_column", row=header_row, column=name, expected=name,
                     found=", ".join(repr(c) for c in headers[:20]))
    if spec.value.melt is not None and not any(re.search(spec.value.melt, h) for h in headers):
        problems.add("missing_column", row=header_row, column=spec.value.melt,
                     expected=spec.value.melt, found=", ".join(repr(c) for c in headers[:20]))
        return None
    return None if missing else out


def _text(series: pd.Series) -> pd.Series:
    """Cells as stripped text (numbers without a spurious ``.0``); blank → ``""``."""
    def one(v: Any) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, datetime | date):
            return v.isoformat()
        return str(v).strip()

    return series.map(one).astype(object)


def _drop_rows(spec: MappingSpec, raw: pd.DataFrame) -> pd.DataFrame:
    if not spec.drop_rows:
        return raw
    keep = pd.Series(True, index=raw.index)
    cells = [c for c in raw.columns if c != ROW]
    for rule in spec.drop_rows:
        targets = [rule.column] if rule.column is not None else cells
        hit = pd.Series(False, index=raw.index)
        pattern = re.compile(rule.regex)
        for col in targets:
            hit |= _text(raw[col]).map(lambda s, p=pattern: p.search(s) is not None).astype(bool)
        if rule.and_after and hit.any():
            hit = hit.cummax()
        keep &= ~hit
    return raw[keep]


def _melt(spec: MappingSpec, raw: pd.DataFrame) -> pd.DataFrame:
    """One row per value cell, with the cell's header in ``__value_column__``."""
    v = spec.value
    if v.column is not None:
        return _with_value(raw, v.column).reset_index(drop=True)
    headers = list(v.columns) if v.columns is not None else [
        c for c in raw.columns if c != ROW and re.search(v.melt or "", c)]
    pieces = [_with_value(raw, h) for h in headers]
    long = pd.concat(pieces, ignore_index=True) if pieces else raw.iloc[0:0]
    if v.melt is not None:
        long[v.header_as] = long[VALUE_COLUMN]
    # Keep the file's order (row, then column) so reports read top to bottom.
    return long.sort_values(ROW, kind="stable").reset_index(drop=True)


def _with_value(raw: pd.DataFrame, header: str) -> pd.DataFrame:
    piece = raw.copy()
    piece[VALUE] = raw[header]
    piece[VALUE_COLUMN] = header
    return piece


def _apply_column_codes(spec: MappingSpec, long: pd.DataFrame, dims: dict[str, pd.Series]) -> None:
    """Wide tables: codes a value column gives (``Hombres: {sex: M}``) win over the dimensions."""
    for header, codes in (spec.value.columns or {}).items():
        at = long[VALUE_COLUMN] == header
        for dim, code in codes.items():
            current = dims.get(dim)
            if current is None:
                default = DIMENSION_DEFAULTS.get(dim)
                current = pd.Series(default, index=long.index, dtype=object)
            dims[dim] = current.where(~at, code)


# -- dimensions ------------------------------------------------------------------------------


def _dimension(
    dim: str, spec: DimensionSpec, long: pd.DataFrame, rows: pd.Series, problems: Problems
) -> pd.Series:
    """Codes of one dimension: constant, or column → exact map → regex rules → countries/codes."""
    if spec.constant is not None:
        return pd.Series(spec.constant, index=long.index, dtype=object)
    assert spec.column is not None
    column = spec.column
    text = _text(long[column])
    codes = apply_value_maps(text, spec)
    todo = codes.isna()
    if not todo.any():
        return codes
    if dim in ("ref_area", "citizenship", "counterpart_area") and spec.countries:
        if spec.default is not None:
            found = text[todo].map(lambda s: default_resolver().resolve(s) or spec.default)
        else:
            found = resolve_countries(text[todo], rows[todo], column, problems)
        codes[todo] = found
        return codes
    codelist = DIMENSION_CODELISTS[dim]
    if codelist is None:  # `table`: free text
        codes[todo] = text[todo]
        return codes
    known = text.isin(list(get_codelist(codelist).codes)) & todo
    codes[known] = text[known]
    todo &= ~known
    if spec.default is not None:
        codes[todo] = spec.default
    else:
        report_unknown(text, todo, rows, column, codelist, problems)
    return codes


def apply_value_maps(text: pd.Series, spec: DimensionSpec) -> pd.Series:
    """Exact map (optionally case/accent-insensitive), then regex rules in order: first match wins."""
    codes = text.map(spec.map).astype(object) if spec.map else pd.Series(None, index=text.index, dtype=object)
    if spec.ignore_case and spec.map:
        folded = {fold(k): v for k, v in spec.map.items()}
        todo = codes.isna()
        codes[todo] = text[todo].map(lambda s: folded.get(fold(s)))
    for rule in spec.regex:
        todo = codes.isna()
        if not todo.any():
            break
        hit = todo & text.map(lambda s, r=rule.compiled: r.search(s) is not None).astype(bool)
        codes[hit] = rule.code
    return codes.where(codes.notna(), None)


# -- values ----------------------------------------------------------------------------------


def _values(
    spec: FileSection, long: pd.DataFrame, rows: pd.Series, problems: Problems
) -> tuple[pd.Series, pd.Series]:
    """Numbers of the value cells with their status; problems name the cell's own column."""
    raw = long[VALUE]
    cleaned = raw.map(_number_normalizer(spec)).astype(object)
    values = pd.Series(np.nan, index=long.index, dtype="float64")
    status = pd.Series("A", index=long.index, dtype=object)
    # One parse per value column, so a problem names the header the user sees.
    for header, part in long.groupby(VALUE_COLUMN, sort=False).groups.items():
        found = Problems(problems.file)
        v, s = parse_values(cleaned[part], rows[part], str(header), found,
                            blank=spec.blank, na_tokens=tuple(spec.na_tokens))
        values[part] = v
        status[part] = s
        originals = dict(zip(rows[part], _text(raw[part]), strict=True))
        for p in found.items:
            shown = originals.get(p.row, p.value) if p.rule == "not_numeric" else p.value
            problems.add(p.rule, row=p.row, column=p.column, value=shown, **dict(p.details))
    return values, status


def _number_normalizer(spec: FileSection) -> Callable[[Any], Any]:
    """Text numbers in the file's notation → Python notation (``1.234,5`` → ``1234.5``)."""
    thousands, decimal = spec.thousands, spec.decimal

    def normalize(v: Any) -> Any:
        if not isinstance(v, str):
            return v
        s = v.strip().replace("\u00a0", " ")
        if s in spec.na_tokens:
            return s
        if thousands is not None:
            s = s.replace(thousands, "")
        if decimal != ".":
            s = s.replace(decimal, ".")
        return s

    return normalize


# -- periods ---------------------------------------------------------------------------------

_MONTH_WORD = re.compile(r"[^\W\d_]+")
_LEADING_NUMBER = re.compile(r"^\s*(\d{1,2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def parse_year(value: Any) -> int | None:
    """A year from ``2024``, ``2024.0`` or text such as ``"2025 (FYTD)"``/``"FY2024"``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else None
    if isinstance(value, datetime | date):
        return value.year
    found = _YEAR.search(str(value)) if value is not None else None
    return int(found.group(1)) if found else None


def parse_month(value: Any) -> tuple[int, bool] | None:
    """(number, is_calendar_name) from ``3``, ``"03"``, ``"marzo"``, ``"MAR"``, ``"01 October"``.

    A name always means a calendar month; a bare number means whatever ``month_is`` says.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (int(value), False) if float(value).is_integer() and 1 <= value <= 12 else None
    if isinstance(value, datetime | date):
        return value.month, True
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    # only plain ASCII digits are a number here (str.isdecimal() also takes other scripts' digits)
    if text.isascii() and text.isdecimal():
        n = int(text)
        return (n, False) if 1 <= n <= 12 else None
    whole = month_number(text)
    if whole is not None:
        return whole, True
    for word in _MONTH_WORD.findall(text):
        named = month_number(word)
        if named is not None:
            return named, True
    lead = _LEADING_NUMBER.match(text)
    if lead and 1 <= int(lead.group(1)) <= 12:
        return int(lead.group(1)), False
    return None


def parse_quarter(value: Any) -> int | None:
    """1–4 from ``2``, ``"Q2"``, ``"T2"``, ``"2T"``, ``"II"``."""
    text = _text(pd.Series([value])).iloc[0].upper()
    roman = {"I": 1, "II": 2, "III": 3, "IV": 4}
    found = re.search(r"([1-4])", text)
    if found:
        return int(found.group(1))
    for word in re.findall(r"[IV]+", text):
        if word in roman:
            return roman[word]
    return None


def _period(
    spec: PeriodSection, long: pd.DataFrame, rows: pd.Series, problems: Problems
) -> tuple[pd.Series, pd.Series]:
    """First day of each row's calendar period, and its fiscal year (for the attribute)."""
    index = long.index
    years = pd.Series(np.nan, index=index, dtype="float64")
    months = pd.Series(np.nan, index=index, dtype="float64")
    month_named = pd.Series(False, index=index)
    quarters = pd.Series(np.nan, index=index, dtype="float64")
    ok = pd.Series(True, index=index)
    if spec.date is not None or (spec.column is not None and spec.format is not None):
        column = spec.date if spec.date is not None else spec.column
        assert column is not None
        stamps = _parse_dates(long[column], spec)
        bad = stamps.isna()
        _report(problems, rows[bad], column, _text(long[column])[bad],
                f"expected a date{' as ' + spec.format if spec.format else ''}")
        ok &= ~bad
        years[~bad] = stamps[~bad].dt.year
        months[~bad] = stamps[~bad].dt.month
        quarters[~bad] = stamps[~bad].dt.quarter
        month_named[~bad] = True  # a date's month is a calendar month
    else:
        if spec.column is not None:
            parts = _text(long[spec.column]).str.extract(spec.pattern or "")
            src_year, src_month, src_quarter = (parts.get(g) for g in ("year", "month", "quarter"))
            col_year = col_month = col_quarter = spec.column
        else:
            src_year = long[spec.year] if isinstance(spec.year, str) else pd.Series(spec.year, index=index)
            src_month = long[spec.month] if spec.month is not None else None
            src_quarter = long[spec.quarter] if spec.quarter is not None else None
            col_year = spec.year if isinstance(spec.year, str) else "period.year"
            col_month = spec.month or "period.month"
            col_quarter = spec.quarter or "period.quarter"
        y = src_year.map(parse_year) if src_year is not None else pd.Series(None, index=index)
        bad = y.isna()
        _report(problems, rows[bad], col_year, _text(src_year)[bad] if src_year is not None else "",
                "expected a year such as 2024")
        ok &= ~bad
        years[~bad] = y[~bad].astype("float64")
        if spec.freq == "M":
            parsed = src_month.map(parse_month) if src_month is not None else pd.Series(None, index=index)
            bad = parsed.isna()
            _report(problems, rows[bad], col_month,
                    _text(src_month)[bad] if src_month is not None else "",
                    "expected a month 1–12 or a month name (enero, Jan, octubre…)")
            ok &= ~bad
            months = parsed.map(lambda p: float(p[0]) if isinstance(p, tuple) else np.nan).astype("float64")
            month_named = parsed.map(lambda p: isinstance(p, tuple) and p[1]).astype(bool)
        elif spec.freq == "Q":
            q = src_quarter.map(parse_quarter) if src_quarter is not None else pd.Series(None, index=index)
            bad = q.isna()
            _report(problems, rows[bad], col_quarter,
                    _text(src_quarter)[bad] if src_quarter is not None else "",
                    "expected a quarter 1–4 (Q1, T1, I…)")
            ok &= ~bad
            quarters[~bad] = q[~bad].astype("float64")
    return _to_periods(spec, years, months, month_named, quarters, ok, from_dates=spec.date is not None
                       or (spec.column is not None and spec.format is not None))


def _report(problems: Problems, rows: pd.Series, column: str, values: Any, reason: str) -> None:
    if not len(rows):
        return
    shown = values.tolist() if isinstance(values, pd.Series) else [values] * len(rows)
    for row, value in zip(rows.tolist(), shown, strict=True):
        problems.add("impossible_period", row=row, column=column, value=value, reason=reason)


def _parse_dates(series: pd.Series, spec: PeriodSection) -> pd.Series:
    """Timestamps of date cells (date objects as they are; text with ``format`` or ISO/dayfirst)."""
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    is_date = series.map(lambda v: isinstance(v, datetime | date))
    if is_date.any():
        out[is_date] = pd.to_datetime(series[is_date].map(pd.Timestamp), errors="coerce")
    text = _text(series[~is_date])
    # Dates repeat: parse each distinct text once, vectorised, then per cell only what failed.
    uniques = pd.unique(text[text != ""])
    if len(uniques):
        kwargs: dict[str, Any] = {"format": spec.format} if spec.format else {"dayfirst": spec.dayfirst}
        try:
            parsed = pd.Series(pd.to_datetime(uniques, errors="coerce", **kwargs), index=uniques)
        except (ValueError, OverflowError):
            parsed = pd.Series(pd.NaT, index=uniques, dtype="datetime64[ns]")
        for value in parsed.index[parsed.isna()]:
            parsed[value] = _parse_one_date(str(value), spec)
        out[~is_date] = text.map(parsed).astype("datetime64[ns]")
    return out


def _parse_one_date(text: str, spec: PeriodSection) -> Any:
    try:
        if spec.format:
            return pd.Timestamp(datetime.strptime(text, spec.format))
        return pd.to_datetime(text, dayfirst=spec.dayfirst)
    except (ValueError, OverflowError):
        return pd.NaT


def _to_periods(
    spec: PeriodSection, years: pd.Series, months: pd.Series, month_named: pd.Series,
    quarters: pd.Series, ok: pd.Series, *, from_dates: bool,
) -> tuple[pd.Series, pd.Series]:
    index = years.index
    period = pd.Series(None, index=index, dtype=object)
    fiscal_year = pd.Series(None, index=index, dtype=object)
    start = spec.fiscal_year_start_month
    if not ok.any():
        return period, fiscal_year
    y = years[ok].astype("int64")
    if from_dates:
        # A date is a calendar date: only the frequency decides the first day of its period.
        m = months[ok].astype("int64")
        if spec.freq == "A":
            m = pd.Series(1, index=y.index)
        elif spec.freq == "Q":
            m = (quarters[ok].astype("int64") - 1) * 3 + 1
        period[ok] = _first_days(y, m)
        fy = y + ((start > 1) & (months[ok].astype("int64") >= start)).astype("int64")
        fiscal_year[ok] = fy.astype(str)
        return period, fiscal_year
    fiscal_year[ok] = y.astype(str)
    if spec.freq == "A":
        period[ok] = [fiscal_year_start(int(v), start) if 1 <= v <= 9999 else None for v in y]
    elif spec.freq == "Q":
        fiscal_month = (quarters[ok].astype("int64") - 1) * 3 + 1
        period[ok] = vector_fiscal_month_to_period(y, fiscal_month, start)
    else:
        m = months[ok].astype("int64")
        named = month_named[ok]
        # Names are calendar months; bare numbers are fiscal indexes when month_is says so.
        if spec.month_is == "fiscal":
            fiscal_index = m.where(~named, (m - start) % 12 + 1)
            period[ok] = vector_fiscal_month_to_period(y, fiscal_index, start)
        else:
            period[ok] = vector_calendar_month_to_period(y, m, start)
    return period, fiscal_year


def _first_days(years: pd.Series, months: pd.Series) -> list[date | None]:
    return [date(int(y), int(m), 1) if 1 <= y <= 9999 else None for y, m in zip(years, months, strict=True)]


__all__ = ["apply_value_maps", "fold", "parse_month", "parse_quarter", "parse_year", "read_mapped",
           "read_table"]
