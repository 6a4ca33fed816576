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
