"""The indicator catalogue (``indicators.yaml``) as frozen definitions: what each indicator is.

The catalogue is data: a new indicator is a YAML entry, not code. Each entry has a ``kind``:

* ``flow`` — events or persons over a period, summed from one or more series selections
  (``combine: sum`` adds them; ``combine: coalesce`` takes, period by period, the first
  selection with a figure for the country; ``combine: coalesce_coverage`` the first selection
  whose source covers the period at all);
* ``stock`` — end-of-year stocks (never summed over periods);
* ``per_100k`` / ``pct_population`` — another indicator over the population of the country;
* ``share`` — one indicator over another, in percent (the numerator is a subset);
* ``yoy_pct`` — change against the same period a year earlier, in percent;
* ``rolling12`` — sum of the last twelve months.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from observatorio import yaml_load
from observatorio.analysis.series import SeriesSpec

CATALOGUE_PATH = Path(__file__).resolve().parent / "indicators.yaml"
KINDS = frozenset({"flow", "stock", "per_100k", "pct_population", "share", "yoy_pct", "rolling12"})
COMBINES = frozenset({"sum", "coalesce", "coalesce_coverage"})
BASE_KINDS = frozenset({"flow", "stock"})


@dataclass(frozen=True)
class Indicator:
    """One indicator definition."""

    id: str
    name_es: str
    name_en: str
    definition_es: str
    definition_en: str
    unit: str
    kind: str
    freq: str  # native frequency: "M" (monthly, also aggregated to years) or "A"
    subject: str  # what "country" means: nationals (citizenship) or the reporting country
    series: tuple[SeriesSpec, ...] = ()
    combine: str = "sum"
    numerator: str | None = None
    denominator: str | None = None
    base: str | None = None
    sources: tuple[str, ...] = ()
    caveats_es: tuple[str, ...] = ()
    caveats_en: tuple[str, ...] = ()
    group: str = ""

    def name(self, lang: str) -> str:
        return self.name_es if lang == "es" else self.name_en

    def definition(self, lang: str) -> str:
        return self.definition_es if lang == "es" else self.definition_en

    def caveats(self, lang: str) -> tuple[str, ...]:
        return self.caveats_es if lang == "es" else self.caveats_en

    def formula(self) -> str:
        """The computation written out (series selections and arithmetic), language-neutral."""
        if self.kind in BASE_KINDS:
            if self.combine == "sum":
                return " + ".join(s.describe() for s in self.series)
            return f"{self.combine}(" + " ⊕ ".join(s.describe() for s in self.series) + ")"
        if self.kind == "per_100k":
            return f"{self.numerator} / population × 100000"
        if self.kind == "pct_population":
            return f"{self.numerator} / population × 100"
        if self.kind == "share":
            return f"{self.numerator} / {self.denominator} × 100"
        if self.kind == "yoy_pct":
            return f"({self.base}[t] − {self.base}[t−12m]) / {self.base}[t−12m] × 100"
        return f"Σ {self.base}[t−11m … t]"

    def dependencies(self) -> tuple[str, ...]:
        """Indicators this one is computed from."""
        return tuple(x for x in (self.numerator, self.denominator, self.base) if x)


def _lang_pair(raw: Mapping[str, Any], key: str) -> tuple[str, str]:
    value = raw.get(key) or {}
    return str(value.get("es", "")), str(value.get("en", ""))


def _indicator(raw: Mapping[str, Any]) -> Indicator:
    kind = raw["kind"]
    if kind not in KINDS:
        raise ValueError(f"indicator {raw['id']!r}: unknown kind {kind!r}")
    if raw.get("combine", "sum") not in COMBINES:
        raise ValueError(f"indicator {raw['id']!r}: unknown combine {raw['combine']!r}")
    name_es, name_en = _lang_pair(raw, "name")
    def_es, def_en = _lang_pair(raw, "definition")
    caveats = raw.get("caveats") or {}
    return Indicator(
        id=raw["id"], name_es=name_es, name_en=name_en, definition_es=def_es, definition_en=def_en,
        unit=raw["unit"], kind=kind, freq=raw.get("freq", "A"), subject=raw.get("subject", "ref_area"),
        series=tuple(SeriesSpec.from_dict(s) for s in raw.get("series", ())),
        combine=raw.get("combine", "sum"), numerator=raw.get("numerator"),
        denominator=raw.get("denominator"), base=raw.get("base"),
        sources=tuple(raw.get("sources", ())),
        caveats_es=tuple(caveats.get("es", ())), caveats_en=tuple(caveats.get("en", ())),
        group=raw.get("group", ""),
    )


@dataclass(frozen=True)
class Catalogue:
    """Every indicator, in the catalogue's order."""

    indicators: tuple[Indicator, ...]
    population: str  # id of the population indicator used by rates

    def get(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    def __contains__(self, indicator_id: object) -> bool:
        return indicator_id in self.ids()


def parse_catalogue(data: Mapping[str, Any]) -> Catalogue:
    """Build and check the catalogue: unique ids, known dependencies, bilingual texts."""
    indicators = tuple(_indicator(r) for r in data["indicators"])
    ids = [i.id for i in indicators]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"indicator ids used twice: {sorted(dupes)}")
    for ind in indicators:
        missing = [d for d in ind.dependencies() if d not in ids]
        if missing:
            raise ValueError(f"indicator {ind.id!r} depends on unknown {missing}")
        if not (ind.name_es and ind.name_en and ind.definition_es and ind.definition_en):
            raise ValueError(f"indicator {ind.id!r} needs name and definition in es and en")
        if ind.kind in BASE_KINDS and not ind.series:
            raise ValueError(f"indicator {ind.id!r} of kind {ind.kind} needs series")
    population = data.get("population", "population")
    if population not in ids:
        raise ValueError(f"population indicator {population!r} is not in the catalogue")
    return Catalogue(indicators, population)


@cache
def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    """The bundled catalogue (cached)."""
    with path.open(encoding="utf-8") as fh:
        return parse_catalogue(yaml_load.safe_load(fh))
