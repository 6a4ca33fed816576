"""Arrow in a server worker without pandas.

pyarrow asks, when it builds an array from Python or numpy values (``pa.array``,
``Table.from_pylist``), whether each value is a pandas object, and answers that by importing
pandas when it is installed (its pandas shim, asked once per process). A server worker builds
such arrays for every answer of the in-memory engine, so it would load pandas (about 46 MB with
the ``pyarrow.compute`` it pulls in, issue #12) without using it. :func:`tell_arrow_no_pandas`
lets that one question run while pandas cannot be imported: pyarrow records "no pandas" for its
type checks and never asks again. Nothing else changes: pandas stays importable, and what
converts to or from pandas explicitly (``Table.to_pandas``, DuckDB's ``.df()``, pysdmx's data
writer for SDMX-ML) imports it when it runs (tests/store/test_arrow_without_pandas.py).

The price, should pandas objects ever reach Arrow in a served worker: pyarrow keeps its "no
pandas" answer even after pandas is imported by another route (DuckDB's ``.df()``, a plain
import), so ``pa.array`` of a pandas Series is read as a plain sequence (a NaN stays NaN instead
of becoming null). No served path hands pandas objects to Arrow: the one pandas user, the SDMX-ML
data writer, converts Arrow to pandas, never back.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

import pyarrow as pa


class _PandasAbsent:
    """A module finder that says pandas is not installed (while it is on ``sys.meta_path``)."""

    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def tell_arrow_no_pandas() -> bool:
    """Have pyarrow's pandas check answer "no pandas" for this process, unless pandas is loaded
    already (then pyarrow may as well use it); whether pyarrow was told."""
    if "pandas" in sys.modules:
        return False
    absent = _PandasAbsent()
    sys.meta_path.insert(0, absent)
    try:
        pa.array([0])  # the first array built from Python values asks the shim, once
    finally:
        sys.meta_path.remove(absent)
    return "pandas" not in sys.modules
