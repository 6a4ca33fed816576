"""Fiscal-year → calendar conversion.

A fiscal year is named by the calendar year in which it *ends* (the US federal convention:
FY2024 runs from 1 October 2023 to 30 September 2024). ``start_month`` is the calendar month
in which fiscal month 1 falls; ``start_month=1`` means the fiscal year is the calendar year.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

# Re-exported: the adapters convert with it (declared apart so the store reads it without pandas).
from observatorio.harmonize.fiscal_year import US_FEDERAL_START_MONTH as US_FEDERAL_START_MONTH

MONTH_NAMES: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("jan", "january", "ene", "enero"),
        ("feb", "february", "febrero"),
        ("mar", "march", "marzo"),
        ("apr", "april", "abr", "abril"),
        ("may", "mayo"),
        ("jun", "june", "junio"),
        ("jul", "july", "julio"),
        ("aug", "august", "ago", "agosto"),
        ("sep", "sept", "september", "set", "septiembre", "setiembre"),
        ("oct", "october", "octubre"),
        ("nov", "november", "noviembre"),
        ("dec", "december", "dic", "diciembre"),
    ],
    start=1,
):
    for _name in _names:
        MONTH_NAMES[_name] = _number


def _check(start_month: int) -> None:
    if not 1 <= start_month <= 12:
        raise ValueError(f"start_month must be 1..12, got {start_month}")


def calendar_year_of(fiscal_year: int, calendar_month: int, start_month: int) -> int:
    """The calendar year of ``calendar_month`` within ``fiscal_year``."""
    _check(start_month)
    if start_month == 1 or calendar_month < start_month:
        return fiscal_year
    return fiscal_year - 1


def fiscal_month_to_date(fiscal_year: int, fiscal_month: int, start_month: int) -> date:
    """First day of the calendar month that is month ``fiscal_month`` (1–12) of the fiscal year."""
    _check(start_month)
    if not 1 <= fiscal_month <= 12:
        raise ValueError(f"fiscal month must be 1..12, got {fiscal_month}")
    offset = start_month - 1 + fiscal_month - 1
    year = fiscal_year - (1 if start_month > 1 else 0) + offset // 12
    return date(year, offset % 12 + 1, 1)


def fiscal_year_start(fiscal_year: int, start_month: int) -> date:
    """First day of the fiscal year."""
    return fiscal_month_to_date(fiscal_year, 1, start_month)


def fiscal_year_of(day: date, start_month: int) -> int:
    """The fiscal year a calendar day belongs to."""
    _check(start_month)
    if start_month == 1 or day.month < start_month:
        return day.year
    return day.year + 1


def vector_calendar_month_to_period(
    fiscal_years: pd.Series, calendar_months: pd.Series, start_month: int
) -> pd.Series:
    """Vectorised: (fiscal year, calendar month number) → first day of that calendar month."""
    _check(start_month)
    fy = fiscal_years.astype("int64").to_numpy()
    month = calendar_months.astype("int64").to_numpy()
    year = fy - ((start_month > 1) & (month >= start_month)).astype("int64")
    return _dates(year, month, fiscal_years.index)


def vector_fiscal_month_to_period(
    fiscal_years: pd.Series, fiscal_months: pd.Series, start_month: int
) -> pd.Series:
    """Vectorised: (fiscal year, fiscal month index 1–12) → first day of the calendar month."""
    _check(start_month)
    fy = fiscal_years.astype("int64").to_numpy()
    offset = start_month - 1 + fiscal_months.astype("int64").to_numpy() - 1
    year = fy - (1 if start_month > 1 else 0) + offset // 12
    return _dates(year, offset % 12 + 1, fiscal_years.index)


def _dates(year: np.ndarray, month: np.ndarray, index: pd.Index) -> pd.Series:
    # Plain dates, not pandas timestamps: those overflow outside 1677–2262, and a typo such as
    # year 20244 must become a reported impossible period, not a crash. Years a date cannot
    # hold (0, > 9999) give None, which check_frame reports.
    out = [date(int(y), int(m), 1) if 1 <= y <= 9999 else None for y, m in zip(year, month, strict=True)]
    return pd.Series(out, index=index, dtype=object)


def month_number(name: str) -> int | None:
    """Calendar month number of an English or Spanish month name or abbreviation (``OCT``, ``octubre``)."""
    key = name.strip().casefold().rstrip(".")
    if key.isascii() and key.isdecimal():  # "²".isdecimal() is true, but int("²") raises
        number = int(key)
        return number if 1 <= number <= 12 else None
    return MONTH_NAMES.get(key)
