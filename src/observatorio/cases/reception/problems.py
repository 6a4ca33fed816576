"""A file's bad rows as one bilingual error: every problem at once, each with row and column."""

from __future__ import annotations

from observatorio.cases.errors import Invalid
from observatorio.i18n import LANGS, both, t

MAX_PROBLEMS = 50


def problem(row: int, column: str, key: str, **values: object) -> dict[str, object]:
    """One bad cell: where (row, column) and what, in both languages (``key`` in messages.yaml)."""
    return {"row": row, "column": column, **both(key, **values)}


def invalid_rows(file: str, problems: list[dict[str, object]]) -> Invalid:
    """Every bad row of a file at once, each with row and column, Spanish first."""
    shown = problems[:MAX_PROBLEMS]
    more = len(problems) - len(shown)
    listed = {lang: "; ".join(t("refusal.reception.problem_at", lang, row=p["row"], column=p["column"],
                                problem=p[lang]) for p in shown) for lang in LANGS}
    tail = both("refusal.reception.problems_more", more=more) if more else ""
    return Invalid(key="refusal.reception.rows_refused", file=file, count=len(problems),
                   problems=listed, tail=tail, detail={"errors": shown})
