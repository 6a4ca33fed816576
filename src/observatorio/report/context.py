"""What every bulletin section reads through: the portal's page request and the API's engine.

A section takes its charts from the portal's page builders (the same :class:`Chart` objects
the portal draws) and its figures from the dashboards and analysis functions the API answers
with. Everything is cut at the bulletin's data month, so a bulletin for an earlier month reads
only what was known up to it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from types import SimpleNamespace
from typing import Any

import pandas as pd

from observatorio.analysis import dashboards as db
from observatorio.i18n import fmt_month, t
from observatorio.publish.web.charts import Chart
from observatorio.publish.web.pages import PAGE_BY_ID, PageRequest
from observatorio.publish.web.texts import Texts
from observatorio.report.model import Cell, ReleaseUsed, Table
from observatorio.report.options import BulletinOptions
from observatorio.settings import Settings
from observatorio.store.duck import Store
from observatorio.store.rows import Row


@dataclass
class BulletinContext:
    store: Store
    settings: Settings
    options: BulletinOptions
    used_sources: set[str] = field(default_factory=set)

    @property
    def lang(self) -> str:
        return self.options.lang

    @property
    def period(self) -> date:
        return self.options.period

    def t(self, key: str, **values: Any) -> str:
        return t(key, self.lang, **values)

    @property
    def tx(self) -> Texts:
        return Texts(self.lang)

    def month(self, value: date) -> str:
        return fmt_month(value, self.lang)

    @cached_property
    def app_state(self) -> Any:
        """An app state over this open store, as the API keeps one (its forecast release and
        engine caches then serve the bulletin exactly as they serve the portal)."""
        from observatorio.publish.api.store_access import StoreHandle

        handle = StoreHandle(self.store, self.store.version(), "")
        # the API keeps one indicator engine per store version here: the bulletin's own, so a
        # country page built for the bulletin reuses the frames the bulletin already read
        return SimpleNamespace(settings=self.settings, store_handle=handle,
                               analysis_engine=(handle.version, self.engine))

    @cached_property
    def engine(self) -> Any:
        from observatorio.analysis.indicators import IndicatorEngine

        return IndicatorEngine(self.store.con)

    def page(self, page_id: str, iso3: str | None = None, **query: str) -> PageRequest:
        return _SourceKeepingRequest(lang=self.lang, page=PAGE_BY_ID[page_id], store=self.store,
                           settings=self.settings, query=dict(query), iso3=iso3,
                           app_state=self.app_state)

    def table(self, table_id: str, title: str, columns: list[str], rows: list[list[Cell]],
              **rest: Any) -> Table:
        """A table whose headers are the messages ``bulletin.col.<column>``."""
        return Table(table_id, title, [self.t(f"bulletin.col.{c}") for c in columns], rows, **rest)

    def keep(self, chart: Chart) -> Chart:
        """The chart as built, its sources recorded as used."""
        self.used_sources.update(_chart_sources(chart))
        return chart

    def cut(self, chart: Chart) -> Chart:
        """The chart with only what was known up to the data month (its sources recorded)."""
        self.keep(chart)
        frame = chart.frame
        if not frame:
            return chart
        if chart.x_is_date:
            kept = [row for row in frame if pd.Timestamp(row["x"]).date() <= self.period]
        else:
            kept = [row for row in frame
                    if not str(row["x"]).isdecimal() or int(str(row["x"])) <= self.period.year]
        return dataclasses.replace(chart, frame=kept)

    def source_lines(self, sources: list[str]) -> list[str]:
        self.used_sources.update(sources)
        return self.page("overview").source_lines(sources)

    def releases(self) -> list[ReleaseUsed]:
        refs = db.source_refs(self.store, sorted(self.used_sources))
        title = "title_es" if self.lang == "es" else "title_en"
        return [ReleaseUsed(str(r["source"]), str(r["publisher"] or r["source"]),
                            str(r[title] or r["source"]), pd.Timestamp(r["release"]).date())
                for r in refs]


class _SourceKeepingRequest(PageRequest):
    """The portal's page request, keeping on each chart the ids of the sources it names."""

    def chart(self, chart_id: str, kind: str, frame: list[Row], *, title: str, unit: str,
              sources: list[str], **rest: Any) -> Chart:
        made = super().chart(chart_id, kind, frame, title=title, unit=unit, sources=sources, **rest)
        made.extra[SOURCE_IDS] = sorted(set(sources))
        return made


SOURCE_IDS = "bulletin_source_ids"


def yearly_table(chart: Chart, years: int, first_header: str) -> Table:
    """The last ``years`` years of a by-year chart as a table (same frame, same numbers)."""
    frame = chart.frame
    shown = sorted({str(row["x"]) for row in frame})[-years:]
    rows: list[list[Cell]] = []
    for code in dict.fromkeys(row["series"] for row in frame):
        part = [row for row in frame if row["series"] == code]
        values = {str(row["x"]): float(row["value"]) for row in part}
        rows.append([str(part[0]["label"]), *[values.get(y) for y in shown]])
    return Table(f"{chart.id}_table", chart.title, [first_header, *shown], rows, unit=chart.unit,
                 sources=list(chart.sources), note=chart.note)


def _chart_sources(chart: Chart) -> set[str]:
    return set(chart.extra.get(SOURCE_IDS, ()))


def months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month
