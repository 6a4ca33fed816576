"""What the route, returns, deaths and returnees pages and a source's download compute from plain
rows (#12: a server worker never imports pandas) is what pandas computed: the places of the deaths
map rounded as numpy rounds, a download written batch by batch as pandas wrote the whole frame."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest

from observatorio.formula_guard_frame import neutral_frame
from observatorio.model.contract import FRAME_NAMES
from observatorio.publish.web.pages import _tenth
from observatorio.publish.web.routes import _observations_csv
from observatorio.store import page_reads
from observatorio.store.duck import Store

from .tiny_store import tiny_store


@pytest.mark.parametrize("degrees", [
    -89.05, -89.15, -0.04, -0.05, -0.06, 0.05, 0.15, 0.25, 12.35, -12.35, -99.95, -117.25, -30.0, 1e-9,
])
def test_a_place_is_rounded_to_a_tenth_as_numpy_rounds(degrees: float) -> None:
    expected = float(np.round(degrees, 1))
    assert _tenth(degrees) == expected
    assert str(_tenth(degrees)) == str(expected)  # "-0.0" stays "-0.0": the CSV prints it


def test_a_download_in_batches_is_what_pandas_wrote(tmp_path: Path) -> None:
    rows = [{"period": dt.date(2020 + i % 3, i % 12 + 1, 1), "ref_area": "GTM", "value": v, "source_row": r,
             "attributes": a, "obs_status": "C" if v is None else "A"}
            for i, (v, r, a) in enumerate([
                (1.0, 1, "{}"), (None, None, '{"cause":"Drowning, \\"sea\\""}'), (2.5, 3, '{"x":"=1+1"}'),
                (1234567.0, None, "{}"), (0.1, 5, "{}"), (7.0, 6, "{}"), (8.0, 7, "{}")])]
    path = tiny_store(tmp_path / "s.duckdb", "fixture_download", rows)
    with Store.open(path, read_only=True) as store:
        columns = ", ".join(f'"{c}"' for c in FRAME_NAMES)
        frame = store.query_df(f"SELECT {columns} FROM observations WHERE source = ? "  # noqa: S608
                               "ORDER BY source_row NULLS LAST, period", ["fixture_download"])
        buffer = io.StringIO()
        neutral_frame(frame).to_csv(buffer, index=False, lineterminator="\n")
        for batch in (1, 3, 100):
            found = _observations_csv(page_reads.source_observations(store, "fixture_download", batch))
            assert found.decode() == buffer.getvalue()
        assert page_reads.source_span(store, "fixture_download") == (dt.date(2020, 1, 1), dt.date(2022, 6, 1))
        assert page_reads.source_span(store, "not_loaded") is None
