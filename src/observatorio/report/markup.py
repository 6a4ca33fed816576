"""A bulletin as one HTML document with print CSS (the PDF is this document printed)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from observatorio.i18n import fmt_month, fmt_number, t
from observatorio.report.model import Bulletin, Cell
from observatorio.report.svg import render_svg

TEMPLATES = Path(__file__).resolve().parent / "templates"


def format_cell(value: Cell, lang: str) -> str:
    """A table cell as printed: whole numbers without decimals, others with one."""
    if value is None:
        return "—"
    if isinstance(value, bool | str):
        return str(value)
    number = float(value)
    return fmt_number(number, lang, 0 if number.is_integer() else 1)


MIN_WEIGHT, MAX_WEIGHT = 4, 40


def column_widths(header: list[str], rows: list[list[Cell]], lang: str) -> list[float]:
    """Column widths in % from the longest text of each column (bounded): tables are laid out
    with fixed widths, which spares the printer measuring every break opportunity."""
    weights = []
    for i, title in enumerate(header):
        cells = [format_cell(r[i], lang) for r in rows if i < len(r)]
        longest = max((len(c) for c in cells), default=0)
        widest_word = max((len(w) for w in title.split()), default=0)
        weights.append(min(MAX_WEIGHT, max(MIN_WEIGHT, longest, widest_word + 1)))
    total = sum(weights) or 1
    return [round(100 * w / total, 2) for w in weights]


@lru_cache(maxsize=4)  # one per language
def _env(lang: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["cell"] = lambda v: format_cell(v, lang)
    env.globals["widths"] = lambda table: column_widths(table.header, table.rows, lang)
    env.filters["align"] = lambda v: "num" if isinstance(v, int | float) and not isinstance(v, bool) else ""
    return env


def render_html(bulletin: Bulletin, created: datetime | None = None) -> str:
    """The bulletin's HTML; ``created`` (the only thing that changes between two identical
    runs) goes into the document's metadata only."""
    lang = bulletin.lang
    template = _env(lang).get_template("bulletin.html")
    svgs = {id(c): render_svg(c) for c in bulletin.charts()}
    return template.render(
        b=bulletin, t=lambda key, **v: t(key, lang, **v), month=fmt_month(bulletin.period, lang),
        css=(TEMPLATES / "bulletin.css").read_text(encoding="utf-8"),
        svgs=_ById(svgs), created=created.isoformat(timespec="seconds") if created else "")


class _ById(dict[int, str]):
    """Charts are unhashable dataclasses: look their SVG up by identity."""

    def __getitem__(self, chart: object) -> str:
        return super().__getitem__(id(chart))
