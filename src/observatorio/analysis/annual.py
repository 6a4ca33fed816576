"""One yearly figure of an indicator for a country, as roles and action triggers use it.

Two rules, both written in the methodology:

* a year with fewer than 12 months published is *annualized* (value × 12 / months) when the
  indicator is a flow or a rate of a flow — shares, stocks and percentages of population are not;
* an indicator published only every few years (UN DESA stocks) may be carried forward up to
  ``max_age`` years; the evidence says which year the figure belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from observatorio.analysis.indicators import IndicatorEngine

#: Kinds whose yearly value scales with the number of months covered.
SCALABLE_KINDS = frozenset({"flow", "per_100k"})


@dataclass(frozen=True)
class YearFigure:
    """An indicator's figure for one country and year, with what it was computed from."""

    indicator: str
    country: str | None
    year: int  # the year asked for
    data_year: int  # the year the figure belongs to (earlier when carried forward)
    value: float
    numerator: float | None
    denominator: float | None
    months: int
    annualized: bool
    sources: tuple[str, ...]
    releases: dict[str, date] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator, "year": self.data_year, "value": self.value,
            "numerator": self.numerator, "denominator": self.denominator, "months": self.months,
            "annualized": self.annualized, "sources": list(self.sources),
            "releases": {k: v.isoformat() for k, v in self.releases.items()},
        }


def _scalable(engine: IndicatorEngine, indicator_id: str) -> bool:
    ind = engine.indicator(indicator_id)
    if ind.kind == "per_100k":
        return engine.indicator(ind.numerator or "").kind == "flow"
    return ind.kind == "flow"


def year_figure(
    engine: IndicatorEngine, indicator_id: str, country: str | None, year: int, max_age: int = 0
) -> YearFigure | None:
    """The indicator's yearly figure for ``year`` (or up to ``max_age`` years before), or None."""
    result = engine.compute(indicator_id, country, "A")
    for data_year in range(year, year - max_age - 1, -1):
        row = result.at(data_year)
        if row is None:
            continue
        months = 12 if _opt(row["months"]) is None else int(row["months"])
        value = float(row["value"])
        numerator = _opt(row["numerator"])
        annualized = False
        if months < 12 and months > 0 and _scalable(engine, indicator_id):
            value = value * 12 / months
            numerator = None if numerator is None else numerator * 12 / months
            annualized = True
        sources = tuple(s for s in str(row["sources"]).split(",") if s)
        return YearFigure(
            indicator=indicator_id, country=country, year=year, data_year=data_year, value=value,
            numerator=numerator, denominator=_opt(row["denominator"]), months=months,
            annualized=annualized, sources=sources,
            releases={s: r for s, r in result.releases.items() if s in sources},
        )
    return None


def _opt(value: Any) -> float | None:
    return None if value is None or value != value else float(value)
