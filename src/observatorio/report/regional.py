"""The regional bulletin: the route north in figures, what changed, and what it calls for."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from observatorio.analysis import dashboards as db
from observatorio.analysis import views
from observatorio.analysis.actions import actions_for, load_matrix
from observatorio.analysis.roles import assess
from observatorio.analysis.roles_batch import prime_roles
from observatorio.i18n import fmt_number
from observatorio.model.codelists import CRM_MEMBERS, country_label
from observatorio.publish.web import pages
from observatorio.publish.web.unit_labels import unit_label
from observatorio.report.context import BulletinContext
from observatorio.report.model import Section, Table
from observatorio.report.options import BulletinError
from observatorio.report.shared_sections import (
    forecast_section,
    freshness_section,
    revisions_section,
)

#: US series published by fiscal year (October to September), shown that way too.
FISCAL_SERIES = ("us_sw_border", "usbp")
ANNUAL_YEARS = 3


def regional_sections(ctx: BulletinContext, previous: dict[str, str] | None) -> list[Section]:
    monthly = pd.DataFrame(db.trends(ctx.store), columns=["key", "source", "period", "unit", "value"])
    monthly = monthly[[p <= ctx.period for p in monthly["period"]]]
    if monthly.empty:
        raise BulletinError("bulletin.error.no_data", month=f"{ctx.period:%Y-%m}")
    ctx.used_sources.update(monthly["source"].unique())
    overview = pages.build_overview(ctx.page("overview"))
    headline = Section("headlines", ctx.t("bulletin.section.headlines"))
    headline.tables.append(_headline_table(ctx, monthly))
    headline.paragraphs.extend(_headline_reading(ctx, monthly))
    headline.charts.append(ctx.cut(overview["charts"]["trends"]))
    headline.tables.append(_annual_table(ctx, monthly))
    fiscal = _fiscal_table(ctx, monthly)
    if fiscal.rows:
        headline.tables.append(fiscal)
    sections = [headline, _route(ctx),
                _portal_section(ctx, "children", "children", ("unaccompanied",)),
                _portal_section(ctx, "returns", "returns", ("received", "executed")),
                _portal_section(ctx, "deaths", "deaths", ("by_year", "by_route")),
                _roles(ctx), _mirror(ctx),
                forecast_section(ctx, list(pages.OVERVIEW_FORECAST), None),
                revisions_section(ctx, sorted(ctx.used_sources), previous),
                freshness_section(ctx)]
    return sections


# -- headline figures ------------------------------------------------------------------------------


def _headline_table(ctx: BulletinContext, monthly: pd.DataFrame) -> Table:
    heads = db.headline_figures(ctx.store, monthly=_rows(monthly))
    rows: list[list[Any]] = []
    for h in heads:
        series = monthly[monthly["key"] == h["key"]].groupby("period")["value"].sum()
        last12 = _window(series, h["period"], 12)
        before12 = _window(series, _months_back(h["period"], 12), 12)
        rows.append([
            ctx.tx(f"series.{h['key']}"), ctx.month(h["period"]), h["value"],
            h["value_year_before"], _pct(h["change_pct"]), last12, before12,
            _pct(None if not before12 or last12 is None else (last12 - before12) / before12 * 100),
        ])
    return ctx.table("headlines", ctx.t("bulletin.headlines.title", month=ctx.month(ctx.period)),
        ["series", "last_month", "value", "year_before", "change", "last12", "previous12", "change12"],
        rows, unit=unit_label((h["unit"] for h in heads), ctx.lang),
        sources=ctx.source_lines([h["source"] for h in heads]), note=ctx.t("bulletin.headlines.note"))


def _headline_reading(ctx: BulletinContext, monthly: pd.DataFrame) -> list[str]:
    """One sentence per headline series: last month against the same month a year before."""
    heads = db.headline_figures(ctx.store, monthly=_rows(monthly))
    out: list[str] = []
    for h in heads:
        change = h["change_pct"]
        if change is None or pd.isna(change):
            continue
        out.append(ctx.t("bulletin.headlines.reading", series=ctx.tx(f"series.{h['key']}"),
                         month=ctx.month(h["period"]), value=_fmt(ctx, h["value"]),
                         change=_fmt(ctx, abs(change), 1),
                         direction=ctx.t("bulletin.up" if change > 0 else "bulletin.down")))
    return out


def _rows(monthly: pd.DataFrame) -> list[dict[str, Any]]:
    """The monthly frame as the rows :func:`db.headline_figures` reads."""
    return [{str(k): v for k, v in r.items()} for r in monthly.to_dict("records")]


def _months_back(period: date, months: int) -> date:
    index = period.year * 12 + period.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _window(series: pd.Series, last: date, months: int) -> float | None:
    first = _months_back(last, months - 1)
    part = series[[first <= p <= last for p in series.index]]
    return float(part.sum()) if len(part) == months else None


def _pct(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 1)


def _fmt(ctx: BulletinContext, value: float, digits: int = 0) -> str:
    return fmt_number(value, ctx.lang, digits)


def _annual_table(ctx: BulletinContext, monthly: pd.DataFrame) -> Table:
    """Calendar-year totals of each headline series, complete years only (12 months)."""
    last_year = ctx.period.year if ctx.period.month == 12 else ctx.period.year - 1
    years = list(range(last_year - ANNUAL_YEARS + 1, last_year + 1))
    return _yearly(ctx, monthly, years, lambda p: p.year, "annual",
                   ctx.t("bulletin.annual.title"), [s.key for s in db.HEADLINE_SERIES])


def _fiscal_table(ctx: BulletinContext, monthly: pd.DataFrame) -> Table:
    """US fiscal-year totals (October to September) of the US series, as the US publishes them."""
    last_year = ctx.period.year if ctx.period.month >= 9 else ctx.period.year - 1
    years = list(range(last_year - ANNUAL_YEARS + 1, last_year + 1))
    return _yearly(ctx, monthly, years, lambda p: p.year + (1 if p.month >= 10 else 0), "fiscal",
                   ctx.t("bulletin.fiscal.title"), list(FISCAL_SERIES), prefix="FY")


def _yearly(ctx: BulletinContext, monthly: pd.DataFrame, years: list[int], year_of: Any,
            table_id: str, title: str, keys: list[str], prefix: str = "") -> Table:
    rows: list[list[Any]] = []
    units: list[str] = []
    sources: list[str] = []
    for key in keys:
        part = monthly[monthly["key"] == key]
        if part.empty:
            continue
        series = part.groupby("period")["value"].sum()
        by_year: dict[int, list[float]] = {}
        for period, value in series.items():
            by_year.setdefault(year_of(period), []).append(float(value))
        cells: list[Any] = [sum(by_year[y]) if len(by_year.get(y, [])) == 12 else None for y in years]
        rows.append([ctx.tx(f"series.{key}"), *cells])
        units.extend(part["unit"].unique())
        sources.extend(part["source"].unique())
    return Table(table_id, title, [ctx.t("bulletin.col.series"), *[f"{prefix}{y}" for y in years]],
                 rows, unit=unit_label(units, ctx.lang), sources=ctx.source_lines(sources),
                 note=ctx.t("bulletin.annual.note"))


# -- the other regional sections -----------------------------------------------------------------


def _route(ctx: BulletinContext) -> Section:
    section = Section("route", ctx.t("bulletin.section.route"))
    built = pages.build_routes(ctx.page("routes"))
    chart = ctx.cut(built["charts"]["steps"])
    section.paragraphs.append(ctx.t("bulletin.route.lead"))
    section.charts.append(chart)
    if built["missing_steps"]:
        section.paragraphs.append(ctx.t("bulletin.route.missing", steps=", ".join(built["missing_steps"])))
    return section


def _portal_section(ctx: BulletinContext, section_id: str, page_id: str,
                    chart_ids: tuple[str, ...]) -> Section:
    """A section made of a portal page's charts (built by the page's own builder), cut at the
    data month, under the bulletin's lead text."""
    section = Section(section_id, ctx.t(f"bulletin.section.{section_id}"))
    built = pages.BUILDERS[page_id](ctx.page(page_id))
    section.paragraphs.append(ctx.t(f"bulletin.{section_id}.lead"))
    section.charts.extend(ctx.cut(built["charts"][chart_id]) for chart_id in chart_ids)
    return section


