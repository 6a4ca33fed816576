"""When follow-ups fall due and whether each was on time (pure functions, a clock passed in)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

Status = Literal["on_time", "late", "missing", "not_due"]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def due_dates(started_on: dt.date, milestones: list[int]) -> dict[int, dt.date]:
    return {m: add_months(started_on, m) for m in milestones}


def status(due_on: dt.date, recorded_on: dt.date | None, today: dt.date, grace_days: int) -> Status:
    """On time: recorded by due + grace; late: recorded after; missing: not recorded and the
    grace has passed; not due: neither recorded nor overdue yet."""
    deadline = due_on + dt.timedelta(days=grace_days)
    if recorded_on is not None:
        return "on_time" if recorded_on <= deadline else "late"
    return "missing" if today > deadline else "not_due"
