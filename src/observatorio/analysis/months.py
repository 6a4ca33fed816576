"""Calendar months as the analysis counts them: a monthly series is indexed by first days."""

from __future__ import annotations

from datetime import date


def month_starts(first: date, last: date) -> list[date]:
    """Every first day of a month from ``first`` (the next one, if it is not one) to ``last``
    (pandas' ``date_range(freq="MS")``, which the engine's series use)."""
    year, month = first.year, first.month
    if first.day != 1:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    out = []
    while date(year, month, 1) <= last:
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