def roles_year(ctx: BulletinContext) -> int:
    """The year roles are assessed for: the last complete year up to the data month."""
    from observatorio.analysis.roles import default_year

    complete = ctx.period.year if ctx.period.month == 12 else ctx.period.year - 1
    return min(default_year(ctx.engine), complete)


def _roles(ctx: BulletinContext) -> Section:
    """Each member's roles and the urgent actions they call for (as the API's /profiles)."""
    section = Section("roles", ctx.t("bulletin.section.roles"))
    year = roles_year(ctx)
    matrix = load_matrix()
    rows: list[list[Any]] = []
    prime_roles(ctx.engine, CRM_MEMBERS)
    for iso3 in CRM_MEMBERS:
        # what the API's /profiles builds, without its headline indicators
        roles = assess(ctx.engine, iso3, year)
        applying = actions_for(ctx.engine, iso3, year, roles.held(), matrix)
        held = [r.as_dict(ctx.engine, ctx.lang) for r in roles.roles if r.held]
        for role in held:
            for ev in role["evidence"]:
                ctx.used_sources.update(ev.get("sources", []))
        urgent = sorted({matrix.subtheme_name(a.action.subtheme, ctx.lang) for a in applying if a.urgent})
        rows.append([country_label(iso3, ctx.lang), ", ".join(r["name"] for r in held) or "—",
                     "; ".join(urgent) or "—"])
    section.paragraphs.append(ctx.t("bulletin.roles.lead", year=year))
    section.tables.append(ctx.table("roles", ctx.t("bulletin.roles.title", year=year),
        ["country", "roles", "urgent"],
        rows, note=ctx.t("bulletin.roles.note")))
    return section


