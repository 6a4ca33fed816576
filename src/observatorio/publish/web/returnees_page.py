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
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd
import pycountry

from observatorio.i18n import fmt_month, fmt_number
from observatorio.model.codelists import get_codelist
from observatorio.publish.web.admin1_map import (
    admin1_extra,
    countries_with_shapes,
    subdivision_name,
)
from observatorio.publish.web.charts import FRAME_COLUMNS, Chart
from observatorio.publish.web.frame_shim import tidy_frame
from observatorio.store import page_reads, selection
from observatorio.store.duck import Store
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


def _cells(req: PageRequest) -> pd.DataFrame:
    """Returnee cells, one per distinct combination of dimensions (duplicates across tables
    are the same number). The municipality table is left out: its municipality is in attributes,
    so its rows would pass for a department's (municipal_ranking reads it)."""
    frame = _returnee_rows(req.store)
    if frame.empty:
        return frame
    frame["period"] = [pd.Timestamp(p).date() for p in frame["period"]]
    keys = ["period", "ref_area", "sex", "age", "accompaniment", "counterpart_area", "citizenship"]
    return frame.drop_duplicates(subset=keys).reset_index(drop=True)


def _returnee_rows(store: Store) -> pd.DataFrame:
    """The reception tables' rows as the store holds them (in its order: the first of equal
    cells is the one kept)."""
    returnees = dataclasses.replace(PUBLISHED, prefixes={"table": (RETURNEE_TABLES,)},
                                    excluded_prefixes={"table": (MUNICIPAL_TABLES,)})
    return selection.rows(store, returnees, ["period", "ref_area", "sex", "age", "accompaniment",
                                             "counterpart_area", "citizenship", "value", "obs_status"])


def _plain_total(frame: pd.DataFrame) -> pd.Series:
    """Rows that break nothing down but the area and month."""
    return (frame["sex"].isin(TOTALS) & frame["age"].isin(TOTALS) & frame["accompaniment"].isin(TOTALS)
            & frame["counterpart_area"].isin(TOTALS) & frame["citizenship"].isin(TOTALS))


def _figure(rows: pd.DataFrame) -> Figure:
    return _add([Figure(None if s == "C" else float(v), s == "C")
                 for v, s in zip(rows["value"], rows["obs_status"], strict=True)])


def _window(periods: list[date], end: date, months: int) -> list[date]:
    return [p for p in periods if 0 <= (end.year - p.year) * 12 + end.month - p.month < months]


def _population(req: PageRequest, codes: list[str]) -> dict[str, float]:
    if not codes:
        return {}
    frame = _department_population(req.store, codes)
    return {str(a): float(v) for a, v in zip(frame["ref_area"], frame["value"], strict=True)}


def _department_population(store: Store, codes: list[str]) -> pd.DataFrame:
    """The newest population of each department, any source (ref_area, value); a row naming a
    municipality in its attributes is that municipality's own population, not the department's."""
    departments = Selection(filters={"flow": ("POPULATION",), "ref_area": tuple(codes)},
                            attributes={"municipality": (None,)}, present=("value",))
    return selection.sums(store, departments, ["ref_area"], {"value": "latest_value"})


def build_returnees(req: PageRequest) -> dict[str, Any]:
    tx, lang = req.tx, req.lang
    sup = tx("returnees.suppressed")
    cells = _cells(req)
    departments = cells[cells["ref_area"].str.contains("-", regex=False) & _plain_total(cells)] if not cells.empty else cells
    countries = sorted({c for c in (_alpha3(a) for a in departments.get("ref_area", [])) if c})
    chosen = req.query.get("country", "").upper()
    unknown = bool(chosen) and chosen not in countries
    if not chosen or unknown:
        by_country = {c: departments[departments["ref_area"].str.startswith(_alpha2(c) + "-")]["value"].sum()
                      for c in countries}
        chosen = max(by_country, key=lambda c: by_country[c]) if by_country else ""
    context: dict[str, Any] = {
        "countries": [{"value": c, "name": req.country(c)} for c in countries], "country": chosen,
        "country_name": req.country(chosen) if chosen else "", "charts": {}, "ranking": [],
        "followups": [], "scores": [], "municipal_ranking": [], "window": "", "unknown_choice": tx("returnees.unknown_country") if unknown else "",
        "suppressed_label": sup,
    }
    mine = departments[departments["ref_area"].str.startswith(_alpha2(chosen) + "-")] if chosen else departments
    periods = sorted(set(cells["period"])) if not cells.empty else []
    charts = context["charts"]
    if mine.empty or not periods:
        empty = pd.DataFrame(columns=FRAME_COLUMNS)
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
    country_total = _add(list(national[national["period"].isin(last)]["figure"])) if not national.empty else None
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


