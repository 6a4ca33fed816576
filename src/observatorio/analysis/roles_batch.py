"""Roles and their actions for many countries: every indicator they read, computed at once.

``assess`` and ``actions_for`` read one country's yearly figures from the engine. Called for
every member in turn, each would make the engine split every selection and aggregate its
years country by country; priming the engine first computes all of them in grouped passes
(``indicators_batch``), so the per-country calls only look results up and do the arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable

from observatorio.analysis.actions import Matrix, load_matrix
from observatorio.analysis.indicators import IndicatorEngine
from observatorio.analysis.indicators_batch import prime_yearly
from observatorio.analysis.roles import Method, load_method


def role_indicators(method: Method | None = None, matrix: Matrix | None = None,
                    actions: bool = True) -> list[str]:
    """Every indicator a role signal reads, and (``actions``) every country-scoped action trigger."""
    method = method or load_method()
    ids = [s.indicator for role in method.roles for s in role.signals]
    if actions:
        matrix = matrix or load_matrix()
        ids += [t.indicator for a in matrix.actions for t in a.triggers if t.scope != "region"]
    return list(dict.fromkeys(ids))


def prime_roles(engine: IndicatorEngine, countries: Iterable[str], actions: bool = True) -> None:
    """Compute what the roles (and ``actions``: their actions' triggers) of ``countries`` read,
    for all of them at once."""
    prime_yearly(engine, role_indicators(actions=actions), countries)
