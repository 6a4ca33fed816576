"""The CRM action matrix (``actions.yaml``): actions by role × sub-theme and their triggers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from observatorio import yaml_load
from observatorio.analysis.annual import YearFigure, year_figure
from observatorio.analysis.indicators import IndicatorEngine
from observatorio.analysis.roles import ROLE_IDS, load_method

ACTIONS_PATH = Path(__file__).resolve().parent / "actions.yaml"
SUBTHEME_IDS: tuple[str, ...] = ("consular", "rights", "integration", "children")
TESTS = frozenset({"above", "below", "rising"})


@dataclass(frozen=True)
class Trigger:
    """A condition on an indicator that makes an action urgent."""

    indicator: str
    test: str
    threshold: float
    scope: str = "country"  # "region": the indicator for every country together



@dataclass(frozen=True)
class Action:
    """One line of action of the CRM work plan for a role and sub-theme."""

    id: str
    role: str
    subtheme: str
    text_es: str
    text_en: str
    triggers: tuple[Trigger, ...]

    def text(self, lang: str) -> str:
        return self.text_es if lang == "es" else self.text_en


@dataclass(frozen=True)
class Matrix:
    """The whole matrix and the sub-themes' names."""

    actions: tuple[Action, ...]
    subthemes: Mapping[str, Mapping[str, str]]

    def lookup(self, role: str | None = None, subtheme: str | None = None) -> tuple[Action, ...]:
        """Actions for a role and/or sub-theme, in the file's order."""
        return tuple(a for a in self.actions
                     if (role is None or a.role == role) and (subtheme is None or a.subtheme == subtheme))

    def subtheme_name(self, subtheme: str, lang: str) -> str:
        return self.subthemes[subtheme]["en" if lang == "en" else "es"]


def parse_matrix(data: Mapping[str, Any], known_indicators: tuple[str, ...] | None = None) -> Matrix:
    """Build and check the matrix: known roles, sub-themes, tests and indicators."""
    actions = []
    for raw in data["actions"]:
        if raw["role"] not in ROLE_IDS or raw["subtheme"] not in SUBTHEME_IDS:
            raise ValueError(f"action {raw['id']!r}: unknown role or sub-theme")
        triggers = tuple(Trigger(t["indicator"], t["test"], float(t["threshold"]), t.get("scope", "country"))
                         for t in raw.get("triggers", ()))
        for trig in triggers:
            if trig.test not in TESTS:
                raise ValueError(f"action {raw['id']!r}: unknown test {trig.test!r}")
            if known_indicators is not None and trig.indicator not in known_indicators:
                raise ValueError(f"action {raw['id']!r}: unknown indicator {trig.indicator!r}")
        actions.append(Action(raw["id"], raw["role"], raw["subtheme"], raw["text"]["es"], raw["text"]["en"],
                              triggers))
    ids = [a.id for a in actions]
    if len(ids) != len(set(ids)):
        raise ValueError("action ids must be unique")
    return Matrix(tuple(actions), data["subthemes"])


@cache
def load_matrix(path: Path = ACTIONS_PATH) -> Matrix:
    from observatorio.analysis.catalogue import load_catalogue

    with path.open(encoding="utf-8") as fh:
        return parse_matrix(yaml_load.safe_load(fh), load_catalogue().ids())


@dataclass(frozen=True)
class TriggerResult:
    """A trigger evaluated for a country and year."""

    trigger: Trigger
    figure: YearFigure | None
    previous: YearFigure | None
    measured: float | None  # the value compared with the threshold (a change for "rising")
    met: bool | None  # None: no data

    def as_dict(self, engine: IndicatorEngine, lang: str) -> dict[str, Any]:
        ind = engine.indicator(self.trigger.indicator)
        return {
            "indicator": ind.id, "name": ind.name(lang), "test": self.trigger.test,
            "threshold": self.trigger.threshold, "scope": self.trigger.scope,
            "measured": None if self.measured is None else round(self.measured, 3),
            "change_unit": ("pp" if ind.unit == "PERCENT" else "%") if self.trigger.test == "rising" else None,
            "met": self.met,
            "figure": None if self.figure is None else self.figure.as_dict(),
            "previous": None if self.previous is None else self.previous.as_dict(),
        }


def evaluate(engine: IndicatorEngine, trigger: Trigger, country: str, year: int) -> TriggerResult:
    """Whether ``trigger`` holds for ``country`` in ``year`` (met=None when data are missing)."""
    target = None if trigger.scope == "region" else country
    fig = year_figure(engine, trigger.indicator, target, year)
    if fig is None:
        return TriggerResult(trigger, None, None, None, None)
    if trigger.test == "above":
        return TriggerResult(trigger, fig, None, fig.value, fig.value >= trigger.threshold)
    if trigger.test == "below":
        return TriggerResult(trigger, fig, None, fig.value, fig.value <= trigger.threshold)
    prev = year_figure(engine, trigger.indicator, target, year - 1)
    if prev is None:
        return TriggerResult(trigger, fig, None, None, None)
    if engine.indicator(trigger.indicator).unit == "PERCENT":
        change = fig.value - prev.value  # percentage points
    elif prev.value > 0:
        change = (fig.value - prev.value) / prev.value * 100.0
    else:
        return TriggerResult(trigger, fig, prev, None, None)
    return TriggerResult(trigger, fig, prev, change, change >= trigger.threshold)


@dataclass(frozen=True)
class ActionResult:
    """An action that applies to a country, with the triggers that make it urgent (or not)."""

    action: Action
    triggers: tuple[TriggerResult, ...]

    @property
    def urgent(self) -> bool:
        return any(t.met for t in self.triggers)

    def as_dict(self, engine: IndicatorEngine, matrix: Matrix, lang: str) -> dict[str, Any]:
        return {
            "id": self.action.id, "role": self.action.role,
            "role_name": load_method().role(self.action.role).name(lang), "subtheme": self.action.subtheme,
            "subtheme_name": matrix.subtheme_name(self.action.subtheme, lang),
            "text": self.action.text(lang), "urgent": self.urgent,
            "triggers": [t.as_dict(engine, lang) for t in self.triggers],
        }


def actions_for(
    engine: IndicatorEngine, country: str, year: int, roles: tuple[str, ...], matrix: Matrix | None = None
) -> list[ActionResult]:
    """Every action of the roles held, with its triggers evaluated; urgent ones first."""
    matrix = matrix or load_matrix()
    out = []
    for role in roles:
        for action in matrix.lookup(role=role):
            out.append(ActionResult(action, tuple(evaluate(engine, t, country, year) for t in action.triggers)))
    return sorted(out, key=lambda a: (not a.urgent, ROLE_IDS.index(a.action.role),
                                      SUBTHEME_IDS.index(a.action.subtheme)))
