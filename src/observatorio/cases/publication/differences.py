"""Protection against differencing: two published tables counting nearly the same people by the
same dimensions (a spec ``suppressed_with`` another: reintegration_by_sex_age and
returnees_by_sex_age) must not give away, by subtraction, the few people only one of them counts.

The difference of two linked tables is itself a table of counts (the cases opened by hand, a
case and its intake dated in different months): its small entries are protected like small
cells. *Primary*: an entry published in both tables whose difference is 1 … threshold−1 (e.g. 13
reintegration cases against 12 returnees: one case opened by hand) is hidden in both. *Secondary*:
a hidden entry whose difference is that small must not be narrowed to an interval shorter than
the threshold by solving the two tables as one system (attack.exposed_differences); each such
entry gets one more entry hidden in its row or column, in both tables. suppression.suppress_linked
runs this after the tables agree, and suppresses again until nothing is left to hide here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from observatorio.cases.publication.attack import exposed_differences
from observatorio.cases.publication.tables import Table

Key = tuple[Any, ...]


@dataclass
class Pair:
    """Two linked tables of one layer on the union of their codes: an entry one table lacks is
    a zero it publishes (a category it does not list has nobody in it)."""

    first: Table  # the table with ``suppressed_with``
    second: Table
    rows: list[str]
    columns: list[str]

    def _embed(self, table: Table, values: np.ndarray) -> np.ndarray:
        out = np.zeros((len(self.rows) + 1, len(self.columns) + 1), dtype=values.dtype)
        out[np.ix_(self._rows_of(table), self._columns_of(table))] = values
        return out

    def _rows_of(self, table: Table) -> list[int]:
        return [self.rows.index(c) for c in table.row_codes] + [len(self.rows)]

    def _columns_of(self, table: Table) -> list[int]:
        return [self.columns.index(c) for c in table.column_codes] + [len(self.columns)]

    def counts(self, table: Table) -> np.ndarray:
        return self._embed(table, table.counts)

    def hidden(self, table: Table) -> np.ndarray:
        return self._embed(table, table.suppressed)

    def key(self, i: int, j: int) -> Key:
        """The entry key of grid entry (i, j), from whichever table lists it (both tables of a
        pair give the same keys: the first takes the second's, Table.entry_key)."""
        for table in (self.first, self.second):
            rows, columns = self._rows_of(table), self._columns_of(table)
            if i in rows and j in columns:
                return table.entry_key(rows.index(i), columns.index(j))
        raise KeyError((i, j))  # every grid row and column comes from one of the two tables


def linked_pairs(tables: list[Table]) -> Iterator[Pair]:
    """Every layer both tables of a ``suppressed_with`` link have (a layer only one of them
    has is a table of the other's zeros: its own suppression protects it)."""
    by_layer = {(t.spec.name, t.layer): t for t in tables}
    for first in tables:
        other = first.spec.suppressed_with
        second = by_layer.get((other.name, first.layer)) if other is not None else None
        if second is not None:
            yield Pair(first, second, sorted(set(first.row_codes) | set(second.row_codes)),
                       sorted(set(first.column_codes) | set(second.column_codes)))


def keys_to_hide(tables: list[Table], threshold: int) -> set[Key]:
    """The entries to hide next so no small difference of linked tables is published or can be
    narrowed from what is: the small published differences first (primary); only when a pair
    has none, one complement per difference the attack narrows (secondary)."""
    keys: set[Key] = set()
    for pair in linked_pairs(tables):
        first, second = pair.counts(pair.first), pair.counts(pair.second)
        first_hidden, second_hidden = pair.hidden(pair.first), pair.hidden(pair.second)
        hidden = first_hidden | second_hidden
        difference = np.abs(first - second)
        small = ~hidden & (difference >= 1) & (difference < threshold)
        if small.any():
            keys |= {pair.key(int(i), int(j)) for i, j in np.argwhere(small)}
            continue
        for i, j in exposed_differences(first, first_hidden, second, second_hidden, threshold):
            complement = _complement(first, difference, hidden, i, j)
            if complement is not None:
                hidden[complement] = True
                keys.add(pair.key(*complement))
    return keys


def _complement(counts: np.ndarray, difference: np.ndarray, hidden: np.ndarray, i: int, j: int) -> tuple[int, int] | None:
    """A visible entry of (i, j)'s row or column, else of the whole grid, to hide with it: one
    whose difference is not zero first (hiding an entry both tables count alike adds nothing an
    attacker cannot subtract), inner cells before margins, then the smallest; None if every
    entry is hidden."""
    last_row, last_column = counts.shape[0] - 1, counts.shape[1] - 1
    lines = [[(i, c) for c in range(counts.shape[1])] + [(r, j) for r in range(counts.shape[0])],
             [(int(r), int(c)) for r, c in np.ndindex(counts.shape)]]
    for line in lines:
        candidates = [ij for ij in line if not hidden[ij]]
        if candidates:
            return min(candidates, key=lambda ij: (difference[ij] == 0, ij[0] == last_row or ij[1] == last_column,
                                                   counts[ij], ij))
    return None
