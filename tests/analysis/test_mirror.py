"""Mirror reconciliation: the Guatemala–Mexico returns and the other pairs, on the real data."""

from __future__ import annotations

import pandas as pd
import pytest

from observatorio.analysis.indicators import IndicatorEngine
from observatorio.analysis.mirror import load_book, reconcile, reconcile_all

from . import raw


def test_guatemala_mexico_2021(analysis_engine: IndicatorEngine) -> None:
    frame = reconcile(analysis_engine, load_book().pair("gtm_mex_returns"), "A")
    row = frame[frame["period"] == pd.Timestamp("2021-01-01")].iloc[0]
    assert row["a"] == 45_714 and row["b"] == 53_156
    assert row["gap"] == 7_442
    assert row["gap_pct"] == pytest.approx(7_442 / 45_714 * 100)
    assert row["complete"]


def test_guatemala_mexico_monthly_both_sides(analysis_engine: IndicatorEngine) -> None:
    gtm = raw.rda("iom_gdidata", "irreg_guatemala")
    exp = raw.rda("iom_gdidata", "irreg_mexico_exp")
    frame = reconcile(analysis_engine, load_book().pair("gtm_mex_returns"), "M").set_index("period")
    for month in ("2021-03-01", "2023-07-01"):
        ts = pd.Timestamp(month)
        a = gtm.loc[(gtm["date"] == ts) & (gtm["origin"] == "MEX"), "n"].sum()
        b = exp.loc[(exp["date"] == ts) & (exp["nat"] == "GTM"), "n"].sum()
        assert frame.loc[ts, "a"] == a and frame.loc[ts, "b"] == b
        assert frame.loc[ts, "gap"] == b - a


def test_years_with_different_coverage_have_no_gap(analysis_engine: IndicatorEngine) -> None:
    frame = reconcile(analysis_engine, load_book().pair("gtm_mex_returns"), "A").set_index("period")
    assert pd.isna(frame.loc[pd.Timestamp("2019-01-01"), "a"])
    assert pd.isna(frame.loc[pd.Timestamp("2019-01-01"), "gap"])


def test_compilers_agree_on_the_darien_2023(analysis_engine: IndicatorEngine) -> None:
    frame = reconcile(analysis_engine, load_book().pair("darien_compilers"), "A").set_index("period")
    assert frame.loc[pd.Timestamp("2023-01-01"), "a"] == 520_085
    assert abs(frame.loc[pd.Timestamp("2023-01-01"), "gap_pct"]) < 1


def test_route_chain_for_one_nationality(analysis_engine: IndicatorEngine) -> None:
    darien = raw.rda("iom_gdidata", "irreg_darien_nat")
    honduras = raw.rda("iom_gdidata", "irreg_honduras_nat")
    frame = reconcile(analysis_engine, load_book().pair("route_darien_honduras_VEN"), "A").set_index("period")
    ts = pd.Timestamp("2023-01-01")
    assert frame.loc[ts, "a"] == darien.loc[(darien["nat"] == "VEN") & (darien["year"] == 2023), "n"].sum()
    assert frame.loc[ts, "b"] == honduras.loc[(honduras["nat"] == "VEN") & (honduras["year"] == 2023), "n"].sum()


def test_every_pair_has_bilingual_reasons_and_runs(analysis_engine: IndicatorEngine) -> None:
    book = load_book()
    assert {"countries", "route", "compilers", "publications"} <= {p.kind for p in book.pairs}
    for pair in book.pairs:
        assert pair.reasons
        for code in pair.reasons:
            assert book.reason(code, "es") != book.reason(code, "en")
    frame = reconcile_all(analysis_engine, "A")
    assert set(frame["pair"]) == {p.id for p in book.pairs}


def test_us_removals_of_guatemalans_against_guatemala_receptions(analysis_engine: IndicatorEngine) -> None:
    frame = reconcile(analysis_engine, load_book().pair("gtm_usa_removals"), "M").set_index("period")
    row = frame.loc[pd.Timestamp("2022-10-01")]
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
