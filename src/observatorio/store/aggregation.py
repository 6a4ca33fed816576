"""Time aggregation of monthly observations: calendar years, US federal fiscal years, quarters.

``aggregate=A|FY|Q`` on a query sums monthly rows (only those: native annual or quarterly rows
are left out, so nothing is counted twice) into the period that holds them. The period of a sum
is the first day of that period (a US fiscal year FY2024 starts on 2023-10-01) and ``freq`` is
``A`` or ``Q``; ``months`` says how many months the sum holds (a partial year shows fewer than
12). Stocks are never summed over months (the query's no-double-count check refuses it).
"""

from __future__ import annotations

from observatorio.harmonize.fiscal_year import US_FEDERAL_START_MONTH
from observatorio.model.dimensions import DEFAULT_GROUP

#: The aggregations offered: SQL of the aggregated period (from ``"period"``) and its freq.
AGGREGATES: dict[str, tuple[str, str]] = {
    "A": ("date_trunc('year', \"period\")::DATE", "A"),
    "Q": ("date_trunc('quarter', \"period\")::DATE", "Q"),
    # The fiscal year holding a month: shift by the months before its start, take the calendar
    # year, shift back (constants, not user input).
    "FY": (f"(date_trunc('year', \"period\" + INTERVAL {13 - US_FEDERAL_START_MONTH} MONTH)"
           f" - INTERVAL {13 - US_FEDERAL_START_MONTH} MONTH)::DATE", "A"),
}
#: The column counting the months in each sum.
MONTHS_COLUMN = "months"


def group_expression(column: str, aggregate: str | None) -> str:
    """The SQL a group column is grouped on: the aggregated period, else the column itself
    (``freq`` too: only monthly rows are read, so it is one value)."""
    if aggregate is not None and column == "period":
        return AGGREGATES[aggregate][0]
    return f'"{column}"'


def output_expression(column: str, aggregate: str | None) -> str:
    """The SQL a group column is answered with: the aggregated frequency for ``freq``."""
    if aggregate is not None and column == "freq":
        return f"any_value('{AGGREGATES[aggregate][1]}')"
    return group_expression(column, aggregate)


def aggregated_group(group_by: tuple[str, ...]) -> tuple[str, ...]:
    """The group of an aggregated question: the one asked (every dimension if none), always
    with period and freq (the aggregated period is the point of the question)."""
    asked = group_by or DEFAULT_GROUP
    return tuple(dict.fromkeys([*asked, *(c for c in ("freq", "period") if c not in asked)]))
