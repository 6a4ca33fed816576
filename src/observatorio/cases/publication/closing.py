"""When a month may be published: after it has ended plus a closing lag for late data entry.

A month published while still running, or before the returnees received in its last days are
entered, would be published again with the late ones counted: two releases of one month then
differ by those few people (revisions.py). Statistical offices publish a month only once its
data entry has closed; the lag is ``CasesConfig.publication_closing_days`` (default 15). The
clock is the caller's (``today``), so tests inject it instead of waiting."""

from __future__ import annotations

import datetime as dt

from observatorio.cases.errors import Invalid
from observatorio.cases.publication.records import month_start, next_month

#: days after a month's end before it may be published (CasesConfig.publication_closing_days)
CLOSING_DAYS = 15


def closes_on(month: dt.date, closing_days: int = CLOSING_DAYS) -> dt.date:
    """The first day ``month`` may be published: its last day + 1 + ``closing_days``."""
    return next_month(month_start(month)) + dt.timedelta(days=closing_days)


def require_closed(period: dt.date, today: dt.date, closing_days: int = CLOSING_DAYS) -> None:
    """Refuse (bilingual, naming the day it opens) a period whose month has not closed yet; a
    run publishes every month up to ``period``, so checking the last one checks them all."""
    if closing_days < 0:
        raise Invalid(key="cases.refusal.bad_closing_days", days=closing_days)
    opens = closes_on(period, closing_days)
    if today < opens:
        raise Invalid(key="cases.refusal.month_not_closed", month=f"{period:%Y-%m}", opens=opens.isoformat(),
                      days=closing_days)
