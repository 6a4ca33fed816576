"""Country roles on the real data: recognisable to anyone who knows the region, never typed in."""

from __future__ import annotations

import re

import pytest

from observatorio.analysis.indicators import IndicatorEngine
from observatorio.analysis.roles import (
    ROLES_PATH,
    CountryRoles,
    Signal,
    assess,
    default_year,
    load_method,
)
from observatorio.model.codelists import CRM_MEMBERS

from . import raw


@pytest.fixture(scope="module")
def latest(analysis_engine: IndicatorEngine) -> dict[str, CountryRoles]:
    year = default_year(analysis_engine)
    return {c: assess(analysis_engine, c, year) for c in CRM_MEMBERS}


def test_default_year_is_the_latest_with_population(analysis_engine: IndicatorEngine) -> None:
    assert default_year(analysis_engine) == 2024


@pytest.mark.parametrize(("country", "roles"), [
    ("PAN", {"transit"}),
    ("GTM", {"origin", "return"}),
    ("HND", {"origin", "return"}),
    ("MEX", {"origin", "transit", "destination"}),
    ("CRI", {"destination"}),
    ("USA", {"destination"}),
])
def test_recognisable_roles(latest: dict[str, CountryRoles], country: str, roles: set[str]) -> None:
    assert roles <= set(latest[country].held())


@pytest.mark.parametrize("year", [2022, 2023])
def test_roles_hold_in_earlier_years(analysis_engine: IndicatorEngine, year: int) -> None:
    held = {c: set(assess(analysis_engine, c, year).held()) for c in ("PAN", "GTM", "HND", "MEX", "CRI", "USA")}
    assert "transit" in held["PAN"]
    assert {"origin", "return"} <= held["GTM"] and {"origin", "return"} <= held["HND"]
    assert {"origin", "transit", "destination"} <= held["MEX"]
    assert "destination" in held["CRI"] and "destination" in held["USA"]


def test_destination_countries_are_not_origin(latest: dict[str, CountryRoles]) -> None:
    for country in ("CRI", "USA", "CAN"):
        assert "origin" not in latest[country].held()
    for country in ("GTM", "HND", "SLV", "NIC"):
        assert "destination" not in latest[country].held()


def test_missing_transit_data_reads_no_data(latest: dict[str, CountryRoles]) -> None:
    # Only Panama, Honduras and Mexico publish transit series: the others are "no data", not "not transit".
    for country in ("CRI", "GTM", "NIC", "USA", "CAN"):
        role = latest[country].role("transit")
        assert role.level == "no_data" and role.score is None and not role.held


def test_evidence_names_numbers_sources_and_releases(latest: dict[str, CountryRoles],
                                                     analysis_engine: IndicatorEngine) -> None:
    transit = latest["PAN"].role("transit").as_dict(analysis_engine, "en")
    ev = transit["evidence"][0]
    assert ev["indicator"] == "transit_recorded_per100k"
    assert ev["numerator"] == 302_203 and ev["value"] == pytest.approx(302_203 / ev["denominator"] * 100_000)
    assert set(ev["sources"]) == {"iom_gdidata.irreg_darien_nat", "worldbank_population"}
    assert ev["releases"]["iom_gdidata.irreg_darien_nat"] == "2025-06-19"
    ret = latest["HND"].role("return").as_dict(analysis_engine, "es")
    assert any(e["indirect"] and e["score"] and e["score"] >= 0.5 for e in ret["evidence"])


def test_partial_year_flows_are_annualized(latest: dict[str, CountryRoles]) -> None:
    """× 12 / months, checked against the raw USBP workbook and World Bank file by hand."""
    signal = next(s for s in latest["GTM"].role("origin").signals if s.signal.indicator == "encounters_abroad_per100k")
    figure = signal.figure
    assert figure is not None and figure.months == 11 and figure.annualized
    sheet = raw.usbp_monthly_citizenship()
    gtm = sheet[(sheet["year"] == 2024) & (sheet["citizenship"] == "Guatemala")]
    assert sorted(gtm["calendar_month"]) == list(range(1, 12))  # January–November 2024 published
    published = int(gtm["quantity"].sum())
    assert published == 125_910
    assert figure.numerator == pytest.approx(125_910 * 12 / 11)  # 137,356.4
    assert figure.denominator == raw.population_of("GTM", 2024)
    assert figure.value == pytest.approx(125_910 * 12 / 11 / raw.population_of("GTM", 2024) * 100_000)


def test_score_scale() -> None:
    sig = Signal("x", moderate=100, high=1000)
    assert sig.score(100) == pytest.approx(0.5)
    assert sig.score(1000) == pytest.approx(1.0)
    assert sig.score(10) == pytest.approx(0.0)
    assert sig.score(0) == 0.0
    assert sig.score(50_000) == 1.0
    assert 0.5 < sig.score(300) < 1.0


def test_method_names_no_country() -> None:
    # Roles come from thresholds on indicators, never from a list of countries.
    text = ROLES_PATH.read_text(encoding="utf-8")
    for code in CRM_MEMBERS:
        assert not re.search(rf"\b{code}\b", text), code
    method = load_method()
    assert [r.id for r in method.roles] == ["origin", "transit", "destination", "return"]


@pytest.mark.parametrize(("country", "role"), [
    ("GTM", "return"), ("HND", "return"), ("SLV", "return"),
    ("MEX", "destination"), ("CRI", "destination"), ("CAN", "destination"), ("USA", "destination"),
])
def test_roles_2024_have_data_with_us_removals_and_unhcr_2025(
    analysis_engine: IndicatorEngine, country: str, role: str
) -> None:
    """`observatorio roles --year 2024` says something for these roles (issue #13)."""
    assessed = {r.role.id: r for r in assess(analysis_engine, country, 2024).roles}
    assert assessed[role].level != "no_data"


def test_us_removals_make_the_return_role_of_el_salvador_visible(analysis_engine: IndicatorEngine) -> None:
    # With Mexico's returns and Title 42 expulsions only, El Salvador's 2024 return role was low
    # (5.6 per 100,000); US DHS removals of Salvadorans make it a held role.
    assert "return" in assess(analysis_engine, "SLV", 2024).held()
