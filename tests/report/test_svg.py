"""The portal's Chart objects drawn as SVG: every kind a bulletin prints, well-formed and stable."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pandas as pd
import pytest

from observatorio.publish.web.charts import PALETTE, Chart
from observatorio.report.svg import nice_ticks, render_svg

SVG = "{http://www.w3.org/2000/svg}"


def _chart(kind: str, frame: pd.DataFrame, *, x_is_date: bool = False, **extra: object) -> Chart:
    # a chart's frame is rows (charts.py); the tests write theirs as frames for brevity
    return Chart(id="c", title="Título <&>", unit="personas", sources=["S"], kind=kind,
                 frame=frame.to_dict("records"), csv_url="", lang="es", x_is_date=x_is_date,
                 extra=dict(extra))


MONTHS = [date(2023, m, 1) for m in range(1, 13)]
LINE = pd.DataFrame({"series": ["a"] * 12 + ["b"] * 12, "label": ["Serie A"] * 12 + ["Serie B"] * 12,
                     "x": MONTHS * 2, "value": [float(1000 * m) for m in range(24)]})
BARS = pd.DataFrame({"series": ["a", "a", "b", "b"], "label": ["A", "A", "B", "B"],
                     "x": ["2022", "2023", "2022", "2023"], "value": [1.0, 2_000_000.0, 3.0, 4.0]})
FORECAST = pd.concat([
    pd.DataFrame({"series": "observed", "label": "Observado", "x": MONTHS[:6], "value": [5.0] * 6}),
    *[pd.DataFrame({"series": code, "label": code, "x": MONTHS[6:], "value": [v] * 6})
      for code, v in (("mean", 5.0), ("lo_80", 4.0), ("hi_80", 6.0), ("lo_95", 3.0), ("hi_95", 7.0))],
], ignore_index=True)


@pytest.mark.parametrize(("kind", "frame", "dates"), [
    ("line", LINE, True), ("bar", BARS, False), ("stack", BARS, False), ("hbar", BARS, False),
    ("hstack", BARS, False), ("forecast", FORECAST, True)])
def test_each_kind_is_well_formed_titled_and_stable(kind: str, frame: pd.DataFrame, dates: bool) -> None:
    chart = _chart(kind, frame, x_is_date=dates, band_names={"80": "80 %", "95": "95 %"})
    svg = render_svg(chart)
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}title").text == "Título <&>"  # type: ignore[union-attr]
    assert root.get("role") == "img"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "personas" in texts
    assert svg == render_svg(chart)  # same chart, same bytes
    assert PALETTE[0] in svg


def test_spanish_ticks_and_legend() -> None:
    svg = render_svg(_chart("stack", BARS))
    assert "2.000.000" in svg  # the axis reaches the stacked total, in Spanish notation
    assert ">A<" in svg and ">B<" in svg


def test_maps_and_empty_charts_are_left_to_the_portal() -> None:
    assert render_svg(_chart("choropleth", BARS)) == ""
    assert render_svg(_chart("line", LINE.iloc[0:0])) == ""


def test_nice_ticks_cover_the_maximum_with_round_steps() -> None:
    assert nice_ticks(2_475_669) == [0, 500_000, 1_000_000, 1_500_000, 2_000_000, 2_500_000]
    assert nice_ticks(0) == [0.0, 1.0]
