"""JSON-ready views of the analysis shared by the command line and the API (one place, one shape)."""

from __future__ import annotations

import difflib
from typing import Any

from observatorio.analysis.catalogue import load_catalogue
from observatorio.analysis.indicators import IndicatorEngine, IndicatorResult, UnknownIndicator
from observatorio.analysis.mirror import KINDS as MIRROR_KINDS
from observatorio.analysis.mirror import load_book, pair_metadata, reconcile_all
from observatorio.analysis.profiles import build_profile, country_name
from observatorio.analysis.roles import CountryRoles, assess, default_year
from observatorio.analysis.roles_batch import prime_roles
from observatorio.errors import ObservatorioError
from observatorio.i18n import fmt_number, t
from observatorio.model.codelists import CRM_MEMBERS


class AnalysisInputError(ObservatorioError):
    """A request the analysis cannot answer as asked; ``parameter`` names what was wrong."""

    def __init__(self, key: str, parameter: str, closest: list[str] | None = None, **values: Any) -> None:
        self.parameter = parameter
        self.closest = list(closest or [])
        super().__init__(key, **values)

    def message(self, lang: str = "es") -> str:
        text = t(self.key, lang, **self.values)
        return text + (t("report.closest", lang, options=", ".join(self.closest)) if self.closest else "")


def check_country(value: str | None, parameter: str = "country") -> str | None:
    """An upper-cased CRM member code, or an error naming the parameter."""
    if value is None:
        return None
    code = value.strip().upper()
    if code not in CRM_MEMBERS:
        raise AnalysisInputError("analysis.error.unknown_country", parameter,
                                 difflib.get_close_matches(code, CRM_MEMBERS, n=3, cutoff=0.3),
                                 value=value, members=", ".join(CRM_MEMBERS))
    return code


def check_choice(value: str, allowed: tuple[str, ...], parameter: str) -> str:
    if value not in allowed:
        raise AnalysisInputError("analysis.error.bad_choice", parameter, list(allowed), value=value,
                                 allowed=", ".join(allowed))
    return value


# -- indicators -------------------------------------------------------------------------------


def catalogue_records(lang: str) -> list[dict[str, Any]]:
    """Every indicator's definition in one language (the catalogue as published)."""
    return [indicator_metadata(i.id, lang) for i in load_catalogue().indicators]


def indicator_metadata(indicator_id: str, lang: str) -> dict[str, Any]:
    cat = load_catalogue()
    try:
        ind = cat.get(indicator_id)
    except KeyError:
        raise AnalysisInputError("analysis.error.unknown_indicator", "id",
                                 difflib.get_close_matches(indicator_id, cat.ids(), n=3, cutoff=0.4),
                                 value=indicator_id) from None
    return {
        "id": ind.id, "group": ind.group, "name": ind.name(lang), "definition": ind.definition(lang),
        "unit": ind.unit, "kind": ind.kind, "freq": ind.freq,
        "freqs": ["A"] if ind.freq == "A" else (["M"] if ind.kind == "rolling12" else ["M", "A"]),
        "subject": ind.subject, "formula": ind.formula(), "sources": list(ind.sources),
        "caveats": list(ind.caveats(lang)),
    }


def indicator_values(
    engine: IndicatorEngine, indicator_id: str, country: str | None, freq: str | None,
    start: int | None = None, end: int | None = None, lang: str = "es",
) -> dict[str, Any]:
    """An indicator's figures for a country (or every country together) with its evidence."""
    meta = indicator_metadata(indicator_id, lang)
    freq = freq or ("A" if "A" in meta["freqs"] else "M")
    if freq not in meta["freqs"]:
        raise AnalysisInputError("analysis.error.bad_freq", "freq", meta["freqs"], value=freq,
                                 indicator=indicator_id, allowed=", ".join(meta["freqs"]))
    try:
        result = engine.compute(indicator_id, country, freq)
    except UnknownIndicator:
        raise AnalysisInputError("analysis.error.unknown_indicator", "id", value=indicator_id) from None
    sub = [r for r in result.frame if r["value"] is not None
           and (start is None or r["period"].year >= start) and (end is None or r["period"].year <= end)]
    return {
        "indicator": meta, "country": country, "freq": freq,
        "releases": {k: v.isoformat() for k, v in result.releases.items()},
        "values": IndicatorResult(result.indicator, country, freq, sub).records(),
    }


# -- roles ------------------------------------------------------------------------------------


