"""Whether an alert is still ahead or already history, and what happened in its month.

An alert is stated relative to its series' last data month ("as of data to Apr 2025") and
targets a later month. Once that month has passed on the calendar the alert is history, never
"active": it is shown with what was actually observed in the month, when the publisher has
released it, and whether that was a surge by the same rule that priced the alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

ACTIVE = "active"
PAST = "past"


def alert_status(target: Any, today: date) -> str:
    """``active`` while the target month has not ended (it is this month or later), else ``past``."""
    month = pd.Timestamp(target).date().replace(day=1)
    return ACTIVE if month >= today.replace(day=1) else PAST


@dataclass(frozen=True)
class Outcome:
    """The month an alert targeted, as later observed (None: not published yet)."""

    observed: float | None
    surged: bool | None  # above the alert's threshold, the count that defined a surge


def alert_outcome(history: pd.Series, target: Any, threshold: float) -> Outcome:
    """What the series recorded in the alert's target month, if the data reach it."""
    month = pd.Timestamp(target).replace(day=1)
    if history.empty or month not in history.index:
        return Outcome(None, None)
    value = float(history.loc[month])
    return Outcome(value, value > threshold)
