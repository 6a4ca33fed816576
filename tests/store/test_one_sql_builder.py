"""Only the store writes SQL over the observations (issue 12: no two places build the same SQL).

Every other module (the analysis, the pages, the refresh, the bulletins) names what it reads with
the store's selection (store/selection.py) or calls a named read (store/page_reads.py,
store/release_cells.py); a module outside ``store/`` whose string literals read ``observations``
(the view, the latest table or the history) fails this test. There is no list of exceptions.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import observatorio

PACKAGE = Path(observatorio.__file__).resolve().parent
READS_OBSERVATIONS = re.compile(
    r"\b(FROM|JOIN)\s+(observations|observations_latest|observations_history)\b", re.IGNORECASE)


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
    # No exception list: the last four modules that wrote their own (the sub-national section,
    # the returnees page, a release's changes, the bulletin's default month) moved behind the
    # store's reads too.
    outside = _sql_builders()
    assert not outside, (
        f"{sorted(outside)} write SQL over the observations: read them through the store's "
        "selection (store/selection.py) or add a named read to store/page_reads.py")


def test_the_scan_sees_sql_over_the_observations() -> None:
    # The store's own modules write such SQL: a scan that found nothing there would pass the
    # test above whatever the other modules did.
    for module in ("store/page_reads.py", "store/release_cells.py", "store/query.py"):
        assert READS_OBSERVATIONS.search(_literals(PACKAGE / module)), module
