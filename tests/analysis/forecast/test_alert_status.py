"""An alert is stated as of its data and becomes history once its month has passed (issue 11, item 2)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from observatorio.analysis.forecast.alert_status import (
    ACTIVE,
    PAST,
    Outcome,
    alert_outcome,
    alert_status,
)


@pytest.mark.parametrize(("today", "status"), [
    (date(2025, 1, 31), ACTIVE),   # the month is ahead
    (date(2025, 2, 1), ACTIVE),    # the month is under way
    (date(2025, 2, 28), ACTIVE),
    (date(2025, 3, 1), PAST),      # the month has ended
    (date(2026, 12, 4), PAST),
])
def test_an_alert_is_active_only_until_its_month_ends(today: date, status: str) -> None:
    assert alert_status(pd.Timestamp("2025-02-01"), today) == status


def test_outcome_is_what_the_month_recorded_against_the_threshold() -> None:
    history = [(date(2025, 1, 1), 900.0), (date(2025, 2, 1), 1500.0)]
    assert alert_outcome(history, "2025-02-01", 1200.0) == Outcome(1500.0, True)
    assert alert_outcome(history, "2025-01-01", 1200.0) == Outcome(900.0, False)
    unpublished = alert_outcome(history, "2025-03-01", 1200.0)
    assert unpublished.observed is None and unpublished.surged is None
    assert alert_outcome(history, date(2025, 2, 14), 1200.0) == Outcome(1500.0, True)
    assert alert_outcome([], "2025-02-01", 1200.0) == Outcome(None, None)
