"""Charts as data: one tidy frame per chart gives the Plotly figure, the CSV and the text table.

The frame is the single truth of a chart: the figure is drawn from it, the "download these
numbers" CSV is the same frame written out, and the accessible table is the same frame pivoted.
A frame is plain rows (``list[dict]``, store/rows.py: a server worker never imports pandas).
Frame columns: ``series`` (code), ``label`` (legend name), ``x`` (date, category or ISO3),
``value``; point maps add ``lon``, ``lat`` (and ``x`` holds the place label); bar charts may add
``partial``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from observatorio.formula_guard import neutral_value
from observatorio.i18n import fmt_month, fmt_number, number_separators

#: Okabe–Ito: distinguishable with colour-blindness, each ≥ 3:1 against white except yellow,
#: which is left out.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000", "#8C564B",
)  # fmt: skip
SEQUENTIAL = [[0.0, "#deebf7"], [0.5, "#6baed6"], [1.0, "#08306b"]]
NO_DATA_FILL = "#bdbdbd"
NEIGHBOUR_FILL = "#f2f2f2"
FRAME_COLUMNS = ["series", "label", "x", "value"]
#: The members' map: every member whole, Canada's Arctic included (lon range, lat range).
NORTH_AMERICA = ((-150, -50), (5, 80))
CONIC = {"type": "conic conformal", "parallels": [15, 55], "rotation": {"lon": -95}}
MAX_TABLE_ROWS = 120


@dataclass
class Chart:
    """Everything a page needs to draw one chart and describe it."""

    id: str
    title: str
    unit: str
    sources: list[str]  # "Publisher — title (release …)" lines
    kind: str  # line | forecast | bar | stack | hbar | hstack | choropleth | points
    frame: list[dict[str, Any]]  # the chart frame's rows (module docstring)
    csv_url: str
    lang: str
    description: str = ""
    note: str = ""
    x_is_date: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # choropleth options, shapes url…

    @property
    def empty(self) -> bool:
        return not self.frame

    def figure_json(self) -> str:
        """The Plotly figure (data + layout) as JSON for the page's script."""
        return json.dumps(figure(self), ensure_ascii=False, separators=(",", ":"))

    def csv(self) -> str:
        return chart_csv(self.frame)

    def table(self) -> tuple[list[str], list[list[str]], bool]:
        """Header, formatted rows and whether rows were cut (the CSV has them all)."""
        return text_table(self)


def tidy(frame: list[dict[str, Any]], *, series: str, label: str, x: str,
         value: str = "value") -> list[dict[str, Any]]:
    """Rename query rows into the chart frame (series, label, x, value)."""
    return [{"series": str(row[series]), "label": str(row[label]), "x": row[x],
             "value": _as_float(row[value])} for row in frame]


def _as_float(value: Any) -> float:
    # a missing value stays NaN, as a float column holds it (the CSV writes it empty)
    return math.nan if value is None else float(value)


def chart_csv(frame: list[dict[str, Any]]) -> str:
    """The numbers drawn, as CSV (dates ISO, values as plain numbers)."""
    buffer = io.StringIO()
    columns = list(dict.fromkeys(name for row in frame for name in row)) or FRAME_COLUMNS
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutral_value(c) for c in columns])
    for row in frame:
        writer.writerow([_csv_cell(row.get(c), c) for c in columns])
    return buffer.getvalue()


