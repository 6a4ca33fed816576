"""What a new release changes against the source's previous one: new periods, revised cells
(same observation key, another value), cells gone, cells added.

Computed by DuckDB on the harmonized frame before it is loaded (so ``--dry-run`` shows it too);
saved with the release, in the load's own transaction (``release_changes`` and, cell by cell,
``release_change_cells``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from observatorio.i18n import fmt_number, t
from observatorio.model.contract import KEY_COLUMNS
from observatorio.store.loads import scratch_view
from observatorio.store.release_cells import cell_key, copy_load_cells

#: Cells listed on screen; the store keeps every one.
SHOWN_CELLS = 10


@dataclass(frozen=True)
class Cell:
    change: str  # "revised" | "gone"
    cell: str  # the observation key, as canonical JSON
    old_value: float | None
    new_value: float | None


@dataclass
class ChangeReport:
    previous_load_id: str | None
    new_periods: list[date] = field(default_factory=list)
    added: int = 0
    cells: list[Cell] = field(default_factory=list)

    @property
    def revised(self) -> int:
        return sum(c.change == "revised" for c in self.cells)

    @property
    def gone(self) -> int:
        return sum(c.change == "gone" for c in self.cells)


def compare(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, previous_load_id: str | None) -> ChangeReport:
    """The changes ``frame`` (a harmonized release) brings against the load ``previous_load_id``."""
    report = ChangeReport(previous_load_id)
    if previous_load_id is None:
        return report
    cursor = con.cursor()
    incoming = frame.loc[:, [*KEY_COLUMNS, "value"]]
    cursor.register("change_incoming", incoming)
    try:
        cursor.execute(f"""
            CREATE TEMP TABLE change_new AS
            SELECT {cell_key('n')} AS cell, CAST(n.period AS DATE) AS period, CAST(n.value AS DOUBLE) AS value
            FROM change_incoming n""")  # noqa: S608 - column names come from the contract
        copy_load_cells(cursor, previous_load_id, "change_old")
        report.new_periods = [r[0] for r in cursor.execute(
            "SELECT DISTINCT period FROM change_new WHERE period NOT IN "
            "(SELECT DISTINCT period FROM change_old) ORDER BY period").fetchall()]
        (added,) = cursor.execute(
            "SELECT count(*) FROM change_new n ANTI JOIN change_old o USING (cell)").fetchone() or (0,)
        report.added = int(added)
        rows = cursor.execute("""
            SELECT 'revised', n.cell, o.value, n.value FROM change_new n JOIN change_old o USING (cell)
            WHERE n.value IS DISTINCT FROM o.value
            UNION ALL
            SELECT 'gone', o.cell, o.value, NULL FROM change_old o ANTI JOIN change_new n USING (cell)
            ORDER BY 1 DESC, 2""").fetchall()
        report.cells = [Cell(*row) for row in rows]
    finally:
        cursor.execute("DROP TABLE IF EXISTS change_new")
        cursor.execute("DROP TABLE IF EXISTS change_old")
        cursor.unregister("change_incoming")
        cursor.close()
    return report


def save(con: duckdb.DuckDBPyConnection, load_id: str, source: str, report: ChangeReport) -> None:
    """Keep the report with the release (call inside the load's transaction)."""
    con.execute("INSERT INTO release_changes VALUES (?, ?, ?, ?, ?, ?, ?)",
                [load_id, source, report.previous_load_id, report.new_periods, report.added,
                 report.revised, report.gone])
    if report.cells:
        cells = pd.DataFrame({
            "load_id": load_id,
            "change": [c.change for c in report.cells],
            "cell": [c.cell for c in report.cells],
            "old_value": pd.Series([c.old_value for c in report.cells], dtype="float64"),
            "new_value": pd.Series([c.new_value for c in report.cells], dtype="float64"),
        })
        with scratch_view(con, "change_cells", cells):  # in the load's transaction
            con.execute("INSERT INTO release_change_cells SELECT load_id, change, cell, old_value, "
                        "new_value FROM change_cells")


def render(report: ChangeReport, lang: str, load_id: str | None = None) -> list[str]:
    """The report as lines for the terminal (the first SHOWN_CELLS cells, then a count)."""
    if report.previous_load_id is None:
        return [t("refresh.first_release", lang)]
    periods = ", ".join(p.isoformat() for p in report.new_periods) or "—"
    lines = [t("refresh.changes", lang, previous=report.previous_load_id,
               added=fmt_number(report.added, lang), revised=fmt_number(report.revised, lang),
               gone=fmt_number(report.gone, lang), periods=periods)]
    for cell in report.cells[:SHOWN_CELLS]:
        key = "refresh.cell_revised" if cell.change == "revised" else "refresh.cell_gone"
        lines.append(t(key, lang, cell=cell.cell, old=_num(cell.old_value, lang),
                       new=_num(cell.new_value, lang)))
    if len(report.cells) > SHOWN_CELLS:
        lines.append(t("refresh.more_cells", lang, count=len(report.cells) - SHOWN_CELLS,
                       load_id=load_id or "—"))
    return lines


def _num(value: float | None, lang: str) -> str:
    return "—" if value is None else fmt_number(value, lang, 0 if float(value).is_integer() else 2)
