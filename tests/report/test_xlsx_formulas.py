"""The bulletin workbook never holds a live formula: publishers' text is written as text."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from observatorio.report.model import Bulletin, ReleaseUsed, Section, Table, version_label
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


def test_store_version_is_printed_readably_and_kept_exactly() -> None:
    """The cover printed ``2026-12-04T21:22:29.725054+00:00``; the manifest keeps the token."""
    from observatorio.report.markup import render_html

    stamp = "2026-12-04T21:22:29.725054+00:00"
    bulletin = Bulletin(scope="regional", iso3=None, period=date(2025, 6, 1), lang="en",
                        title="Bulletin", subtitle="Data to Jun 2025", sections=[], releases=[],
                        store_version=stamp)
    html = render_html(bulletin)
    assert "2026-12-04 21:22:29 UTC" in html and ".725054" not in html
    assert bulletin.manifest()["store_version"] == stamp
    book = load_workbook(io.BytesIO(render_xlsx(bulletin)))
    assert "2026-12-04 21:22:29 UTC" in {c.value for row in book.worksheets[0].iter_rows() for c in row}
    assert version_label("empty") == "empty"