def _csv_cell(value: Any, column: str) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column == "x":
        value = _iso(value)
    return neutral_value(value)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _plain(value: Any) -> Any:
    """A JSON-safe number (whole numbers as int so the CSV and the chart print alike)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _layout(chart: Chart) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "separators": number_separators(chart.lang),
        "margin": {"l": 60, "r": 20, "t": 10, "b": 40},
        "height": 360,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": "system-ui, sans-serif", "size": 13, "color": "#1a1a1a"},
        "colorway": list(PALETTE),
        "legend": {"orientation": "h", "y": -0.18},
        "hovermode": "closest",
    }
    if chart.kind in ("line", "forecast", "bar", "stack"):
        layout["yaxis"] = {"title": {"text": chart.unit, "standoff": 8}, "rangemode": "tozero",
                           "gridcolor": "#e0e0e0", "tickformat": ",~r", "automargin": True}
        layout["xaxis"] = {"gridcolor": "#f0f0f0", "automargin": True}
        if chart.x_is_date:
            layout["xaxis"]["type"] = "date"
        else:
            # years as categories, in order whatever series comes first
            layout["xaxis"].update(type="category", categoryorder="category ascending")
        if chart.kind == "stack":
            layout["barmode"] = "stack"
        if chart.extra.get("y_max"):
            # a forecast's far 95% band would flatten the history: the axis stops above the
            # history and the 80% band (the page says so; the table and CSV have every value)
            layout["yaxis"]["range"] = [0, chart.extra["y_max"]]
        if chart.kind == "forecast":
            # Plotly reverses the legend of filled traces; keep observed, mean, 80%, 95%
            layout["legend"]["traceorder"] = "normal"
    elif chart.kind in ("hbar", "hstack"):
        n = len(set(_col(chart.frame, "x"))) if chart.frame else 1
        layout["height"] = max(260, 60 + 28 * n)
        layout["margin"]["l"] = 10
        # the same number format as the vertical charts: "2.000" / "2,000", never "2k" or "2000"
        layout["xaxis"] = {"title": {"text": chart.unit}, "gridcolor": "#e0e0e0", "automargin": True,
                           "tickformat": ",~r"}
        layout["yaxis"] = {"autorange": "reversed", "type": "category", "automargin": True}
        if chart.kind == "hstack":
            layout["barmode"] = "stack"
    else:
        layout["height"] = 520
        layout["margin"] = {"l": 0, "r": 0, "t": 0, "b": 0}
        lon, lat = chart.extra.get("view", NORTH_AMERICA)
        layout["geo"] = {
            # No base layers: Plotly then needs no world topojson of its own; our shapes and
            # the (served) topojson URL keep every request on this server. A conic projection
            # shows the whole of Canada without Mercator's polar stretch.
            "visible": False, "projection": chart.extra.get("projection", CONIC),
            "lonaxis": {"range": list(lon)}, "lataxis": {"range": list(lat)},
            "showland": False, "showcoastlines": False, "showcountries": False,
            "showocean": False, "showlakes": False, "showrivers": False, "showframe": False,
            "bgcolor": "#ffffff",
        }
        if chart.extra.get("land"):
            # the world's land under our shapes (served from this server, see assets), for
            # maps whose points reach past the region, in the neighbours' pale fill
            layout["geo"].update({"visible": True, "resolution": 110, "showland": True,
                                  "landcolor": NEIGHBOUR_FILL})
    return layout


def figure(chart: Chart) -> dict[str, Any]:
    """Plotly figure dict drawn from the chart frame only."""
    builders = {"line": _line_traces, "forecast": _forecast_traces, "bar": _bar_traces, "stack": _bar_traces,
                "hbar": _hbar_traces, "hstack": _hbar_traces,
                "choropleth": _choropleth_traces, "points": _point_traces}
    return {"data": builders[chart.kind](chart), "layout": _layout(chart)}


def _series(frame: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Each series' code, label (its first row's) and rows, in order of first appearance."""
    parts: dict[str, list[dict[str, Any]]] = {}
    for row in frame:
        parts.setdefault(row["series"], []).append(row)
    return [(code, str(rows[0]["label"]), rows) for code, rows in parts.items()]


def _col(rows: list[dict[str, Any]], name: str) -> list[Any]:
    """One column of some frame rows, in row order."""
    return [row[name] for row in rows]


def _hover(chart: Chart, axis: str) -> str:
    return f"%{{fullData.name}}<br>%{{x}}: %{{{axis}:,.0f}} {chart.unit}<extra></extra>" if axis == "y" \
        else f"%{{fullData.name}}<br>%{{y}}: %{{x:,.0f}} {chart.unit}<extra></extra>"


def _line_traces(chart: Chart) -> list[dict[str, Any]]:
    return [{"type": "scatter", "mode": "lines", "name": label, "meta": code,
             "x": [_iso(v) for v in _col(part, "x")], "y": [_plain(v) for v in _col(part, "value")],
             "hovertemplate": _hover(chart, "y"), "line": {"width": 2}}
            for code, label, part in _series(chart.frame)]


#: Forecast frame series, in drawing order: each lower band limit fills up to the upper one
#: drawn just before it (Plotly "tonexty"), then the observed line and the mean forecast.
FORECAST_SERIES: tuple[str, ...] = ("hi_95", "lo_95", "hi_80", "lo_80", "observed", "mean")
BAND_FILL = {"95": "rgba(0, 114, 178, 0.15)", "80": "rgba(0, 114, 178, 0.32)"}
LEGEND_RANK = {"observed": 1, "mean": 2, "lo_80": 3, "lo_95": 4}


