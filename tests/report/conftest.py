"""Bulletins built once per test module from the session store: regional and Guatemala, in
both languages, for March 2024 (which covers the Darién's 2023 and CBP's fiscal 2023)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from observatorio.report.build import build_bulletin
from observatorio.report.markup import render_html
from observatorio.report.model import Bulletin
from observatorio.report.options import BulletinOptions
from observatorio.report.pdf import layout, write_pdf
from observatorio.report.xlsx import render_xlsx
from observatorio.settings import Settings
from observatorio.store import Store

PERIOD = "2024-03"
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@dataclass
class Rendered:
    bulletin: Bulletin
    document: Any  # WeasyPrint's laid-out document
    pdf: bytes
    xlsx: bytes


@pytest.fixture(scope="session")
def bulletin_settings(bundled_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(db=bundled_store_path, bulletins_dir=tmp_path_factory.mktemp("bulletins"))


@pytest.fixture(scope="session")
def rendered(bundled_store_path: Path, bulletin_settings: Settings) -> Iterator[dict[tuple[str, str], Rendered]]:
    """(scope or ISO3, lang) → the bulletin, its layout, PDF and XLSX."""
    out = {}
    with Store.open(bundled_store_path, read_only=True) as store:
        for scope, iso3 in (("regional", None), ("country", "GTM")):
            for lang in ("es", "en"):
                options = BulletinOptions.parse(scope, iso3, PERIOD, lang, "pdf")
                bulletin = build_bulletin(store, bulletin_settings, options)
                document = layout(render_html(bulletin, CREATED))
                out[(iso3 or scope, lang)] = Rendered(bulletin, document, write_pdf(document),
                                                      render_xlsx(bulletin))
    yield out
