"""Two publishers of one series: forecasts read the primary publisher's own, fresher file
(issue 11 item 3) and say which; the secondary copy only gives the months before it."""

from __future__ import annotations

import pandas as pd

from observatorio.analysis.forecast.catalogue import load_catalogue

from ..raw import cbp_sw

CBP = "cbp_sw_land_border_encounters"
IOM_COPY = "iom_gdidata.irreg_usa"


def test_southwest_border_series_names_cbp_first() -> None:
    defn = load_catalogue().by_id["cbp_sw"]
    assert defn.sources() == (CBP, IOM_COPY)
    assert load_catalogue().by_id["cbp_sw.UNACCOMPANIED"].sources() == (CBP, IOM_COPY)


def test_southwest_border_runs_to_cbps_last_month(store_series: dict[str, pd.Series]) -> None:
    """CBP's file runs to August 2025, the IOM GDI copy to May 2025: the forecast starts after August."""
    series = store_series["cbp_sw"]
    assert series.index.max() == pd.Timestamp("2025-08-01")
    raw = cbp_sw()
    month = raw["Month (abbv)"].str.upper()
    for label, when in (("AUG", "2025-08-01"), ("JUN", "2025-06-01"), ("OCT", "2021-10-01")):
        year = pd.Timestamp(when).year
        assert series[pd.Timestamp(when)] == raw.loc[(raw["year"] == year) & (month == label),
                                                      "Encounter Count"].sum()
    # The months before CBP's file (FY2018–FY2021) come from the copy: the history stays long.
    assert series.index.min() == pd.Timestamp("2017-10-01")
    assert len(series) == 95


def test_children_follow_the_same_publisher(store_series: dict[str, pd.Series]) -> None:
    # the four demographic groups (CBP's file has no other, so the residual is empty and dropped)
    kids = [k.id for k in load_catalogue().children("cbp_sw") if k.id in store_series]
    assert len(kids) == 4
    for k in kids:
        assert store_series[k].index.max() == pd.Timestamp("2025-08-01"), k
    total = sum(store_series[k] for k in kids)
    pd.testing.assert_series_equal(total, store_series["cbp_sw"], check_names=False)
