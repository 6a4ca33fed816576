"""The CRM action matrix: lookup by role and sub-theme, triggers evaluated on the real data."""

from __future__ import annotations

import pytest

from observatorio.analysis.actions import SUBTHEME_IDS, Trigger, evaluate, load_matrix, parse_matrix
from observatorio.analysis.catalogue import load_catalogue
from observatorio.analysis.indicators import IndicatorEngine
from observatorio.analysis.roles import ROLE_IDS

from . import raw


def test_every_role_and_subtheme_has_an_action() -> None:
    matrix = load_matrix()
    for role in ROLE_IDS:
        for subtheme in SUBTHEME_IDS:
            assert matrix.lookup(role, subtheme), (role, subtheme)


def test_lookup_return_children_gives_reception_protocols() -> None:
    actions = load_matrix().lookup(role="return", subtheme="children")
    assert [a.id for a in actions] == ["return.children.reception"]
    action = actions[0]
    assert "protección de la niñez" in action.text("es") and "Child-protection" in action.text("en")
    assert Trigger("unaccompanied_share_returns", "rising", 1.0) in action.triggers


def test_actions_are_bilingual_and_linked_to_known_indicators() -> None:
    ids = set(load_catalogue().ids())
    matrix = load_matrix()
    for action in matrix.actions:
        assert action.text_es and action.text_en and action.text_es != action.text_en
        assert action.triggers, action.id
        assert {t.indicator for t in action.triggers} <= ids
    for subtheme in SUBTHEME_IDS:
        assert matrix.subtheme_name(subtheme, "es") != matrix.subtheme_name(subtheme, "en")


def test_matrix_rejects_unknown_indicator() -> None:
    data = {"subthemes": {}, "actions": [{"id": "a", "role": "origin", "subtheme": "rights",
                                          "text": {"es": "x", "en": "y"},
                                          "triggers": [{"indicator": "nope", "test": "above", "threshold": 1}]}]}
    with pytest.raises(ValueError, match="unknown indicator"):
        parse_matrix(data, ("population",))


def test_rising_trigger_is_computed_from_the_source(analysis_engine: IndicatorEngine) -> None:
    gtm = raw.rda("iom_gdidata", "irreg_guatemala")
    y23, y24 = (gtm.loc[gtm["year"] == y, "n"].sum() for y in (2023, 2024))
    result = evaluate(analysis_engine, Trigger("returns_received", "rising", 10), "GTM", 2024)
    assert result.measured == pytest.approx((y24 - y23) / y23 * 100)
    assert result.met is False


def test_share_trigger_rises_in_percentage_points(analysis_engine: IndicatorEngine) -> None:
    gtm = raw.rda("iom_gdidata", "irreg_guatemala")

    def share(year: int) -> float:
        rows = gtm[gtm["year"] == year]
        return rows.loc[rows["age"] == "unaccompanied child", "n"].sum() / rows["n"].sum() * 100

    result = evaluate(analysis_engine, Trigger("unaccompanied_share_returns", "rising", 1), "GTM", 2022)
    assert result.measured == pytest.approx(share(2022) - share(2021))
    assert result.met is bool(share(2022) - share(2021) >= 1)


def test_trigger_without_data_is_unknown_not_false(analysis_engine: IndicatorEngine) -> None:
    result = evaluate(analysis_engine, Trigger("returns_received", "above", 1), "CRI", 2024)
    assert result.met is None and result.figure is None
