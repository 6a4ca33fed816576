"""The children page reads each series from one publisher (rows, not frames: issue #12)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from observatorio.publish.web.pages import one_publisher_per_series


def _row(source: str, month: int, accompaniment: str | None = "UNACCOMPANIED") -> dict[str, Any]:
    return {"source": source, "ref_area": "USA", "flow": "ENCOUNTER", "accompaniment": accompaniment,
            "age": "Y_LT18", "unit": "PERSONS", "period": dt.date(2024, month, 1), "value": 1.0}


def test_the_latest_month_speaks_and_a_primary_publisher_before_a_copy() -> None:
    kids = [_row("cbp_sw", 1), _row("iom_gdidata.cbp", 2), _row("ohss_usbp", 1),
            _row("cbp_sw", 3, "ACCOMPANIED"), _row("iom_gdidata.cbp", 3, "ACCOMPANIED")]
    kept, left_out = one_publisher_per_series(kids)
    # unaccompanied: the copy has the latest month; accompanied: same month, CBP's own file
    assert kept == [kids[1], kids[3]]
    assert left_out == ["ohss_usbp"]  # CBP's and IOM's files each speak for one series


def test_no_rows_no_publisher_left_out() -> None:
    assert one_publisher_per_series([]) == ([], [])


def test_a_series_without_a_code_is_one_series_too() -> None:
    kids = [_row("cbp_sw", 1, None), _row("iom_gdidata.cbp", 1, None)]
    assert one_publisher_per_series(kids) == ([kids[0]], ["iom_gdidata.cbp"])
