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
the entries whose difference with the other's is small (differences.py).

Tables that add up across their layers (a country's departments to its sex totals) are linked
by *links*, specs that are suppressed and never published, and by nested keys (specs.NESTED_IN);
at last the tables counting the same people in a month are attacked as one system
(attack.exposed_keys) and whatever it narrows gets a complement, until it finds nothing: each
table resisting its own attack is not enough when tables share margins."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from observatorio.cases.publication.attack import exposed_cells, exposed_keys
from observatorio.cases.publication.differences import keys_to_hide
from observatorio.cases.publication.tables import Table


def suppress(table: Table, threshold: int, forced: np.ndarray | None = None) -> None:
    """Mark ``table.primary`` and ``table.suppressed`` in place; ``forced`` entries are hidden
    from the start (hidden in a linked table), and so are a link's unpublished entries."""
    counts = table.counts
    table.primary = (counts > 0) & (counts < threshold)
    table.suppressed = table.primary | table.unpublished
    if forced is not None:
        table.suppressed |= forced
    free = _free(table, threshold)
    while True:
        _complete_lines(counts, table.suppressed, free)
        exposed = [ij for ij in exposed_cells(counts, table.suppressed, threshold) if not free[ij]]
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


def _free(table: Table, threshold: int) -> np.ndarray:
    """A link's unpublished entries that need no protection: a zero, or a group of threshold or
    more, worked out exactly singles nobody out (a small one is protected like a small cell)."""
    counts = table.counts
    return table.unpublished & ((counts == 0) | (counts >= threshold))


def _complete_lines(counts: np.ndarray, hidden: np.ndarray, free: np.ndarray) -> None:
    """Until no row or column has exactly one hidden entry that needs protection (it would
    equal total − the rest)."""
    changed = True
    while changed:
        changed = False
        for line in _lines(counts.shape):
            alone = [ij for ij in line if hidden[ij]]
            if len(alone) == 1 and not free[alone[0]] and _hide_complement(counts, hidden, [line]):
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
    """Suppress every table, then repeat with the entries hidden anywhere forced everywhere,
    with the entries that would let two linked tables be differenced (differences.py) or that
    ``linked`` names (a protected revision: revisions.py), and with complements for what the
    joint attack narrows (``_jointly_exposed``), until nothing more is hidden. ``tables`` may
    hold links (specs ``published=False``): their entries that no published table has are
    hidden from the start."""
    published = {t.entry_key(i, j) for t in tables if t.spec.published for i, j in np.ndindex(t.counts.shape)}
    for table in tables:
        if not table.spec.published:
            keys = _keys(table)
            table.unpublished = np.array([[key not in published for key in row] for row in keys], dtype=bool)
    # Links first, each table then hiding from the start what the ones before it hide: a
    # department cell gets its complements in its own country before the month's table
    # looks for some of its own (suppressed alone, it would hide one in another country too).
    hidden: set[tuple[object, ...]] = set()
    for table in sorted(tables, key=lambda t: t.spec.published):
        keys = _keys(table)
        suppress(table, threshold, np.array([[key in hidden for key in row] for row in keys], dtype=bool))
        hidden |= set(keys[table.suppressed])
    while True:
        _agree(tables, threshold)
        more = keys_to_hide(tables, threshold) | (linked(tables) if linked else set())
        if more and _force(tables, more, threshold):
            continue
        more = _jointly_exposed(tables, threshold)
        if not more or not _force(tables, more, threshold):
            return


def _keys(table: Table) -> np.ndarray:
    """Every entry's key (Table.entry_key), as an array of the table's shape."""
    keys = np.empty(table.counts.shape, dtype=object)
    for i, j in np.ndindex(table.counts.shape):
        keys[i, j] = table.entry_key(i, j)
    return keys


def _jointly_exposed(tables: list[Table], threshold: int) -> set[tuple[object, ...]]:
    """One more entry to hide for each hidden entry that the tables counting the same people in
    a month, solved as one system (attack.exposed_keys: links included, so a country's
    departments add up to its totals), narrow below the threshold: the cheapest visible entry
    of its row or column in a table that has it (inner cells before margins, non-zero before
    zero, then the smallest), else of such a table. Each table alone resisting its attack is
    not enough: tables that share margins, or add up across their layers, must be protected
    together."""
    groups: dict[tuple[object, ...], list[Table]] = {}
    for table in tables:
        period = dict(zip(table.spec.layers, table.layer, strict=True)).get("period")
        groups.setdefault((table.spec.case_types, table.spec.intake_cases, period), []).append(table)
    more: set[tuple[object, ...]] = set()
    for group in groups.values():
        keys = [_keys(t) for t in group]
        grids = [(k, t.counts, t.suppressed) for k, t in zip(keys, group, strict=True)]
        free = {key for k, t in zip(keys, group, strict=True) for key in k[_free(t, threshold)]}
        targets = {key for k, t in zip(keys, group, strict=True) for key in k[t.suppressed]} - free
        for key in exposed_keys(grids, targets, threshold):
            complement = _joint_complement(group, keys, key, more)
            if complement is not None:
                more.add(complement)
    return more


def _joint_complement(group: list[Table], keys: list[np.ndarray], key: tuple[object, ...],
                      taken: set[tuple[object, ...]]) -> tuple[object, ...] | None:
    """The entry to hide with ``key`` (``_jointly_exposed``); None if one of its row or column
    is already taken this round (the next round's attack tells whether it was enough), or if
    every entry of every table that has it is hidden."""
    Choice = tuple[tuple[bool, bool, int, str], tuple[object, ...]]
    near: list[Choice] = []
    anywhere: list[Choice] = []
    for table, grid in zip(group, keys, strict=True):
        last_row, last_column = table.counts.shape[0] - 1, table.counts.shape[1] - 1
        for i, j in [(i, j) for i, j in np.ndindex(grid.shape) if grid[i, j] == key]:
            for r, c in np.ndindex(table.counts.shape):
                entry: tuple[object, ...] = tuple(grid[r, c])
                if table.suppressed[r, c]:
                    continue
                if entry in taken and (r == i or c == j):
                    return None
                cost = (bool(r == last_row or c == last_column), bool(table.counts[r, c] == 0),
                        int(table.counts[r, c]), repr(entry))
                (near if r == i or c == j else anywhere).append((cost, entry))
    for found in (near, anywhere):
        if found:
            return min(found)[1]
    return None


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
