"""Assemble a bulletin from the store: the one entry point every format and the portal use."""

from __future__ import annotations

from observatorio.model.codelists import country_label
from observatorio.report.context import BulletinContext
from observatorio.report.country import country_sections
from observatorio.report.model import Bulletin
from observatorio.report.options import BulletinOptions
from observatorio.report.regional import regional_sections
from observatorio.report.shared_sections import sources_section
from observatorio.settings import Settings
from observatorio.store.duck import Store


def build_bulletin(store: Store, settings: Settings, options: BulletinOptions,
                   previous: dict[str, str] | None = None) -> Bulletin:
    """The bulletin's content. ``previous``: releases the previous issued bulletin recorded."""
    ctx = BulletinContext(store, settings, options)
    if options.scope == "regional":
        sections = regional_sections(ctx, previous)
        title = ctx.t("bulletin.title.regional")
    else:
        sections = country_sections(ctx, previous)
        title = ctx.t("bulletin.title.country", country=country_label(options.iso3 or "", ctx.lang))
    sections.append(sources_section(ctx))
    return Bulletin(scope=options.scope, iso3=options.iso3, period=options.period, lang=options.lang,
                    title=title, subtitle=ctx.t("bulletin.subtitle", month=ctx.month(options.period)),
                    sections=sections, releases=ctx.releases(), store_version=store.version())
