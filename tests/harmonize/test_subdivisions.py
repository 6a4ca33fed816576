"""ISO 3166-2 subdivisions: codelist, name crosswalk (with the shapes' quirks) and the rule that
a table never holds a country and its own subdivisions."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd

from observatorio.harmonize.admin1_shapes import crosswalk
from observatorio.harmonize.countries import default_resolver
from observatorio.harmonize.frame import assemble, check_frame
from observatorio.harmonize.problems import Problems
from observatorio.harmonize.subdivisions import resolve_subdivision
from observatorio.model.codelists import get_codelist


def test_area_codelist_has_subdivisions_with_both_languages() -> None:
    area = get_codelist("area")
    assert "MX-CHP" in area and "HN-CR" in area and "GTM" in area
    assert area.label("MX-CHP", "en") == "Chiapas"
    assert area.label("MX-CMX", "es") == "Ciudad de México"


def test_country_names_never_resolve_to_a_subdivision() -> None:
    assert default_resolver().resolve("Chiapas") is None
    assert default_resolver().resolve("Guatemala") == "GTM"


def test_publishers_names_resolve_within_their_country() -> None:
    assert resolve_subdivision("MEX", "Querétaro de Arteaga") == "MX-QUE"  # UNHCR
    assert resolve_subdivision("MEX", "Coahuila") == "MX-COA"  # the shapes
    assert resolve_subdivision("MEX", "Distrito Federal") == "MX-CMX"  # alias, with its reason
    assert resolve_subdivision("DOM", "Hermanas") == "DO-19"
    assert resolve_subdivision("CRI", "Central : Planification Region") is None  # not a province
    assert resolve_subdivision("HND", "Chiapas") is None


def test_every_bundled_shape_has_its_iso_code_except_the_listed_quirks(data_dir: Path) -> None:
    shapes = crosswalk(data_dir)
    assert Counter(s.country for s in shapes) == {
        "BLZ": 7, "CRI": 7, "DOM": 32, "GTM": 22, "HND": 18, "MEX": 33, "NIC": 17, "PAN": 12, "SLV": 14}
    unresolved = sorted((s.country, s.hasc, s.reason) for s in shapes if s.code is None)
    assert unresolved == [("BLZ", "-99", "not a division"), ("MEX", "-99", "not a division")]
    by_name = {(s.country, s.name): s.code for s in shapes}
    # the feature with id "lake" is named Rivas and is the Rivas department (with its share of
    # Lake Nicaragua): the only Rivas, resolved by name like every other feature
    assert [(s.hasc, s.code) for s in shapes if s.name == "Rivas"] == [("lake", "NI-RI")]
    assert by_name[("MEX", "Distrito Federal")] == "MX-CMX"
    assert by_name[("NIC", "Rio San Juan")] == "NI-SJ"  # id "NI."
    assert by_name[("PAN", "Panama")] == "PA-8" and by_name[("PAN", "Kuna Yala")] == "PA-KY"  # both PA.SB
    resolved = [s.code for s in shapes if s.code]
    assert len(resolved) == len(set(resolved))  # no two shapes claim one division


def test_a_table_never_mixes_a_country_and_its_subdivisions() -> None:
    frame = assemble(pd.RangeIndex(3), {
        "dataflow": "FORCED_DISPLACEMENT", "source": "t", "source_file": "t.csv",
        "source_row": pd.Series([2, 3, 4]), "table": "by state", "release": date(2025, 1, 1),
        "freq": "A", "period": date(2024, 1, 1), "ref_area": pd.Series(["MEX", "MX-CHP", "GTM"]),
        "flow": "REFUGEE_STOCK", "unit": "PERSONS", "value": pd.Series([3.0, 1.0, 2.0]),
    })
    problems = Problems("t.csv")
    check_frame(frame, problems)
    assert [(p.rule, p.value) for p in problems.items] == [("mixed_levels", "MEX")]
    assert "counted twice" in problems.render("en")
    problems = Problems("t.csv")
    check_frame(frame.assign(table=["country", "by state", "country"]), problems)
    assert not problems
