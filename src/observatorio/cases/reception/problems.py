"""A file's bad rows as one bilingual error: every problem at once, each with row and column."""

from __future__ import annotations

from observatorio.cases.errors import Invalid

MAX_PROBLEMS = 50


def invalid_rows(file: str, problems: list[dict[str, object]]) -> Invalid:
    """Every bad row of a file at once, each with row and column, Spanish first."""
    shown = problems[:MAX_PROBLEMS]
    more = len(problems) - len(shown)
    es = "; ".join(f"fila {p['row']}, columna {p['column']}: {p['es']}" for p in shown)
    en = "; ".join(f"row {p['row']}, column {p['column']}: {p['en']}" for p in shown)
    tail_es, tail_en = (f" (y {more} más)", f" (and {more} more)") if more else ("", "")
    return Invalid(f"{file}: {len(problems)} problema(s), no se cargó nada. {es}{tail_es}. "
                   "Corrija el archivo y vuelva a cargarlo.",
                   f"{file}: {len(problems)} problem(s), nothing was loaded. {en}{tail_en}. "
                   "Fix the file and load it again.", errors=shown)
