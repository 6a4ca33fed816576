"""What an attacker learns about suppressed cells from what is published: by linear programming,
the smallest and largest value each suppressed cell (or margin) can take, given every published
cell, every published margin, additivity and non-negativity: of one table (``exposed_cells``),
of tables counting the same people solved as one system, entries shared by key
(``exposed_keys``), and of two tables counting nearly the same people (``exposed_pairs``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

Cell = tuple[int, int]


class _System:
    """The equations a table with margins satisfies, with the hidden entries as unknowns."""

    def __init__(self, counts: np.ndarray, hidden: np.ndarray) -> None:
        self.unknown: list[Cell] = [(int(i), int(j)) for i, j in np.argwhere(hidden)]
        index = {ij: k for k, ij in enumerate(self.unknown)}
        m, n = counts.shape[0] - 1, counts.shape[1] - 1
        # Each row (margin row too) sums to its last entry, each column to its last entry.
        lines = [[(i, j, 1) for j in range(n)] + [(i, n, -1)] for i in range(m + 1)]
        lines += [[(i, j, 1) for i in range(m)] + [(m, j, -1)] for j in range(n + 1)]
        a_eq, b_eq = [], []
        for line in lines:
            row = np.zeros(len(self.unknown))
            rhs = 0.0
            for i, j, sign in line:
                if (i, j) in index:
                    row[index[(i, j)]] += sign
                else:
                    rhs -= sign * float(counts[i, j])
            if row.any():
                a_eq.append(row)
                b_eq.append(rhs)
        self.a_eq = np.array(a_eq) if a_eq else None
        self.b_eq = np.array(b_eq) if b_eq else None

    def extreme(self, k: int, sign: float) -> tuple[float, np.ndarray | None]:
        """The least (sign 1) or greatest (sign -1) value of unknown ``k``, and a solution
        reaching it (None when unbounded)."""
        # scipy's solver is loaded when a publication is checked, not by every server process
        # that imports the cases' routes (36 MB of resident memory each, docs/benchmarks.md).
        from scipy.optimize import linprog

        goal = np.zeros(len(self.unknown))
        goal[k] = sign
        found = linprog(goal, A_eq=self.a_eq, b_eq=self.b_eq, bounds=(0, None), method="highs")
        if found.status == 3:  # unbounded: only possible upwards
            return float("inf"), None
        return sign * float(found.fun), np.asarray(found.x)


def suppressed_bounds(counts: np.ndarray, suppressed: np.ndarray) -> dict[Cell, tuple[float, float]]:
    """(lower, upper) of every suppressed entry of a table with margins (``counts`` as in
    tables.Table; the entries under ``suppressed`` are treated as unknown). Upper is ``inf``
    when nothing published bounds it."""
    system = _System(counts, suppressed)
    return {ij: (system.extreme(k, 1.0)[0], system.extreme(k, -1.0)[0]) for k, ij in enumerate(system.unknown)}


def exposed_cells(counts: np.ndarray, suppressed: np.ndarray, width: float) -> Iterator[Cell]:
    """The suppressed entries an attacker can narrow to an interval shorter than ``width``."""
    system = _System(counts, suppressed)
    return (system.unknown[k] for k in _narrowed(system, range(len(system.unknown)), width))


def _narrowed(system: _System, targets: Iterable[int], width: float) -> Iterator[int]:
    """The unknowns of ``targets`` the system narrows to an interval shorter than ``width``.

    Every solution the solver returns is a table consistent with what is published, so the
    values it gives every unknown are all possible: an entry already seen taking values
    ``width`` apart is protected without solving for it (most are, after a few solutions)."""
    seen_low = np.full(len(system.unknown), np.inf)
    seen_high = np.full(len(system.unknown), -np.inf)
    for k in targets:
        if seen_high[k] - seen_low[k] >= width:
            continue
        high, solution = system.extreme(k, -1.0)
        if solution is None:
            continue  # unbounded upwards: protected
        seen_low, seen_high = np.minimum(seen_low, solution), np.maximum(seen_high, solution)
        if seen_high[k] - seen_low[k] >= width:
            continue
        low, solution = system.extreme(k, 1.0)
        assert solution is not None
        seen_low, seen_high = np.minimum(seen_low, solution), np.maximum(seen_high, solution)
        if high - low < width:
            yield k


#: One table for the joint attack: each entry's key (tables.Table.entry_key, margins included),
#: its counts, what it hides.
Grid = tuple[np.ndarray, np.ndarray, np.ndarray]


class _Linked(_System):
    """Equations over some of the hidden entries of tables counting the same people, an entry
    being the same unknown in every table whose key names it (``_equations``); sparse, since
    each equation names a few of hundreds of unknowns."""

    def __init__(self, unknown: list[Any], equations: list[tuple[dict[int, float], float]]) -> None:
        from scipy.sparse import csr_matrix

        self.unknown = unknown
        local = {k: c for c, k in enumerate(sorted({k for row, _ in equations for k in row}))}
        data = [(coefficient, r, local[k]) for r, (row, _) in enumerate(equations) for k, coefficient in row.items()]
        values, rows, columns = zip(*data, strict=True) if data else ((), (), ())
        self.a_eq = csr_matrix((values, (rows, columns)), shape=(len(equations), len(unknown)))
        self.b_eq = np.array([rhs for _, rhs in equations])


def _equations(grids: Sequence[Grid]) -> tuple[list[Any], list[tuple[dict[int, float], float]]]:
    """The hidden entries (by key) and every table's rows and columns adding up, as equations
    over them: {unknown: coefficient}, right-hand side."""
    unknown: list[Any] = sorted({key for keys, _, mask in grids for key in keys[mask]}, key=repr)
    index = {key: k for k, key in enumerate(unknown)}
    equations = []
    for keys, counts, mask in grids:
        m, n = counts.shape[0] - 1, counts.shape[1] - 1
        lines = [[((i, j), 1) for j in range(n)] + [((i, n), -1)] for i in range(m + 1)]
        lines += [[((i, j), 1) for i in range(m)] + [((m, j), -1)] for j in range(n + 1)]
        for line in lines:
            row: dict[int, float] = {}
            rhs = 0.0
            for ij, sign in line:
                if mask[ij]:
                    k = index[keys[ij]]
                    row[k] = row.get(k, 0.0) + sign
                else:
                    rhs -= sign * float(counts[ij])
            if row:
                equations.append((row, rhs))
    return unknown, equations


def _components(size: int, equations: list[tuple[dict[int, float], float]]) -> list[list[int]]:
    """The unknowns in groups no equation links (each group is solved alone)."""
    parent = list(range(size))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for row, _ in equations:
        first, *rest = row
        for k in rest:
            parent[root(k)] = root(first)
    groups: dict[int, list[int]] = {}
    for k in range(size):
        groups.setdefault(root(k), []).append(k)
    return list(groups.values())


def exposed_keys(grids: Sequence[Grid], targets: Iterable[Any], width: float) -> Iterator[Any]:
    """The keys of ``targets`` (hidden entries) that an attacker solving every table of
    ``grids`` as one system narrows to an interval shorter than ``width``: what each table
    alone (exposed_cells) cannot see when tables share margins, or add up across layers.

    Unknowns no equation links are solved apart; a group whose entries are each in one table
    only is that table's own system, already checked by exposed_cells, and is skipped."""
    unknown, equations = _equations(grids)
    tables_of: dict[Any, int] = {}
    for keys, _, mask in grids:
        for key in set(keys[mask]):
            tables_of[key] = tables_of.get(key, 0) + 1
    wanted = set(targets)
    for group in _components(len(unknown), equations):
        if all(tables_of[unknown[k]] == 1 for k in group):
            continue
        members = set(group)
        local = {k: c for c, k in enumerate(group)}
        system = _Linked([unknown[k] for k in group],
                         [({local[k]: v for k, v in row.items()}, rhs) for row, rhs in equations
                          if next(iter(row)) in members])
        chosen = [c for c, k in enumerate(group) if unknown[k] in wanted]
        yield from (system.unknown[c] for c in _narrowed(system, chosen, width))


