"""What an attacker learns about suppressed cells from what is published: by linear programming,
the smallest and largest value each suppressed cell (or margin) can take, given every published
cell, every published margin, additivity and non-negativity."""

from __future__ import annotations

from collections.abc import Iterator

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
    """The suppressed entries an attacker can narrow to an interval shorter than ``width``.

    Every solution the solver returns is a table consistent with what is published, so the
    values it gives every unknown are all possible: an entry already seen taking values
    ``width`` apart is protected without solving for it (most are, after a few solutions)."""
    system = _System(counts, suppressed)
    seen_low = np.full(len(system.unknown), np.inf)
    seen_high = np.full(len(system.unknown), -np.inf)
    for k, ij in enumerate(system.unknown):
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
            yield ij


def exposed_differences(first: np.ndarray, first_hidden: np.ndarray, second: np.ndarray,
                        second_hidden: np.ndarray, width: float) -> Iterator[Cell]:
    """The entries of two tables of one shape (margins included) whose difference
    ``first − second`` is 1 … ``width``−1 in absolute value, hidden in either table, and that an
    attacker can narrow to an interval shorter than ``width`` by solving the two tables as one
    system: each table's published cells, margins, additivity and non-negativity, and, when it
    holds entry by entry, that ``first`` counts at least ``second`` (what an attacker who knows
    the first counts the second's people plus a few would assume). A difference of zero singles
    nobody out; one of ``width`` or more is no small group."""
    from scipy.optimize import linprog

    systems = (_System(first, first_hidden), _System(second, second_hidden))
    sizes = (len(systems[0].unknown), len(systems[1].unknown))
    columns = [{ij: offset + k for k, ij in enumerate(s.unknown)} for s, offset in zip(systems, (0, sizes[0]), strict=True)]
    a_eq, b_eq = [], []
    for system, offset in zip(systems, (0, sizes[0]), strict=True):
        if system.a_eq is None or system.b_eq is None:
            continue
        for row, rhs in zip(system.a_eq, system.b_eq, strict=True):
            full = np.zeros(sum(sizes))
            full[offset:offset + len(row)] = row
            a_eq.append(full)
            b_eq.append(rhs)
    counts, difference = (first, second), first.astype(np.int64) - second.astype(np.int64)
    hidden = first_hidden | second_hidden

    def linear(ij: Cell) -> tuple[np.ndarray, float]:
        """first[ij] − second[ij] as goal · x + constant."""
        goal, constant = np.zeros(sum(sizes)), 0.0
        for side, sign in ((0, 1.0), (1, -1.0)):
            if ij in columns[side]:
                goal[columns[side][ij]] += sign
            else:
                constant += sign * float(counts[side][ij])
        return goal, constant

    a_ub, b_ub = [], []
    if (difference >= 0).all():  # second − first ≤ 0 where either is unknown
        for i, j in np.argwhere(hidden):
            goal, constant = linear((int(i), int(j)))
            a_ub.append(-goal)
            b_ub.append(constant)
    for i, j in np.argwhere(hidden & (np.abs(difference) >= 1) & (np.abs(difference) < width)):
        goal, constant = linear((int(i), int(j)))
        ends = []
        for sign in (1.0, -1.0):
            found = linprog(sign * goal, A_eq=np.array(a_eq) if a_eq else None, b_eq=np.array(b_eq) if b_eq else None,
                            A_ub=np.array(a_ub) if a_ub else None, b_ub=np.array(b_ub) if b_ub else None,
                            bounds=(0, None), method="highs")
            if found.status == 3:  # unbounded
                break
            ends.append(sign * float(found.fun) + constant)
        if len(ends) == 2 and ends[1] - ends[0] < width:
            yield int(i), int(j)