def _ranking(req: PageRequest, mine: pd.DataFrame, last: list[date], before: list[date],
             country_total: Figure | None) -> list[dict[str, Any]]:
    """Departments by returnees in the window; shares of the country's published total."""
    codes = sorted(set(mine["ref_area"]))
    now = {c: _figure(mine[(mine["ref_area"] == c) & mine["period"].isin(last)]) for c in codes}
    then = {c: _figure(mine[(mine["ref_area"] == c) & mine["period"].isin(before)]) for c in codes}
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
    frame = _municipal_rows(req.store, iso3)
    if frame.empty:
        return []
    attrs = [json.loads(a) for a in frame["attributes"]]
    frame = frame.assign(period=[pd.Timestamp(p).date() for p in frame["period"]],
                         municipality=[str(a.get("municipality", "_U")) for a in attrs])
    frame = frame[~frame["municipality"].isin(("_U", *TOTALS))]  # not coded: no place to aim a campaign at
    labels = {str(a.get("municipality")): str(a.get("municipality_name") or a.get("municipality")) for a in attrs}
    codes = sorted(set(frame["municipality"]))
    now = {c: _figure(frame[(frame["municipality"] == c) & frame["period"].isin(last)]) for c in codes}
    then = {c: _figure(frame[(frame["municipality"] == c) & frame["period"].isin(before)]) for c in codes}
    department = dict(zip(frame["municipality"], frame["ref_area"], strict=True))
    names = {c: f"{labels[c]} ({subdivision_name(department[c], req.lang)})" for c in codes}
    rows = _rank(req, now, then, names, _municipal_population(req, codes), country_total)
    for row in rows:
        row["department"] = department[row["code"]]
    return rows


def _municipal_rows(store: Store, iso3: str) -> pd.DataFrame:
    """The municipality table's row totals in the country's departments."""
    municipal = dataclasses.replace(PUBLISHED.narrowed(table=MUNICIPAL_TABLE),
                                    prefixes={"ref_area": (_alpha2(iso3) + "-",)})
    return selection.rows(store, municipal, ["period", "ref_area", "attributes", "value", "obs_status"])


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
    frame = pd.DataFrame({
        "series": "returnees", "label": tx("returnees.received"), "x": [r["name"] for r in ranking],
        "value": [r["count"].value for r in ranking],
        **{column: [r[key] for r in ranking] for column, key in codes},
        "share_percent": [r["share"].value for r in ranking],
        "change_percent": [r["change"].value for r in ranking],
        "per_100000": [r["rate"].value for r in ranking],
        "status": ["C" if r["count"].suppressed else "A" for r in ranking]})
    frame["value"] = frame["value"].astype(float)
    return req.chart(chart_id, "hbar", frame, title=tx(f"{texts}_title", country=req.country(iso3), window=window),
                     unit=tx("returnees.unit"), sources=[SOURCE], description=tx(f"{texts}_describe"),
                     note=tx("returnees.suppressed_note"), csv_query={"country": iso3})


def _map(req: PageRequest, ranking: list[dict[str, Any]], iso3: str, window: str) -> Chart:
    tx = req.tx
    shown = [r for r in ranking if not r["count"].suppressed]
    frame = tidy_frame(pd.DataFrame({"series": "returnees", "label": tx("returnees.received"),
                               "x": [r["code"] for r in shown], "value": [r["count"].value for r in shown]}),
                 series="series", label="label", x="x") if shown else pd.DataFrame(columns=FRAME_COLUMNS)
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
    extra["members"] = [*list(frame["x"]), *suppressed]
    description = "; ".join(f"{r['name']}: {r['count_text']}" for r in ranking)
    return req.chart("map", "choropleth", frame, title=tx("returnees.map_title", country=req.country(iso3)) + f", {window}",
                     unit=tx("returnees.unit"), sources=[SOURCE], description=description,
                     note=tx("returnees.suppressed_note"), csv_query={"country": iso3}, **extra)


def _national(cells: pd.DataFrame, mine: pd.DataFrame, iso3: str) -> pd.DataFrame:
    """Monthly totals of the country: published as such (ref_area = the country, or ``_T``
    when the store holds one country's departments), else the sum of its departments."""
    plain = cells[_plain_total(cells)]
    own = plain[plain["ref_area"] == iso3]
    if own.empty and len({a.split("-")[0] for a in cells["ref_area"] if "-" in a}) == 1:
        own = plain[plain["ref_area"] == "_T"]
    source = own if not own.empty else mine
    rows = [{"period": p, "figure": _figure(part)} for p, part in source.groupby("period")]
    return pd.DataFrame(rows)


