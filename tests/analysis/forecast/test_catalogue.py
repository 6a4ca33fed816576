"""The series catalogue: definitions as data, a consistent hierarchy."""

from __future__ import annotations

import pytest

from observatorio.analysis.forecast.catalogue import LEVELS, CatalogueError, load_catalogue


def test_every_series_has_labels_level_and_a_known_parent() -> None:
    cat = load_catalogue()
    assert len(cat.series) > 30
    for s in cat.series:
        assert s.labels["es"] and s.labels["en"], s.id
        assert s.level in LEVELS
        if s.parent:
            assert s.parent in cat.by_id


def test_the_issue_s_series_are_all_catalogued() -> None:
    sources = {src for s in load_catalogue().series for src in s.sources()}
    assert {
        "ohss_cbp_usbp_encounters",
        "cbp_sw_land_border_encounters",
        "iom_gdidata.irreg_usa",
        "iom_gdidata.irreg_mexico_nat",
        "iom_gdidata.irreg_darien_nat",
        "iom_gdidata.irreg_honduras",
        "iom_gdidata.irreg_honduras_nat",
        "iom_gdidata.irreg_guatemala",
    } <= sources


def test_children_end_with_a_residual_so_they_can_add_up() -> None:
    cat = load_catalogue()
    for top in cat.tops():
        kids = cat.children(top.id)
        assert sum(1 for k in kids if k.residual_of) == 1, top.id


def test_select_keeps_whole_hierarchies() -> None:
    cat = load_catalogue().select(["usbp.MEX"])
    assert "usbp" in cat.by_id and "usbp._O" in cat.by_id
    assert "mex" not in cat.by_id


def test_unknown_series_is_named() -> None:
    with pytest.raises(CatalogueError, match="nope"):
        load_catalogue().select(["nope"])