def resolve_year(engine: IndicatorEngine, year: int | None) -> int:
    return year or default_year(engine)


def role_records(
    engine: IndicatorEngine, country: str | None, year: int | None, lang: str
) -> list[dict[str, Any]]:
    """Roles with evidence, one mapping per country (the default year when none is given)."""
    year = resolve_year(engine, year)
    countries = (country,) if country else CRM_MEMBERS
    prime_roles(engine, countries, actions=False)
    return [_country_roles(engine, assess(engine, c, year), lang) for c in countries]


def _country_roles(engine: IndicatorEngine, roles: CountryRoles, lang: str) -> dict[str, Any]:
    return {
        "country": roles.country, "country_name": country_name(roles.country, lang), "year": roles.year,
        "roles_held": list(roles.held()), "roles": [r.as_dict(engine, lang) for r in roles.roles],
    }


def role_rows(records: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """One row per country and role, with the strongest evidence spelled out (CSV, table)."""
    rows = []
    for rec in records:
        for role in rec["roles"]:
            scored = [e for e in role["evidence"] if e["score"] is not None]
            best = max(scored, key=lambda e: e["score"]) if scored else None
            rows.append({
                "country": rec["country"], "year": rec["year"], "role": role["role"],
                "role_name": role["name"], "level": role["level"],
                "level_name": t(f"analysis.level.{role['level']}", lang),
                "held": role["held"], "score": role["score"],
                "indicator": "" if best is None else best["indicator"],
                "evidence": "" if best is None else evidence_text(best, lang),
                "sources": "" if best is None else ",".join(best["sources"]),
            })
    return rows


def evidence_text(ev: dict[str, Any], lang: str) -> str:
    """``indicator name = value (year; notes)`` for one piece of evidence (the id is the
    ``indicator`` column of the CSV and JSON forms)."""
    digits = 0 if ev["value"] is not None and abs(ev["value"]) >= 100 else 1
    notes = []
    if ev.get("annualized"):
        notes.append(t("analysis.annualized", lang, count=ev["months"]))
    if ev.get("indirect"):
        notes.append(t("analysis.indirect", lang))
    note = f"; {'; '.join(notes)}" if notes else ""
    return f"{ev['name']} = {fmt_number(ev['value'], lang, digits)} ({ev['year']}{note})"


# -- profiles ---------------------------------------------------------------------------------


def profile_record(engine: IndicatorEngine, iso3: str, year: int | None, lang: str) -> dict[str, Any]:
    code = check_country(iso3, "iso3")
    assert code is not None
    return build_profile(engine, code, resolve_year(engine, year), lang)


# -- mirror -----------------------------------------------------------------------------------


def mirror_record(
    engine: IndicatorEngine, freq: str, pair: str | None, kind: str | None,
    start: int | None, end: int | None, lang: str,
) -> dict[str, Any]:
    """Pairs (metadata and known reasons) and their reconciled figures."""
    book = load_book()
    check_choice(freq, ("M", "A"), "freq")
    if kind is not None:
        check_choice(kind, MIRROR_KINDS, "kind")
    if pair is not None and pair not in [p.id for p in book.pairs]:
        raise AnalysisInputError("analysis.error.unknown_pair", "pair",
                                 difflib.get_close_matches(pair, [p.id for p in book.pairs], n=3, cutoff=0.4),
                                 value=pair)
    rows = [r for r in reconcile_all(engine, freq, (pair,) if pair else None, (kind,) if kind else None, book)
            if (start is None or r["period"].year >= start) and (end is None or r["period"].year <= end)]
    pairs = [pair_metadata(p, book, lang) for p in book.pairs
             if (pair is None or p.id == pair) and (kind is None or p.kind == kind)]
    return {"freq": freq, "pairs": pairs, "rows": mirror_rows(rows)}


def mirror_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reconciled rows, JSON-ready (dates as ISO text, missing numbers as null)."""
    out = []
    for row in rows:
        out.append({
            "pair": row["pair"], "kind": row["kind"], "period": row["period"].isoformat(),
            "a": _num(row["a"]), "b": _num(row["b"]), "gap": _num(row["gap"]), "gap_pct": _num(row["gap_pct"]),
            "months_a": int(row["months_a"]), "months_b": int(row["months_b"]), "complete": bool(row["complete"]),
        })
    return out


def _num(value: Any) -> float | None:
    return None if value is None or value != value else float(value)
