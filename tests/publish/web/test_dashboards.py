"""The portal's queries on the real bundled store: totals equal the publishers' own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from observatorio.analysis import dashboards as db
from observatorio.model.codelists import CRM_MEMBERS
from observatorio.store.duck import Store


@pytest.fixture(scope="module")
def store(portal_store_path: Path) -> Iterator[Store]:
    with Store.open(portal_store_path, read_only=True) as opened:
        yield opened


def _sum(rows: list[dict[str, Any]], start: date, end: date) -> float:
    return float(sum(r["value"] for r in rows if start <= r["period"] <= end))


def test_cbp_fiscal_2022_equals_the_published_total(store: Store) -> None:
    spec = next(s for s in db.HEADLINE_SERIES if s.key == "us_sw_border")
    monthly = db.aggregate_rows(store, spec)
    assert _sum(monthly, date(2021, 10, 1), date(2022, 9, 1)) == 2_378_944


def test_darien_2023_equals_the_published_total(store: Store) -> None:
    spec = next(s for s in db.HEADLINE_SERIES if s.key == "darien")
    assert _sum(db.aggregate_rows(store, spec), date(2023, 1, 1), date(2023, 12, 1)) == 520_085


def test_a_total_is_read_from_one_table_only(store: Store) -> None:
    # USBP publishes the same encounters in many sheets; without a table, the least detailed
    # one holding the rows is read, and equals the "Monthly Count" sheet month by month.
    counted = db.aggregate_rows(store, db.published_series("x", db.SOURCES["usbp"], ("ENCOUNTER",), "USA",
                                                         table="Monthly Count"))
    chosen = db.aggregate_rows(store, db.published_series("x", db.SOURCES["usbp"], ("ENCOUNTER",), "USA"))
    assert len(counted) > 200
    assert [r["value"] for r in chosen] == [r["value"] for r in counted]


def test_headline_change_is_against_the_same_month_a_year_before(store: Store) -> None:
    cbp = next(h for h in db.headline_figures(store) if h["key"] == "us_sw_border")
    assert cbp["period"] == date(2025, 8, 1)
    assert cbp["period_year_before"] == date(2024, 8, 1)
    expected = (cbp["value"] - cbp["value_year_before"]) / cbp["value_year_before"] * 100
    assert cbp["change_pct"] == pytest.approx(expected)


def test_map_indicators_cover_members_only(store: Store) -> None:
    for indicator in db.MAP_INDICATORS:
        members = [r["iso3"] for r in db.map_indicator(store, indicator)]
        assert set(members) <= set(CRM_MEMBERS), indicator.key
        assert len(members) == len(set(members))


def test_route_follows_a_nationality_through_every_step(store: Store) -> None:
    assert "VEN" in db.route_nationalities(store)
    steps = db.route_steps(store, "VEN")
    assert list(dict.fromkeys(r["step"] for r in sorted(steps, key=lambda r: r["order"]))) == [
        "darien", "honduras", "mexico", "us_border"]


def test_returns_mirror_pairs_mexico_and_guatemala(store: Store) -> None:
    pairs = db.return_pairs(store)
    assert any(r["returning"] == "MEX" and r["origin"] == "GTM" for r in pairs)
    mirror = db.returns_mirror(store, "MEX", "GTM")
    assert {r["side"] for r in mirror} == {"executed", "received"}


def test_deaths_are_in_the_americas(store: Store) -> None:
    incidents = db.deaths_incidents(store)
    assert incidents
    assert list(incidents[0]) == ["year", "route", "cause", "lon", "lat", "flow", "value"]
    assert all(-170 <= r["lon"] <= -30 for r in incidents)
    assert all(r["value"] > 0 for r in incidents)