def _forecast_traces(chart: Chart) -> list[dict[str, Any]]:
    """History, mean forecast and its 80% and 95% bands (filled between the two limits)."""
    parts = {code: (label, part) for code, label, part in _series(chart.frame)}
    band_names: dict[str, str] = chart.extra.get("band_names", {})
    traces = []
    for code in FORECAST_SERIES:
        if code not in parts:
            continue
        label, part = parts[code]
        trace: dict[str, Any] = {
            "type": "scatter", "mode": "lines", "name": label, "meta": code,
            "x": [_iso(v) for v in _col(part, "x")], "y": [_plain(v) for v in _col(part, "value")],
            "hovertemplate": _hover(chart, "y"), "legendrank": LEGEND_RANK.get(code, 5),
        }
        level = code[-2:]
        if code.startswith("hi_"):
            trace.update(line={"width": 0, "color": BAND_FILL[level]}, showlegend=False)
        elif code.startswith("lo_"):
            # the legend names the band; the hover names the limit
            trace.update(line={"width": 0, "color": BAND_FILL[level]}, fill="tonexty",
                         fillcolor=BAND_FILL[level], name=band_names.get(level, label),
                         hovertemplate=f"{label}<br>%{{x}}: %{{y:,.0f}} {chart.unit}<extra></extra>")
        elif code == "mean":
            trace["line"] = {"width": 2, "dash": "dash", "color": PALETTE[1]}
        else:
            trace["line"] = {"width": 2, "color": PALETTE[0]}
        traces.append(trace)
    return traces


def _bar_traces(chart: Chart) -> list[dict[str, Any]]:
    traces = []
    for code, label, part in _series(chart.frame):
        trace: dict[str, Any] = {
            "type": "bar", "name": label, "meta": code,
            "x": [str(_iso(v)) for v in _col(part, "x")], "y": [_plain(v) for v in _col(part, "value")],
            "hovertemplate": _hover(chart, "y")}
        if any("partial" in row for row in part) and any(_col(part, "partial")):
            # a partial year is hatched and names its months on the bar ("oct–dic")
            trace["marker"] = {"pattern": {"shape": ["/" if p else "" for p in _col(part, "partial")],
                                           "solidity": 0.45}}
            trace["text"] = [str(p) for p in _col(part, "partial")]
            trace["textposition"] = "outside"
            trace["cliponaxis"] = False
        traces.append(trace)
    return traces


def _hbar_traces(chart: Chart) -> list[dict[str, Any]]:
    return [{"type": "bar", "orientation": "h", "name": label, "meta": code,
             "y": [str(v) for v in _col(part, "x")], "x": [_plain(v) for v in _col(part, "value")],
             "hovertemplate": _hover(chart, "x")}
            for code, label, part in _series(chart.frame)]


def _shapes_trace(locations: list[str], fill: str, name: str, geojson: str) -> dict[str, Any]:
    return {"type": "choropleth", "geojson": geojson, "featureidkey": "id", "name": name,
            "locations": locations, "z": [1] * len(locations), "showscale": False,
            "colorscale": [[0, fill], [1, fill]], "hoverinfo": "skip",
            "marker": {"line": {"color": "#757575", "width": 0.6}}, "meta": "shapes"}


def _choropleth_traces(chart: Chart) -> list[dict[str, Any]]:
    geojson = chart.extra["geojson_url"]
    members: list[str] = chart.extra["members"]
    neighbours: list[str] = chart.extra["neighbours"]
    drawn = [row for row in chart.frame if not _missing(row["value"])]
    missing = [m for m in members if m not in set(_col(drawn, "x"))]
    traces = [_shapes_trace(neighbours, NEIGHBOUR_FILL, chart.extra["neighbours_label"], geojson)]
    if missing:
        trace = _shapes_trace(missing, NO_DATA_FILL, chart.extra["no_data_label"], geojson)
        trace["meta"] = "no_data"
        trace["text"] = [chart.extra["names"].get(m, m) for m in missing]
        trace["hovertemplate"] = "%{text}: " + chart.extra["no_data_label"] + "<extra></extra>"
        trace.pop("hoverinfo")
        traces.append(trace)
    names = chart.extra["names"]
    values = [_plain(v) for v in _col(drawn, "value")]
    # Colour by the logarithm: members differ by orders of magnitude (USA vs Belize), and a
    # linear scale paints Central America one colour. The legend is labelled in real values;
    # the hover and customdata keep the exact figure.
    z, ticks = log_colour(values)
    traces.append({
        "type": "choropleth", "geojson": geojson, "featureidkey": "id", "meta": "values",
        "name": chart.title, "locations": list(_col(drawn, "x")), "z": z, "customdata": values,
        "text": [names.get(iso, iso) for iso in _col(drawn, "x")],
        "colorscale": SEQUENTIAL, "marker": {"line": {"color": "#1a1a1a", "width": 0.8}},
        "colorbar": {"title": {"text": f"{chart.unit}<br>{chart.extra.get('log_label', '')}",
                               "side": "top"},
                     "thickness": 14, "tickvals": [math.log10(t) for t in ticks],
                     "ticktext": [fmt_number(t, chart.lang) for t in ticks]},
        "hovertemplate": "%{text}: %{customdata:,.0f} " + chart.unit + "<extra></extra>",
    })
    return traces


