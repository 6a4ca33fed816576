"""The country bulletin: a one-page summary, the profile, flows, children, returns, freshness."""

from __future__ import annotations

from typing import Any

from observatorio.analysis import dashboards as db
from observatorio.analysis import views
from observatorio.model.codelists import country_label
from observatorio.publish.web import pages
from observatorio.publish.web.practice_links import links_for_url
from observatorio.publish.web.unit_labels import unit_label
from observatorio.report.context import BulletinContext, yearly_table
from observatorio.report.model import Section
from observatorio.report.regional import roles_year
from observatorio.report.shared_sections import (
    forecast_section,
    freshness_section,
    revisions_section,
)

#: Consular statistics: the flows a consular network publishes (none of the bundled sources
#: does yet; the section says so rather than disappearing).
CONSULAR_FLOWS = ("CONSULAR_CASE",)
FLOW_YEARS = 4


def country_sections(ctx: BulletinContext, previous: dict[str, str] | None) -> list[Section]:
    iso3 = ctx.options.iso3 or ""
    year = roles_year(ctx)
    profile = views.profile_record(ctx.engine, iso3, year, ctx.lang)
    built = pages.build_country(ctx.page("country", iso3))
    flows = Section("flows", ctx.t("bulletin.section.flows"))
    flows.paragraphs.append(ctx.t("bulletin.flows.lead"))
    for role in pages.ROLES:
        chart = ctx.cut(built["charts"][role])
        if not chart.empty:
            flows.charts.append(chart)
            flows.tables.append(yearly_table(chart, FLOW_YEARS, ctx.t("bulletin.col.series")))
    children = Section("children", ctx.t("bulletin.section.children"))
    for chart_id in ("children", "children_abroad"):
        chart = ctx.cut(built["charts"][chart_id])
        if not chart.empty:
            children.charts.append(chart)
    if not children.charts:
        children.paragraphs.append(ctx.t("bulletin.no_data"))
    main = pages.country_forecast_series(iso3)
    return [
        _summary(ctx, profile, year),
        _profile(ctx, profile, year),
        flows,
        children,
        _returns(ctx, iso3),
        _consular(ctx, iso3),
        forecast_section(ctx, [main] if main else [], iso3),
        revisions_section(ctx, sorted(ctx.used_sources), previous),
        freshness_section(ctx, (iso3,)),
    ]


