"""CSV of plain rows, byte for byte as the API's Arrow writer (formats.csv_bytes) writes a table.

Building an Arrow table from Python values (``pa.array``, ``Table.from_pylist``) imports pandas
when it is installed (pyarrow's pandas shim looks whether each value is a pandas object), and a
server worker must never import pandas (issue #12). Small answers made of rows (the forecasts)
are written here instead, with the same text: names and strings always quoted (``"`` doubled),
nulls empty, booleans ``true``/``false``, floats in Arrow's shortest form (``0``, ``0.000032``,
``1e+10``), formula-like text neutralised (formula_guard).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from observatorio.formula_guard import neutral_text

#: Arrow writes a float in plain decimals while its decimal exponent is within this range
#: (double-conversion's shortest form as Arrow configures it), else as ``d.ddde±x``.
PLAIN_EXPONENTS = range(-6, 10)


def float_text(value: float) -> str:
    """``value`` as Arrow's CSV writer prints a double."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    # Python's repr is the shortest text that reads back the same double, as Arrow's
    _, digit_tuple, exp = Decimal(repr(abs(value))).normalize().as_tuple()
    assert isinstance(exp, int)
    digits = "".join(map(str, digit_tuple))
    exponent = len(digits) - 1 + exp  # of the first digit
    if exponent not in PLAIN_EXPONENTS:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
    if exponent < 0:
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    if exponent >= len(digits) - 1:
        return sign + digits + "0" * (exponent - len(digits) + 1)
    return f"{sign}{digits[:exponent + 1]}.{digits[exponent + 1:]}"


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def cell_text(value: Any) -> str:
    """One cell as the Arrow writer prints it (strings neutralised, then quoted)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, str):
        return _quoted(neutral_text(value))
    raise TypeError(f"no CSV text for {type(value).__name__}")


def rows_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """The rows' ``columns`` as CSV: a quoted header, then one line per row (``\\n`` ends)."""
    lines = [",".join(_quoted(c) for c in columns)]
    lines += [",".join(cell_text(row.get(c)) for c in columns) for row in rows]
    return ("\n".join(lines) + "\n").encode()
