"""The bulletin workbook never holds a live formula: publishers' text is written as text."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from observatorio.report.model import Bulletin, ReleaseUsed, Section, Table
from observatorio.report.xlsx import render_xlsx

PAYLOAD = '=HYPERLINK("http://example.invalid","x")'


def test_text_cells_that_look_like_formulas_stay_text() -> None:
    table = Table(id="t", title=PAYLOAD, header=["@serie", "valor"],
                  rows=[[PAYLOAD, 12], ["-3", -3], ["+cmd|' /C calc'!A0", 1.5]],
                  unit="personas", sources=["=1+1"], note="-2+3")
    bulletin = Bulletin(scope="regional", iso3=None, period=date(2025, 6, 1), lang="es",
                        title="Boletín", subtitle="Datos hasta jun 2025",
                        sections=[Section(id="s", title="S", tables=[table])],
                        releases=[ReleaseUsed("src", PAYLOAD, "=t", date(2025, 1, 1))],
                        store_version="v")
    book = load_workbook(io.BytesIO(render_xlsx(bulletin)))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
             if cell.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert "'" + PAYLOAD in values and "'@serie" in values and "'=1+1" in values
    assert -3 in values and 1.5 in values and "-3" in values  # numbers are values, not formulas
