"""Mirror reconciliation: the Guatemala–Mexico returns and the other pairs, on the real data."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from observatorio.analysis.indicators import IndicatorEngine
from observatorio.analysis.mirror import COLUMNS, load_book, reconcile, reconcile_all

from . import raw


def by_period(engine: IndicatorEngine, pair_id: str, freq: str) -> dict[date, dict[str, Any]]:
    """A pair's reconciled rows by period (each row has every column, in order)."""
    rows = reconcile(engine, load_book().pair(pair_id), freq)
    assert all(tuple(r) == COLUMNS for r in rows)
    return {r["period"]: r for r in rows}


def test_guatemala_mexico_2021(analysis_engine: IndicatorEngine) -> None:
    row = by_period(analysis_engine, "gtm_mex_returns", "A")[date(2021, 1, 1)]
    assert row["a"] == 45_714 and row["b"] == 53_156
    assert row["gap"] == 7_442
    assert row["gap_pct"] == pytest.approx(7_442 / 45_714 * 100)
    assert row["complete"]


def test_guatemala_mexico_monthly_both_sides(analysis_engine: IndicatorEngine) -> None:
    gtm = raw.rda("iom_gdidata", "irreg_guatemala")
    exp = raw.rda("iom_gdidata", "irreg_mexico_exp")
    rows = by_period(analysis_engine, "gtm_mex_returns", "M")
    for month in ("2021-03-01", "2023-07-01"):
        ts = pd.Timestamp(month)
        a = gtm.loc[(gtm["date"] == ts) & (gtm["origin"] == "MEX"), "n"].sum()
        b = exp.loc[(exp["date"] == ts) & (exp["nat"] == "GTM"), "n"].sum()
        row = rows[ts.date()]
        assert row["a"] == a and row["b"] == b
        assert row["gap"] == b - a


def test_years_with_different_coverage_have_no_gap(analysis_engine: IndicatorEngine) -> None:
    row = by_period(analysis_engine, "gtm_mex_returns", "A")[date(2019, 1, 1)]
    assert row["a"] is None
    assert row["gap"] is None and row["gap_pct"] is None and not row["complete"]


def test_compilers_agree_on_the_darien_2023(analysis_engine: IndicatorEngine) -> None:
    row = by_period(analysis_engine, "darien_compilers", "A")[date(2023, 1, 1)]
    assert row["a"] == 520_085
    assert abs(row["gap_pct"]) < 1


def test_route_chain_for_one_nationality(analysis_engine: IndicatorEngine) -> None:
    darien = raw.rda("iom_gdidata", "irreg_darien_nat")
    honduras = raw.rda("iom_gdidata", "irreg_honduras_nat")
    row = by_period(analysis_engine, "route_darien_honduras_VEN", "A")[date(2023, 1, 1)]
    assert row["a"] == darien.loc[(darien["nat"] == "VEN") & (darien["year"] == 2023), "n"].sum()
    assert row["b"] == honduras.loc[(honduras["nat"] == "VEN") & (honduras["year"] == 2023), "n"].sum()


def test_every_pair_has_bilingual_reasons_and_runs(analysis_engine: IndicatorEngine) -> None:
    book = load_book()
    assert {"countries", "route", "compilers", "publications"} <= {p.kind for p in book.pairs}
    for pair in book.pairs:
        assert pair.reasons
        for code in pair.reasons:
            assert book.reason(code, "es") != book.reason(code, "en")
    rows = reconcile_all(analysis_engine, "A")
    assert {r["pair"] for r in rows} == {p.id for p in book.pairs}


def test_us_removals_of_guatemalans_against_guatemala_receptions(analysis_engine: IndicatorEngine) -> None:
    row = by_period(analysis_engine, "gtm_usa_removals", "M")[date(2022, 10, 1)]
    assert row["b"] == _removals_of_guatemalans(analysis_engine, "2022-10-01")
    assert row["a"] > 0 and row["gap"] == row["b"] - row["a"]
    book = load_book()
    reasons = book.pair("gtm_usa_removals").reasons
    assert {"fiscal_vs_calendar", "events_vs_persons", "removals_vs_all_returns"} <= set(reasons)
    for code in reasons:
        assert book.reason(code, "es") and book.reason(code, "en")


def _removals_of_guatemalans(engine: IndicatorEngine, month: str) -> float:
    row = engine.con.execute(
        """SELECT value FROM observations WHERE source = 'ohss_enforcement_monthly'
           AND "table" = 'DHS Removals by Citizenship' AND citizenship = 'GTM' AND period = ?""",
        [pd.Timestamp(month).date()]).fetchone()
    return float(row[0])
