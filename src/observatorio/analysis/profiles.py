"""A country profile: its roles with their evidence, the CRM actions that apply, and why."""

from __future__ import annotations

from typing import Any

from observatorio.analysis.actions import actions_for, load_matrix
from observatorio.analysis.annual import year_figure
from observatorio.analysis.indicators import IndicatorEngine
from observatorio.analysis.indicators_batch import prime_yearly
from observatorio.analysis.roles import assess, default_year
from observatorio.analysis.roles_batch import role_indicators
from observatorio.errors import ObservatorioError
from observatorio.model.codelists import CRM_MEMBERS, country_label

#: Headline indicators shown on every profile (the portal's country page uses the same list).
HEADLINE_INDICATORS: tuple[str, ...] = (
    "population", "encounters_abroad", "encounters_abroad_per100k", "returns_received",
    "returns_of_nationals", "returns_executed", "transit_recorded", "refugee_asylum_stock_hosted",
    "refugee_asylum_stock_abroad", "migrant_stock_hosted_pct", "migrant_stock_abroad_pct",
    "unaccompanied_share_encounters", "unaccompanied_share_returns", "dead_missing",
)


class UnknownCountry(ObservatorioError, ValueError):
    """The country is not a CRM member."""

    key = "analysis.error.unknown_country"

    def __init__(self, iso3: str) -> None:
        super().__init__(value=iso3, members=", ".join(sorted(CRM_MEMBERS)))


def country_name(iso3: str, lang: str) -> str:
    return country_label(iso3, lang)


def build_profile(engine: IndicatorEngine, iso3: str, year: int | None = None, lang: str = "es") -> dict[str, Any]:
    """The profile of a CRM member as a JSON-ready mapping."""
    iso3 = iso3.upper()
    if iso3 not in CRM_MEMBERS:
        raise UnknownCountry(iso3)
    year = year or default_year(engine)
    # One country's rows only, read at once, instead of every selection split by country.
    prime_yearly(engine, [*role_indicators(), *HEADLINE_INDICATORS], (iso3,))
    roles = assess(engine, iso3, year)
    matrix = load_matrix()
    actions = actions_for(engine, iso3, year, roles.held(), matrix)
    headline = []
    for ind_id in HEADLINE_INDICATORS:
        ind = engine.indicator(ind_id)
        # Stocks are published every few years (UN DESA): carry them; flows never.
        carry = 4 if ind.kind in ("stock", "pct_population") else 0
        fig = year_figure(engine, ind_id, iso3, year, max_age=carry)
        headline.append({"indicator": ind_id, "name": ind.name(lang), "unit": ind.unit,
                         **({"value": None, "year": None} if fig is None else fig.as_dict())})
    return {
        "country": iso3,
        "country_name": country_name(iso3, lang),
        "year": year,
        "roles_held": list(roles.held()),
        "roles": [r.as_dict(engine, lang) for r in roles.roles],
        "actions": [a.as_dict(engine, matrix, lang) for a in actions],
        "indicators": headline,
    }
