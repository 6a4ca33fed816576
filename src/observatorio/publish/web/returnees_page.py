"""The public page "Atención a personas retornadas" / "Assistance to returnees".

Everything on it comes from the statistics store: the published, disclosure-controlled
aggregates of the source ``cases_publication`` (cases/publication), never the cases database.
What it reads:

* returnees received: tables whose name starts with ``returnees`` (the reception tables), monthly,
  with the department of destination as an ISO 3166-2 ``ref_area`` (``HN-CR``), the country
  (ISO3) or ``_T`` for totals, and ``sex``, ``age``, ``accompaniment`` and ``counterpart_area``
  (arriving from) broken down or ``_T``. A cell is read wherever it is published (the same
  number may be a margin of one table and a cell of another);
* the reintegration indicators (``reintegration_followup_by_department``,
  ``reintegration_score_change_by_department``).

A suppressed cell (``obs_status`` C) is shown as suppressed, never as a number, and a sum that
would include one is suppressed too. Campaign targeting ranks the departments people return to
(where they left from) over the last twelve published months: count, share of the country,
change against the twelve months before, and per 100,000 inhabitants where the store holds a
population for the department (flow ``POPULATION``); and, the same way, the municipalities
(``returnees_by_municipality``: code and name in attributes; population rows name the
municipality in attributes).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pycountry

from observatorio.i18n import fmt_month, fmt_number
from observatorio.model.codelists import get_codelist
from observatorio.publish.web.admin1_map import (
    admin1_extra,
    countries_with_shapes,
    subdivision_name,
)
from observatorio.publish.web.charts import Chart, tidy
from observatorio.store import page_reads, selection
from observatorio.store.duck import Store
from observatorio.store.rows import Row
from observatorio.store.selection import Selection

if TYPE_CHECKING:  # the page request type only: pages.py builds on this module
    from observatorio.publish.web.pages import PageRequest

SOURCE = "cases_publication"
RETURNEE_TABLES = "returnees"
MUNICIPAL_TABLES = "returnees_by_municipality"
FOLLOWUP_TABLE = "reintegration_followup_by_department"
SCORE_TABLE = "reintegration_score_change_by_department"
WINDOW = 12  # months of the ranking and the map
TOTALS = ("_T", "_Z")
#: The publication's rows (cases_publication); every read of the page narrows this.
PUBLISHED = Selection(filters={"source": (SOURCE,)})
#: The dimensions of a returnee cell: two rows equal on these are the same published number.
CELL_KEYS = ("period", "ref_area", "sex", "age", "accompaniment", "counterpart_area", "citizenship")


@dataclass(frozen=True)
class Figure:
    """A published number or the fact that it is suppressed."""

    value: float | None
    suppressed: bool

    def text(self, lang: str, suppressed_label: str, digits: int = 0) -> str:
        return suppressed_label if self.suppressed else fmt_number(self.value, lang, digits)


def _add(figures: list[Figure]) -> Figure:
    if any(f.suppressed for f in figures):
        return Figure(None, True)
    return Figure(float(sum(f.value or 0.0 for f in figures)), False)


def _alpha3(code: str) -> str | None:
    found = pycountry.countries.get(alpha_2=code.split("-")[0])
    return found.alpha_3 if found else None


def _cells(req: PageRequest) -> list[Row]:
    """Returnee cells, one per distinct combination of dimensions (duplicates across tables
    are the same number: the first in the store's order is kept). The municipality table is
    left out: its municipality is in attributes, so its rows would pass for a department's
    (municipal_ranking reads it)."""
    cells: dict[tuple[Any, ...], Row] = {}
    for row in _returnee_rows(req.store):
        cells.setdefault(tuple(row[k] for k in CELL_KEYS), row)
    return list(cells.values())


def _returnee_rows(store: Store) -> list[Row]:
    """The reception tables' rows as the store holds them (in its order: the first of equal
    cells is the one kept)."""
    returnees = dataclasses.replace(PUBLISHED, prefixes={"table": (RETURNEE_TABLES,)},
                                    excluded_prefixes={"table": (MUNICIPAL_TABLES,)})
    return selection.scan_rows(store, returnees, [*CELL_KEYS, "value", "obs_status"])


def _plain_total(row: Row) -> bool:
    """A row that breaks nothing down but the area and month."""
    return (row["sex"] in TOTALS and row["age"] in TOTALS and row["accompaniment"] in TOTALS
            and row["counterpart_area"] in TOTALS and row["citizenship"] in TOTALS)


def _figure(rows: Iterable[Row]) -> Figure:
    # a cell without a value that is not suppressed adds NaN, as the float column held it
    return _add([Figure(None if r["obs_status"] == "C" else _float(r["value"]), r["obs_status"] == "C")
                 for r in rows])


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _window(periods: list[date], end: date, months: int) -> list[date]:
    return [p for p in periods if 0 <= (end.year - p.year) * 12 + end.month - p.month < months]


def _population(req: PageRequest, codes: list[str]) -> dict[str, float]:
    if not codes:
        return {}
    return {str(r["ref_area"]): float(r["value"]) for r in _department_population(req.store, codes)}


def _department_population(store: Store, codes: list[str]) -> list[Row]:
    """The newest population of each department, any source (ref_area, value); a row naming a
    municipality in its attributes is that municipality's own population, not the department's."""
    departments = Selection(filters={"flow": ("POPULATION",), "ref_area": tuple(codes)},
                            attributes={"municipality": (None,)}, present=("value",))
    return selection.sum_rows(store, departments, ["ref_area"], {"value": "latest_value"})


def build_returnees(req: PageRequest) -> dict[str, Any]:
    tx, lang = req.tx, req.lang
    sup = tx("returnees.suppressed")
    cells = _cells(req)
    departments = [r for r in cells if "-" in r["ref_area"] and _plain_total(r)]
    countries = sorted({c for c in (_alpha3(r["ref_area"]) for r in departments) if c})
    chosen = req.query.get("country", "").upper()
    unknown = bool(chosen) and chosen not in countries
    if not chosen or unknown:
        by_country = {c: math.fsum(r["value"] for r in _of_country(departments, c) if r["value"] is not None)
                      for c in countries}
        chosen = max(by_country, key=lambda c: by_country[c]) if by_country else ""
    context: dict[str, Any] = {
        "countries": [{"value": c, "name": req.country(c)} for c in countries], "country": chosen,
        "country_name": req.country(chosen) if chosen else "", "charts": {}, "ranking": [],
        "followups": [], "scores": [], "municipal_ranking": [], "window": "", "unknown_choice": tx("returnees.unknown_country") if unknown else "",
        "suppressed_label": sup,
    }
    mine = _of_country(departments, chosen) if chosen else departments
    periods = sorted({r["period"] for r in cells})
    charts = context["charts"]
    if not mine or not periods:
        empty: list[Row] = []
        for chart_id in ("map", "trend", "children", "ranking", "municipalities"):
            title = ("returnees_municipal.chart_title" if chart_id == "municipalities"
                     else f"returnees.{chart_id}_title")
            charts[chart_id] = req.chart(chart_id, "bar", empty, title=tx(title, country="", window=""),
                                         unit="", sources=[])
        return context
    end = periods[-1]
    last = _window(periods, end, WINDOW)
    before = [p for p in _window(periods, end, 2 * WINDOW) if p not in last]
    context["window"] = f"{fmt_month(last[0], lang)} – {fmt_month(end, lang)}"
    national = _national(cells, mine, chosen)
    country_total = _add([n["figure"] for n in national if n["period"] in last]) if national else None
    ranking = _ranking(req, mine, last, before, country_total)
    context["ranking"] = ranking
    charts["map"] = _map(req, ranking, chosen, context["window"])
    charts["ranking"] = _ranking_chart(req, ranking, chosen, context["window"])
    context["municipal_ranking"] = municipal_ranking(req, chosen, last, before, country_total)
    charts["municipalities"] = _ranking_chart(req, context["municipal_ranking"], chosen, context["window"],
                                              "municipalities", (("municipality", "code"), ("department", "department")),
                                              "returnees_municipal.chart")
    charts["trend"] = _trend(req, national, chosen)
    charts["children"] = _children(req, cells, chosen)
    context["followups"], context["scores"] = _reintegration(req, chosen, last)
    return context


def _alpha2(iso3: str) -> str:
    found = pycountry.countries.get(alpha_3=iso3)
    return found.alpha_2 if found else "??"


def _of_country(departments: list[Row], iso3: str) -> list[Row]:
    """The rows of the country's departments (``HN-CR``: a department of HND)."""
    prefix = _alpha2(iso3) + "-"
    return [r for r in departments if r["ref_area"].startswith(prefix)]