def _figures(ctx: BulletinContext, profile: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for figure in profile["indicators"]:
        if figure.get("value") is None:
            continue
        ctx.used_sources.update(figure.get("sources", []))
        unit = figure.get("unit")
        whole = unit in ("PERSONS", "EVENTS", "CASES") or abs(figure["value"]) >= 100
        # years are labels, not quantities (never "2.023")
        rows.append([figure.get("name") or figure.get("indicator", ""), str(figure.get("year") or "—"),
                     round(float(figure["value"]), 0 if whole else 1),
                     ", ".join(figure.get("sources", []))])
    return rows


def _summary(ctx: BulletinContext, profile: dict[str, Any], year: int) -> Section:
    section = Section("summary", ctx.t("bulletin.section.summary"))
    held = [r["name"] for r in profile["roles"] if r["held"]]
    urgent = [a for a in profile["actions"] if a.get("urgent")]
    section.paragraphs.append(ctx.t("bulletin.summary.roles", country=profile["country_name"],
                                    year=year, roles=", ".join(held) or "—"))
    section.paragraphs.append(ctx.t("bulletin.summary.actions", n=len(urgent),
                                    total=len(profile["actions"])))
    section.tables.append(ctx.table("key_figures", ctx.t("bulletin.summary.figures", year=year),
        ["indicator", "year", "value", "source"], _figures(ctx, profile)))
    return section


def _profile(ctx: BulletinContext, profile: dict[str, Any], year: int) -> Section:
    """Roles with the evidence behind them, and the CRM actions they call for, with triggers."""
    section = Section("profile", ctx.t("bulletin.section.profile"))
    rows: list[list[Any]] = []
    for role in profile["roles"]:
        for ev in role["evidence"]:
            if ev.get("value") is None:
                continue
            ctx.used_sources.update(ev.get("sources", []))
            rows.append([role["name"], ctx.t(f"analysis.level.{role['level']}"),
                         views.evidence_text(ev, ctx.lang), ", ".join(ev.get("sources", []))])
    section.tables.append(ctx.table("roles", ctx.t("bulletin.profile.roles_title", year=year),
        ["role", "level", "evidence", "source"], rows))
    actions: list[list[Any]] = []
    for action in profile["actions"]:
        met = [tr["name"] for tr in action.get("triggers", []) if tr.get("met")]
        actions.append([action.get("subtheme_name", ""), action.get("text", ""),
                        ctx.t("bulletin.yes") if action.get("urgent") else ctx.t("bulletin.no"),
                        "; ".join(met) or "—"])
    section.tables.append(ctx.table("actions", ctx.t("bulletin.profile.actions_title"),
        ["subtheme", "action", "urgent_short", "triggers"], actions, note=ctx.t("bulletin.profile.actions_note")))
    _other_practices(ctx, section, profile)
    return section


def _other_practices(ctx: BulletinContext, section: Section, profile: dict[str, Any]) -> None:
    """Practices of other countries (good-practice registry) addressing each recommended action."""
    texts = {a["id"]: a.get("text", "") for a in profile["actions"] if a.get("id")}
    links = links_for_url(ctx.settings.cases_db_url, ctx.options.iso3 or "", list(texts), ctx.lang)
    rows: list[list[Any]] = [[texts[action], link["title"], link["country"]]
                             for action, found in links.items() for link in found]
    if rows:
        section.tables.append(ctx.table("practices", ctx.t("bulletin.practices.title"),
            ["action", "practice", "country"], rows, note=ctx.t("bulletin.practices.note")))
    else:
        section.paragraphs.append(ctx.t("bulletin.practices.none"))


def _returns(ctx: BulletinContext, iso3: str) -> Section:
    """Returns involving the country, by year: received from, or executed by, each partner."""
    section = Section("returns", ctx.t("bulletin.section.returns"))
    received = [r for r in db.returns_received_by_returning_country(ctx.store)
                if r["ref_area"] == iso3 and r["year"] <= ctx.period.year]
    executed = [r for r in db.returns_executed_by_nationality(ctx.store)
                if r["citizenship"] == iso3 and r["year"] <= ctx.period.year]
    rows: list[list[Any]] = []
    for found, key, partner in ((received, "bulletin.returns.received_from", "counterpart_area"),
                                (executed, "bulletin.returns.returned_by", "ref_area")):
        ctx.used_sources.update(r["source"] for r in found)
        for r in sorted(found, key=lambda r: (r["year"], r[partner])):
            if int(r["year"]) < ctx.period.year - 4:
                continue
            rows.append([ctx.t(key, country=country_label(r[partner], ctx.lang)),
                         str(r["year"]), float(r["value"]), unit_label([r["unit"]], ctx.lang)])
    if not rows:
        section.paragraphs.append(ctx.t("bulletin.no_data"))
        return section
    section.tables.append(ctx.table("returns", ctx.t("bulletin.returns.country_title"),
        ["movement", "year", "value", "unit"], rows, note=ctx.t("bulletin.annual.partial")))
    return section


def _consular(ctx: BulletinContext, iso3: str) -> Section:
    section = Section("consular", ctx.t("bulletin.section.consular"))
    consular = [r for r in db.country_reporting(ctx.store, iso3) if r["flow"] in CONSULAR_FLOWS]
    if not consular:
        section.paragraphs.append(ctx.t("bulletin.consular.none"))
        return section
    ctx.used_sources.update(r["source"] for r in consular)
    section.tables.append(ctx.table("consular", ctx.t("bulletin.section.consular"),
        ["flow", "source", "rows"],
        [[r["flow"], r["source"], int(r["rows"])] for r in consular]))
    return section
