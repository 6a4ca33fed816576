"""Full-text search of published practices, in both languages, accents ignored.

SQLite: the FTS5 index ``practice_fts`` (tokenizer ``unicode61 remove_diacritics 2``, migration
0006). PostgreSQL: ``to_tsvector('simple', search_text)`` over the accent-folded copy of every
text field that the registry writes with each practice. Queries are folded the same way and
reduced to words, each matched as a prefix ("migr" finds "migración"), all required.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.orm import Session

from observatorio.cases.directory_models import Practice

WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 12


def fold(value: str) -> str:
    """Lower case without diacritics: «Niñez Migrante» → «ninez migrante»."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def folded_text(parts: Iterable[str | None]) -> str:
    """The words of every part, folded, as PostgreSQL's index reads them."""
    return " ".join(WORD.findall(fold(" ".join(p for p in parts if p))))


def words(query: str) -> list[str]:
    return WORD.findall(fold(query))[:MAX_WORDS]


def match_clause(session: Session, query: str) -> ColumnElement[bool] | None:
    """A filter on Practice keeping the rows that contain every word of ``query`` (None: no words)."""
    found = words(query)
    if not found:
        return None
    if session.get_bind().dialect.name == "sqlite":
        expression = " AND ".join(f'"{w}"*' for w in found)  # words are letters and digits only
        ids = select(text("rowid")).select_from(text("practice_fts")).where(
            text("practice_fts MATCH :fts_query").bindparams(fts_query=expression))
        return Practice.id.in_(ids)
    tsquery = " & ".join(f"{w}:*" for w in found)
    return func.to_tsvector("simple", Practice.search_text).op("@@")(func.to_tsquery("simple", tsquery))
