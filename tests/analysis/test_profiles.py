"""Country profiles: roles, the actions that apply, and why."""

from __future__ import annotations

import pytest

from observatorio.analysis.indicators import IndicatorEngine
from observatorio.analysis.profiles import UnknownCountry, build_profile


def test_guatemala_profile(analysis_engine: IndicatorEngine) -> None:
    prof = build_profile(analysis_engine, "GTM", 2024, "es")
    assert prof["country_name"] == "Guatemala" and prof["year"] == 2024
    assert {"origin", "return"} <= set(prof["roles_held"])
    assert {a["role"] for a in prof["actions"]} <= set(prof["roles_held"])
    ids = {a["id"] for a in prof["actions"]}
    assert "return.children.reception" in ids and "origin.consular.network" in ids
    urgent = [a for a in prof["actions"] if a["urgent"]]
    assert urgent and all(any(t["met"] for t in a["triggers"]) for a in urgent)
    # Urgent actions come first.
    flags = [a["urgent"] for a in prof["actions"]]
    assert flags == sorted(flags, reverse=True)


def test_profile_explains_each_trigger(analysis_engine: IndicatorEngine) -> None:
    prof = build_profile(analysis_engine, "PAN", 2024, "en")
    assert "transit" in prof["roles_held"]
    action = next(a for a in prof["actions"] if a["id"] == "transit.consular.protocols")
    trig = next(t for t in action["triggers"] if t["indicator"] == "transit_recorded_per100k")
    assert trig["met"] is True and trig["figure"]["numerator"] == 302_203
    assert "iom_gdidata.irreg_darien_nat" in trig["figure"]["sources"]


def test_profile_headline_indicators(analysis_engine: IndicatorEngine) -> None:
    prof = build_profile(analysis_engine, "MEX", 2024, "es")
    heads = {h["indicator"]: h for h in prof["indicators"]}
    assert heads["population"]["value"] > 100_000_000
    assert heads["returns_received"]["value"] is None  # not published by Mexico: no data


def test_profile_refuses_non_members(analysis_engine: IndicatorEngine) -> None:
    with pytest.raises(UnknownCountry):
        build_profile(analysis_engine, "VEN", 2024)


def test_usa_profile_shows_removals(analysis_engine: IndicatorEngine) -> None:
    prof = build_profile(analysis_engine, "USA", 2023, "en")
    heads = {h["indicator"]: h for h in prof["indicators"]}
    removals = analysis_engine.con.execute(
        """SELECT sum(value) FROM observations WHERE source = 'ohss_enforcement_monthly'
           AND "table" = 'DHS Removals by Citizenship — Total' AND year(period) = 2023""").fetchone()[0]
    assert heads["returns_executed"]["value"] == removals > 100_000  # calendar 2023, 12 months
