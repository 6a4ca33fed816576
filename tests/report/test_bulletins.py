"""Bulletins as a reader gets them: the PDF's text, its pages, its layout, its workbook."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from observatorio.report.markup import format_cell
from observatorio.report.pdf import overflowing_boxes
from observatorio.store import Store

from .conftest import Rendered

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "bulletins"
KINDS = [("regional", "es"), ("regional", "en"), ("GTM", "es"), ("GTM", "en")]


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


@pytest.mark.parametrize(("lang", "fy2023", "darien2023"),
                         [("es", "2.475.669", "520.085"), ("en", "2,475,669", "520,085")])
def test_regional_pdf_shows_the_stores_figures(rendered: dict[tuple[str, str], Rendered], lang: str,
                                               fy2023: str, darien2023: str) -> None:
    text = pdf_text(rendered[("regional", lang)].pdf)
    assert fy2023 in text  # CBP Southwest border encounters, fiscal year 2023
    assert darien2023 in text  # Darién crossings, calendar 2023
    other = "2,475,669" if lang == "es" else "2.475.669"
    assert other not in text


@pytest.mark.parametrize(("lang", "figure"), [("es", "254.660"), ("en", "254,660")])
def test_country_pdf_shows_the_stores_figures(rendered: dict[tuple[str, str], Rendered], lang: str,
                                              figure: str, bundled_store: Store) -> None:
    # Guatemalans encountered by the US Border Patrol in 2023, straight from the store
    row = bundled_store.con.execute(
        """SELECT sum(value) FROM observations WHERE source = 'ohss_cbp_usbp_encounters'
           AND "table" = 'Monthly Citizenship' AND citizenship = 'GTM' AND year(period) = 2023
           AND flow = 'ENCOUNTER'""").fetchone()
    assert row is not None
    assert format_cell(float(row[0]), lang) == figure
    text = pdf_text(rendered[("GTM", lang)].pdf)
    assert figure in text
    key = next(t for t in rendered[("GTM", lang)].bulletin.tables() if t.id == "key_figures")
    years = [r[1] for r in key.rows]
    assert "2023" in years and all(isinstance(y, str) and y.isdigit() for y in years)  # never "2.023"
    assert ("Guatemala" in text) and (("Boletín de país" if lang == "es" else "Country bulletin") in text)


@pytest.mark.parametrize(("kind", "lang"), KINDS)
def test_pdf_is_tagged_with_language_and_title(rendered: dict[tuple[str, str], Rendered], kind: str,
                                               lang: str) -> None:
    reader = PdfReader(io.BytesIO(rendered[(kind, lang)].pdf))
    root: Any = reader.trailer["/Root"]
    assert root["/Lang"] == lang
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert reader.metadata is not None and reader.metadata.title == (
        f"{rendered[(kind, lang)].bulletin.title} — {rendered[(kind, lang)].bulletin.subtitle}")
    assert len(reader.pages) >= 4  # cover, contents, sections


@pytest.mark.parametrize(("kind", "lang"), KINDS)
def test_every_page_fits_its_page_box(rendered: dict[tuple[str, str], Rendered], kind: str,
                                      lang: str) -> None:
    assert overflowing_boxes(rendered[(kind, lang)].document) == []


@pytest.mark.parametrize(("kind", "lang"), KINDS)
def test_every_page_rendered_to_png(rendered: dict[tuple[str, str], Rendered], kind: str,
                                    lang: str, tmp_path: Path) -> None:
    assert shutil.which("pdftoppm"), "pdftoppm missing: run scripts/install-system-deps.sh (poppler-utils)"
    item = rendered[(kind, lang)]
    source = tmp_path / "bulletin.pdf"
    source.write_bytes(item.pdf)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTIFACTS / item.bulletin.slug
    for old in ARTIFACTS.glob(f"{item.bulletin.slug}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(source), str(prefix)], check=True)
    pngs = sorted(ARTIFACTS.glob(f"{item.bulletin.slug}-*.png"))
    assert len(pngs) == len(PdfReader(io.BytesIO(item.pdf)).pages)
    assert all(p.stat().st_size > 1000 for p in pngs)


@pytest.mark.parametrize(("kind", "lang"), KINDS)
def test_xlsx_numbers_equal_the_pdfs(rendered: dict[tuple[str, str], Rendered], kind: str,
                                     lang: str) -> None:
    item = rendered[(kind, lang)]
    book = load_workbook(io.BytesIO(item.xlsx), read_only=True)
    text = pdf_text(item.pdf)
    tables = {f"{s.id}-{t.id}"[:31]: t for s in item.bulletin.sections for t in s.tables}
    assert set(tables) <= set(book.sheetnames)
    checked = 0
    for name, table in tables.items():
        sheet = book[name]
        rows = list(sheet.iter_rows(values_only=True))
        assert (rows[1][1] or "") == table.unit  # unit row
        header_at = next(i for i, r in enumerate(rows) if list(r[: len(table.header)]) == table.header)
        for row, expected in zip(rows[header_at + 1:], table.rows, strict=True):
            for value, cell in zip(row, expected, strict=False):
                assert value == cell
                if isinstance(value, int | float) and not isinstance(value, bool):
                    assert format_cell(value, lang) in text, (name, value)
                    checked += 1
    assert checked > 10
    about = book[book.sheetnames[0]]
    releases = [r for r in about.iter_rows(values_only=True) if r and r[0] in
                {x.source for x in item.bulletin.releases}]
    assert len(releases) == len(item.bulletin.releases) > 3


def test_chart_sheets_hold_the_charts_frames(rendered: dict[tuple[str, str], Rendered]) -> None:
    item = rendered[("regional", "en")]
    book = load_workbook(io.BytesIO(item.xlsx), read_only=True)
    trends = next(c for c in item.bulletin.charts() if c.id == "trends")
    rows = list(book["headlines-trends"].iter_rows(values_only=True))
    header_at = rows.index(("series", "label", "x", "value"))
    assert [r[3] for r in rows[header_at + 1:]] == list([r["value"] for r in trends.frame])
    assert max(r[2] for r in rows[header_at + 1:]).strftime("%Y-%m") <= "2024-03"


def test_overflow_check_finds_a_box_wider_than_the_page() -> None:
    from observatorio.report.pdf import layout

    wide = layout('<html><body><p>fits</p><div style="width: 300mm">too wide</div></body></html>')
    found = overflowing_boxes(wide)
    assert found and all(f.startswith("page 1:") for f in found)
