"""The total of a paged list, counted only when the page cannot tell it.

A page shorter than its limit that is not past the end holds the last rows of the list, so
the total is its offset plus its length; only a full page (or one past the end) needs the
count statement. Same answer, one statement fewer on most pages of small lists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def total(session: Session, stmt: Select[Any], shown: int, limit: int, offset: int) -> int:
    """The number of rows ``stmt`` selects, given that the page at ``offset`` had ``shown`` of them."""
    if shown < limit and (shown > 0 or offset == 0):
        return offset + shown
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
