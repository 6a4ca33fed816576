"""A forecast run on the real USBP series: coherent, ordered, with annual totals and alerts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatorio.analysis.forecast.catalogue import Catalogue
from observatorio.analysis.forecast.engine import ForecastRun


def test_children_add_up_to_the_total_exactly(usbp_run: ForecastRun, usbp_catalogue: Catalogue) -> None:
    frame = usbp_run.frame()
    kids = [k.id for k in usbp_catalogue.children("usbp")]
    assert len(kids) == 11
    for freq in ("M", "A"):
        part = frame[frame["freq"] == freq]
        top = part[part["series_id"] == "usbp"].set_index("period")["mean"]
        total = part[part["series_id"].isin(kids)].groupby("period")["mean"].sum()
        np.testing.assert_allclose(top.to_numpy(), total.reindex(top.index).to_numpy(), rtol=1e-12)


def test_the_data_themselves_add_up(store_series: dict[str, pd.Series], usbp_catalogue: Catalogue) -> None:
    kids = [k.id for k in usbp_catalogue.children("usbp")]
    total = sum(store_series[k] for k in kids)
    pd.testing.assert_series_equal(total, store_series["usbp"], check_names=False)


def test_intervals_are_ordered_everywhere(usbp_run: ForecastRun) -> None:
    f = usbp_run.frame()
    assert (f["lo_95"] <= f["lo_80"] + 1e-6).all()
    assert (f["lo_80"] <= f["mean"] + 1e-6).all()
    assert (f["mean"] <= f["hi_80"] + 1e-6).all()
    assert (f["hi_80"] <= f["hi_95"] + 1e-6).all()
    assert (f["lo_95"] >= 0).all()


def test_horizons_and_annual_totals(usbp_run: ForecastRun) -> None:
    f = usbp_run.forecasts["usbp"]
    assert len(f.periods) == 36
    assert f.periods[0] == f.history.index.max() + pd.offsets.MonthBegin(1)
    annual = f.annual()
    assert len(annual) >= 2
    year = int(annual["period"].iloc[-1].year)
    in_year = f.periods.year == year
    assert annual["mean"].iloc[-1] == float(f.bands["mean"][in_year].sum())
    assert set(f.frame()["horizon_group"]) == {"short", "medium", "long"}


def test_surge_probabilities_and_alert_explanations(usbp_run: ForecastRun) -> None:
    for f in usbp_run.forecasts.values():
        p = f.p_surge[:12]
        assert np.all((p >= 0) & (p <= 1))
    assert len(usbp_run.alerts) >= 1  # the loop below must check something
    for a in usbp_run.alerts:
        assert a.explanation["es"] and a.explanation["en"]
        # stated relative to the last data month (issue 11 item 2)
        assert a.explanation["es"].startswith("Con datos hasta ")
        assert a.explanation["en"].startswith("As of data to ")
        assert a.series_id in a.explanation["es"] or usbp_run.forecasts[a.series_id].definition.label("es") in a.explanation["es"]
        assert a.level in ("alert", "watch")


def test_route_signal_is_zero_without_leads_and_bounded_with_them(
    store_series: dict[str, pd.Series],
) -> None:
    from observatorio.analysis.forecast.engine import route_signal_adjustment
    from observatorio.analysis.forecast.models import RouteModel

    y = store_series["usbp"]
    model = RouteModel().fit(y.to_numpy(dtype=float))
    assert not route_signal_adjustment(model, y, [], 12).any()
    leads = [s for k, s in store_series.items() if k in ("mex", "darien", "hnd")]
    assert len(leads) == 3
    shift = route_signal_adjustment(model, y, leads, 24)
    assert shift.shape == (24,)
    assert np.all(np.abs(shift) < 2.0)  # a nudge on the log scale, not a new level
