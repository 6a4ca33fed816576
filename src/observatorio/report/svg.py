"""The portal's :class:`Chart` objects drawn as static vector SVG for printed bulletins.

The chart frame (series, label, x, value) is the one definition: the portal draws it with
Plotly in the browser, this module draws the very same frame as SVG for the PDF. Only the
kinds a bulletin uses are drawn (line, forecast, bar, stack, hbar, hstack); maps stay on the
portal. Output is deterministic (same chart → same bytes), so bulletins are reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape, quoteattr

import pandas as pd

from observatorio.i18n import fmt_number
from observatorio.publish.web.charts import BAND_FILL, FRAME_COLUMNS, PALETTE, Chart

DRAWN_KINDS = frozenset({"line", "forecast", "bar", "stack", "hbar", "hstack"})
WIDTH = 640
PLOT_HEIGHT = 220
FONT = 11
LEGEND_LINE = 15
CHAR_WIDTH = 0.56  # average glyph width of a sans-serif face, in font sizes (for wrapping)
MARGIN_LEFT = 76  # room for the rotated unit and tick labels in the millions
MARGIN_RIGHT = 14
MARGIN_TOP = 10
AXIS_BELOW = 26


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


def nice_ticks(high: float, count: int = 5) -> list[float]:
    """0 and round steps (1, 2, 2.5, 5 × 10^k) up to at least ``high``."""
    if high <= 0 or not math.isfinite(high):
        return [0.0, 1.0]
    raw = high / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(high / step - 1e-9)
    return [i * step for i in range(n + 1)]


def _num(value: float, lang: str) -> str:
    digits = 0 if float(value).is_integer() else 1
    return fmt_number(value, lang, digits)


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = FONT,
          rotate: bool = False) -> str:
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="#1a1a1a"{turn}>{escape(content)}</text>')


def _wrap(label: str, width: float, size: int = FONT) -> list[str]:
    limit = max(8, int(width / (size * CHAR_WIDTH)))
    lines: list[str] = []
    current = ""
    for word in label.split():
        if current and len(current) + 1 + len(word) > limit:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current] if current else lines or [""]


def _series(frame: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    order = list(dict.fromkeys(frame["series"]))
    return [(s, str(frame.loc[frame["series"] == s, "label"].iloc[0]),
             frame[frame["series"] == s]) for s in order]


def _legend(items: list[tuple[str, str, str]], top: float) -> tuple[list[str], float]:
    """Legend entries (colour, label, mark: line | box | dash) under the plot, wrapped."""
    out: list[str] = []
    y = top
    for colour, label, mark in items:
        lines = _wrap(label, WIDTH - MARGIN_LEFT - 30)
        if mark == "box":
            out.append(f'<rect x="{MARGIN_LEFT}" y="{y - 9:.1f}" width="14" height="10" fill="{colour}"/>')
        else:
            dash = ' stroke-dasharray="5 3"' if mark == "dash" else ""
            out.append(f'<line x1="{MARGIN_LEFT}" y1="{y - 4:.1f}" x2="{MARGIN_LEFT + 14}" '
                       f'y2="{y - 4:.1f}" stroke="{colour}" stroke-width="2.5"{dash}/>')
        for line in lines:
            out.append(_text(MARGIN_LEFT + 20, y, line))
            y += LEGEND_LINE
    return out, y


def _frame_for(chart: Chart) -> pd.DataFrame:
    """The chart's rows with a value, as a frame (the bulletin's drawing is pandas-side)."""
    if not chart.frame:
        return pd.DataFrame(columns=FRAME_COLUMNS)
    frame = pd.DataFrame.from_records(chart.frame)
    return frame[frame["value"].notna()]


def render_svg(chart: Chart) -> str:
    """The chart as a standalone SVG document (empty string for kinds drawn only online)."""
    if chart.kind not in DRAWN_KINDS or chart.empty:
        return ""
    frame = _frame_for(chart)
    horizontal = chart.kind in ("hbar", "hstack")
    if horizontal:
        categories = list(dict.fromkeys(str(v) for v in frame["x"]))
        plot_height = max(120.0, 22.0 * len(categories) + 10)
    else:
        plot_height = PLOT_HEIGHT
    left = MARGIN_LEFT
    if horizontal:
        longest = max((len(c) for c in categories), default=4)
        left = min(260, 14 + int(longest * FONT * CHAR_WIDTH))
    box = Box(left, MARGIN_TOP, WIDTH - left - MARGIN_RIGHT, plot_height)
    if chart.kind == "forecast":
        body, items = _forecast(chart, frame, box)
    elif horizontal:
        body, items = _hbars(chart, frame, box, categories)
    elif chart.kind in ("bar", "stack"):
        body, items = _bars(chart, frame, box)
    else:
        body, items = _lines(chart, frame, box)
    legend, bottom = _legend(items, box.bottom + AXIS_BELOW + 16)
    height = bottom + 4
    title = quoteattr(chart.title)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
            f'width="100%" role="img" aria-label={title} font-family="DejaVu Sans, sans-serif">'
            f"<title>{escape(chart.title)}</title>" + "".join(body) + "".join(legend) + "</svg>")


# -- value axis ----------------------------------------------------------------------------------


def _value_axis(chart: Chart, high: float, box: Box, vertical: bool) -> tuple[list[str], float]:
    ticks = nice_ticks(high)
    top = ticks[-1]
    out = []
    for tick in ticks:
        if vertical:
            y = box.bottom - tick / top * box.height
            out.append(f'<line x1="{box.left}" y1="{y:.1f}" x2="{box.right}" y2="{y:.1f}" '
                       f'stroke="#e0e0e0" stroke-width="0.8"/>')
            out.append(_text(box.left - 6, y + 4, _num(tick, chart.lang), anchor="end"))
        else:
            x = box.left + tick / top * box.width
            out.append(f'<line x1="{x:.1f}" y1="{box.top}" x2="{x:.1f}" y2="{box.bottom}" '
                       f'stroke="#e0e0e0" stroke-width="0.8"/>')
            out.append(_text(x, box.bottom + 14, _num(tick, chart.lang), anchor="middle"))
    if vertical:
        out.append(_text(10, box.top + box.height / 2, chart.unit, anchor="middle", size=10,
                         rotate=True))
    else:
        out.append(_text(box.right, box.bottom + 28, chart.unit, anchor="end", size=10))
    return out, top


def _y(value: float, top: float, box: Box) -> float:
    return box.bottom - min(value, top) / top * box.height


# -- time axis (line, forecast) ------------------------------------------------------------------


def _time_scale(xs: list[date], box: Box) -> tuple[dict[date, float], list[str]]:
    first, last = min(xs), max(xs)
    span = max(1, (last.year - first.year) * 12 + last.month - first.month)
    position = {x: box.left + ((x.year - first.year) * 12 + x.month - first.month) / span * box.width
                for x in xs}
    years = list(range(first.year, last.year + 1))
    every = max(1, math.ceil(len(years) / 8))
    marks = []
    for year in years[::every]:
        months = (year - first.year) * 12 + 1 - first.month
        if months < 0:
            continue
        x = box.left + months / span * box.width
        marks.append(f'<line x1="{x:.1f}" y1="{box.bottom}" x2="{x:.1f}" y2="{box.bottom + 4}" stroke="#757575"/>')
        marks.append(_text(x, box.bottom + 16, str(year), anchor="middle"))
    marks.append(f'<line x1="{box.left}" y1="{box.bottom}" x2="{box.right}" y2="{box.bottom}" stroke="#757575"/>')
    return position, marks


def _path(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))


def _lines(chart: Chart, frame: pd.DataFrame, box: Box) -> tuple[list[str], list[tuple[str, str, str]]]:
    xs = sorted({pd.Timestamp(v).date() for v in frame["x"]})
    position, marks = _time_scale(xs, box)
    axis, top = _value_axis(chart, float(frame["value"].max()), box, vertical=True)
    body = [*axis, *marks]
    items = []
    for i, (_code, label, part) in enumerate(_series(frame)):
        colour = PALETTE[i % len(PALETTE)]
        part = part.sort_values("x")
        points = [(position[pd.Timestamp(x).date()], _y(float(v), top, box))
                  for x, v in zip(part["x"], part["value"], strict=True)]
        body.append(f'<path d="{_path(points)}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
        items.append((colour, label, "line"))
    return body, items


def _forecast(chart: Chart, frame: pd.DataFrame, box: Box) -> tuple[list[str], list[tuple[str, str, str]]]:
    xs = sorted({pd.Timestamp(v).date() for v in frame["x"]})
    position, marks = _time_scale(xs, box)
    parts = {code: (label, part.sort_values("x")) for code, label, part in _series(frame)}
    high = float(chart.extra.get("y_max") or frame["value"].max())
    axis, top = _value_axis(chart, high, box, vertical=True)
    body = [*axis, *marks]
    items: list[tuple[str, str, str]] = []
    band_names: dict[str, str] = chart.extra.get("band_names", {})
    for level in ("95", "80"):
        if f"lo_{level}" not in parts or f"hi_{level}" not in parts:
            continue
        lo, hi = parts[f"lo_{level}"][1], parts[f"hi_{level}"][1]
        upper = [(position[pd.Timestamp(x).date()], _y(float(v), top, box)) for x, v in zip(hi["x"], hi["value"], strict=True)]
        lower = [(position[pd.Timestamp(x).date()], _y(float(v), top, box)) for x, v in zip(lo["x"], lo["value"], strict=True)]
        colour = BAND_FILL[level]
        body.append(f'<path d="{_path(upper + lower[::-1])} Z" fill="{colour}" stroke="none"/>')
        items.append((colour, band_names.get(level, parts[f"lo_{level}"][0]), "box"))
    for code, colour, mark in (("observed", PALETTE[0], "line"), ("mean", PALETTE[1], "dash")):
        if code not in parts:
            continue
        label, part = parts[code]
        points = [(position[pd.Timestamp(x).date()], _y(float(v), top, box)) for x, v in zip(part["x"], part["value"], strict=True)]
        dash = ' stroke-dasharray="5 3"' if mark == "dash" else ""
        body.append(f'<path d="{_path(points)}" fill="none" stroke="{colour}" stroke-width="1.8"{dash}/>')
        items.insert(len(items) - sum(1 for i in items if i[2] == "box"), (colour, label, mark))
    return body, items


# -- bars --------------------------------------------------------------------------------------------


def _categories(frame: pd.DataFrame) -> list[str]:
    return sorted(dict.fromkeys(str(v) for v in frame["x"]))


def _segments(series: list[tuple[str, str, pd.DataFrame]], stacked: bool) -> Iterator[tuple[int, str, float, float]]:
    """(series index, category, start, value) of every bar segment, stacked or side by side."""
    base: dict[str, float] = {}
    for i, (_code, _label, part) in enumerate(series):
        for x, v in zip(part["x"], part["value"], strict=True):
            category, value = str(x), float(v)
            low = base.get(category, 0.0) if stacked else 0.0
            if stacked:
                base[category] = low + value
            yield i, category, low, value


def _highest(frame: pd.DataFrame, stacked: bool) -> float:
    if stacked:
        return float(frame.assign(x=frame["x"].astype(str)).groupby("x")["value"].sum().max())
    return float(frame["value"].max())


def _boxes(series: list[tuple[str, str, pd.DataFrame]]) -> list[tuple[str, str, str]]:
    return [(PALETTE[i % len(PALETTE)], label, "box") for i, (_c, label, _p) in enumerate(series)]


def _bars(chart: Chart, frame: pd.DataFrame, box: Box) -> tuple[list[str], list[tuple[str, str, str]]]:
    cats = _categories(frame)
    series = _series(frame)
    stacked = chart.kind == "stack"
    axis, top = _value_axis(chart, _highest(frame, stacked), box, vertical=True)
    body = list(axis)
    slot = box.width / len(cats)
    bar = slot * 0.8 if stacked else slot * 0.8 / len(series)
    for i, category, low, value in _segments(series, stacked):
        left = box.left + cats.index(category) * slot + slot * 0.1 + (0 if stacked else i * bar)
        y0, y1 = _y(low, top, box), _y(low + value, top, box)
        body.append(f'<rect x="{left:.1f}" y="{y1:.1f}" width="{bar:.1f}" '
                    f'height="{max(0.0, y0 - y1):.1f}" fill="{PALETTE[i % len(PALETTE)]}"/>')
    every = max(1, math.ceil(len(cats) / 14))
    for j, c in enumerate(cats):
        if j % every == 0:
            body.append(_text(box.left + (j + 0.5) * slot, box.bottom + 16, c, anchor="middle"))
    body.append(f'<line x1="{box.left}" y1="{box.bottom}" x2="{box.right}" y2="{box.bottom}" stroke="#757575"/>')
    return body, _boxes(series)


def _hbars(chart: Chart, frame: pd.DataFrame, box: Box, cats: list[str]) -> tuple[list[str], list[tuple[str, str, str]]]:
    series = _series(frame)
    stacked = chart.kind == "hstack"
    axis, top = _value_axis(chart, _highest(frame, stacked), box, vertical=False)
    body = list(axis)
    slot = box.height / len(cats)
    thick = slot * 0.7 if stacked else slot * 0.7 / len(series)
    for i, category, low, value in _segments(series, stacked):
        y = box.top + cats.index(category) * slot + slot * 0.15 + (0 if stacked else i * thick)
        x0 = box.left + low / top * box.width
        body.append(f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(0.0, value / top * box.width):.1f}" '
                    f'height="{thick:.1f}" fill="{PALETTE[i % len(PALETTE)]}"/>')
    for j, c in enumerate(cats):
        body.append(_text(box.left - 6, box.top + (j + 0.5) * slot + 4, c, anchor="end"))
    body.append(f'<line x1="{box.left}" y1="{box.top}" x2="{box.left}" y2="{box.bottom}" stroke="#757575"/>')
    return body, _boxes(series)
