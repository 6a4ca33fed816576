"""The portal's pages: addresses in both languages and what each page shows.

A page builder turns a request (language, store, query string) into a template context whose
``charts`` are :class:`Chart` objects; the CSV route calls the same builder and writes out
the one chart asked for, so a download always equals what is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from observatorio.analysis import dashboards as db
from observatorio.analysis.float_sums import group_sum
from observatorio.analysis.forecast.alert_status import ACTIVE, alert_outcome, alert_status
from observatorio.analysis.forecast.run_model import BACKTESTED_COVERAGE
from observatorio.i18n import fmt_date, fmt_month, fmt_number
from observatorio.model.codelists import CRM_MEMBERS, country_label, get_codelist
from observatorio.publish.web import analysis_bridge
from observatorio.publish.web.assets import region_ids, world_land_available
from observatorio.publish.web.charts import Chart, tidy
from observatorio.publish.web.data_filters import api_filters
from observatorio.publish.web.returnees_page import build_returnees
from observatorio.publish.web.subnational import admin1_charts
from observatorio.publish.web.texts import Texts, catalogue
from observatorio.publish.web.unit_labels import unit_label
from observatorio.report.portal import build_publications
from observatorio.settings import Settings
from observatorio.store.duck import Store
from observatorio.store.rows import Row

GEOJSON_URL = "/static/geo/region_110m.geojson"


def _unique(values: Iterable[Any]) -> list[Any]:
    """Each value once, in the order first seen (a chart's sources)."""
    return list(dict.fromkeys(values))


def records(rows: Iterable[Row]) -> Iterator[Any]:
    """Rows as objects with attribute access (typed Any: rows are checked by their queries)."""
    return (SimpleNamespace(**{str(k): v for k, v in row.items()}) for row in rows)
TREND_START = date(2019, 1, 1)
ROUTE_START = date(2020, 1, 1)
PROFILE_FIRST_YEAR = 2012


@dataclass(frozen=True)
class Page:
    """One page: its id, its address segment in each language and its template."""

    id: str
    slug_es: str
    slug_en: str
    template: str

    def slug(self, lang: str) -> str:
        return self.slug_es if lang == "es" else self.slug_en


PAGES: tuple[Page, ...] = (
    Page("overview", "", "", "overview.html"),
    Page("countries", "paises", "countries", "countries.html"),
    Page("routes", "rutas", "routes", "routes.html"),
    Page("children", "ninez-migrante", "migrant-children", "children.html"),
    Page("returns", "retornos", "returns", "returns.html"),
    Page("deaths", "muertes-y-desapariciones", "deaths-and-disappearances", "deaths.html"),
    Page("data", "datos", "data", "data.html"),
    Page("methodology", "metodologia", "methodology", "methodology.html"),
    Page("publications", "publicaciones", "publications", "publications.html"),
    Page("returnees", "atencion-a-retornados", "assistance-to-returnees", "returnees.html"),
)
COUNTRY_PAGE = Page("country", "paises", "countries", "country.html")
PAGE_BY_ID = {p.id: p for p in (*PAGES, COUNTRY_PAGE)}


def page_url(lang: str, page_id: str, iso3: str | None = None) -> str:
    """The address of a page in a language (trailing slash, as served)."""
    page = PAGE_BY_ID[page_id]
    slug = page.slug(lang)
    path = f"/{lang}/" + (f"{slug}/" if slug else "")
    return f"{path}{iso3}/" if iso3 else path


def resolve(lang: str, segments: list[str]) -> tuple[Page, str | None] | None:
    """The page (and country) an address names, or None."""
    if not segments:
        return PAGE_BY_ID["overview"], None
    by_slug = {p.slug(lang): p for p in PAGES if p.slug(lang)}
    page = by_slug.get(segments[0])
    if page is None:
        return None
    if len(segments) == 1:
        return page, None
    if page.id == "countries" and len(segments) == 2 and segments[1].upper() in CRM_MEMBERS:
        return COUNTRY_PAGE, segments[1].upper()
    return None


@dataclass
class PageRequest:
    """What a builder needs: language, the open store, settings and the query string."""

    lang: str
    page: Page
    store: Store
    settings: Settings
    query: dict[str, str] = field(default_factory=dict)
    iso3: str | None = None
    app_state: Any = None  # the app's state: the analysis engine the API keeps per store

    @property
    def tx(self) -> Texts:
        return Texts(self.lang)

    @property
    def url(self) -> str:
        return page_url(self.lang, self.page.id, self.iso3)

    def csv_url(self, chart_id: str, **query: str) -> str:
        wanted = {k: v for k, v in query.items() if v}
        suffix = f"?{urlencode(wanted)}" if wanted else ""
        return f"{self.url}csv/{chart_id}.csv{suffix}"

    def country(self, iso3: str) -> str:
        return country_label(iso3, self.lang)

    def source_lines(self, sources: list[str]) -> list[str]:
        refs = db.source_refs(self.store, sorted(set(sources)))
        lines = []
        for r in records(refs):
            title = r.title_es if self.lang == "es" else r.title_en
            released = fmt_date(r.release, self.lang)
            lines.append(self.tx("chart.source_line", publisher=r.publisher or r.source,
                                 title=title or r.source, release=released))
        return lines

    def chart(self, chart_id: str, kind: str, frame: list[Row], *, title: str, unit: str,
              sources: list[str], description: str = "", note: str = "", x_is_date: bool = False,
              csv_query: dict[str, str] | None = None, **extra: Any) -> Chart:
        return Chart(id=chart_id, title=title, unit=unit, sources=self.source_lines(sources),
                     kind=kind, frame=frame, lang=self.lang, description=description, note=note,
                     csv_url=self.csv_url(chart_id, **(csv_query or {})), x_is_date=x_is_date,
                     extra=extra)


def fmt_period(value: date, freq: str | None, lang: str) -> str:
    """A period as its frequency reads: a year for yearly data ("2023", never "ene 2023")."""
    return str(value.year) if freq == "A" else fmt_month(value, lang)


def licence_text(licence: str, lang: str) -> tuple[str, str]:
    """(text, its language) of a source's licence, stored as its publisher words it (English).

    Spanish replaces each known phrase (``licence.*`` texts, whose English side is the stored
    wording); a licence with no known phrase is shown as published, marked as English.
    """
    if lang == "en":
        return licence, "en"
    phrases = [(entry["en"], entry["es"]) for key, entry in catalogue().items()
               if key.startswith("licence.")]
    translated = licence
    for english, spanish in sorted(phrases, key=lambda p: len(p[0]), reverse=True):
        translated = translated.replace(english, spanish)
    return (translated, lang) if translated != licence else (licence, "en")


def _describe_series(req: PageRequest, rows: list[Row], unit: str) -> str:
    """One sentence per series: its latest value and the period it covers."""
    if not rows:
        return req.tx("chart.no_data")
    lasts: dict[Any, dict[str, Any]] = {}  # each label's last row, labels in order of appearance
    for row in rows:
        lasts[row["label"]] = row
    parts = []
    for label, last in lasts.items():
        x = last["x"]
        when = fmt_month(x, req.lang) if isinstance(x, date) else str(x)
        parts.append(req.tx("chart.describe_series", label=label, when=when,
                            value=fmt_number(last["value"], req.lang), unit=unit))
    return " ".join(parts)


# -- overview -------------------------------------------------------------------------------------


def build_overview(req: PageRequest) -> dict[str, Any]:
    tx = req.tx
    monthly = db.trends(req.store)
    heads = db.headline_figures(req.store, monthly=monthly)
    cards = []
    for h in records(heads):
        change = None if h.change_pct is None else float(h.change_pct)
        cards.append({
            "label": tx(f"series.{h.key}"),
            "value": fmt_number(h.value, req.lang),
            "unit": unit_label([h.unit], req.lang),
            "period": fmt_month(h.period, req.lang),
            "before": fmt_number(h.value_year_before, req.lang),
            "period_before": fmt_month(h.period_year_before, req.lang),
            "change": None if change is None else fmt_number(change, req.lang, 1),
            "direction": None if change is None else ("up" if change > 0 else "down"),
            "source": next(iter(req.source_lines([h.source])), h.source),
        })
    map_chart, options, selected = _overview_map(req)
    trend = [{**r, "label": f"{tx('series.' + r['key'])} ({unit_label([r['unit']], req.lang)})"}
             for r in monthly if r["period"] >= TREND_START]
    frame = tidy(trend, series="key", label="label", x="period")
    unit = unit_label((r["unit"] for r in trend), req.lang)
    trends_chart = req.chart(
        "trends", "line", frame, title=tx("overview.trends_title"), unit=unit,
        sources=_unique(r["source"] for r in trend), x_is_date=True,
        description=_describe_series(req, frame, unit), note=tx("overview.trends_note"))
    charts = {"map": map_chart, "trends": trends_chart}
    forecast = forecast_context(req, list(OVERVIEW_FORECAST), None)
    if forecast["chart"] is not None:
        charts["forecast"] = forecast["chart"]
    return {"cards": cards, "charts": charts, "map_options": options, "map_selected": selected,
            "forecast": forecast}


# -- forecasts and alerts -------------------------------------------------------------------------

#: The headline regional series of the overview's forecast chart (the first one forecast).
OVERVIEW_FORECAST: tuple[str, ...] = ("cbp_sw", "darien", "usbp")
FORECAST_MONTHS = 6  # months ahead drawn (the release holds 36; bands widen fast)
FORECAST_HISTORY_START = date(2019, 1, 1)


def _catalogue() -> Any:
    from observatorio.analysis.forecast.catalogue import load_catalogue

    return load_catalogue()


def country_forecast_series(iso3: str) -> str | None:
    """A country's main forecast series: the total it records, else its nationals encountered."""
    cat = _catalogue()
    for s in cat.series:
        if s.parent is None and s.filters.get("ref_area") == (iso3,):
            return str(s.id)
    for s in cat.series:
        if not s.residual_of and s.filters.get("citizenship") == (iso3,):
            return str(s.id)
    return None


def _concerns(defn: Any, iso3: str) -> bool:
    return iso3 in defn.filters.get("ref_area", ()) or iso3 in defn.filters.get("citizenship", ())


def _day(value: Any) -> date:
    """The day of a stored release's DATE (a ``date``), a ``datetime`` or an ISO text (a run's
    ``created_at``)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    day: date = value.date() if isinstance(value, datetime) else value
    return day


def today() -> date:
    """The calendar day that decides whether an alert's month has passed (tests replace it)."""
    return date.today()


def _past_outcome(req: PageRequest, r: Any) -> str:
    """What happened in a past alert's month, in the page's language."""
    history = analysis_bridge.forecast_history(req.app_state, r.series_id)
    outcome = alert_outcome(history, r.period, float(r.threshold))
    month = fmt_month(_day(r.period), req.lang)
    if outcome.observed is None:
        return req.tx("alerts.outcome.unpublished", period=month)
    key = "alerts.outcome.surge" if outcome.surged else "alerts.outcome.no_surge"
    return req.tx(key, period=month, observed=fmt_number(outcome.observed, req.lang),
                  threshold=fmt_number(float(r.threshold), req.lang))


def forecast_context(req: PageRequest, candidates: list[str], iso3: str | None) -> dict[str, Any]:
    """The forecast chart (first candidate the release forecasts) and the alerts: ``alerts``
    whose month is still ahead, ``past_alerts`` whose month has passed (with what happened).

    ``status``: ready, pending (the release is being computed in the background), none (no
    forecast for this country). Pages never compute a forecast themselves.
    """
    out: dict[str, Any] = {"status": "none", "chart": None, "alerts": [], "past_alerts": [],
                           "note": ""}
    if not candidates and iso3 is not None:
        return out
    release = analysis_bridge.forecast_release(req.app_state)
    if release is None:
        out["status"] = "pending"
        return out
    if not release["forecasts"]:  # a sparse store: no series has history enough
        out["status"] = "empty"
        return out
    cat = _catalogue()
    alerts = release["alerts"]
    day = today()
    for r in records(alerts):
        defn = cat.by_id.get(r.series_id)
        if iso3 is not None and (defn is None or not _concerns(defn, iso3)):
            continue
        item = {
            "series": defn.label(req.lang) if defn else r.series_id, "level": r.level,
            "level_name": req.tx(f"alerts.level.{r.level}"),
            "probability": fmt_number(float(r.probability) * 100, req.lang, 0),
            "period": fmt_month(_day(r.period), req.lang),
            "data_to": fmt_month(_day(r.last_period), req.lang),
            "explanation": getattr(r, f"explanation_{req.lang}"),
        }
        if alert_status(r.period, day) == ACTIVE:
            out["alerts"].append(item)
        else:
            out["past_alerts"].append({**item, "outcome": _past_outcome(req, r)})
    monthly = [row for row in release["forecasts"] if row["freq"] == "M"]
    forecast = {row["series_id"] for row in monthly}
    sid = next((c for c in candidates if c in forecast), None)
    if sid is None:
        return out
    out["status"] = "ready"
    out["chart"] = _forecast_chart(req, sid, [row for row in monthly if row["series_id"] == sid],
                                   release["info"])
    return out


def _forecast_chart(req: PageRequest, sid: str, rows: list[dict[str, Any]], info: Any) -> Chart:
    tx = req.tx
    defn = _catalogue().by_id[sid]
    rows = sorted((r for r in rows if r["horizon"] <= FORECAST_MONTHS), key=lambda r: r["period"])
    history = [(month, value) for month, value in analysis_bridge.forecast_history(req.app_state, sid)
               if month >= FORECAST_HISTORY_START]
    frame = [{"series": "observed", "label": tx("forecast.observed"), "x": month, "value": value}
             for month, value in history]
    for code in ("mean", "lo_80", "hi_80", "lo_95", "hi_95"):
        label = tx(f"forecast.{code}")
        # whole people or events, as the history is counted
        frame += [{"series": code, "label": label, "x": _day(r["period"]),
                   "value": round(float(r[code]), 0)} for r in rows]
    unit = unit_label(db.source_units(req.store, defn.source), req.lang)
    origin = _day(rows[0]["origin"]) if rows else (history[-1][0] if history else None)
    last = rows[-1] if rows else None
    if last is not None and origin is not None and history:
        description = tx(
            "forecast.describe", series=defn.label(req.lang), last=fmt_month(origin, req.lang),
            value=fmt_number(float(history[-1][1]), req.lang), unit=unit,
            end=fmt_month(_day(last["period"]), req.lang),
            mean=fmt_number(float(last["mean"]), req.lang),
            lo_80=fmt_number(float(last["lo_80"]), req.lang),
            hi_80=fmt_number(float(last["hi_80"]), req.lang),
            lo_95=fmt_number(float(last["lo_95"]), req.lang),
            hi_95=fmt_number(float(last["hi_95"]), req.lang))
    else:
        description = _describe_series(req, frame, unit)
    note = tx("forecast.note", months=FORECAST_MONTHS)
    note = f"{note} " + tx(
        "forecast.coverage",
        c80=fmt_number(BACKTESTED_COVERAGE[80] * 100, req.lang, 0),
        c95=fmt_number(BACKTESTED_COVERAGE[95] * 100, req.lang, 0))
    shown = [*(value for _, value in history), *(round(float(r["hi_80"]), 0) for r in rows)]
    y_max = 1.1 * max(shown) if shown else None
    if y_max and rows and max(float(r["hi_95"]) for r in rows) > y_max:
        note = f"{note} {tx('forecast.clipped')}"
    else:
        y_max = None
    chart = req.chart(
        "forecast", "forecast", frame, title=tx("forecast.title", series=defn.label(req.lang)),
        unit=unit, sources=list(defn.sources()), x_is_date=True, description=description, note=note,
        band_names={"80": tx("forecast.band_80"), "95": tx("forecast.band_95")}, y_max=y_max)
    chart.sources.append(tx(
        "forecast.release_line", run=fmt_date(_day(info.created_at), req.lang),
        last=fmt_month(origin, req.lang) if origin else "—"))
    return chart


def _overview_map(req: PageRequest) -> tuple[Chart, list[dict[str, Any]], str]:
    tx = req.tx
    available = []
    for indicator in db.MAP_INDICATORS:
        values = db.map_indicator(req.store, indicator)
        if values:
            available.append((indicator, values))
    wanted = req.query.get("indicator", "")
    chosen = next((a for a in available if a[0].key == wanted), available[0] if available else None)
    options = [{"key": ind.key, "label": tx(f"map.{ind.key}"),
                "url": f"{req.url}?{urlencode({'indicator': ind.key})}"} for ind, _ in available]
    names = {iso: req.country(iso) for iso in CRM_MEMBERS}
    all_ids = region_ids(req.settings.data_path)
    frame: list[dict[str, Any]] = []
    if chosen is None:
        title, unit, sources, key, note = tx("map.title_empty"), "", [], "", ""
    else:
        indicator, values = chosen
        key = indicator.key
        frame = tidy([{**r, "label": tx(f"map.{key}"), "series": key} for r in values],
                     series="series", label="label", x="iso3")
        start, end = values[0]["period_start"], values[0]["period_end"]
        span = (fmt_month(start, req.lang) + " – " + fmt_month(end, req.lang)
                if indicator.window == "12m" else str(end.year))
        title = f"{tx(f'map.{key}')}, {span}"
        unit = unit_label((r["unit"] for r in values), req.lang)
        sources = [indicator.spec.source]
        note = tx(f"map.{key}.note") if tx.has(f"map.{key}.note") else ""
    note = f"{note} {tx('map.legend')}".strip()
    description = tx("map.describe", n=len(frame), members=len(CRM_MEMBERS)) + " " + "; ".join(
        f"{names.get(r['x'], r['x'])}: {fmt_number(r['value'], req.lang)}" for r in frame)
    chart = req.chart(
        "map", "choropleth", frame, title=title, unit=unit, sources=sources,
        description=description, note=note, csv_query={"indicator": key},
        geojson_url=GEOJSON_URL, members=list(CRM_MEMBERS),
        neighbours=[i for i in all_ids if i not in CRM_MEMBERS], names=names,
        no_data_label=tx("map.no_data"), neighbours_label=tx("map.neighbours"),
        log_label=tx("map.log_scale"))
    return chart, options, key


# -- countries ------------------------------------------------------------------------------------


def build_countries(req: PageRequest) -> dict[str, Any]:
    rows = []
    for iso in sorted(CRM_MEMBERS, key=req.country):
        reporting = db.country_reporting(req.store, iso)
        last = max((r["last_period"] for r in reporting), default=None)
        rows.append({"iso3": iso, "name": req.country(iso),
                     "url": page_url(req.lang, "country", iso),
                     "sources": len({r["source"] for r in reporting}),
                     "last": fmt_month(last, req.lang) if last else "—"})
    return {"countries": rows, "charts": {}}


ROLES: tuple[str, ...] = ("origin", "transit", "destination", "return")


def build_country(req: PageRequest) -> dict[str, Any]:
    tx = req.tx
    iso = req.iso3 or ""
    flows = [r for r in db.profile_flows(req.store, iso) if r["year"] >= PROFILE_FIRST_YEAR]
    charts: dict[str, Chart] = {}
    role_charts: dict[str, list[str]] = {}
    for role in ROLES:
        role_charts[role] = []
        part = [r for r in flows if r["role"] == role]
        measures = list(dict.fromkeys((r["key"], r["unit"]) for r in part)) or [("", "")]
        for i, (key, unit_code) in enumerate(measures):
            # one chart = one measure and one unit (asylum applications are not encounters)
            chart_id = role if i == 0 else f"{role}-{key}-{unit_code}".lower()
            charts[chart_id] = _measure_chart(req, chart_id, role, [
                r for r in part if r["key"] == key and r["unit"] == unit_code])
            role_charts[role].append(chart_id)
    yearly = _yearly_children(req, iso)
    frame = tidy(yearly, series="series", label="label", x="x")
    unit = unit_label((r["unit"] for r in yearly), req.lang)
    charts["children"] = req.chart(
        "children", "bar", frame, title=tx("country.children_title", country=req.country(iso)),
        unit=unit, sources=_unique(r["source"] for r in yearly),
        description=_describe_series(req, frame, unit), note=tx("country.partial_years"))
    abroad = _yearly_children_abroad(req, iso)
    frame = [{**row, "months": r["months"]} for row, r in zip(
        tidy(abroad, series="series", label="label", x="x"), abroad, strict=True)]
    unit = unit_label((r["unit"] for r in abroad), req.lang)
    charts["children_abroad"] = req.chart(
        "children_abroad", "stack", frame,
        title=tx("country.children_abroad_title", country=req.country(iso)), unit=unit,
        sources=_unique(r["source"] for r in abroad), description=_describe_series(req, frame, unit),
        note=tx("country.children_abroad_note"))
    reporting = db.country_reporting(req.store, iso)
    freshness = [{
        "source": r.source, "publisher": (r.title_es if req.lang == "es" else r.title_en) or r.source,
        "flow": get_codelist("flow").label(r.flow, req.lang),
        "unit": unit_label([r.unit], req.lang),
        "first": fmt_period(r.first_period, r.start_freq, req.lang),
        "last": fmt_period(r.last_period, r.end_freq, req.lang),
        "release": fmt_date(r.release, req.lang),
        "loaded": fmt_date(r.loaded_at.date(), req.lang),
    } for r in records(reporting)]
    analysis = analysis_bridge.country_analysis(req.app_state, iso, req.lang, req.store)
    main = country_forecast_series(iso)
    forecast = forecast_context(req, [main] if main else [], iso)
    if forecast["chart"] is not None:
        charts["forecast"] = forecast["chart"]
    admin1 = admin1_charts(req, iso)
    charts.update(admin1)
    return {"charts": charts, "freshness": freshness, "analysis": analysis,
            "country_name": req.country(iso), "roles": ROLES, "role_charts": role_charts,
            "forecast": forecast, "admin1_charts": list(admin1)}


def _yearly_children(req: PageRequest, iso: str) -> list[dict[str, Any]]:
    """The children a country counts, summed by year: one row per series and year (series in
    code order), with its chart series code, label and year as x."""
    keys = ("source", "ref_area", "flow", "accompaniment", "age", "unit")
    sums: dict[tuple[Any, ...], float] = {}
    for r in db.children(req.store):
        # a series with a code missing is left out (as the grouping by codes always did)
        if r["ref_area"] == iso and all(r[k] is not None for k in keys):
            group = (*(r[k] for k in keys), r["period"].year)
            sums[group] = sums.get(group, 0.0) + r["value"]
    out = []
    for group, value in sorted(sums.items()):
        row = {**dict(zip((*keys, "year"), group, strict=True)), "value": value}
        out.append({**row, "series": f"{row['source']}.{row['flow']}.{row['accompaniment']}.{row['age']}",
                    "label": _child_label(req, SimpleNamespace(**row)), "x": str(row["year"])})
    return out


def _yearly_children_abroad(req: PageRequest, iso: str) -> list[dict[str, Any]]:
    """The country's children at the US border by accompaniment, summed by year (``months``:
    the months each year sums)."""
    acc = get_codelist("accompaniment")
    years: dict[tuple[str, str, str, int], list[dict[str, Any]]] = {}
    for r in db.children_of_nationality(req.store, iso):
        years.setdefault((r["source"], r["accompaniment"], r["unit"], r["period"].year), []).append(r)
    return [{"source": source, "accompaniment": a, "unit": unit, "year": year,
             "value": group_sum(r["value"] for r in part), "months": len({r["period"] for r in part}),
             "series": a, "x": str(year),
             "label": f"{acc.label(a, req.lang)} — {req.tx.get(f'publisher.{source}', source)} "
                      f"({unit_label([unit], req.lang)})"}
            for (source, a, unit, year), part in sorted(years.items())]


def _measure_chart(req: PageRequest, chart_id: str, role: str, part: list[dict[str, Any]]) -> Chart:
    """A country's yearly bars of one measure in one role; partial years hatched and named."""
    tx, iso = req.tx, req.iso3 or ""
    role_title = tx(f"country.role.{role}", country=req.country(iso))
    if not part:
        return req.chart(chart_id, "bar", [], title=role_title,
                         unit="", sources=[], note=tx("country.partial_years"))
    frame = tidy([{**r, "series": f"{r['key']}.{r['source']}", "x": str(r["year"]),
                   "label": _profile_label(req, r["key"], r["source"], r["unit"])} for r in part],
                 series="series", label="label", x="x")
    # a year of monthly data with fewer than 12 months is partial: say which months
    frame = [{**row, "months": r["months"],
              "partial": _months_span(req, r["first"], r["last"]) if r["freq"] == "M" and r["months"] < 12
              else ""} for row, r in zip(frame, part, strict=True)]
    unit = unit_label((r["unit"] for r in part), req.lang)
    partial = [f"{row['x']} ({row['partial']})" for row in frame if row["partial"]]
    note = tx("country.partial_marked", years="; ".join(partial)) if partial else ""
    measure = tx(f"profile.{part[0]['key']}")
    title = f"{role_title} — {measure}"
    return req.chart(chart_id, "bar", frame, title=title, unit=unit,
                     sources=_unique(r["source"] for r in part),
                     description=_describe_series(req, frame, unit), note=note)


def _months_span(req: PageRequest, first: date, last: date) -> str:
    """"oct–dic" / "Oct–Dec": the months a partial year covers (a datetime counts by its day)."""
    from babel.dates import format_date

    start, end = (format_date(v.date() if isinstance(v, datetime) else v, format="MMM",
                              locale=req.lang) for v in (first, last))
    return start if start == end else f"{start}–{end}"


def _profile_label(req: PageRequest, key: str, source: str, unit: str) -> str:
    publisher = req.tx.get(f"publisher.{source}", source)
    return f"{req.tx(f'profile.{key}')} — {publisher} ({unit_label([unit], req.lang)})"


CHILD_SERIES = ["ref_area", "flow", "accompaniment", "age"]


def one_publisher_per_series(kids: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The children rows with each series (country, flow, accompaniment, age) from one source.

    Several publishers repeat the same US series (CBP's own file, IOM's copy of it, the Border
    Patrol's statistics office): the one with the latest month speaks for it, a primary
    publisher before a copy (equal again: the first source in code order). Returns the rows
    and the sources left out.
    """
    last: dict[tuple[Any, ...], date] = {}  # (series…, source) -> its latest month
    for r in kids:
        key = (*(r[c] for c in CHILD_SERIES), r["source"])
        last[key] = max(last[key], r["period"]) if key in last else r["period"]
    # codes in order, a missing code after every code; then the latest month first, a
    # primary publisher before a copy (stable sorts: the earlier order breaks ties)
    spans = sorted(last, key=lambda key: [(v is None, v or "") for v in key])
    spans.sort(key=lambda key: key[-1].startswith("iom_gdidata."))
    spans.sort(key=lambda key: last[key], reverse=True)
    chosen: dict[tuple[Any, ...], str] = {}
    for key in spans:
        chosen.setdefault(key[:-1], key[-1])
    left_out = sorted({key[-1] for key in spans} - set(chosen.values()))
    kept = [r for r in kids if chosen[tuple(r[c] for c in CHILD_SERIES)] == r["source"]]
    return kept, left_out


def _child_label(req: PageRequest, r: Any) -> str:
    codes_acc, codes_age = get_codelist("accompaniment"), get_codelist("age")
    group = codes_acc.label(r.accompaniment, req.lang) if r.accompaniment in (
        "UNACCOMPANIED", "ACCOMPANIED") else codes_age.label(r.age, req.lang)
    flow = get_codelist("flow").label(r.flow, req.lang)
    publisher = req.tx.get(f"publisher.{r.source}", r.source)
    where = req.country(r.ref_area)
    return f"{where} · {flow} · {group} — {publisher} ({unit_label([r.unit], req.lang)})"


# -- route and corridor ---------------------------------------------------------------------------


def build_routes(req: PageRequest) -> dict[str, Any]:
    tx = req.tx
    nationalities = db.route_nationalities(req.store)
    wanted = req.query.get("nat", "").upper()
    default = next((n for n in ("VEN", "HTI", "ECU", "GTM") if n in nationalities),
                   nationalities[0] if nationalities else "")
    options = sorted(({"code": n, "name": req.country(n)} for n in nationalities),
                     key=lambda o: o["name"])
    if wanted and wanted not in nationalities:
        # never silently show another nationality: say so, with a 404
        return {"charts": {}, "nationalities": options, "nat": "", "steps": [],
                "missing_steps": [], "status": 404,
                "unknown_choice": tx("route.unknown_nat", nat=req.query.get("nat", ""))}
    nat = wanted or default
    steps = db.route_steps(req.store, nat, since=ROUTE_START) if nat else db.route_steps(
        req.store, "___")
    labelled = [{**r, "label": _step_label(req, r)} for r in steps]
    frame = tidy(labelled, series="step", label="label", x="period")
    unit = unit_label([r["unit"] for r in steps], req.lang)
    chart = req.chart(
        "steps", "line", frame, title=tx("route.chart_title", nat=req.country(nat) if nat else "—"),
        unit=unit, sources=_unique(r["source"] for r in steps), x_is_date=True,
        description=_describe_series(req, frame, unit), note=tx("route.note"),
        csv_query={"nat": nat})
    by_step: dict[str, list[dict[str, Any]]] = {}  # each step's rows, steps in route order
    for r in steps:
        by_step.setdefault(r["step"], []).append(r)
    table = []
    for step, part in by_step.items():
        r = part[-1]
        refs = db.source_refs(req.store, [str(r["source"])])
        title_column = "title_es" if req.lang == "es" else "title_en"
        table.append({
            "order": int(r["order"]), "step": tx(f"route.step.{step}"),
            "publisher": refs[0][title_column] if refs else r["source"],
            "source": r["source"], "unit": unit_label([r["unit"]], req.lang),
            "first": fmt_month(min(p["period"] for p in part), req.lang),
            "last": fmt_month(r["period"], req.lang), "value": fmt_number(r["value"], req.lang),
        })
    missing = [tx(f"route.step.{s}") for s, _ in db.ROUTE_STEPS if s not in by_step]
    return {"charts": {"steps": chart}, "nationalities": options, "nat": nat, "steps": table,
            "missing_steps": missing}


def _step_label(req: PageRequest, row: dict[str, Any]) -> str:
    """"2. Darién crossing (persons)": a step's legend name, in route order."""
    step_name = req.tx(f"route.step.{row['step']}")
    return f"{row['order']}. {step_name} ({unit_label([row['unit']], req.lang)})"


# -- children -------------------------------------------------------------------------------------


def build_children(req: PageRequest) -> dict[str, Any]:
    tx = req.tx
    kids, repeated = one_publisher_per_series(db.children(req.store))
    kids = [{**r, "series": f"{r['source']}.{r['ref_area']}.{r['flow']}.{r['accompaniment']}.{r['age']}",
             "label": _child_label(req, SimpleNamespace(**r))} for r in kids]
    charts = {}
    for chart_id, unaccompanied in (("unaccompanied", True), ("accompanied", False)):
        part = [r for r in kids if (r["accompaniment"] == "UNACCOMPANIED") == unaccompanied]
        frame = tidy(part, series="series", label="label", x="period")
        unit = unit_label((r["unit"] for r in part), req.lang)
        note = tx(f"children.{chart_id}_note")
        if chart_id == "accompanied" and any(r["source"] == db.SOURCES["cbp_sw"] for r in part):
            note = f"{note} {tx('children.us_family_units')}"
        left_out = sorted({req.tx.get(f"publisher.{s}", s) for s in repeated})
        if left_out:
            note = f"{note} {tx('children.not_repeated', publishers=', '.join(left_out))}"
        charts[chart_id] = req.chart(
            chart_id, "line", frame, title=tx(f"children.{chart_id}_title"), unit=unit,
            sources=_unique(r["source"] for r in part), x_is_date=True,
            description=_describe_series(req, frame, unit), note=note)
    # each series' yearly totals, series by label (a label in two units: the later unit's)
    yearly: dict[tuple[str, str, int], float] = {}
    for r in kids:
        group = (r["label"], r["unit"], r["period"].year)
        yearly[group] = yearly.get(group, 0.0) + r["value"]
    years = sorted({year for _, _, year in yearly})[-6:]
    by_label: dict[str, dict[int, float]] = {}
    for (label, _unit, year), value in sorted(yearly.items()):
        by_label.setdefault(label, {})[year] = value
    table = [{"label": label, "cells": [fmt_number(by_year.get(y), req.lang) for y in years]}
             for label, by_year in by_label.items()]
    return {"charts": charts, "years": [str(y) for y in years], "table": table}


# -- returns --------------------------------------------------------------------------------------


def build_returns(req: PageRequest) -> dict[str, Any]:
    tx = req.tx
    pairs = db.return_pairs(req.store)
    options = [{"value": f"{r.returning}-{r.origin}",
                "name": tx("returns.pair", returning=req.country(r.returning), origin=req.country(r.origin))}
               for r in records(pairs)]
    wanted = req.query.get("pair", "")
    unknown = bool(wanted) and not any(o["value"] == wanted for o in options)
    chosen = wanted if wanted and not unknown else (options[0]["value"] if options else "")
    if unknown:
        # never silently show another pair: say so, with a 404 (the form offers every pair)
        return {"charts": {}, "pairs": options, "pair": "", "status": 404,
                "unknown_choice": tx("returns.unknown_pair", pair=wanted)}
    charts: dict[str, Chart] = {}
    returning, origin = chosen.split("-") if chosen else ("", "")
    mirror = db.returns_mirror(req.store, returning, origin) if chosen else db.returns_mirror(
        req.store, "___", "___")
    labelled = [{**r, "label": tx(f"returns.side.{r['side']}", returning=req.country(returning),
                                  origin=req.country(origin), unit=unit_label([r["unit"]], req.lang),
                                  publisher=req.tx.get(f"publisher.{r['source']}", r["source"])),
                 "series": f"{r['side']}.{r['source']}"} for r in mirror]
    frame = tidy(labelled, series="series", label="label", x="period")
    unit = unit_label([r["unit"] for r in mirror], req.lang)
    gap = _mirror_gap(req, mirror)
    charts["mirror"] = req.chart(
        "mirror", "line", frame,
        title=tx("returns.mirror_title", returning=req.country(returning) if returning else "—",
                 origin=req.country(origin) if origin else "—"),
        unit=unit, sources=_unique(r["source"] for r in mirror), x_is_date=True,
        description=_describe_series(req, frame, unit) + " " + gap, note=tx("returns.mirror_note"),
        csv_query={"pair": chosen})
    received = db.returns_received_by_returning_country(req.store)
    charts["received"] = _yearly_stack(
        req, "received", received, "counterpart_area",
        lambda r: f"{req.country(r['counterpart_area'])} → {req.country(r['ref_area'])}")
    # by nationality: a country's total of every nationality is not one, and stacked on another
    # country's nationalities it would add up two different things
    executed = [r for r in db.returns_executed_by_nationality(req.store) if r["citizenship"] != "_T"]
    top = set(_top(executed, "citizenship", 8))
    charts["executed"] = _yearly_stack(
        req, "executed", [r for r in executed if r["citizenship"] in top], "citizenship",
        lambda r: f"{req.country(r['citizenship'])} ({req.country(r['ref_area'])})")
    return {"charts": charts, "pairs": options, "pair": chosen}


def _yearly_stack(req: PageRequest, chart_id: str, rows: list[Row], series: str,
                  label: Callable[[Row], str]) -> Chart:
    """A returns page's stacked bars of yearly sums (``_yearly_by``'s rows), one series per
    ``series`` code, its partial years marked; title and note are ``returns.<chart_id>_…``."""
    frame = tidy([{"series": r[series], "label": label(r), "x": str(r["year"]), "value": r["value"]}
                  for r in rows], series="series", label="label", x="x")
    unit = unit_label([r["unit"] for r in rows], req.lang)
    sources = _unique(r["source"] for r in rows)
    note = req.tx(f"returns.{chart_id}_note") + _mark_partial_years(req, frame, sources)
    return req.chart(chart_id, "stack", frame, title=req.tx(f"returns.{chart_id}_title"), unit=unit,
                     sources=sources, description=_describe_series(req, frame, unit), note=note)


def _mirror_gap(req: PageRequest, mirror: list[dict[str, Any]]) -> str:
    """Totals of both sides over the months both report (the mirror gap in one sentence)."""
    sides: dict[str, dict[date, float]] = {}  # side → period → value
    for r in mirror:
        by_period = sides.setdefault(r["side"], {})
        by_period[r["period"]] = by_period.get(r["period"], 0.0) + r["value"]
    if len(sides) < 2:
        return ""
    both = sides.get("executed", {}).keys() & sides.get("received", {}).keys()
    if not both:
        return ""
    executed = math.fsum(sides["executed"][p] for p in both)
    received = math.fsum(sides["received"][p] for p in both)
    return req.tx("returns.gap", months=len(both), executed=fmt_number(executed, req.lang),
                  received=fmt_number(received, req.lang),
                  ratio=fmt_number(received / executed * 100 if executed else None, req.lang, 1))


def _top(rows: list[dict[str, Any]], key: str, n: int) -> list[Any]:
    """The ``n`` codes of ``key`` with the largest sums of value, largest first (ties: the
    code first in order, as pandas' sort of the grouped sums kept them)."""
    totals: dict[Any, float] = {}
    for r in rows:
        if r[key] is not None:
            totals[r[key]] = totals.get(r[key], 0.0) + r["value"]
    return sorted(sorted(totals), key=lambda code: -totals[code])[:n]


# -- deaths and disappearances --------------------------------------------------------------------


def build_deaths(req: PageRequest) -> dict[str, Any]:
    tx = req.tx
    incidents = db.deaths_incidents(req.store)
    source = db.deaths_source(req.store)
    sources = [source] if source else []
    flows = get_codelist("flow")
    unit = unit_label(["PERSONS"], req.lang)
    # incidents within a tenth of a degree (~11 km) share one circle: nothing finer can be seen
    # at the scale of the Americas, and the map draws ~2.5× fewer circles
    places: dict[tuple[float, float, str, str], float] = {}
    for r in incidents:
        key = (_tenth(r["lon"]), _tenth(r["lat"]), r["route"], r["flow"])
        places[key] = places.get(key, 0.0) + r["value"]
    route_names = {r: _route_label(req, r) for r in _unique(i["route"] for i in incidents)}
    points = [{"series": flow, "label": flows.label(flow, req.lang), "x": route_names[route],
               "value": float(value), "lon": lon, "lat": lat}
              for (lon, lat, route, flow), value in sorted(places.items())]
    total = math.fsum(r["value"] for r in incidents)
    dead = math.fsum(r["value"] for r in incidents if r["flow"] == "DEAD")
    missing = math.fsum(r["value"] for r in incidents if r["flow"] == "MISSING")
    # the newer IOM copy counts dead and missing together: never print "0 dead, 0 missing"
    describe = tx("deaths.map_describe", places=fmt_number(len(places), req.lang),
                  dead=fmt_number(dead, req.lang), missing=fmt_number(missing, req.lang)) \
        if dead + missing else tx("deaths.map_describe_total", places=fmt_number(len(places), req.lang),
                                  total=fmt_number(total, req.lang))
    charts = {"map": req.chart(
        "map", "points", points, title=tx("deaths.map_title"), unit=unit, sources=sources,
        description=describe, note=f"{tx('deaths.note')} {tx('deaths.grid_note')}",
        geojson_url=GEOJSON_URL,
        shapes=region_ids(req.settings.data_path), shapes_label=tx("map.neighbours"),
        view=((-122, -34), (-30, 50)), projection={"type": "mercator"},
        land=world_land_available())}
    for chart_id, dim, kind in (("by_route", "route", "hstack"), ("by_cause", "cause", "hstack"),
                                ("by_year", "year", "stack")):
        grouped: dict[tuple[Any, str], float] = {}  # (dim, flow) → people
        for r in incidents:
            grouped[(r[dim], r["flow"])] = grouped.get((r[dim], r["flow"]), 0.0) + r["value"]
        if dim == "cause":
            grouped = _split_causes(grouped)
        if dim != "year":
            # the twelve largest, bars by flow then largest first
            order = _top([{dim: v, "value": n} for (v, _f), n in sorted(grouped.items())], dim, 12)
            rank = {v: i for i, v in enumerate(order)}
            bars = sorted(((v, f, n) for (v, f), n in grouped.items() if v in rank),
                          key=lambda b: (b[1], rank[b[0]]))
            names = [(_route_label(req, str(v)) if dim == "route" else _cause_label(req, str(v)))
                     for v, _f, _n in bars]
        else:
            bars = [(v, f, n) for (v, f), n in sorted(grouped.items())]
            names = [str(v) for v, _f, _n in bars]
        frame = [{"series": f, "label": flows.label(f, req.lang), "x": name, "value": float(n)}
                 for (_v, f, n), name in zip(bars, names, strict=True)]
        note = tx("deaths.note") + (" " + tx("deaths.cause_note") if dim == "cause" else "")
        if dim == "year":
            note += _mark_partial_years(req, frame, sources)
        charts[chart_id] = req.chart(
            chart_id, kind, frame, title=tx(f"deaths.{chart_id}_title"), unit=unit, sources=sources,
            description=_describe_series(req, frame, unit), note=note)
    return {"charts": charts}


def _tenth(degrees: float) -> float:
    """A coordinate to a tenth of a degree, as numpy rounds (half to even on the value times
    ten; the sign of a zero kept)."""
    return math.copysign(round(degrees * 10) / 10, degrees)


def _mark_partial_years(req: PageRequest, frame: list[dict[str, Any]], sources: list[str]) -> str:
    """Hatch the yearly bars of one source's monthly data whose year it covers only in part
    (each row's ``partial``, drawn by the bar charts) and return the note that names them."""
    if len(sources) != 1 or not frame:
        return ""
    for row, partial in zip(frame, _partial_years(req, sources[0], [r["x"] for r in frame]), strict=True):
        row["partial"] = partial
    marked = sorted({f"{r['x']} ({r['partial']})" for r in frame if r["partial"]})
    return (" " + req.tx("country.partial_marked", years="; ".join(marked))) if marked else ""


def _partial_years(req: PageRequest, source: str, years: Iterable[Any]) -> list[str]:
    """For each year, the months it holds when the source's monthly data cover it only in part
    ("ene–abr" for the last year of data to April), else ""."""
    span = db.source_span(req.store, source)
    if span is None:
        return ["" for _ in years]
    start, end = span
    spans = {}
    if start.month > 1:
        spans[str(start.year)] = _months_span(req, start, date(start.year, 12, 1))
    if end.month < 12:
        spans[str(end.year)] = _months_span(req, date(end.year, 1, 1) if end.year != start.year else start,
                                            end)
    return [spans.get(str(y), "") for y in years]


def _named(prefix: str) -> dict[str, str]:
    """English name as IOM publishes it → text key, for the ``prefix`` texts (routes, causes)."""
    return {entry["en"]: key for key, entry in catalogue().items() if key.startswith(prefix)}


def split_causes(cause: str) -> list[str]:
    """IOM's comma-joined causes of one incident, split on the known names.

    Names hold commas themselves ("… shelter, food, water"), so the split follows the known
    names, longest first; an unknown remainder up to the next comma is kept as it is.
    """
    known = sorted((entry["en"] for key, entry in catalogue().items()
                    if key.startswith("deaths.cause.")), key=len, reverse=True)
    found, rest = [], cause.strip()
    while rest:
        name = next((k for k in known if rest.startswith(k)), None)
        if name is None:
            name = rest.split(",", 1)[0].strip()
        found.append(name)
        rest = rest[len(name):].lstrip(", ").strip() if rest.startswith(name) else ""
    return found or [cause]


def _split_causes(by_causes: dict[tuple[Any, str], float]) -> dict[tuple[Any, str], float]:
    """People by (cause, flow) from people by (IOM's causes of an incident, flow): an incident
    with two causes counts under each."""
    split: dict[tuple[Any, str], float] = {}
    for (causes, flow), people in by_causes.items():
        for cause in split_causes(str(causes)):
            split[(cause, flow)] = split.get((cause, flow), 0.0) + people
    return split


def _route_label(req: PageRequest, route: str) -> str:
    if route in ("_U", "Undefined"):
        return req.tx("deaths.unknown")
    key = _named("deaths.route.").get(route)
    return req.tx(key) if key else route


def _cause_label(req: PageRequest, cause: str) -> str:
    if cause == "_U":
        return req.tx("deaths.unknown")
    key = _named("deaths.cause.").get(cause)
    return req.tx(key) if key else cause


# -- data and methodology -------------------------------------------------------------------------


def build_data(req: PageRequest) -> dict[str, Any]:
    from observatorio.refresh.freshness import source_freshness

    catalogue = db.source_catalogue(req.store)
    refreshes = {f["source"]: f for f in source_freshness(req.store)}
    day = today()
    rows = []
    for r in records(catalogue):
        end = r.period_end
        lag = (day.year - end.year) * 12 + day.month - end.month if end else None
        rows.append({
            "source": r.source, "publisher": r.publisher or r.source,
            "title": (r.title_es if req.lang == "es" else r.title_en) or r.source,
            "licence": licence_text(r.licence, req.lang) if r.licence else ("—", req.lang),
            "url": r.homepage or r.url,
            "release": fmt_date(r.release, req.lang),
            "releases": int(r.releases), "rows": fmt_number(r.rows, req.lang),
            "period": (fmt_period(r.period_start, r.start_freq, req.lang)
                       + " – " + fmt_period(end, r.end_freq, req.lang)) if end else "—",
            "loaded": fmt_date(r.loaded_at.date(), req.lang),
            "freshness": req.tx("data.months_ago", count=lag) if lag is not None else "—",
            "stale": lag is not None and lag > 12,
            "download": f"{req.url}download/{r.source}.csv",
            **_refresh_cells(req, refreshes.get(r.source), day),
        })
    return {"sources": rows, "filters": api_filters(req.lang), "charts": {}}


def _refresh_cells(req: PageRequest, refresh: dict[str, Any] | None, day: date) -> dict[str, Any]:
    """The last refresh attempt and the next expected release of a source (blank if never); an
    expected date that has passed says the release is late, never "next" (a date in the past)."""
    out: dict[str, Any] = {"attempt": None, "attempt_failed": False, "next_expected": None}
    if refresh and refresh["last_attempt"] and refresh["result"]:
        out["attempt"] = req.tx("data.last_attempt", date=fmt_date(refresh["last_attempt"].date(), req.lang),
                                result=req.tx(f"data.result.{refresh['result']}"))
        out["attempt_failed"] = refresh["result"] == "failed"
    if refresh and refresh["next_expected"]:
        expected = refresh["next_expected"]
        key = "data.expected_overdue" if expected < day else "data.next_expected"
        out["next_expected"] = req.tx(key, date=fmt_date(expected, req.lang))
        out["overdue"] = expected < day
    return out


def build_methodology(req: PageRequest) -> dict[str, Any]:
    glossary = analysis_bridge.glossary(req.lang)
    methodology_html = analysis_bridge.methodology_html(Path(req.settings.data_path).parent / "docs",
                                                        req.lang)
    catalogue = db.source_catalogue(req.store)
    caveats = []
    for r in records(catalogue):
        items = r.caveats_es if req.lang == "es" else r.caveats_en
        caveats.append({"title": (r.title_es if req.lang == "es" else r.title_en) or r.source,
                        "publisher": r.publisher or r.source,
                        "notes": list(items) if items is not None else []})
    flows = [{"code": c.id, "label": c.label(req.lang), "description": c.description(req.lang)}
             for c in get_codelist("flow").codes.values()]
    return {"glossary": glossary, "methodology_html": methodology_html, "caveats": caveats,
            "flows": flows, "charts": {}}


BUILDERS: dict[str, Callable[[PageRequest], dict[str, Any]]] = {
    "overview": build_overview,
    "countries": build_countries,
    "country": build_country,
    "routes": build_routes,
    "children": build_children,
    "returns": build_returns,
    "deaths": build_deaths,
    "data": build_data,
    "methodology": build_methodology,
    "publications": build_publications,
    "returnees": build_returnees,
}
