"""Country roles (origin, transit, destination, return) scored from population-scaled indicators.

The method and every threshold live in ``roles.yaml``; this module only applies them and
keeps the evidence (figures, years, sources, releases) behind each score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from observatorio import yaml_load
from observatorio.analysis.annual import YearFigure, year_figure
from observatorio.analysis.indicators import IndicatorEngine
from observatorio.analysis.indicators_batch import prime_yearly
from observatorio.errors import NoPopulationFigures
from observatorio.model.codelists import CRM_MEMBERS

ROLES_PATH = Path(__file__).resolve().parent / "roles.yaml"
ROLE_IDS: tuple[str, ...] = ("origin", "transit", "destination", "return")
LEVELS: tuple[str, ...] = ("high", "moderate", "low", "no_data")


@dataclass(frozen=True)
class Signal:
    """One indicator read for a role, with its two thresholds."""

    indicator: str
    moderate: float
    high: float
    max_age: int = 0
    indirect: bool = False

    def score(self, value: float) -> float:
        """0.5 at ``moderate``, 1 at ``high``, on a log scale, clipped to [0, 1]."""
        if value <= 0:
            return 0.0
        raw = 0.5 + 0.5 * math.log(value / self.moderate) / math.log(self.high / self.moderate)
        return min(1.0, max(0.0, raw))


@dataclass(frozen=True)
class RoleDef:
    """A role: its names, description and signals."""

    id: str
    name_es: str
    name_en: str
    description_es: str
    description_en: str
    signals: tuple[Signal, ...]

    def name(self, lang: str) -> str:
        return self.name_es if lang == "es" else self.name_en

    def description(self, lang: str) -> str:
        return self.description_es if lang == "es" else self.description_en


@dataclass(frozen=True)
class Method:
    """The whole method: roles, the score at which a role is held, and at which it is high."""

    roles: tuple[RoleDef, ...]
    held_at: float
    high_at: float

    def role(self, role_id: str) -> RoleDef:
        for r in self.roles:
            if r.id == role_id:
                return r
        raise KeyError(role_id)

    def level(self, score: float | None) -> str:
        if score is None:
            return "no_data"
        if score >= self.high_at:
            return "high"
        return "moderate" if score >= self.held_at else "low"


def parse_method(data: Mapping[str, Any]) -> Method:
    """Build the method from its YAML mapping (checks thresholds are ordered and positive)."""
    roles = []
    for role_id, raw in data["roles"].items():
        signals = []
        for s in raw["signals"]:
            sig = Signal(s["indicator"], float(s["moderate"]), float(s["high"]), int(s.get("max_age", 0)),
                         s.get("evidence") == "indirect")
            if not 0 < sig.moderate < sig.high:
                raise ValueError(f"role {role_id}: {sig.indicator} needs 0 < moderate < high")
            signals.append(sig)
        roles.append(RoleDef(role_id, raw["name"]["es"], raw["name"]["en"], raw["description"]["es"],
                             raw["description"]["en"], tuple(signals)))
    if tuple(r.id for r in roles) != ROLE_IDS:
        raise ValueError(f"roles.yaml must define exactly {ROLE_IDS}")
    score = data.get("score", {})
    return Method(tuple(roles), float(score.get("held_at", 0.5)), float(score.get("high_at", 1.0)))


@cache
def load_method(path: Path = ROLES_PATH) -> Method:
    with path.open(encoding="utf-8") as fh:
        return parse_method(yaml_load.safe_load(fh))


@dataclass(frozen=True)
class SignalResult:
    """A signal's figure (or its absence) and score for one country and year."""

    signal: Signal
    figure: YearFigure | None
    score: float | None

    def as_dict(self, engine: IndicatorEngine, lang: str) -> dict[str, Any]:
        ind = engine.indicator(self.signal.indicator)
        out: dict[str, Any] = {
            "indicator": ind.id, "name": ind.name(lang), "unit": ind.unit,
            "moderate": self.signal.moderate, "high": self.signal.high,
            "indirect": self.signal.indirect, "score": _round(self.score),
        }
        if self.figure is None:
            out.update({"value": None, "year": None, "sources": [], "releases": {}})
        else:
            fig = self.figure.as_dict()
            fig.pop("indicator")
            out.update(fig)
        return out


@dataclass(frozen=True)
class RoleResult:
    """One role of one country in one year."""

    role: RoleDef
    score: float | None
    level: str
    signals: tuple[SignalResult, ...]

    @property
    def held(self) -> bool:
        return self.level in ("high", "moderate")

    def strongest(self) -> SignalResult | None:
        scored = [s for s in self.signals if s.score is not None]
        return max(scored, key=lambda s: s.score or 0.0) if scored else None

    def as_dict(self, engine: IndicatorEngine, lang: str) -> dict[str, Any]:
        return {
            "role": self.role.id, "name": self.role.name(lang), "score": _round(self.score),
            "level": self.level, "held": self.held,
            "evidence": [s.as_dict(engine, lang) for s in self.signals],
        }


@dataclass(frozen=True)
class CountryRoles:
    """Every role of one country in one year."""

    country: str
    year: int
    roles: tuple[RoleResult, ...]

    def role(self, role_id: str) -> RoleResult:
        for r in self.roles:
            if r.role.id == role_id:
                return r
        raise KeyError(role_id)

    def held(self) -> tuple[str, ...]:
        return tuple(r.role.id for r in self.roles if r.held)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def assess(engine: IndicatorEngine, country: str, year: int, method: Method | None = None) -> CountryRoles:
    """Score every role of ``country`` in ``year``."""
    method = method or load_method()
    results = []
    for role in method.roles:
        signals = []
        for sig in role.signals:
            fig = year_figure(engine, sig.indicator, country, year, sig.max_age)
            signals.append(SignalResult(sig, fig, None if fig is None else sig.score(fig.value)))
        scores = [s.score for s in signals if s.score is not None]
        score = max(scores) if scores else None
        results.append(RoleResult(role, score, method.level(score), tuple(signals)))
    return CountryRoles(country, year, tuple(results))


def default_year(engine: IndicatorEngine, countries: tuple[str, ...] = CRM_MEMBERS) -> int:
    """The latest year with a population figure for every country asked about."""
    years: set[int] | None = None
    prime_yearly(engine, (engine.catalogue.population,), countries)
    for c in countries:
        rows = engine.compute(engine.catalogue.population, c, "A").frame
        have = {r["period"].year for r in rows if r["value"] is not None}
        years = have if years is None else years & have
    if not years:
        raise NoPopulationFigures(countries=", ".join(countries))
    return max(years)

