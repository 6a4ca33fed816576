"""Spreadsheet formula injection: text that a spreadsheet would run is exported as text.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
programs strip before looking) is read as a formula by Excel, LibreOffice and Google Sheets when
a CSV or XLSX file is opened: a file name such as ``=HYPERLINK(…)`` would become a live link.
Every CSV and XLSX the project writes passes its text cells through here; such a cell gets a
leading apostrophe (the OWASP advice), which spreadsheets show as text. Plain numbers (``-12``,
``+3.5``) are left alone: they are values, not formulas.

No pandas here (a server worker imports this module): frames go through ``formula_guard_frame``.
``neutral_table`` needs ``pyarrow.compute``, which the API's CSV writer and the in-memory engine
(store/memory.py) load anyway.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

FORMULA_START = "=+-@\t\r"
_RISKY = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# The same two tests for Arrow's RE2 engine.
_RISKY_RE2 = r"^[=+\-@\t\r]"
_NUMBER_RE2 = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def neutral_text(text: str) -> str:
    """``text``, with an apostrophe in front when a spreadsheet would take it for a formula."""
    if _RISKY.match(text) and not _NUMBER.match(text):
        return "'" + text
    return text


def recorded_name(path: Path) -> str:
    """The file name kept as a row's lineage (``source_file``), neutralised once on the way in,
    so that every answer (JSON, CSV, XLSX, /api/v1/loads) shows the same harmless name."""
    return neutral_text(path.name)


def neutral_value(value: Any) -> Any:
    """A cell value: text neutralised, anything else unchanged."""
    return neutral_text(value) if isinstance(value, str) else value


def neutral_table(table: pa.Table) -> pa.Table:
    """The Arrow table with every string cell neutralised (computed column by column)."""
    for i, field in enumerate(table.schema):
        kind = field.type
        column = table.column(i)
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
            # Codes repeat: look at each chunk's few distinct values, not at every row.
            if not any(_any_risky(chunk.dictionary) for chunk in column.chunks):
                continue
            column = column.cast(kind)
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            continue
        if not _any_risky(column):  # the usual case: one cheap pass, nothing to change
            continue
        risky = pc.and_(pc.match_substring_regex(column, _RISKY_RE2),
                        pc.invert(pc.match_substring_regex(column, _NUMBER_RE2)))
        quoted = pc.binary_join_element_wise(pa.scalar("'", kind), column, pa.scalar("", kind))
        table = table.set_column(i, field.name, pc.if_else(risky, quoted, column))
    return table


def _any_risky(values: pa.Array | pa.ChunkedArray) -> bool:
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return False
    return bool(pc.any(pc.match_substring_regex(values, _RISKY_RE2)).as_py())
