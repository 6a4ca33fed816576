"""Fiscal-year → calendar conversion: properties that must hold for every start month."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from observatorio.harmonize.fiscal import (
    US_FEDERAL_START_MONTH,
    calendar_year_of,
    fiscal_month_to_date,
    fiscal_year_of,
    fiscal_year_start,
    month_number,
    vector_calendar_month_to_period,
    vector_fiscal_month_to_period,
)

years = st.integers(min_value=1901, max_value=2200)
starts = st.integers(min_value=1, max_value=12)
months = st.integers(min_value=1, max_value=12)


def test_us_federal_fiscal_year() -> None:
    assert fiscal_month_to_date(2024, 1, US_FEDERAL_START_MONTH) == date(2023, 10, 1)
    assert fiscal_month_to_date(2024, 12, US_FEDERAL_START_MONTH) == date(2024, 9, 1)
    assert fiscal_year_of(date(2023, 10, 1), 10) == 2024
    assert fiscal_year_of(date(2024, 9, 30), 10) == 2024
    assert fiscal_year_start(2022, 7) == date(2021, 7, 1)


@given(fy=years, fiscal_month=months, start=starts)
def test_round_trip(fy: int, fiscal_month: int, start: int) -> None:
    day = fiscal_month_to_date(fy, fiscal_month, start)
    assert day.day == 1
    assert fiscal_year_of(day, start) == fy
    # The calendar month sits `fiscal_month - 1` months after the start month.
    assert (day.month - start) % 12 + 1 == fiscal_month
    assert calendar_year_of(fy, day.month, start) == day.year


@given(fy=years, start=starts)
def test_twelve_consecutive_months(fy: int, start: int) -> None:
    days = [fiscal_month_to_date(fy, m, start) for m in range(1, 13)]
    stamps = [d.year * 12 + d.month for d in days]
    assert stamps == list(range(stamps[0], stamps[0] + 12))
    assert days[0] == fiscal_year_start(fy, start)
    # The next fiscal year starts the month after this one ends: no gap, no overlap.
    following = fiscal_year_start(fy + 1, start)
    assert following.year * 12 + following.month == stamps[-1] + 1
    assert {d.month for d in days} == set(range(1, 13))


@given(
    rows=st.lists(st.tuples(years, months), min_size=1, max_size=30),
    start=starts,
)
def test_vectorised_equals_scalar(rows: list[tuple[int, int]], start: int) -> None:
    fy = pd.Series([r[0] for r in rows])
    m = pd.Series([r[1] for r in rows])
    by_fiscal_index = vector_fiscal_month_to_period(fy, m, start)
    assert by_fiscal_index.tolist() == [fiscal_month_to_date(y, k, start) for y, k in rows]
    by_calendar_month = vector_calendar_month_to_period(fy, m, start)
    assert by_calendar_month.tolist() == [date(calendar_year_of(y, k, start), k, 1) for y, k in rows]
    assert all(fiscal_year_of(d, start) == y for d, (y, _) in zip(by_calendar_month, rows, strict=True))


def test_vectorised_out_of_range_years_do_not_crash() -> None:
    # pandas timestamps stop at 2262; a typo must become a reportable None/date, not an exception.
    out = vector_calendar_month_to_period(pd.Series([20244, 1850, 0]), pd.Series([1, 2, 3]), 10)
    assert out.tolist() == [None, date(1850, 2, 1), None]


@pytest.mark.parametrize(
    ("name", "number"),
    [("enero", 1), ("ENE", 1), ("Setiembre", 9), ("sept.", 9), ("OCT", 10), ("December", 12),
     ("diciembre", 12), ("7", 7), ("13", None), ("OCTX", None)],
)
def test_month_number(name: str, number: int | None) -> None:
    assert month_number(name) == number


@pytest.mark.parametrize("start", [0, 13])
def test_start_month_checked(start: int) -> None:
    with pytest.raises(ValueError):
        fiscal_month_to_date(2024, 1, start)