def _trend(req: PageRequest, monthly: pd.DataFrame, iso3: str) -> Chart:
    tx = req.tx
    frame = pd.DataFrame({"series": "returnees", "label": tx("returnees.received"), "x": list(monthly["period"]),
                          "value": [f.value if not f.suppressed else math.nan for f in monthly["figure"]],
                          "status": ["C" if f.suppressed else "A" for f in monthly["figure"]]})
    return req.chart("trend", "bar", frame, title=tx("returnees.trend_title", country=req.country(iso3)),
                     unit=tx("returnees.unit"), sources=[SOURCE], x_is_date=True,
                     description=tx("returnees.trend_describe", count=len(frame)),
                     note=tx("returnees.suppressed_note"), csv_query={"country": iso3})


def _children(req: PageRequest, cells: pd.DataFrame, iso3: str) -> Chart:
    tx = req.tx
    acc = get_codelist("accompaniment")
    kids = cells[~cells["accompaniment"].isin(TOTALS) & cells["sex"].isin(TOTALS)
                 & cells["counterpart_area"].isin(TOTALS) & cells["ref_area"].isin([iso3, "_T"])]
    if kids.empty:
        frame = pd.DataFrame(columns=FRAME_COLUMNS)
    else:
        ages = get_codelist("age")
        series, labels, xs, values, status = [], [], [], [], []
        for (a, g, p), part in kids.groupby(["accompaniment", "age", "period"]):
            figure = _figure(part)
            series.append(f"{a}.{g}")
            labels.append(f"{acc.label(str(a), req.lang)}, {ages.label(str(g), req.lang)}")
            xs.append(p)
            values.append(math.nan if figure.suppressed else figure.value)
            status.append("C" if figure.suppressed else "A")
        frame = pd.DataFrame({"series": series, "label": labels, "x": xs, "value": values, "status": status})
    return req.chart("children", "stack", frame, title=tx("returnees.children_title", country=req.country(iso3)),
                     unit=tx("returnees.unit"), sources=[SOURCE], x_is_date=True,
                     description=tx("returnees.children_describe"), note=tx("returnees.suppressed_note"),
                     csv_query={"country": iso3})


def _indicator_rows(store: Store, iso3: str) -> pd.DataFrame:
    """The reintegration indicators' rows (and their margins) in the country's departments."""
    indicators = dataclasses.replace(PUBLISHED, prefixes={"table": (FOLLOWUP_TABLE, SCORE_TABLE),
                                                          "ref_area": (_alpha2(iso3) + "-",)})
    return selection.rows(store, indicators, ["table", "period", "ref_area", "attributes", "value", "obs_status"])


def _reintegration(req: PageRequest, iso3: str, last: list[date]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per department: follow-ups on time (share) and plans whose score improved, by dimension."""
    lang, sup = req.lang, req.tx("returnees.suppressed")
    frame = _indicator_rows(req.store, iso3)
    if frame.empty:
        return [], []
    frame["period"] = [pd.Timestamp(p).date() for p in frame["period"]]
    frame = frame[frame["period"].isin(set(last))]
    attrs = [json.loads(a) for a in frame["attributes"]]
    frame = frame.assign(table=frame["table"].str.split(".").str[0],  # margins: <table>.row_totals
                         followup=[a.get("followup") for a in attrs], change=[a.get("change") for a in attrs],
                         dimension=[a.get("dimension") for a in attrs])
    followups = []
    due = frame[frame["table"] == FOLLOWUP_TABLE]
    for code, part in sorted(due.groupby("ref_area"), key=lambda kv: subdivision_name(str(kv[0]), lang)):
        on_time = _figure(part[part["followup"] == "on_time"])
        everything = _figure(part[part["followup"] == "_T"])  # the row totals: published more often
        share = (Figure(None, True) if on_time.suppressed or everything.suppressed or not everything.value
                 else Figure(100 * (on_time.value or 0) / everything.value, False))
        followups.append({"name": subdivision_name(str(code), lang), "due": everything.text(lang, sup),
                          "on_time": on_time.text(lang, sup), "share": share.text(lang, sup, 1),
                          "suppressed": share.suppressed})
    scores = []
    changed = frame[(frame["table"] == SCORE_TABLE) & (frame["dimension"] != "_T")]
    for (area, dimension), part in sorted(changed.groupby(["ref_area", "dimension"]),
                                          key=lambda kv: (subdivision_name(str(kv[0][0]), lang), str(kv[0][1]))):
        improved = _figure(part[part["change"] == "improved"])
        plans_total = _figure(part[part["change"] == "_T"])
        share = (Figure(None, True) if improved.suppressed or plans_total.suppressed or not plans_total.value
                 else Figure(100 * (improved.value or 0) / plans_total.value, False))
        scores.append({"name": subdivision_name(str(area), lang), "dimension": req.tx(f"returnees.dimension.{dimension}"),
                       "plans": plans_total.text(lang, sup), "share": share.text(lang, sup, 1),
                       "suppressed": share.suppressed})
    return followups, scores

