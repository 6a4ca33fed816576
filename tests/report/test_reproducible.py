"""Same store and options → same numbers, and the same PDF bytes but for the creation date."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

from observatorio.report.build import build_bulletin
from observatorio.report.markup import render_html
from observatorio.report.options import BulletinOptions
from observatorio.report.pdf import render_pdf
from observatorio.report.xlsx import render_xlsx
from observatorio.settings import Settings
from observatorio.store import Store

from .conftest import CREATED, PERIOD, Rendered


def _cells(xlsx: bytes) -> list[tuple[str, list[tuple[object, ...]]]]:
    book = load_workbook(io.BytesIO(xlsx), read_only=True)
    return [(name, list(book[name].iter_rows(values_only=True))) for name in book.sheetnames]


def test_same_store_and_options_give_the_same_bulletin(
        rendered: dict[tuple[str, str], Rendered], bundled_store_path: Path,
        bulletin_settings: Settings) -> None:
    first = rendered[("GTM", "en")]
    with Store.open(bundled_store_path, read_only=True) as store:
        again = build_bulletin(store, bulletin_settings,
                               BulletinOptions.parse("country", "GTM", PERIOD, "en", "pdf"))
    assert render_pdf(render_html(again, CREATED)) == first.pdf  # byte for byte
    later = datetime(2027, 6, 7, 8, 9, 10, tzinfo=UTC)
    dated = PdfReader(io.BytesIO(render_pdf(render_html(again, later))))
    before = PdfReader(io.BytesIO(first.pdf))
    # another creation date changes that date only (it sits in a compressed object stream)
    assert dated.metadata is not None and before.metadata is not None
    assert {k: v for k, v in dated.metadata.items() if k != "/CreationDate"} == {
        k: v for k, v in before.metadata.items() if k != "/CreationDate"}
    assert dated.metadata["/CreationDate"] != before.metadata["/CreationDate"]
    assert [p.get_contents().get_data() for p in dated.pages] == [  # type: ignore[union-attr]
        p.get_contents().get_data() for p in before.pages]  # type: ignore[union-attr]
    assert again.manifest() == first.bulletin.manifest()
    assert again.manifest()["releases"]["ohss_cbp_usbp_encounters"] == "2025-11-01"
    assert _cells(render_xlsx(again)) == _cells(first.xlsx)
