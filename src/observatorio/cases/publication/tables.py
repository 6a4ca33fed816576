"""Cross-tabulate the case records into the specs' two-way tables with their margins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from observatorio.cases.publication.specs import NESTED_IN, AggregateSpec


@dataclass
class Table:
    """One two-way table with margins: ``counts`` is (rows + 1) × (columns + 1), the last row
    and column being the column and row totals (the corner is the grand total)."""

    spec: AggregateSpec
    layer: tuple[Any, ...]  # the values of spec.layers
    row_codes: list[str]
    column_codes: list[str]
    counts: np.ndarray
    #: nested dimension (specs.NESTED_IN) → its codes in this table → the whole each is part of,
    #: where the records give it a single one
    parents: dict[str, dict[str, str]] = field(default_factory=dict)
    suppressed: np.ndarray = field(init=False)
    primary: np.ndarray = field(init=False)
    #: a link's entries that no published table has (suppression.suppress_linked): unknown to
    #: everyone, hidden from the start
    unpublished: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.suppressed = np.zeros(self.counts.shape, dtype=bool)
        self.primary = np.zeros(self.counts.shape, dtype=bool)
        self.unpublished = np.zeros(self.counts.shape, dtype=bool)

    def entry_key(self, i: int, j: int) -> tuple[Any, ...]:
        """What entry (i, j) counts, independent of the table: the case types and every
        dimension value that is not a total. Two tables' entries with equal keys are the same
        number (a country's total is a margin in one table and the grand total of another):
        suppressed together. A table counting nearly the same people as another (a spec
        ``suppressed_with`` it) keeps its own keys: differences.py protects the pair. A part
        (specs.NESTED_IN) names its whole too: HN-AT's women are HND's, in a table per month
        as in one per country."""
        values = dict(zip(self.spec.layers, self.layer, strict=True))
        if i < len(self.row_codes):
            values[self.spec.rows] = self.row_codes[i]
        if j < len(self.column_codes):
            values[self.spec.columns] = self.column_codes[j]
        for part, whole in NESTED_IN.items():
            if part in values and whole not in values and (of := self.parents.get(part, {}).get(values[part])):
                values[whole] = of
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
        tables.append(Table(spec, key, [str(c) for c in row_codes], [str(c) for c in column_codes], counts,
                            _parents(part, spec)))
    return tables


def _parents(part: pd.DataFrame, spec: AggregateSpec) -> dict[str, dict[str, str]]:
    """For each nested dimension the table breaks down by, and whose whole it does not: each
    code's whole, when the layer's records give it exactly one (``_U`` in two countries: none)."""
    named = {spec.rows, spec.columns, *spec.layers}
    parents: dict[str, dict[str, str]] = {}
    for child, whole in NESTED_IN.items():
        if child in named and whole not in named and whole in part:
            wholes = part.groupby(child)[whole].unique()
            parents[child] = {str(code): str(found[0]) for code, found in wholes.items() if len(found) == 1}
    return parents