def log_colour(values: list[Any]) -> tuple[list[float | None], list[float]]:
    """log10 of each value (None where not positive) and the legend's ticks (1, 10, 100… and
    the 2 and 5 between them when the range is short), in real values."""
    z = [math.log10(v) if v and v > 0 else None for v in values]
    shown = [v for v in z if v is not None]
    if not shown:
        return z, []
    low, high = math.floor(min(shown)), math.ceil(max(shown))
    steps = (1, 2, 5) if high - low <= 3 else (1,)
    ticks = [m * 10.0 ** e for e in range(low, high + 1) for m in steps
             if min(shown) - 1e-9 <= math.log10(m * 10.0 ** e) <= max(shown) + 1e-9]
    return z, ticks or [10 ** min(shown)]


def _point_size(value: float, peak: float) -> float:
    """Circle diameter in px: area proportional to the value, the largest 30 px."""
    return max(4.0, 30 * (value / peak) ** 0.5) if peak else 4.0


def _nice(value: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ not above ``value``."""
    if value < 1:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return max(m * power for m in (1, 2, 5) if m * power <= value)


#: Where the circles' size legend sits on the deaths map (the Pacific, off South America).
SIZE_LEGEND_AT = (-117.0, (-6.0, -13.0, -21.0))


def _point_traces(chart: Chart) -> list[dict[str, Any]]:
    geojson = chart.extra["geojson_url"]
    traces = [_shapes_trace(chart.extra["shapes"], NEIGHBOUR_FILL, chart.extra["shapes_label"],
                            geojson)]
    frame = chart.frame
    peak = float(max(_col(frame, "value"))) if frame else 1.0
    for i, (code, label, part) in enumerate(_series(frame)):
        values = [_plain(v) for v in _col(part, "value")]
        traces.append({
            "type": "scattergeo", "mode": "markers", "name": label, "meta": code,
            "lon": [float(v) for v in _col(part, "lon")], "lat": [float(v) for v in _col(part, "lat")],
            "text": [str(v) for v in _col(part, "x")], "customdata": values,
            "marker": {"size": [_point_size(float(v or 0), peak) for v in values],
                       "color": PALETTE[(i + 1) % len(PALETTE)], "opacity": 0.6,
                       "line": {"width": 0.5, "color": "#ffffff"}},
            "hovertemplate": "%{text}<br>%{customdata:,.0f} " + chart.unit + "<extra>" + label
                             + "</extra>",
        })
    if frame:
        # the circles' scale, drawn on the map: three reference circles with their values
        refs = sorted({_nice(peak), _nice(peak / 5), _nice(peak / 25)}, reverse=True)
        lon, lats = SIZE_LEGEND_AT
        traces.append({
            "type": "scattergeo", "mode": "markers+text", "meta": "size_legend",
            "name": chart.unit, "showlegend": False, "hoverinfo": "skip",
            "lon": [lon] * len(refs), "lat": list(lats[:len(refs)]),
            "text": [f"{fmt_number(r, chart.lang)} {chart.unit}" for r in refs],
            "textposition": "middle right", "textfont": {"size": 12, "color": "#1a1a1a"},
            "marker": {"size": [_point_size(r, peak) for r in refs], "color": "rgba(0,0,0,0)",
                       "line": {"width": 1.2, "color": "#4a4a4a"}},
        })
    return traces


def _missing(value: Any) -> bool:
    return value is None or value != value  # NaN is the one value unequal to itself


def _fmt(value: Any, lang: str) -> str:
    return fmt_number(None if _missing(value) else float(value), lang)


def text_table(chart: Chart) -> tuple[list[str], list[list[str]], bool]:
    """The chart as a table: one row per x, one column per series (formatted for the language)."""
    frame = chart.frame
    if not frame:
        return [], [], False
    lang = chart.lang
    if chart.kind == "points":
        top = sorted(frame, key=lambda row: row["value"], reverse=True)[:MAX_TABLE_ROWS]
        rows = [[str(row["x"]), str(row["label"]), fmt_number(float(row["value"]), lang)]
                for row in top]
        return ["", "", chart.unit], rows, len(frame) > len(top)
    series = _series(frame)
    xs = list(dict.fromkeys(_col(frame, "x")))
    if chart.x_is_date:
        xs = sorted(xs)
    cut = len(xs) > MAX_TABLE_ROWS
    xs = xs[-MAX_TABLE_ROWS:]
    lookup = {(row["series"], row["x"]): row["value"] for row in frame}
    header = [""] + [label for _, label, _ in series]
    rows = []
    for x in xs:
        shown = fmt_month(x, lang) if chart.x_is_date and isinstance(x, date) else str(
            chart.extra.get("names", {}).get(x, x))
        rows.append([shown] + [_fmt(lookup.get((code, x)), lang) for code, _, _ in series])
    return header, rows, cut
