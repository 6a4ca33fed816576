"""Sections both bulletins carry: forecasts and alerts, revisions, freshness, sources."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from observatorio.i18n import fmt_date
from observatorio.model.codelists import CRM_MEMBERS, country_label, get_codelist
from observatorio.publish.web.pages import forecast_context
from observatorio.report.context import BulletinContext, months_between
from observatorio.report.model import Section, version_label
from observatorio.store import metadata as store_metadata
from observatorio.store.query import ObservationQuery, revisions


def forecast_section(ctx: BulletinContext, candidates: list[str], iso3: str | None) -> Section:
    """The forecast chart and alerts of the stored release, said relative to the data month.

    A release computed from months after the bulletin's data month is left out: a bulletin
    never shows what was not known at its date.
    """
    section = Section("forecast", ctx.t("bulletin.section.forecast"))
    found = forecast_context(ctx.page("overview" if iso3 is None else "country", iso3),
                             candidates, iso3)
    chart = found["chart"]
    if found["status"] != "ready" or chart is None:
        section.paragraphs.append(ctx.t("bulletin.forecast.none"))
        return section
    observed = [row["x"] for row in chart.frame if row["series"] == "observed"]
    origin = max(pd.Timestamp(x).date() for x in observed) if observed else None
    if origin is None or origin > ctx.period:
        section.paragraphs.append(ctx.t("bulletin.forecast.later", origin=ctx.month(origin)
                                        if origin else "—", month=ctx.month(ctx.period)))
        return section
    lag = months_between(origin, ctx.period)
    section.paragraphs.append(ctx.t("bulletin.forecast.relative", origin=ctx.month(origin),
                                    month=ctx.month(ctx.period), count=lag))
    section.paragraphs.append(chart.description)
    section.paragraphs.append(ctx.t("bulletin.forecast.caveat"))
    section.charts.append(ctx.keep(chart))
    alerts = found["alerts"]
    if alerts:
        section.tables.append(ctx.table("alerts", ctx.t("bulletin.forecast.alerts_title"),
            ["series", "level", "month", "probability", "explanation"],
            [[a["series"], a["level_name"], a["period"], a["probability"] + " %", a["explanation"]]
             for a in alerts]))
    else:
        section.paragraphs.append(ctx.t("bulletin.forecast.no_alerts"))
    return section


def revisions_section(ctx: BulletinContext, sources: list[str],
                      previous: dict[str, str] | None) -> Section:
    """What changed since the previous bulletin: newer releases and the values they revised.

    ``previous`` is the releases the previous issued bulletin recorded (its manifest); without
    one, the two newest releases of each source are compared.
    """
    section = Section("revisions", ctx.t("bulletin.section.revisions"))
    rows: list[list[Any]] = []
    releases_of: dict[str, set[str]] = {}
    for load in store_metadata.loads(ctx.store):
        releases_of.setdefault(load["source"], set()).add(str(load["release"]))
    for source in sorted(set(sources)):
        known = releases_of.get(source, set())
        newer = bool(previous and source in previous and max(known, default="") > previous[source])
        if len(known) < 2 and not newer:
            continue  # a single release has revised nothing
        vintages = _vintage_totals(ctx, source)
        if vintages.empty:
            continue
        releases = sorted(vintages["vintage"].unique())
        latest = releases[-1]
        if previous and source in previous:
            before = pd.Timestamp(previous[source]).date()
            if before >= latest:
                continue
            older = [r for r in releases if r <= before]
            if not older:
                continue
            base = older[-1]
        elif len(releases) >= 2:
            base = releases[-2]
        else:
            continue
        new = vintages[vintages["vintage"] == latest].set_index("period")["value"]
        old = vintages[vintages["vintage"] == base].set_index("period")["value"]
        common = new.index.intersection(old.index)
        changed = [p for p in common if float(new[p]) != float(old[p])]
        rows.append([source, fmt_date(base, ctx.lang), fmt_date(latest, ctx.lang), len(changed),
                     float(sum(new[p] - old[p] for p in changed)),
                     len(new.index.difference(old.index))])
    if not rows:
        key = "bulletin.revisions.none_since" if previous else "bulletin.revisions.none"
        section.paragraphs.append(ctx.t(key))
        return section
    section.tables.append(ctx.table("revisions", ctx.t("bulletin.section.revisions"),
        ["source", "previous_release", "release", "revised_months", "net_change", "new_months"], rows))
    return section


def _vintage_totals(ctx: BulletinContext, source: str) -> pd.DataFrame:
    """Monthly totals of a source in every release (the API's /revisions query)."""
    query = ObservationQuery.build(filters={"source": [source], "freq": ["M"]},
                                               end=f"{ctx.period:%Y-%m}")
    table: pa.Table = revisions(ctx.store, query)
    frame = table.to_pandas()
    if frame.empty:
        return pd.DataFrame(columns=["vintage", "period", "value"])
    # Sum first, then convert the (few) totals' dates: the rows can be many thousands.
    totals = frame.groupby(["vintage", "period"], as_index=False)["value"].sum()
    totals["period"] = [pd.Timestamp(p).date() for p in totals["period"]]
    totals["vintage"] = [pd.Timestamp(v).date() for v in totals["vintage"]]
    return totals


def freshness_section(ctx: BulletinContext, countries: tuple[str, ...] = CRM_MEMBERS) -> Section:
    """Per country: the last month it reported (up to the data month), how far behind, release."""
    section = Section("freshness", ctx.t("bulletin.section.freshness"))
    flows = get_codelist("flow")
    rows: list[list[Any]] = []
    for entry in store_metadata.freshness(ctx.store):
        if entry["ref_area"] not in countries:
            continue
        if entry["flow"] is None or entry["freq"] != "M":
            if entry["flow"] is None:
                rows.append([country_label(entry["ref_area"], ctx.lang), "—", "—", None, "—"])
            continue
        last = pd.Timestamp(entry["last_period"]).date()
        shown = min(last, ctx.period)
        ctx.used_sources.update(entry["sources"])
        rows.append([country_label(entry["ref_area"], ctx.lang), flows.label(entry["flow"], ctx.lang),
                     ctx.month(shown), months_between(shown, ctx.period),
                     fmt_date(pd.Timestamp(entry["last_release"]).date(), ctx.lang)])
    section.paragraphs.append(ctx.t("bulletin.freshness.lead", month=ctx.month(ctx.period)))
    section.tables.append(ctx.table("freshness", ctx.t("bulletin.section.freshness"),
        ["country", "flow", "last_month", "months_behind", "release"], rows))
    return section


def sources_section(ctx: BulletinContext) -> Section:
    """The annex: every source and release the bulletin read (its lineage)."""
    section = Section("sources", ctx.t("bulletin.section.sources"))
    section.paragraphs.append(ctx.t("bulletin.sources.lead", version=version_label(ctx.store.version())))
    rows: list[list[Any]] = [[r.source, r.publisher, r.title, fmt_date(r.release, ctx.lang)]
                             for r in ctx.releases()]
    section.tables.append(ctx.table("releases", ctx.t("bulletin.section.sources"),
        ["source", "publisher", "title", "release"], rows))
    return section
