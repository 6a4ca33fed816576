"""The only numbers that leave the cases side: counts with synthetic records excluded and
small cells suppressed, so no person can be singled out from a published table."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatorio.cases.models import Case

SUPPRESSED = None


@dataclass(frozen=True)
class CaseCount:
    country: str
    case_type: str
    year: int
    count: int | None  # None: suppressed (fewer than the threshold, or to protect such a cell)


def case_counts(session: Session, min_cell: int = 5) -> list[CaseCount]:
    """Cases opened per country, type and year; synthetic (demo) cases never count."""
    year = func.extract("year", Case.opened_at)
    rows = session.execute(
        select(Case.country, Case.case_type, year, func.count())
        .where(Case.synthetic.is_(False))
        .group_by(Case.country, Case.case_type, year)
        .order_by(Case.country, Case.case_type, year)
    ).all()
    cells = [CaseCount(c, t, int(y), int(n)) for c, t, y, n in rows]
    out = [x if (x.count or 0) >= min_cell else CaseCount(x.country, x.case_type, x.year, SUPPRESSED)
           for x in cells]
    # Secondary suppression: a lone suppressed cell in a country-year could be recovered from
    # the total, so suppress the next smallest cell of that group too.
    groups: dict[tuple[str, int], list[int]] = {}
    for i, x in enumerate(out):
        groups.setdefault((x.country, x.year), []).append(i)
    for idx in groups.values():
        hidden = [i for i in idx if out[i].count is SUPPRESSED]
        shown = sorted((i for i in idx if out[i].count is not SUPPRESSED), key=lambda i: out[i].count or 0)
        if len(hidden) == 1 and shown:
            j = shown[0]
            out[j] = CaseCount(out[j].country, out[j].case_type, out[j].year, SUPPRESSED)
    return out
