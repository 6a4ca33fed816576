"""The submission calendar: for each loaded source, the next reference period the observatory
expects, the day it is due (cadence and lag declared in calendar.yaml) and whether it is
current, due or overdue, per country and per providing organisation.

The last period comes from the store (the latest release's ``period_end``), so a new release
moves a source back to "current" without anyone ticking a box.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from observatorio.errors import ObservatorioError
from observatorio.store import Store

CADENCE_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}
CURRENT, DUE, OVERDUE = "current", "due", "overdue"
STATUS_ORDER = (OVERDUE, DUE, CURRENT)


class Expectation(BaseModel):
    """One calendar entry (calendar.yaml), checked when the file is read."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    cadence: Literal["monthly", "quarterly", "annual"]
    lag_months: int = Field(ge=0, le=36)
    provider: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")

    @property
    def months(self) -> int:
        return CADENCE_MONTHS[self.cadence]

    @property
    def grace_months(self) -> int:
        return 1 if self.cadence == "monthly" else 3


class CalendarError(ObservatorioError):
    """calendar.yaml does not follow its format (``detail``: the entry and field)."""

    key = "calendar.error.invalid"


@dataclass(frozen=True)
class Slot:
    """Where one source stands against the calendar on a given day."""

    source: str
    provider: str
    country: str | None
    cadence: str
    last_period: date
    next_period: date
    due_on: date
    status: str


def add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def parse_calendar(text: str) -> dict[str, Expectation]:
    raw = yaml.safe_load(text) or {}
    if not isinstance(raw, dict):
        raise CalendarError(detail="expected a mapping of source ids to entries")
    out: dict[str, Expectation] = {}
    for key, entry in raw.items():
        try:
            out[str(key)] = Expectation.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise CalendarError(detail=f"{key}.{where}: {first['msg']}") from None
    return out


@cache
def bundled_calendar() -> dict[str, Expectation]:
    return parse_calendar(resources.files("observatorio.sources").joinpath("calendar.yaml").read_text("utf-8"))


def expectation_for(source: str, calendar: dict[str, Expectation] | None = None) -> Expectation | None:
    """The first entry whose key is the source id or a glob matching it."""
    table = bundled_calendar() if calendar is None else calendar
    if source in table:
        return table[source]
    return next((e for key, e in table.items() if fnmatch.fnmatchcase(source, key)), None)


def slot(source: str, last_period: date, today: date, expectation: Expectation) -> Slot:
    """The next period after ``last_period``, its due day and the status on ``today``."""
    start = date(last_period.year, last_period.month, 1)
    next_period = add_months(start, expectation.months)
    due_on = add_months(next_period, expectation.months + expectation.lag_months)
    if today < due_on:
        status = CURRENT
    elif today < add_months(due_on, expectation.grace_months):
        status = DUE
    else:
        status = OVERDUE
    return Slot(source, expectation.provider, expectation.country, expectation.cadence, start, next_period,
                due_on, status)


def schedule(store: Store, today: date, calendar: dict[str, Expectation] | None = None) -> list[Slot]:
    """Every loaded source with a calendar entry, overdue first, then due, then current."""
    rows = store.cursor().execute(
        "SELECT source, period_end FROM loads WHERE is_latest AND period_end IS NOT NULL").fetchall()
    out = []
    for source, period_end in rows:
        expectation = expectation_for(source, calendar)
        if expectation is not None:
            out.append(slot(source, period_end, today, expectation))
    return sorted(out, key=lambda s: (STATUS_ORDER.index(s.status), s.due_on, s.source))


def counts_by(slots: list[Slot], key: str) -> dict[str, dict[str, int]]:
    """{country or provider → {status → number of sources}} (international providers: "")."""
    out: dict[str, dict[str, int]] = {}
    for s in slots:
        group = getattr(s, key) or ""
        out.setdefault(group, dict.fromkeys(STATUS_ORDER, 0))[s.status] += 1
    return dict(sorted(out.items()))
