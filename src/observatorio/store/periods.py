"""Reference periods as a query gives them (``2022``, ``2022-Q3``, ``2022-10``, ``2022-10-01``)
and as SDMX writes them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from observatorio.store.query_errors import QueryError

_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{2})(?:-(\d{2}))?|Q([1-4])))?$")


@dataclass(frozen=True)
class Period:
    """A reference period given as ``2022``, ``2022-Q3``, ``2022-10`` or ``2022-10-01``."""

    text: str
    first_day: date
    next_first_day: date  # first day after the period (exclusive bound)


def parse_period(text: str, parameter: str) -> Period:
    """The period ``text`` means; QueryError naming ``parameter`` when it is malformed."""
    match = _PERIOD.match(text.strip())
    try:
        if not match:
            raise ValueError(text)
        year = int(match.group(1))
        month, day, quarter = match.group(2), match.group(3), match.group(4)
        if quarter:
            first = date(year, 3 * int(quarter) - 2, 1)
            after = _add_months(first, 3)
        elif day:
            first = date(year, int(month), int(day))
            after = date.fromordinal(first.toordinal() + 1)
        elif month:
            first = date(year, int(month), 1)
            after = _add_months(first, 1)
        else:
            first, after = date(year, 1, 1), date(year + 1, 1, 1)
    except ValueError:
        raise QueryError("bad_period", parameter, "api.bad_period", value=text) from None
    return Period(text, first, after)


def parse_date(text: str, parameter: str) -> date:
    """An ISO date (``2024-07-21``); QueryError naming ``parameter`` otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise QueryError("bad_date", parameter, "api.bad_date", value=text) from None


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def format_period(period: date, freq: str) -> str:
    """SDMX time period text: ``2022`` (A), ``2022-Q3`` (Q), ``2022-10`` (M)."""
    if freq == "A":
        return f"{period.year:04d}"
    if freq == "Q":
        return f"{period.year:04d}-Q{(period.month - 1) // 3 + 1}"
    return f"{period.year:04d}-{period.month:02d}"
