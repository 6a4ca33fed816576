"""Cross-tabulate the case records into the specs' two-way tables with their margins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from observatorio.cases.publication.specs import AggregateSpec


@dataclass
class Table:
    """One two-way table with margins: ``counts`` is (rows + 1) × (columns + 1), the last row
    and column being the column and row totals (the corner is the grand total)."""

    spec: AggregateSpec
    layer: tuple[Any, ...]  # the values of spec.layers
    row_codes: list[str]
    column_codes: list[str]
    counts: np.ndarray
    suppressed: np.ndarray = field(init=False)
    primary: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.suppressed = np.zeros(self.counts.shape, dtype=bool)
        self.primary = np.zeros(self.counts.shape, dtype=bool)

    def entry_key(self, i: int, j: int) -> tuple[Any, ...]:
        """What entry (i, j) counts, independent of the table: the case types and every
        dimension value that is not a total. Two tables' entries with equal keys are the same
        number (a country's total is a margin in one table and the grand total of another):
        suppressed together. A table counting nearly the same people as another (a spec
        ``suppressed_with`` it) keeps its own keys: differences.py protects the pair."""
        values = dict(zip(self.spec.layers, self.layer, strict=True))
        if i < len(self.row_codes):
            values[self.spec.rows] = self.row_codes[i]
        if j < len(self.column_codes):
            values[self.spec.columns] = self.column_codes[j]
        return (self.spec.case_types, self.spec.intake_cases, tuple(sorted(values.items())))


def cross_tabulate(records: pd.DataFrame, spec: AggregateSpec) -> list[Table]:
    """Every table of ``spec``, one per layer value that has at least one case (zeros inside a
    table are real cells: a category seen in the layer but not in this row)."""
    chosen = records[spec.selects(records)]
    tables: list[Table] = []
    if chosen.empty:
        return tables
    for layer, part in chosen.groupby(list(spec.layers), sort=True):
        key = layer if isinstance(layer, tuple) else (layer,)
        rows, row_codes = pd.factorize(part[spec.rows], sort=True)
        columns, column_codes = pd.factorize(part[spec.columns], sort=True)
        inner = np.bincount(rows * len(column_codes) + columns,
                            minlength=len(row_codes) * len(column_codes)).reshape(len(row_codes), -1)
        counts = np.zeros((inner.shape[0] + 1, inner.shape[1] + 1), dtype=np.int64)
        counts[:-1, :-1] = inner
        counts[:-1, -1] = inner.sum(axis=1)
        counts[-1, :-1] = inner.sum(axis=0)
        counts[-1, -1] = inner.sum()
        tables.append(Table(spec, key, [str(c) for c in row_codes], [str(c) for c in column_codes], counts))
    return tables
