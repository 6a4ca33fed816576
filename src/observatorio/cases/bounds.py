"""Bounds of the integers a client sends the cases API (ids, versions, paging).

Ids are 32-bit ``INTEGER`` columns on PostgreSQL and 64-bit on SQLite: a larger number must be
refused by validation (422) instead of failing in the database driver (a 500).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

#: The largest id or version a column holds (PostgreSQL INTEGER).
MAX_ID = 2**31 - 1

RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]


def id_of(text: str | None) -> int | None:
    """The record id a query or form field names, or None when it names none a column can hold
    (empty, not a whole number, or beyond MAX_ID): pages treat it as absent and never query it,
    so a huge number typed into a form is not a driver overflow (a 500) on PostgreSQL."""
    if not text or not text.isascii() or not text.isdecimal() or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
