"""The bulletin's data as a workbook: one sheet per table and per chart, with units, sources
and the releases used. Numbers are written raw (the PDF shows the same numbers formatted)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from observatorio.formula_guard import neutral_value
from observatorio.i18n import t
from observatorio.publish.web.charts import FRAME_COLUMNS, Chart
from observatorio.report.model import Bulletin, Table

#: Workbook metadata dates are fixed: the same bulletin gives the same workbook.
FIXED_TIME = datetime(2000, 1, 1)
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def render_xlsx(bulletin: Bulletin) -> bytes:
    """The workbook's bytes; every text cell goes through the formula guard (publishers' titles,
    notes and names are read from their files, and a spreadsheet would run ``=…`` as a formula)."""
    book = Workbook()
    lang = bulletin.lang
    about = book.active
    assert about is not None
    about.title = _name(t("bulletin.xlsx.about", lang), set())
    used = {about.title}
    _append(about, [bulletin.title])
    about["A1"].font = Font(bold=True, size=14)
    _append(about, [bulletin.subtitle])
    _append(about, [t("bulletin.cover.store", lang), bulletin.version_label])
    _append(about, [])
    _append(about, [t("bulletin.col.source", lang), t("bulletin.col.publisher", lang),
                  t("bulletin.col.title", lang), t("bulletin.col.release", lang)])
    for r in bulletin.releases:
        _append(about, [r.source, r.publisher, r.title, r.release])
    for section in bulletin.sections:
        for table in section.tables:
            _table_sheet(book.create_sheet(_name(f"{section.id}-{table.id}", used)), table, lang)
        for chart in section.charts:
            _chart_sheet(book.create_sheet(_name(f"{section.id}-{chart.id}", used)), chart, lang)
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    book.properties.creator = "observatorio"
    book.properties.title = bulletin.title
    book.properties.language = lang
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _append(sheet: Worksheet, values: list[Any]) -> None:
    sheet.append([neutral_value(_plain(v)) for v in values])


def _name(wanted: str, used: set[str]) -> str:
    base = SHEET_NAME.sub("-", wanted)[:31]
    name, n = base, 2
    while name in used:
        suffix = f"~{n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _head(sheet: Worksheet, title: str, unit: str, sources: list[str], note: str, lang: str) -> None:
    _append(sheet, [title])
    sheet["A1"].font = Font(bold=True)
    _append(sheet, [t("bulletin.col.unit", lang), unit])
    _append(sheet, [t("bulletin.source", lang), "; ".join(sources)])
    if note:
        _append(sheet, [t("bulletin.note", lang), note])
    _append(sheet, [])


def _table_sheet(sheet: Worksheet, table: Table, lang: str) -> None:
    _head(sheet, table.title, table.unit, table.sources, table.note, lang)
    _append(sheet, table.header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        _append(sheet, list(row))


def _chart_sheet(sheet: Worksheet, chart: Chart, lang: str) -> None:
    _head(sheet, chart.title, chart.unit, chart.sources, chart.note, lang)
    frame = chart.frame
    present = {name for row in frame for name in row} if frame else set(FRAME_COLUMNS)
    columns = [c for c in FRAME_COLUMNS if c in present]
    _append(sheet, columns)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in frame:
        _append(sheet, [row[c] for c in columns])


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, date):
        return value
    return value