def _in(rows: list[Row], key: str, code: Any, periods: list[date]) -> list[Row]:
    """The rows whose ``key`` is ``code``, in ``periods``."""
    wanted = set(periods)
    return [r for r in rows if r[key] == code and r["period"] in wanted]


def _ranking(req: PageRequest, mine: list[Row], last: list[date], before: list[date],
             country_total: Figure | None) -> list[dict[str, Any]]:
    """Departments by returnees in the window; shares of the country's published total."""
    codes = sorted({r["ref_area"] for r in mine})
    now = {c: _figure(_in(mine, "ref_area", c, last)) for c in codes}
    then = {c: _figure(_in(mine, "ref_area", c, before)) for c in codes}
    names = {c: subdivision_name(c, req.lang) for c in codes}
    return _rank(req, now, then, names, _population(req, codes), country_total)


def _rank(req: PageRequest, now: dict[str, Figure], then: dict[str, Figure], names: dict[str, str],
          population: dict[str, float], country_total: Figure | None) -> list[dict[str, Any]]:
    """Areas (departments or municipalities) ranked by returnees in the window: count, share of
    the country's published total, change against the window before, per 100,000 inhabitants."""
    lang, sup = req.lang, req.tx("returnees.suppressed")
    total = country_total or _add(list(now.values()))
    rows: list[dict[str, Any]] = []
    for code in sorted(now):
        count, previous = now[code], then.get(code, Figure(0.0, False))
        share = (Figure(None, True) if count.suppressed or total.suppressed or not total.value
                 else Figure(100 * (count.value or 0) / total.value, False))
        change = (Figure(None, True) if count.suppressed or previous.suppressed
                  else Figure(None, False) if not previous.value
                  else Figure(100 * ((count.value or 0) - previous.value) / previous.value, False))
        people = population.get(code)
        rate = (Figure(None, True) if count.suppressed else
                Figure(1e5 * (count.value or 0) / people, False) if people else Figure(None, False))
        rows.append({"code": code, "name": names[code], "count": count, "share": share,
                     "change": change, "rate": rate,
                     "count_text": count.text(lang, sup), "share_text": share.text(lang, sup, 1),
                     "change_text": change.text(lang, sup, 1), "rate_text": rate.text(lang, sup, 1)})
    # most returnees first; suppressed (small) areas last, in name order
    rows.sort(key=lambda r: (r["count"].suppressed, -(r["count"].value or 0), r["name"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


MUNICIPAL_TABLE = MUNICIPAL_TABLES + ".row_totals"  # a municipality's returnees, all sexes


def municipal_ranking(req: PageRequest, iso3: str, last: list[date], before: list[date],
                      country_total: Figure | None) -> list[dict[str, Any]]:
    """Municipalities of the country's departments by returnees in the window (the municipality
    table's row totals; its code and name travel in attributes), ranked as the departments are."""
    rows = _municipal_rows(req.store, iso3)
    if not rows:
        return []
    attrs = [json.loads(r["attributes"]) for r in rows]
    coded = [{**r, "municipality": str(a.get("municipality", "_U"))} for r, a in zip(rows, attrs, strict=True)]
    coded = [r for r in coded if r["municipality"] not in ("_U", *TOTALS)]  # not coded: no place to aim a campaign at
    labels = {str(a.get("municipality")): str(a.get("municipality_name") or a.get("municipality")) for a in attrs}
    codes = sorted({r["municipality"] for r in coded})
    now = {c: _figure(_in(coded, "municipality", c, last)) for c in codes}
    then = {c: _figure(_in(coded, "municipality", c, before)) for c in codes}
    department = {r["municipality"]: r["ref_area"] for r in coded}
    names = {c: f"{labels[c]} ({subdivision_name(department[c], req.lang)})" for c in codes}
    rows = _rank(req, now, then, names, _municipal_population(req, codes), country_total)
    for row in rows:
        row["department"] = department[row["code"]]
    return rows


def _municipal_rows(store: Store, iso3: str) -> list[Row]:
    """The municipality table's row totals in the country's departments."""
    municipal = dataclasses.replace(PUBLISHED.narrowed(table=MUNICIPAL_TABLE),
                                    prefixes={"ref_area": (_alpha2(iso3) + "-",)})
    return selection.scan_rows(store, municipal, ["period", "ref_area", "attributes", "value", "obs_status"])


def _municipal_population(req: PageRequest, codes: list[str]) -> dict[str, float]:
    """Population by municipality: ``POPULATION`` rows whose attributes name the municipality's
    code (``{"municipality": "0501"}``; a municipality code is not an ISO area code)."""
    if not codes:
        return {}
    wanted = set(codes)
    return {str(r["municipality"]): float(r["value"])
            for r in page_reads.municipal_population(req.store) if r["municipality"] in wanted}


def _ranking_chart(req: PageRequest, ranking: list[dict[str, Any]], iso3: str, window: str,
                   chart_id: str = "ranking", codes: tuple[tuple[str, str], ...] = (("department", "code"),),
                   texts: str = "returnees.ranking") -> Chart:
    """A ranking as a bar chart and its CSV: ``codes`` names the CSV's code columns (column,
    ranking row key); ``texts`` the prefix of its ``_title`` and ``_describe`` texts."""
    tx = req.tx
    frame = [{"series": "returnees", "label": tx("returnees.received"), "x": r["name"],
              "value": _float(r["count"].value), **{column: r[key] for column, key in codes},
              "share_percent": r["share"].value, "change_percent": r["change"].value,
              "per_100000": r["rate"].value, "status": "C" if r["count"].suppressed else "A"}
             for r in ranking]
    return req.chart(chart_id, "hbar", frame, title=tx(f"{texts}_title", country=req.country(iso3), window=window),
                     unit=tx("returnees.unit"), sources=[SOURCE], description=tx(f"{texts}_describe"),
                     note=tx("returnees.suppressed_note"), csv_query={"country": iso3})


def _map(req: PageRequest, ranking: list[dict[str, Any]], iso3: str, window: str) -> Chart:
    tx = req.tx
    shown = [r for r in ranking if not r["count"].suppressed]
    frame = tidy([{"series": "returnees", "label": tx("returnees.received"), "x": r["code"],
                   "value": r["count"].value} for r in shown], series="series", label="label", x="x")
    if iso3 not in countries_with_shapes(req.settings.data_path):
        return req.chart("map", "hbar", frame, title=tx("returnees.map_title", country=req.country(iso3)),
                         unit=tx("returnees.unit"), sources=[SOURCE], note=tx("returnees.no_shapes"),
                         csv_query={"country": iso3})
    extra = admin1_extra(req.settings.data_path, iso3, req.lang, no_data_label=tx("returnees.suppressed"),
                         log_label=tx("map.log_scale"))
    # members drawn as "suppressed": the departments published as suppressed; the others
    # without any returnee are the grey background
    suppressed = [r["code"] for r in ranking if r["count"].suppressed]
    extra["neighbours"] = [c for c in extra["members"] if c not in {r["code"] for r in ranking}]
    extra["neighbours_label"] = tx("returnees.none_recorded")
    extra["members"] = [*(r["x"] for r in frame), *suppressed]
    description = "; ".join(f"{r['name']}: {r['count_text']}" for r in ranking)
    return req.chart("map", "choropleth", frame, title=tx("returnees.map_title", country=req.country(iso3)) + f", {window}",
                     unit=tx("returnees.unit"), sources=[SOURCE], description=description,
                     note=tx("returnees.suppressed_note"), csv_query={"country": iso3}, **extra)


def _national(cells: list[Row], mine: list[Row], iso3: str) -> list[dict[str, Any]]:
    """Monthly totals of the country (period, figure; months in order): published as such
    (ref_area = the country, or ``_T`` when the store holds one country's departments), else
    the sum of its departments."""
    plain = [r for r in cells if _plain_total(r)]
    own = [r for r in plain if r["ref_area"] == iso3]
    if not own and len({r["ref_area"].split("-")[0] for r in cells if "-" in r["ref_area"]}) == 1:
        own = [r for r in plain if r["ref_area"] == "_T"]
    by_period: dict[date, list[Row]] = {}
    for r in own or mine:
        by_period.setdefault(r["period"], []).append(r)
    return [{"period": p, "figure": _figure(part)} for p, part in sorted(by_period.items())]


def _trend(req: PageRequest, monthly: list[dict[str, Any]], iso3: str) -> Chart:
    tx = req.tx
    frame = [{"series": "returnees", "label": tx("returnees.received"), "x": m["period"],
              "value": m["figure"].value if not m["figure"].suppressed else math.nan,
              "status": "C" if m["figure"].suppressed else "A"} for m in monthly]
    return req.chart("trend", "bar", frame, title=tx("returnees.trend_title", country=req.country(iso3)),
                     unit=tx("returnees.unit"), sources=[SOURCE], x_is_date=True,
                     description=tx("returnees.trend_describe", count=len(frame)),
                     note=tx("returnees.suppressed_note"), csv_query={"country": iso3})


def _children(req: PageRequest, cells: list[Row], iso3: str) -> Chart:
    tx = req.tx
    acc = get_codelist("accompaniment")
    ages = get_codelist("age")
    kids: dict[tuple[str, str, date], list[Row]] = {}  # (accompaniment, age, month) → cells
    for r in cells:
        if (r["accompaniment"] not in TOTALS and r["sex"] in TOTALS and r["counterpart_area"] in TOTALS
                and r["ref_area"] in (iso3, "_T") and None not in (r["accompaniment"], r["age"], r["period"])):
            kids.setdefault((r["accompaniment"], r["age"], r["period"]), []).append(r)
    frame = []
    for (a, g, p), part in sorted(kids.items()):
        figure = _figure(part)
        frame.append({"series": f"{a}.{g}",
                      "label": f"{acc.label(str(a), req.lang)}, {ages.label(str(g), req.lang)}",
                      "x": p, "value": math.nan if figure.suppressed else figure.value,
                      "status": "C" if figure.suppressed else "A"})
    return req.chart("children", "stack", frame, title=tx("returnees.children_title", country=req.country(iso3)),
                     unit=tx("returnees.unit"), sources=[SOURCE], x_is_date=True,
                     description=tx("returnees.children_describe"), note=tx("returnees.suppressed_note"),
                     csv_query={"country": iso3})


def _indicator_rows(store: Store, iso3: str) -> list[Row]:
    """The reintegration indicators' rows (and their margins) in the country's departments."""
    indicators = dataclasses.replace(PUBLISHED, prefixes={"table": (FOLLOWUP_TABLE, SCORE_TABLE),
                                                          "ref_area": (_alpha2(iso3) + "-",)})
    return selection.scan_rows(store, indicators, ["table", "period", "ref_area", "attributes", "value", "obs_status"])


def _reintegration(req: PageRequest, iso3: str, last: list[date]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per department: follow-ups on time (share) and plans whose score improved, by dimension."""
    lang, sup = req.lang, req.tx("returnees.suppressed")
    window = set(last)
    rows = []
    for r in _indicator_rows(req.store, iso3):
        if r["period"] not in window:
            continue
        a = json.loads(r["attributes"])
        rows.append({**r, "table": r["table"].split(".")[0],  # margins: <table>.row_totals
                     "followup": a.get("followup"), "change": a.get("change"), "dimension": a.get("dimension")})
    followups = []
    due: dict[str, list[Row]] = {}
    for r in rows:
        if r["table"] == FOLLOWUP_TABLE and r["ref_area"] is not None:
            due.setdefault(r["ref_area"], []).append(r)
    for code, part in sorted(sorted(due.items()), key=lambda kv: subdivision_name(str(kv[0]), lang)):
        on_time = _figure(r for r in part if r["followup"] == "on_time")
        everything = _figure(r for r in part if r["followup"] == "_T")  # the row totals: published more often
        share = (Figure(None, True) if on_time.suppressed or everything.suppressed or not everything.value
                 else Figure(100 * (on_time.value or 0) / everything.value, False))
        followups.append({"name": subdivision_name(str(code), lang), "due": everything.text(lang, sup),
                          "on_time": on_time.text(lang, sup), "share": share.text(lang, sup, 1),
                          "suppressed": share.suppressed})
    scores = []
    changed: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        if (r["table"] == SCORE_TABLE and r["dimension"] not in (None, "_T")
                and r["ref_area"] is not None):
            changed.setdefault((r["ref_area"], r["dimension"]), []).append(r)
    for (area, dimension), part in sorted(sorted(changed.items()),
                                          key=lambda kv: (subdivision_name(str(kv[0][0]), lang), str(kv[0][1]))):
        improved = _figure(r for r in part if r["change"] == "improved")
        plans_total = _figure(r for r in part if r["change"] == "_T")
        share = (Figure(None, True) if improved.suppressed or plans_total.suppressed or not plans_total.value
                 else Figure(100 * (improved.value or 0) / plans_total.value, False))
        scores.append({"name": subdivision_name(str(area), lang), "dimension": req.tx(f"returnees.dimension.{dimension}"),
                       "plans": plans_total.text(lang, sup), "share": share.text(lang, sup, 1),
                       "suppressed": share.suppressed})
    return followups, scores
