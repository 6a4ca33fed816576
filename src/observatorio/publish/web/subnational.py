"""A country page's sub-national section: UNHCR's 2025 demographics by Admin-1 location
(department / state), where the store holds them and shapes exist for the country.

One map per population type (refugees, asylum-seekers, internally displaced… never summed
together) from the "Admin-1 location, total" table, and a bar chart by subdivision × sex × age
band from the "Admin-1 location, by sex and age" table (which adds up to less: many rows publish
the total only; the note says so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pycountry

from observatorio.i18n import fmt_number
from observatorio.model.codelists import get_codelist
from observatorio.publish.web.admin1_map import (
    admin1_extra,
    countries_with_shapes,
    subdivision_name,
)
from observatorio.publish.web.charts import Chart, tidy
from observatorio.publish.web.unit_labels import unit_label
from observatorio.store.duck import Store
from observatorio.store.rows import Row
from observatorio.store.selection import Selection, sum_rows

if TYPE_CHECKING:  # the page request type only: pages.py builds on this module
    from observatorio.publish.web.pages import PageRequest

SOURCE = "unhcr_refugees_package.demographics"
TABLE_TOTAL = "Admin-1 location, total"
TABLE_BY_SEX_AGE = "Admin-1 location, by sex and age"
MAX_FLOWS = 3  # population types drawn (the largest first); the CSV of each holds every row
KEYS = ["table", "ref_area", "flow", "sex", "age", "unit", "period"]


def _rows(store: Store, iso3: str) -> list[Row]:
    """Latest year's Admin-1 rows of this country (ref_area = ISO 3166-2, e.g. MX-CHP).

    The latest year is the source's (any table, any country): a country without Admin-1 rows
    that year has no section, rather than an older year's."""
    source = Selection(filters={"source": (SOURCE,)})
    admin1 = Selection(filters={**source.filters, "table": (TABLE_TOTAL, TABLE_BY_SEX_AGE)},
                       prefixes={"ref_area": (f"{_alpha2(iso3)}-",)}, present=("value",),
                       newest_of=source)
    return sum_rows(store, admin1, KEYS)


def _alpha2(iso3: str) -> str:
    found = pycountry.countries.get(alpha_3=iso3)
    return found.alpha_2 if found else "??"


def admin1_charts(req: PageRequest, iso3: str) -> dict[str, Chart]:
    """Chart id -> chart of the section; empty when the country has no Admin-1 data or shapes."""
    if iso3 not in countries_with_shapes(req.settings.data_path):
        return {}
    rows = _rows(req.store, iso3)
    if not rows:
        return {}
    tx, lang = req.tx, req.lang
    flows = get_codelist("flow")
    totals = [r for r in rows if r["table"] == TABLE_TOTAL]
    by_flow: dict[str, float] = {}
    for r in totals:
        by_flow[r["flow"]] = by_flow.get(r["flow"], 0.0) + r["value"]
    # the largest first; equal totals in code order
    ranked = sorted(sorted(by_flow), key=lambda f: by_flow[f], reverse=True)[:MAX_FLOWS]
    charts: dict[str, Chart] = {}
    year = str(max(r["period"] for r in rows).year)
    for flow in ranked:
        sums: dict[tuple[str, str], float] = {}
        for r in totals:
            if r["flow"] == flow:
                sums[r["ref_area"], r["unit"]] = sums.get((r["ref_area"], r["unit"]), 0.0) + r["value"]
        label = flows.label(flow, lang)
        heading = label[:1].upper() + label[1:]
        part: list[dict[str, Any]] = [{"series": flow, "label": label, "ref_area": area, "unit": unit, "value": value}
                for (area, unit), value in sorted(sums.items())]
        frame = tidy(part, series="series", label="label", x="ref_area")
        unit = unit_label((r["unit"] for r in part), lang)
        chart_id = f"admin1-{flow.lower()}"
        charts[chart_id] = req.chart(
            chart_id, "choropleth", frame,
            title=tx("admin1.map_title", population=heading, year=year), unit=unit, sources=[SOURCE],
            description=tx("admin1.describe", count=len(frame)) + " " + "; ".join(
                f"{subdivision_name(r['x'], lang)}: {fmt_number(r['value'], lang)}" for r in frame),
            note=tx("admin1.note"),
            **admin1_extra(req.settings.data_path, iso3, lang, no_data_label=tx("map.no_data"),
                           log_label=tx("map.log_scale")))
        by = [r for r in rows if r["table"] == TABLE_BY_SEX_AGE and r["flow"] == flow]
        if not by:
            continue
        sexes, ages = get_codelist("sex"), get_codelist("age")
        frame = tidy([{"series": f"{r['sex']}.{r['age']}",
                       "label": f"{sexes.label(r['sex'], lang)}, {ages.label(r['age'], lang)}",
                       "x": subdivision_name(r["ref_area"], lang), "value": r["value"]} for r in by],
                     series="series", label="label", x="x")
        sex_age_id = f"admin1-{flow.lower()}-sex-age"
        charts[sex_age_id] = req.chart(
            sex_age_id, "hstack", frame,
            title=tx("admin1.sex_age_title", population=heading, year=year), unit=unit, sources=[SOURCE],
            description=tx("admin1.describe", count=len({r["x"] for r in frame})),
            note=tx("admin1.sex_age_note"))
    return charts
