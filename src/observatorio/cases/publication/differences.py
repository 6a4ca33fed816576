"""Protection against differencing: a table counting nearly the same people as another by the
same dimensions (a spec ``suppressed_with`` another: reintegration_by_sex_age with
returnees_by_sex_age) must not give away, by subtraction, the few people only one of them counts
(the cases opened by hand, a case and its intake dated in different months).

The difference of the two is itself a table of counts: its small entries are protected like
small cells, and every entry is hidden in the first table only, so the second (the returnees
received, the number most read) publishes what it would alone. For each layer both have:

* an entry the second hides is hidden in the first (5 cases published against 4 returnees
  hidden would give the 4 away, less the few opened by hand);
* *primary*: an entry published in both whose difference is 1 … threshold−1 (13 cases against
  12 returnees: one case opened by hand) is hidden in the first;
* *secondary*: solving the two tables as one system (attack.exposed_pairs: each one's
  published cells, margins, additivity, non-negativity, and that the first counts at least the
  second when it does), no hidden entry of either, and no such small difference, may be narrowed
  to an interval shorter than the threshold; each one that is gets one more entry of the first
  hidden in its row or column.

suppression.suppress_linked runs this after the tables agree, and suppresses again, until nothing
is left to hide here. Hiding entries of the first table alone always gets there: with all of it
hidden, it tells nothing about the second but that it counts at least as many."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from observatorio.cases.publication.attack import exposed_pairs
from observatorio.cases.publication.tables import Table

Key = tuple[Any, ...]


@dataclass
class Pair:
    """Two linked tables of one layer on the union of their codes: an entry one table lacks is
    a zero it publishes (a category it does not list has nobody in it)."""

    first: Table  # the table with ``suppressed_with``: the one whose entries are hidden
    second: Table
    rows: list[str]
    columns: list[str]

    def _positions(self, table: Table) -> tuple[list[int], list[int]]:
        return ([self.rows.index(c) for c in table.row_codes] + [len(self.rows)],
                [self.columns.index(c) for c in table.column_codes] + [len(self.columns)])

    def _embed(self, table: Table, values: np.ndarray) -> np.ndarray:
        out = np.zeros((len(self.rows) + 1, len(self.columns) + 1), dtype=values.dtype)
        out[np.ix_(*self._positions(table))] = values
        return out

    def counts(self, table: Table) -> np.ndarray:
        return self._embed(table, table.counts)

    def hidden(self, table: Table) -> np.ndarray:
        return self._embed(table, table.suppressed)

    def listed(self, table: Table) -> np.ndarray:
        """The grid entries ``table`` has (the others are zeros it publishes by leaving them out)."""
        return self._embed(table, np.ones(table.counts.shape, dtype=bool))

    def first_key(self, i: int, j: int) -> Key:
        rows, columns = self._positions(self.first)
        return self.first.entry_key(rows.index(i), columns.index(j))


def linked_pairs(tables: list[Table]) -> Iterator[Pair]:
    """Every layer both tables of a ``suppressed_with`` link have (a layer only the first has is
    a table of the second's zeros: its own suppression protects it)."""
    by_layer = {(t.spec.name, t.layer): t for t in tables}
    for first in tables:
        other = first.spec.suppressed_with
        second = by_layer.get((other.name, first.layer)) if other is not None else None
        if second is not None:
            yield Pair(first, second, sorted(set(first.row_codes) | set(second.row_codes)),
                       sorted(set(first.column_codes) | set(second.column_codes)))


def keys_to_hide(tables: list[Table], threshold: int) -> set[Key]:
    """The entries of the first tables to hide next (module doc): what the second hides and the
    small published differences first; only when a pair has none, one complement per entry or
    difference the joint attack narrows."""
    keys: set[Key] = set()
    for pair in linked_pairs(tables):
        first, second = pair.counts(pair.first), pair.counts(pair.second)
        first_hidden, second_hidden = pair.hidden(pair.first), pair.hidden(pair.second)
        difference = np.abs(first - second)
        visible = pair.listed(pair.first) & ~first_hidden  # what the first can still hide
        direct = visible & (second_hidden | ((difference >= 1) & (difference < threshold)))
        if direct.any():
            keys |= {pair.first_key(int(i), int(j)) for i, j in np.argwhere(direct)}
            continue
        for i, j in exposed_pairs(first, first_hidden, second, second_hidden, threshold):
            complement = complement_of(first, difference, visible, i, j)
            if complement is not None:
                visible[complement] = False
                keys.add(pair.first_key(*complement))
    return keys


def complement_of(counts: np.ndarray, difference: np.ndarray, visible: np.ndarray, i: int,
                  j: int) -> tuple[int, int] | None:
    """A visible entry of (i, j)'s row or column, else of the whole table, to hide with it: one
    whose difference (from the linked table, or from an earlier version: revisions.py) is not
    zero first (an entry both count alike, once hidden, is bounded by the other's), inner cells
    before margins, then the smallest; None if every entry is hidden."""
    last_row, last_column = counts.shape[0] - 1, counts.shape[1] - 1
    lines = [[(i, c) for c in range(counts.shape[1])] + [(r, j) for r in range(counts.shape[0])],
             [(int(r), int(c)) for r, c in np.ndindex(counts.shape)]]
    for line in lines:
        candidates = [ij for ij in line if visible[ij]]
        if candidates:
            return min(candidates, key=lambda ij: (difference[ij] == 0, ij[0] == last_row or ij[1] == last_column,
                                                   counts[ij], ij))
    return None