def _mirror(ctx: BulletinContext) -> Section:
    """Mirror pairs: both sides' figures for the last complete year, the gap and its reasons."""
    section = Section("mirror", ctx.t("bulletin.section.mirror"))
    year = roles_year(ctx)
    record = views.mirror_record(ctx.engine, "A", None, None, year, year, ctx.lang)
    meta = {p["id"]: p for p in record["pairs"]}
    rows: list[list[Any]] = []
    reasons: dict[str, str] = {}  # code -> text, numbered in order of first use
    for row in record["rows"]:
        pair = meta.get(row["pair"])
        if pair is None or row["a"] is None or row["b"] is None:
            continue
        ctx.used_sources.update([pair["a"]["source"], pair["b"]["source"]])
        for reason in pair["reasons"]:
            reasons.setdefault(reason["code"], reason["text"])
        numbers = ", ".join(str(list(reasons).index(r["code"]) + 1) for r in pair["reasons"])
        rows.append([f"{pair['movement']} — {pair['a']['label']} / {pair['b']['label']}",
                     row["a"], row["b"], _pct(row["gap_pct"]), numbers or "—"])
    section.paragraphs.append(ctx.t("bulletin.mirror.lead", year=year))
    section.paragraphs.extend(f"{i}. {text}" for i, text in enumerate(reasons.values(), start=1))
    section.tables.append(ctx.table("mirror", ctx.t("bulletin.mirror.title", year=year),
        ["movement", "side_a", "side_b", "gap", "reasons"],
        rows, note=ctx.t("bulletin.mirror.note")))
    return section
