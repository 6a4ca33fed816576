"""The contract's dimension list is the only one: the lists derived from it keep today's
published order, and a dimension added to a fixture contract reaches the API parameters, the
OpenAPI document, the SDMX structure, the portal's filter list, the CSV columns and the
mapping files' ``dimensions`` section."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from observatorio.model import dimensions as dims
from observatorio.sources.base import get_adapter

HERE = Path(__file__).resolve().parent


def test_derived_lists_keep_the_published_order() -> None:
    # The CSV columns, the SDMX key and the API parameters are public: derived, they must not
    # move (these are the lists that were written by hand before model/dimensions.py).
    assert dims.OBSERVATION_COLUMNS == (
        "dataflow", "source", "table", "release", "freq", "period", "ref_area", "citizenship",
        "counterpart_area", "flow", "sex", "age", "accompaniment", "unit", "value", "obs_status",
        "attributes", "source_file", "source_row", "load_id")
    assert dims.FILTER_COLUMNS == (
        "dataflow", "source", "source_file", "table", "freq", "ref_area", "citizenship",
        "counterpart_area", "flow", "sex", "age", "accompaniment", "unit", "obs_status", "load_id")
    assert dims.SERIES_KEY == (
        "freq", "ref_area", "citizenship", "counterpart_area", "flow", "sex", "age",
        "accompaniment", "unit", "source", "table")
    assert dims.ANSWER_ORDER == (
        "source", "table", "freq", "period", "ref_area", "citizenship", "counterpart_area", "flow",
        "sex", "age", "accompaniment", "unit", "attributes", "source_row")
    assert dims.LATEST_ORDER == (
        "source", "ref_area", "period", "table", "freq", "citizenship", "counterpart_area", "flow",
        "sex", "age", "accompaniment", "unit", "attributes", "source_row")
    assert dims.AREA_DIMENSIONS == ("ref_area", "citizenship", "counterpart_area")


def test_a_dimension_added_to_the_contract_reaches_every_surface(tmp_path: Path,
                                                                 data_dir: Path) -> None:
    # A fresh interpreter: the fixture contract must be in place before anything imports it.
    cbp = get_adapter("cbp_sw_land_border_encounters").bundled_path(data_dir)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run(
        [sys.executable, str(HERE / "added_dimension.py"), str(tmp_path), str(cbp)],
        capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["defaulted"] == ["_Z"]  # a source that does not break it down gets the default
    for route, names in seen["parameters"].items():  # OpenAPI and the strict routes
        assert "destination" in names, route
    assert seen["csv_status"] == 200
    assert seen["csv_columns"].index("destination") == seen["csv_columns"].index("unit") + 1
    assert seen["csv_destinations"] == ["GTM", "HND"]  # the filter filters
    assert seen["grouped"] == [["GTM", 2], ["HND", 2], ["MEX", 2]]  # and groups
    assert (seen["unknown_status"], seen["unknown_parameter"]) == (400, "destination")
    assert seen["dsd_has_dimension"]
    assert seen["portal_lists"] == {"es": True, "en": True}
    assert seen["portal_label"] == {"es": True, "en": True}
    assert seen["mapping_good"] == ["GTM"]  # a mapping fills it (sources/ unedited)
    assert "dimensions.destination" in seen["mapping_bad"]
    assert "'XXX' is not a code of codelist 'area'" in seen["mapping_bad"]
