"""Primary and secondary suppression of a table with margins.

Primary: every cell or margin counting fewer than ``threshold`` cases, but not zero (a zero
singles nobody out). Secondary: more cells are hidden until no suppressed entry can be narrowed,
from the published cells and margins, to an interval shorter than ``threshold`` (the protection
range). A line (row or column, margins included) with a single hidden entry gives it away by
subtraction, so such lines get a complement first (cheap); then the linear-programming attack
(attack.py) checks the whole table and every entry still too exposed gets one more complement in
its row or column, until the attack finds nothing.

Tables are linked: a country's total is a margin of several tables. ``suppress_linked`` hides an
entry in every table once it is hidden in one, and suppresses again, until they agree; otherwise
one table would publish what another hides. A table counting nearly the same people as another
(``suppressed_with``) is also protected against differencing: it hides what the other hides and
the entries whose difference with the other's is small (differences.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from observatorio.cases.publication.attack import exposed_cells
from observatorio.cases.publication.differences import keys_to_hide
from observatorio.cases.publication.tables import Table


def suppress(table: Table, threshold: int, forced: np.ndarray | None = None) -> None:
    """Mark ``table.primary`` and ``table.suppressed`` in place; ``forced`` entries are hidden
    from the start (hidden in a linked table)."""
    counts = table.counts
    table.primary = (counts > 0) & (counts < threshold)
    table.suppressed = table.primary.copy() if forced is None else table.primary | forced
    while True:
        _complete_lines(counts, table.suppressed)
        exposed = list(exposed_cells(counts, table.suppressed, threshold))
        if not exposed or table.suppressed.all():
            return
        for i, j in exposed:
            if not _hide_complement(counts, table.suppressed, _lines_through(counts.shape, i, j)):
                _hide_complement(counts, table.suppressed, [list(np.ndindex(counts.shape))])


def _lines(shape: tuple[int, ...]) -> list[list[tuple[int, int]]]:
    rows, cols = shape
    return [[(i, j) for j in range(cols)] for i in range(rows)] + \
           [[(i, j) for i in range(rows)] for j in range(cols)]


def _lines_through(shape: tuple[int, ...], i: int, j: int) -> list[list[tuple[int, int]]]:
    rows, cols = shape
    return [[(i, c) for c in range(cols)], [(r, j) for r in range(rows)]]


def _complete_lines(counts: np.ndarray, hidden: np.ndarray) -> None:
    """Until no row or column has exactly one hidden entry (it would equal total − the rest)."""
    changed = True
    while changed:
        changed = False
        for line in _lines(counts.shape):
            if sum(hidden[ij] for ij in line) == 1 and _hide_complement(counts, hidden, [line]):
                changed = True


def _hide_complement(counts: np.ndarray, hidden: np.ndarray, lines: list[list[tuple[int, int]]]) -> bool:
    """Hide the cheapest visible entry of ``lines``: inner cells before margins (a hidden
    margin costs users the most), non-zero before zero (a hidden zero only helps upwards), then
    the smallest. False if every entry is already hidden."""
    last_row, last_col = counts.shape[0] - 1, counts.shape[1] - 1
    candidates = [ij for line in lines for ij in line if not hidden[ij]]
    if not candidates:
        return False
    best = min(candidates, key=lambda ij: (ij[0] == last_row or ij[1] == last_col,
                                           counts[ij] == 0, counts[ij], ij))
    hidden[best] = True
    return True


def suppress_linked(tables: list[Table], threshold: int,
                    linked: Callable[[list[Table]], set[tuple[object, ...]]] | None = None) -> None:
    """Suppress every table, then repeat with the entries hidden anywhere forced everywhere, and
    with the entries that would let two linked tables be differenced (differences.py) or that
    ``linked`` names (a protected revision: revisions.py), until nothing more is hidden."""
    for table in tables:
        suppress(table, threshold)
    while True:
        _agree(tables, threshold)
        more = keys_to_hide(tables, threshold) or (linked(tables) if linked else set())
        if not more:
            return
        _force(tables, more, threshold)


def _agree(tables: list[Table], threshold: int) -> None:
    """Until an entry hidden in one table is hidden in every table that publishes it."""
    while True:
        hidden = {t.entry_key(i, j) for t in tables for i, j in np.argwhere(t.suppressed)}
        if not _force(tables, hidden, threshold):
            return


def _force(tables: list[Table], keys: set[tuple[object, ...]], threshold: int) -> bool:
    """Hide the entries of ``keys`` in every table (suppressing it again); False if all were."""
    changed = False
    for table in tables:
        forced = np.zeros(table.counts.shape, dtype=bool)
        for i, j in np.ndindex(table.counts.shape):
            forced[i, j] = table.entry_key(i, j) in keys
        if (forced & ~table.suppressed).any():
            suppress(table, threshold, forced | table.suppressed)
            changed = True
    return changed
