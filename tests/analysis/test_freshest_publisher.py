"""Two publishers of one series (issue 11 item 3): headline cards and profiles read the primary
publisher's own file, which is fresher, and say so; the other copy only fills older months.

CBP's Southwest-border file runs to August 2025; IOM GDI's copy of it stops at May 2025.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from observatorio.analysis.dashboards import SOURCES, headline_figures
from observatorio.analysis.indicators import IndicatorEngine
from observatorio.store import Store

AUGUST_2025 = pd.Timestamp("2025-08-01")
CBP_SW = SOURCES["cbp_sw"]
USA_SW_IOM = SOURCES["usa_sw_iom"]


def test_headline_card_reads_cbps_own_file(analysis_store_path: Path) -> None:
    with Store.open(analysis_store_path, read_only=True) as store:
        card = next(h for h in headline_figures(store) if h["key"] == "us_sw_border")
    assert card["source"] == CBP_SW
    assert pd.Timestamp(card["period"]) == AUGUST_2025


def test_profile_indicator_takes_cbps_months_and_the_copy_only_before(
        analysis_engine: IndicatorEngine) -> None:
    rows = {r["period"]: r for r in analysis_engine.compute("encounters_sw_border", "GTM", "M").frame
            if r["value"] is not None}
    august = AUGUST_2025.date()
    assert max(rows) == august
    assert rows[august]["sources"] == CBP_SW
    # May 2025 is in both files: CBP's figure wins, the copy is not added to it
    assert USA_SW_IOM not in rows[date(2025, 5, 1)]["sources"]
    # before CBP's file begins (October 2020), only the copy has the month
    older = [r for period, r in rows.items() if period < date(2020, 10, 1)]
    assert older and {r["sources"] for r in older} == {USA_SW_IOM}
