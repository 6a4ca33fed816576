"""What was revised since the previous bulletin: newer releases against the one it recorded."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from observatorio.loading import load_file
from observatorio.report.context import BulletinContext
from observatorio.report.options import BulletinOptions
from observatorio.report.shared_sections import revisions_section
from observatorio.settings import Settings
from observatorio.sources.base import get_adapter
from observatorio.store import Store

CBP = "cbp_sw_land_border_encounters"


def _revised_copy(original: Path, target: Path, extra: int) -> Path:
    """The published file with the first data row's count raised by ``extra``."""
    with original.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1][-1] = str(int(rows[1][-1].replace(",", "")) + extra)
    with target.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return target


def test_revisions_since_the_recorded_release(tmp_path: Path, data_dir: Path) -> None:
    adapter = get_adapter(CBP)
    published = adapter.bundled_path(data_dir)
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        load_file(store, adapter, _revised_copy(published, tmp_path / published.name, 10),
                  release=date(2025, 1, 1))
        load_file(store, adapter, published, release=date(2025, 9, 15))
    with Store.open(path, read_only=True) as store:
        ctx = BulletinContext(store, Settings(db=path),
                              BulletinOptions.parse("regional", None, "2024-03", "en", "pdf"))
        found = revisions_section(ctx, [CBP], {CBP: "2025-01-01"})
        assert len(found.tables) == 1
        [row] = found.tables[0].rows
        assert row[0] == CBP and row[3] == 1 and row[4] == -10.0 and row[5] == 0
        # the same comparison without a previous bulletin: the two newest releases
        assert revisions_section(ctx, [CBP], None).tables[0].rows == [row]
        # a previous bulletin that already read the newest release: nothing revised since
        since = revisions_section(ctx, [CBP], {CBP: "2025-09-15"})
        assert not since.tables and "has a new release since the previous bulletin" in since.paragraphs[0]
