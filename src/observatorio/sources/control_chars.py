"""Control characters inside cells: a validation error naming file, row and column.

A NUL or another C0 control character has no place in a published table; pandas' CSV parser
stops a field at NUL (``1\\0999`` would load as 1, ``Guate\\0mala`` as "Guate"), and other
controls would reach the store and every export unseen. Tab, line feed and carriage return are
allowed (delimiters, line breaks inside quoted cells).
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd

from observatorio.harmonize.problems import Problems

PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL = re.compile(PATTERN)
RULE = "control_character"


def shown(value: str) -> str:
    """The cell as a report shows it: controls escaped (\\x00), at most 60 characters."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)[:60]


def check_csv_text(text: str, delimiter: str, skip_lines: int, problems: Problems) -> bool:
    """Report every cell of a CSV text holding a control character (rows numbered as
    ``read_csv`` numbers them: the header is file row ``skip_lines + 1``); True when clean."""
    if not _CONTROL.search(text):  # the usual case: one C-speed scan
        return True
    lines = io.StringIO(text)
    for _ in range(skip_lines):
        lines.readline()
    reader = csv.reader(lines, delimiter=delimiter)
    header = next(reader, [])
    names = [name.strip() or f"{n + 1}" for n, name in enumerate(header)]
    found = _report_record(header, names, skip_lines + 1, problems)
    for i, record in enumerate(reader):
        found |= _report_record(record, names, skip_lines + 2 + i, problems)
    return not found


def _report_record(record: list[str], names: list[str], row: int, problems: Problems) -> bool:
    found = False
    for n, cell in enumerate(record):
        if _CONTROL.search(cell):
            column = names[n] if n < len(names) else str(n + 1)
            problems.add(RULE, row=row, column=shown(column), value=shown(cell))
            found = True
    return found


def check_frame(frame: pd.DataFrame, row_column: str, problems: Problems) -> bool:
    """Report every text cell of a read frame (XLSX, R) holding a control character."""
    found = False
    for name in frame.columns:
        if name == row_column:
            continue
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = column.cat.categories
            bad = [c for c in categories if isinstance(c, str) and _CONTROL.search(c)]
            mask = column.isin(bad) if bad else None
        else:
            mask = _text_mask(column)
        if _CONTROL.search(str(name)):
            problems.add(RULE, row=1, column=shown(str(name)), value=shown(str(name)))
            found = True
        if mask is None:
            continue
        for row, value in zip(frame.loc[mask, row_column], column[mask], strict=True):
            problems.add(RULE, row=int(row), column=shown(str(name)), value=shown(str(value)))
        found = True
    return not found


def _text_mask(column: pd.Series) -> pd.Series | None:
    """Which cells are text holding a control character; None when none is."""
    if not (column.dtype == object or pd.api.types.is_string_dtype(column.dtype)):
        return None
    try:
        mask = column.str.contains(PATTERN, regex=True, na=False)
    except AttributeError:  # an object column without any text (dates, numbers)
        return None
    return mask.astype(bool) if mask.any() else None
