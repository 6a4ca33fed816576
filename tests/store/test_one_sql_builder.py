"""Only the store writes SQL over the observations (issue 12: no two places build the same SQL).

The analysis (dashboards, indicator series, forecasts) names what it reads with the store's
selection (store/selection.py); a module outside ``store/`` whose string literals read
``observations`` (the view, the latest table or the history) fails this test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import observatorio

PACKAGE = Path(observatorio.__file__).resolve().parent
READS_OBSERVATIONS = re.compile(
    r"\b(FROM|JOIN)\s+(observations|observations_latest|observations_history)\b", re.IGNORECASE)
#: Modules outside this work's reach that still read the observations with their own SQL (each
#: to move behind the store's builder; the list may only shrink).
NOT_YET = frozenset({
    "publish/web/subnational.py",
    "publish/web/returnees_page.py",
    "refresh/changes.py",
    "report/options.py",
})


def _literals(path: Path) -> str:
    """Every string literal of a module (f-strings' constant parts too), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    parts = [node.value for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and id(node) not in docstrings]
    return "\n".join(parts)


def _sql_builders() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("store/"):
            continue
        if READS_OBSERVATIONS.search(_literals(path)):
            found.add(relative)
    return found


def test_only_the_store_writes_sql_over_the_observations() -> None:
    outside = _sql_builders() - NOT_YET
    assert not outside, (
        f"{sorted(outside)} write SQL over the observations: read them through the store's "
        "selection (store/selection.py) or add a named read to store/page_reads.py")


def test_the_list_of_modules_not_yet_moved_only_shrinks() -> None:
    moved = NOT_YET - _sql_builders()
    assert not moved, f"{sorted(moved)} no longer write SQL over the observations: drop them from NOT_YET"


def test_the_analysis_inputs_this_work_moved_stay_moved() -> None:
    for module in ("analysis/dashboards.py", "analysis/series.py", "analysis/forecast/data.py"):
        assert not READS_OBSERVATIONS.search(_literals(PACKAGE / module)), module
