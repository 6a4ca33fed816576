"""What an attacker learns about suppressed cells from what is published: by linear programming,
the smallest and largest value each suppressed cell (or margin) can take, given every published
cell, every published margin, additivity and non-negativity."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog


def suppressed_bounds(counts: np.ndarray, suppressed: np.ndarray) -> dict[tuple[int, int], tuple[float, float]]:
    """(lower, upper) of every suppressed entry of a table with margins (``counts`` as in
    tables.Table; the entries under ``suppressed`` are treated as unknown). Upper is ``inf``
    when nothing published bounds it."""
    unknown = [(int(i), int(j)) for i, j in np.argwhere(suppressed)]
    if not unknown:
        return {}
    index = {ij: k for k, ij in enumerate(unknown)}
    m, n = counts.shape[0] - 1, counts.shape[1] - 1
    # Each row (margin row too) sums to its last entry, each column to its last entry.
    lines = [[(i, j, 1) for j in range(n)] + [(i, n, -1)] for i in range(m + 1)]
    lines += [[(i, j, 1) for i in range(m)] + [(m, j, -1)] for j in range(n + 1)]
    a_eq, b_eq = [], []
    for line in lines:
        row = np.zeros(len(unknown))
        rhs = 0.0
        for i, j, sign in line:
            if (i, j) in index:
                row[index[(i, j)]] += sign
            else:
                rhs -= sign * float(counts[i, j])
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    bounds: dict[tuple[int, int], tuple[float, float]] = {}
    for ij, k in index.items():
        goal = np.zeros(len(unknown))
        goal[k] = 1.0
        low = linprog(goal, A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None), method="highs")
        high = linprog(-goal, A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None), method="highs")
        upper = float("inf") if high.status == 3 else -float(high.fun)  # 3: unbounded
        bounds[ij] = (float(low.fun), upper)
    return bounds
