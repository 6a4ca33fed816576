"""Whether an alert is still ahead or already history, and what happened in its month.

An alert is stated relative to its series' last data month ("as of data to Apr 2025") and
targets a later month. Once that month has passed on the calendar the alert is history, never
"active": it is shown with what was actually observed in the month, when the publisher has
released it, and whether that was a surge by the same rule that priced the alert.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

ACTIVE = "active"
PAST = "past"


def month_of(value: Any) -> date:
    """The first day of the month of ``value``: a ``date``, a ``datetime`` (a stored release gives
    dates; the engine's run, pandas Timestamps) or an ISO date text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise TypeError(f"not a date: {value!r}")
    return value.replace(day=1)


def alert_status(target: Any, today: date) -> str:
    """``active`` while the target month has not ended (it is this month or later), else ``past``."""
    return ACTIVE if month_of(target) >= today.replace(day=1) else PAST


@dataclass(frozen=True)
class Outcome:
    """The month an alert targeted, as later observed (None: not published yet)."""

    observed: float | None
    surged: bool | None  # above the alert's threshold, the count that defined a surge


def alert_outcome(history: Iterable[tuple[date, float]], target: Any, threshold: float) -> Outcome:
    """What the series recorded in the alert's target month, if the data reach it.

    ``history``: the observed monthly series as (first day of the month, value) pairs
    (history.load_one).
    """
    month = month_of(target)
    value = dict(history).get(month)
    if value is None:
        return Outcome(None, None)
    return Outcome(float(value), float(value) > threshold)
