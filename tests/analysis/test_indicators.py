"""Each catalogue indicator against a figure computed by hand from the published file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from observatorio.analysis.catalogue import load_catalogue, parse_catalogue
from observatorio.analysis.indicators import RESULT_COLUMNS, IndicatorEngine

from . import raw

CRM = ["BLZ", "CAN", "CRI", "DOM", "SLV", "GTM", "HND", "MEX", "NIC", "PAN", "USA"]


def value(engine: IndicatorEngine, indicator: str, country: str | None, year: int) -> float | None:
    return engine.compute(indicator, country, "A").value(year)


# -- denominators and US encounters --------------------------------------------------------------


def test_population_is_the_world_bank_figure(analysis_engine: IndicatorEngine) -> None:
    assert value(analysis_engine, "population", "GTM", 2023) == raw.population_of("GTM", 2023)


def test_encounters_abroad_sums_usbp_calendar_months(analysis_engine: IndicatorEngine) -> None:
    usbp = raw.usbp_monthly_citizenship()
    hand = usbp.loc[(usbp["citizenship"] == "Guatemala") & (usbp["year"] == 2023), "quantity"].sum()
    assert value(analysis_engine, "encounters_abroad", "GTM", 2023) == hand


def test_encounters_abroad_per100k(analysis_engine: IndicatorEngine) -> None:
    usbp = raw.usbp_monthly_citizenship()
    hand = usbp.loc[(usbp["citizenship"] == "Honduras") & (usbp["year"] == 2023), "quantity"].sum()
    expected = hand / raw.population_of("HND", 2023) * 100_000
    assert value(analysis_engine, "encounters_abroad_per100k", "HND", 2023) == pytest.approx(expected)


def test_partial_year_is_marked_incomplete(analysis_engine: IndicatorEngine) -> None:
    # The workbook stops in November 2024: 2024 covers 11 months.
    row = analysis_engine.compute("encounters_abroad", "GTM", "A").at(2024)
    assert row is not None and row["months"] == 11 and not row["complete"]


def test_encounters_sw_border_from_the_cbp_csv(analysis_engine: IndicatorEngine) -> None:
    cbp = raw.cbp_sw()
    hand = cbp.loc[(cbp["Citizenship Grouping"] == "Guatemala") & (cbp["year"] == 2022), "Encounter Count"].sum()
    assert value(analysis_engine, "encounters_sw_border", "GTM", 2022) == hand
    assert value(analysis_engine, "encounters_sw_border_per100k", "GTM", 2022) == pytest.approx(
        hand / raw.population_of("GTM", 2022) * 100_000)


def test_encounters_sw_border_falls_back_to_iom_for_other_nationalities(analysis_engine: IndicatorEngine) -> None:
    usa = raw.rda("iom_gdidata", "irreg_usa")
    hand = usa.loc[(usa["nat"] == "NIC") & (usa["year"] == 2022), "n"].sum()
    assert value(analysis_engine, "encounters_sw_border", "NIC", 2022) == hand


def test_rolling_sum_and_year_on_year(analysis_engine: IndicatorEngine) -> None:
    usbp = raw.usbp_monthly_citizenship()
    gtm = usbp[usbp["citizenship"] == "Guatemala"]
    period = pd.to_datetime(dict(year=gtm["year"], month=gtm["calendar_month"], day=1))
    window = gtm[(period >= "2023-10-01") & (period <= "2024-09-01")]["quantity"].sum()
    rolled = analysis_engine.compute("encounters_abroad_rolling12", "GTM", "M").value(pd.Timestamp("2024-09-01"))
    assert rolled == window
    y22 = gtm.loc[gtm["year"] == 2022, "quantity"].sum()
    y23 = gtm.loc[gtm["year"] == 2023, "quantity"].sum()
    assert value(analysis_engine, "encounters_abroad_yoy", "GTM", 2023) == pytest.approx((y23 - y22) / y22 * 100)
    # An incomplete year is not compared with a complete one.
    assert value(analysis_engine, "encounters_abroad_yoy", "GTM", 2024) is None


# -- returns ---------------------------------------------------------------------------------


def test_returns_received_and_from_mexico(analysis_engine: IndicatorEngine) -> None:
    gtm = raw.rda("iom_gdidata", "irreg_guatemala")
    assert value(analysis_engine, "returns_received", "GTM", 2022) == gtm.loc[gtm["year"] == 2022, "n"].sum()
    assert value(analysis_engine, "returns_received_from_mexico", "GTM", 2021) == 45_714
    per100k = gtm.loc[gtm["year"] == 2023, "n"].sum() / raw.population_of("GTM", 2023) * 100_000
    assert value(analysis_engine, "returns_received_per100k", "GTM", 2023) == pytest.approx(per100k)


def test_returns_received_yoy_and_rolling(analysis_engine: IndicatorEngine) -> None:
    gtm = raw.rda("iom_gdidata", "irreg_guatemala")
    y23, y24 = (gtm.loc[gtm["year"] == y, "n"].sum() for y in (2023, 2024))
    assert value(analysis_engine, "returns_received_yoy", "GTM", 2024) == pytest.approx((y24 - y23) / y23 * 100)
    rolled = analysis_engine.compute("returns_received_rolling12", "GTM", "M").value(pd.Timestamp("2024-12-01"))
    assert rolled == y24


def test_returns_received_is_no_data_where_not_published(analysis_engine: IndicatorEngine) -> None:
    assert analysis_engine.compute("returns_received", "HND", "A").frame == []


def test_returns_executed_by_mexico(analysis_engine: IndicatorEngine) -> None:
    exp = raw.rda("iom_gdidata", "irreg_mexico_exp")
    assert value(analysis_engine, "returns_executed", "MEX", 2021) == exp.loc[exp["year"] == 2021, "n"].sum()


def test_returns_of_nationals_adds_mexico_returns_us_expulsions_and_removals(analysis_engine: IndicatorEngine) -> None:
    exp = raw.rda("iom_gdidata", "irreg_mexico_exp")
    cbp = raw.cbp_sw()
    mexico = exp.loc[(exp["nat"] == "HND") & (exp["year"] == 2022), "n"].sum()
    us = cbp.loc[(cbp["Citizenship Grouping"] == "Honduras") & (cbp["year"] == 2022)
                 & (cbp["Encounter Type"] == "Expulsions"), "Encounter Count"].sum()
    removals = raw.ohss_removals()
    removed = removals.loc[removals["year"] == 2022, "Honduras"].astype(float).sum()
    assert removed > 0
    assert value(analysis_engine, "returns_of_nationals", "HND", 2022) == mexico + us + removed
    expected = (mexico + us + removed) / raw.population_of("HND", 2022) * 100_000
    assert value(analysis_engine, "returns_of_nationals_per100k", "HND", 2022) == pytest.approx(expected)


# -- children ----------------------------------------------------------------------------------


def test_child_shares_of_returns(analysis_engine: IndicatorEngine) -> None:
    gtm = raw.rda("iom_gdidata", "irreg_guatemala")
    year = gtm[gtm["year"] == 2023]
    total = year["n"].sum()
    children = year.loc[year["age"] != "adult", "n"].sum()
    alone = year.loc[year["age"] == "unaccompanied child", "n"].sum()
    assert value(analysis_engine, "returns_received_children", "GTM", 2023) == children
    assert value(analysis_engine, "returns_received_unaccompanied", "GTM", 2023) == alone
    assert value(analysis_engine, "child_share_returns", "GTM", 2023) == pytest.approx(children / total * 100)
    assert value(analysis_engine, "unaccompanied_share_returns", "GTM", 2023) == pytest.approx(alone / total * 100)


def test_child_shares_of_encounters(analysis_engine: IndicatorEngine) -> None:
    cbp = raw.cbp_sw()
    year = cbp[(cbp["Citizenship Grouping"] == "Guatemala") & (cbp["year"] == 2023)]
    total = year["Encounter Count"].sum()
    minors = year.loc[year["Demographic"].isin(["UAC", "Accompanied Minors"]), "Encounter Count"].sum()
    uac = year.loc[year["Demographic"] == "UAC", "Encounter Count"].sum()
    assert value(analysis_engine, "encounters_sw_children", "GTM", 2023) == minors
    assert value(analysis_engine, "encounters_sw_unaccompanied", "GTM", 2023) == uac
    assert value(analysis_engine, "child_share_encounters", "GTM", 2023) == pytest.approx(minors / total * 100)
    assert value(analysis_engine, "unaccompanied_share_encounters", "GTM", 2023) == pytest.approx(uac / total * 100)


def test_child_shares_of_mexico_presentations(analysis_engine: IndicatorEngine) -> None:
    dmg = raw.rda("iom_gdidata", "irreg_mexico_dmg")
    year = dmg[dmg["year"] == 2023]
    total = year["n"].sum()
    minors = year.loc[year["age"] != "18+", "n"].sum()
    alone = year.loc[year["age"] == "under 12, unaccompanied", "n"].sum()
    assert value(analysis_engine, "presentations_mexico_demographic", "MEX", 2023) == total
    assert value(analysis_engine, "presentations_mexico_children", "MEX", 2023) == minors
    assert value(analysis_engine, "presentations_mexico_unaccompanied", "MEX", 2023) == alone
    assert value(analysis_engine, "child_share_presentations", "MEX", 2023) == pytest.approx(minors / total * 100)
    assert value(analysis_engine, "unaccompanied_share_presentations", "MEX", 2023) == pytest.approx(alone / total * 100)


def test_child_share_of_darien_crossings_exists_from_2023(analysis_engine: IndicatorEngine) -> None:
    dmg = raw.rda("iom_gdidata", "irreg_darien_dmg")
    year = dmg[dmg["year"] == 2023]
    children = year.loc[year["demog"].isin(["boys", "girls"]), "n"].sum()
    assert value(analysis_engine, "darien_demographic", "PAN", 2023) == year["n"].sum()
    assert value(analysis_engine, "darien_children", "PAN", 2023) == children
    expected = children / year["n"].sum() * 100
    assert value(analysis_engine, "child_share_darien", "PAN", 2023) == pytest.approx(expected)
    # 2022 recorded only men and women: no figure, not 0 %.
    assert value(analysis_engine, "child_share_darien", "PAN", 2022) is None


# -- transit -----------------------------------------------------------------------------------


def test_transit_recorded_in_panama_is_the_darien_total(analysis_engine: IndicatorEngine) -> None:
    assert value(analysis_engine, "transit_recorded", "PAN", 2023) == 520_085
    expected = 520_085 / raw.population_of("PAN", 2023) * 100_000
    assert value(analysis_engine, "transit_recorded_per100k", "PAN", 2023) == pytest.approx(expected)


def test_transit_recorded_in_honduras_and_mexico(analysis_engine: IndicatorEngine) -> None:
    hnd = raw.rda("iom_gdidata", "irreg_honduras")
    hnd = hnd.assign(year=pd.to_datetime(hnd["t"], unit="D").dt.year)
    assert value(analysis_engine, "transit_recorded", "HND", 2023) == hnd.loc[hnd["year"] == 2023, "n"].sum()
    nat = raw.rda("iom_gdidata", "irreg_mexico_nat")
    foreigners = nat[(nat["year"] == 2023) & (nat["nat"] != "MEX")]
    assert value(analysis_engine, "transit_recorded", "MEX", 2023) == foreigners["n"].sum()


def test_transit_is_no_data_where_no_authority_publishes_it(analysis_engine: IndicatorEngine) -> None:
    for country in ("CRI", "GTM", "NIC", "USA"):
        assert analysis_engine.compute("transit_recorded_per100k", country, "A").frame == []


def test_transit_by_nationality(analysis_engine: IndicatorEngine) -> None:
    darien = raw.rda("iom_gdidata", "irreg_darien_nat")
    assert value(analysis_engine, "transit_darien", "VEN", 2023) == darien.loc[
        (darien["nat"] == "VEN") & (darien["year"] == 2023), "n"].sum()
    # 2010-2019 are yearly totals stored in January: the yearly figure is that total.
    assert value(analysis_engine, "transit_darien", "CUB", 2015) == darien.loc[
        (darien["nat"] == "CUB") & (darien["year"] == 2015), "n"].sum()
    mexico = raw.rda("iom_gdidata", "irreg_mexico_nat")
    assert value(analysis_engine, "transit_mexico", "VEN", 2023) == mexico.loc[
        (mexico["nat"] == "VEN") & (mexico["year"] == 2023), "n"].sum()
    v22, v23 = (darien.loc[(darien["nat"] == "VEN") & (darien["year"] == y), "n"].sum() for y in (2022, 2023))
    assert value(analysis_engine, "transit_darien_yoy", "VEN", 2023) == pytest.approx((v23 - v22) / v22 * 100)
    rolled = analysis_engine.compute("transit_darien_rolling12", "VEN", "M").value(pd.Timestamp("2023-12-01"))
    assert rolled == value(analysis_engine, "transit_darien", "VEN", 2023)


def test_transit_through_honduras_by_nationality(analysis_engine: IndicatorEngine) -> None:
    hnd = raw.rda("iom_gdidata", "irreg_honduras_nat")
    assert value(analysis_engine, "transit_honduras", "HTI", 2023) == hnd.loc[
        (hnd["nat"] == "HTI") & (hnd["year"] == 2023), "n"].sum()


# -- asylum ------------------------------------------------------------------------------------


def test_asylum_applications_abroad_and_received(analysis_engine: IndicatorEngine) -> None:
    # The latest release of the dataset is UNHCR's R package (2025.12.1), at its finer detail.
    apps = raw.unhcr_package("asylum_applications")
    abroad = apps[(apps["coo_iso"] == "HND") & (apps["coa_iso"] != "HND") & (apps["year"] == 2018)]["applied"].sum()
    assert value(analysis_engine, "asylum_applications_abroad", "HND", 2018) == abroad
    received = apps[(apps["coa_iso"] == "CRI") & (apps["coo_iso"] != "CRI") & (apps["year"] == 2019)]["applied"].sum()
    assert value(analysis_engine, "asylum_applications_received", "CRI", 2019) == received
    expected = received / raw.population_of("CRI", 2019) * 100_000
    assert value(analysis_engine, "asylum_applications_received_per100k", "CRI", 2019) == pytest.approx(expected)
    expected = abroad / raw.population_of("HND", 2018) * 100_000
    assert value(analysis_engine, "asylum_applications_abroad_per100k", "HND", 2018) == pytest.approx(expected)


def test_recognition_rates(analysis_engine: IndicatorEngine) -> None:
    dec = raw.unhcr_decisions()
    mex = dec[(dec["Country of asylum (ISO)"] == "MEX") & (dec["Year"] == 2022)]
    positive = mex["Recognized decisions"].sum() + mex["Complementary protection"].sum()
    assert value(analysis_engine, "asylum_decisions_positive_received", "MEX", 2022) == positive
    assert value(analysis_engine, "asylum_decisions_substantive_received", "MEX", 2022) == (
        positive + mex["Rejected decisions"].sum())
    assert value(analysis_engine, "recognition_rate_received", "MEX", 2022) == pytest.approx(
        positive / (positive + mex["Rejected decisions"].sum()) * 100)
    slv = dec[(dec["Country of origin (ISO)"] == "SLV") & (dec["Country of asylum (ISO)"] != "SLV")
              & (dec["Year"] == 2021)]
    positive = slv["Recognized decisions"].sum() + slv["Complementary protection"].sum()
    assert value(analysis_engine, "asylum_decisions_positive_abroad", "SLV", 2021) == positive
    assert value(analysis_engine, "asylum_decisions_substantive_abroad", "SLV", 2021) == (
        positive + slv["Rejected decisions"].sum())
    assert value(analysis_engine, "recognition_rate_abroad", "SLV", 2021) == pytest.approx(
        positive / (positive + slv["Rejected decisions"].sum()) * 100)


# -- stocks ------------------------------------------------------------------------------------

REFUGEES = "Refugees under UNHCR's mandate"


def test_refugee_asylum_stocks_hosted_and_abroad(analysis_engine: IndicatorEngine) -> None:
    pop = raw.unhcr_population()
    cri = pop[(pop["Country of asylum (ISO)"] == "CRI") & (pop["Year"] == 2022)]
    hosted = cri[REFUGEES].sum() + cri["Asylum-seekers"].sum()
    assert value(analysis_engine, "refugee_asylum_stock_hosted", "CRI", 2022) == hosted
    assert value(analysis_engine, "refugee_asylum_stock_hosted_per100k", "CRI", 2022) == pytest.approx(
        hosted / raw.population_of("CRI", 2022) * 100_000)
    nic = pop[(pop["Country of origin (ISO)"] == "NIC") & (pop["Country of asylum (ISO)"] != "NIC")
              & (pop["Year"] == 2023)]
    abroad = nic[REFUGEES].sum() + nic["Asylum-seekers"].sum()
    assert value(analysis_engine, "refugee_asylum_stock_abroad", "NIC", 2023) == abroad
    assert value(analysis_engine, "refugee_asylum_stock_abroad_per100k", "NIC", 2023) == pytest.approx(
        abroad / raw.population_of("NIC", 2023) * 100_000)


def test_refugee_stock_2024_comes_from_unhcr_itself(analysis_engine: IndicatorEngine) -> None:
    # UNHCR's own 2025.12.1 release covers 2024 and 2025: the primary publisher comes first, the
    # IOM compilation (which stopped at 2024) is only a fallback.
    population = raw.unhcr_package("population")
    year = population[(population["coa_iso"] == "CRI") & (population["year"] == 2024)]
    hand = year["refugees"].sum() + year["asylum_seekers"].sum()
    assert value(analysis_engine, "refugee_asylum_stock_hosted", "CRI", 2024) == hand
    row = analysis_engine.compute("refugee_asylum_stock_hosted", "CRI", "A").at(2024)
    assert row is not None and row["sources"] == "unhcr_refugee_data_finder.population"
    assert analysis_engine.compute("refugee_asylum_stock_hosted", "CRI", "A").at(2025) is not None


def test_migrant_stock_shares_of_population(analysis_engine: IndicatorEngine) -> None:
    stocks = raw.rda("iom_gdidata", "undesa_stocks")
    hosted = stocks.loc[(stocks["geo"] == "USA") & (stocks["t"] == 2020) & (stocks["from"] != "USA"), "n"].sum()
    assert value(analysis_engine, "migrant_stock_hosted", "USA", 2020) == hosted
    assert value(analysis_engine, "migrant_stock_hosted_pct", "USA", 2020) == pytest.approx(
        hosted / raw.population_of("USA", 2020) * 100)
    abroad = stocks.loc[(stocks["from"] == "SLV") & (stocks["t"] == 2020) & (stocks["geo"] != "SLV"), "n"].sum()
    assert value(analysis_engine, "migrant_stock_abroad", "SLV", 2020) == abroad
    assert value(analysis_engine, "migrant_stock_abroad_pct", "SLV", 2020) == pytest.approx(
        abroad / raw.population_of("SLV", 2020) * 100)


# -- dead and missing --------------------------------------------------------------------------


def test_dead_and_missing(analysis_engine: IndicatorEngine) -> None:
    mmp = raw.rda("iom_gdidata", "iom_mmp")
    mmp = mmp.assign(year=pd.to_datetime(mmp["t"]).dt.year)
    assert value(analysis_engine, "dead_missing", "USA", 2023) == mmp.loc[
        (mmp["geo"] == "USA") & (mmp["year"] == 2023), "dead"].sum()
    # The newer compilation covers 2014 on: the 2022 download is never mixed into those months.
    row = analysis_engine.compute("dead_missing", "USA", "A").at(2019)
    assert row is not None and row["sources"] == "iom_gdidata.iom_mmp"
    assert row["value"] == mmp.loc[(mmp["geo"] == "USA") & (mmp["year"] == 2019), "dead"].sum()
    americas = mmp[mmp["route"].isin(["Central American Route", "South American Route"]) & (mmp["year"] == 2023)]
    assert value(analysis_engine, "dead_missing_americas", None, 2023) == americas["dead"].sum()


# -- the catalogue itself ----------------------------------------------------------------------


def test_every_indicator_computes_for_every_member(analysis_engine: IndicatorEngine) -> None:
    catalogue = load_catalogue()
    for ind in catalogue.indicators:
        for country in (CRM if ind.subject != "none" else [None]):
            for freq in analysis_engine.native_freqs(ind.id):
                result = analysis_engine.compute(ind.id, country, freq)
                assert all(list(row) == list(RESULT_COLUMNS) for row in result.frame)


def test_catalogue_is_bilingual_and_names_its_sources() -> None:
    for ind in load_catalogue().indicators:
        assert ind.name_es and ind.name_en and ind.definition_es and ind.definition_en
        assert ind.sources, ind.id
        for spec in ind.series:
            assert spec.source in ind.sources, (ind.id, spec.source)


def test_catalogue_rejects_unknown_columns_and_dependencies() -> None:
    base = {"id": "x", "kind": "flow", "unit": "PERSONS", "name": {"es": "x", "en": "x"},
            "definition": {"es": "x", "en": "x"}}
    with pytest.raises(ValueError, match="cannot filter"):
        parse_catalogue({"population": "x", "indicators": [
            {**base, "series": [{"source": "s", "flows": ["F"], "filters": {"value; DROP": ["1"]}}]}]})
    with pytest.raises(ValueError, match="unknown"):
        parse_catalogue({"population": "x", "indicators": [
            {**base, "series": [{"source": "s", "flows": ["F"]}]},
            {**base, "id": "y", "kind": "share", "numerator": "x", "denominator": "nope"}]})


def test_results_carry_their_releases(analysis_engine: IndicatorEngine) -> None:
    result = analysis_engine.compute("encounters_abroad_per100k", "GTM", "A")
    assert set(result.releases) == {"ohss_cbp_usbp_encounters", "worldbank_population"}


def test_the_engines_results_are_bounded_and_an_evicted_one_is_computed_again(
        analysis_store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The API passes any three letters as a country: kept results must not grow with them.
    from observatorio.analysis import indicators
    from observatorio.store import Store

    monkeypatch.setattr(indicators, "MAX_RESULTS", 5)
    with Store.open(analysis_store_path, read_only=True) as store:
        engine = IndicatorEngine(store.con)
        first = value(engine, "population", "GTM", 2023)
        for code in ("AAA", "AAB", "AAC", "AAD", "AAE", "AAF", "AAG"):
            engine.compute("population", code, "A")
        assert len(engine._results) <= 5
        assert value(engine, "population", "GTM", 2023) == first == raw.population_of("GTM", 2023)
