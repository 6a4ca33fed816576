"""Names and values of the application database that both its owner (the cases side's models and
practices.py) and the portal's light reads (publish/web/public_case_reads.py) use.

They live here, outside ``observatorio.cases``, because importing anything of that package loads
SQLAlchemy and every model: a portal worker reads these few public rows with the DB-API driver
and must not pay for the ORM (issue #12). Typed once, so a renamed table or status cannot leave
one of the two readers behind.
"""

from __future__ import annotations

PRACTICE_TABLE = "practice"
DIRECTORY_ORGANISATION_TABLE = "directory_organisation"

#: A practice's moderation status (cases/practices.py): only PUBLISHED ones are public.
SUBMITTED, PUBLISHED, REJECTED = "submitted", "published", "rejected"


def text_in(row: object, field: str, lang: str) -> str:
    """A bilingual field of a practice (a model or a row with the same attribute names) in
    ``lang``, falling back to the other language (a practice submitted in one language is
    published only once both are there, but the field may have been emptied since)."""
    other = "en" if lang == "es" else "es"
    return getattr(row, f"{field}_{lang}") or getattr(row, f"{field}_{other}") or ""