class _Joint:
    """Two tables of one shape solved as one system: each one's equations (``_System``) over
    its own hidden entries, non-negativity, and, when it holds entry by entry, ``first`` ≥
    ``second`` (what an attacker who knows the first counts the second's people plus a few
    would assume)."""

    def __init__(self, first: np.ndarray, first_hidden: np.ndarray, second: np.ndarray,
                 second_hidden: np.ndarray) -> None:
        self.counts = (first, second)
        systems = (_System(first, first_hidden), _System(second, second_hidden))
        offsets = (0, len(systems[0].unknown))
        self.size = offsets[1] + len(systems[1].unknown)
        self.columns = [{ij: offset + k for k, ij in enumerate(system.unknown)}
                        for system, offset in zip(systems, offsets, strict=True)]
        a_eq: list[np.ndarray] = []
        b_eq: list[float] = []
        for system, offset in zip(systems, offsets, strict=True):
            if system.a_eq is None or system.b_eq is None:
                continue
            for row, rhs in zip(system.a_eq, system.b_eq, strict=True):
                full = np.zeros(self.size)
                full[offset:offset + len(row)] = row
                a_eq.append(full)
                b_eq.append(float(rhs))
        self.a_eq: np.ndarray | None = np.array(a_eq) if a_eq else None
        self.b_eq: np.ndarray | None = np.array(b_eq) if b_eq else None
        a_ub: list[np.ndarray] = []
        b_ub: list[float] = []
        if (first >= second).all():  # second − first ≤ 0 wherever either is unknown
            for i, j in np.argwhere(first_hidden | second_hidden):
                goal, constant = self.linear((int(i), int(j)), (1.0, -1.0))
                a_ub.append(-goal)
                b_ub.append(constant)
        self.a_ub: np.ndarray | None = np.array(a_ub) if a_ub else None
        self.b_ub: np.ndarray | None = np.array(b_ub) if b_ub else None

    def linear(self, ij: Cell, weights: tuple[float, float]) -> tuple[np.ndarray, float]:
        """weights[0]·first[ij] + weights[1]·second[ij] as goal · unknowns + constant."""
        goal, constant = np.zeros(self.size), 0.0
        for side, weight in enumerate(weights):
            if ij in self.columns[side]:
                goal[self.columns[side][ij]] += weight
            else:
                constant += weight * float(self.counts[side][ij])
        return goal, constant

    def span(self, goal: np.ndarray, constant: float) -> float:
        """Greatest less least value of goal · unknowns + constant (inf when unbounded)."""
        from scipy.optimize import linprog

        ends = []
        for sign in (1.0, -1.0):
            found = linprog(sign * goal, A_eq=self.a_eq, b_eq=self.b_eq, A_ub=self.a_ub, b_ub=self.b_ub,
                            bounds=(0, None), method="highs")
            if found.status == 3:
                return float("inf")
            ends.append(sign * float(found.fun) + constant)
        return ends[1] - ends[0]


def exposed_pairs(first: np.ndarray, first_hidden: np.ndarray, second: np.ndarray,
                  second_hidden: np.ndarray, width: float) -> Iterator[Cell]:
    """The entries of two tables of one shape (margins included) counting nearly the same
    people that an attacker solving both as one system (``_Joint``) narrows to an interval
    shorter than ``width``: a hidden entry of either table, or a difference ``first − second``
    of 1 … ``width``−1 hidden in either (a difference of zero singles nobody out, one of
    ``width`` or more is no small group)."""
    joint = _Joint(first, first_hidden, second, second_hidden)
    difference = np.abs(first.astype(np.int64) - second.astype(np.int64))
    for i, j in np.argwhere(first_hidden | second_hidden):
        ij = (int(i), int(j))
        targets = [w for w, hidden in (((1.0, 0.0), first_hidden[ij]), ((0.0, 1.0), second_hidden[ij]),
                                       ((1.0, -1.0), 1 <= difference[ij] < width)) if hidden]
        if any(joint.span(*joint.linear(ij, w)) < width for w in targets):
            yield ij
