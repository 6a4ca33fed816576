"""Spreadsheet formula injection, for pandas frames (the CLI's CSV output).

The rules are ``formula_guard``'s; this module holds the frame version apart so that a server
worker, which writes its CSV without pandas, never imports pandas through ``formula_guard``
(issue #12).
"""

from __future__ import annotations

import pandas as pd

from observatorio.formula_guard import neutral_value


def neutral_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of the frame with every text cell neutralised (column names too)."""
    out = frame.rename(columns=lambda c: neutral_value(c))
    for name in out.columns:
        column = out[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            out[name] = column.map(neutral_value)
    return out
