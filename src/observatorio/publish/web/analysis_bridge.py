"""The one boundary between the portal and modules other teams own (roles, glossary, methods).

Each of those may be missing (a partial install, a module not written yet): an ImportError
here, and only here, turns into a "not available yet" slot instead of a broken page.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from observatorio.analysis import dashboards as db
from observatorio.errors import StoreMissing
from observatorio.i18n import fmt_number
from observatorio.model.codelists import get_codelist
from observatorio.publish.web.texts import catalogue, text
from observatorio.store.heap import give_back_freed_memory


def has_text(key: str) -> bool:
    return key in catalogue()


def country_analysis(app_state: Any, iso3: str, lang: str, store: Any = None) -> dict[str, Any]:
    """Roles (origin, transit, destination, return), CRM actions and headline indicators.

    Computed by the analysis package on the engine the API keeps per store version (same
    numbers as /api/v1/profiles/{iso3}, one warm cache for both). ``store``: the page's own
    connection, to read the units the figures' sources count in.
    """
    empty: dict[str, Any] = {"available": False, "roles": [], "actions": [], "indicators": [],
                             "year": None}
    if app_state is None:
        return empty
    try:
        from observatorio.analysis import views
        from observatorio.publish.api.routes import analysis as api_analysis
        from observatorio.publish.api.store_access import get_handle
    except ImportError:
        return empty
    try:
        handle = get_handle(app_state)
    except StoreMissing:
        return empty
    # The API's engine cache and lock live on the app state; only that is read of the request.
    request = SimpleNamespace(app=SimpleNamespace(state=app_state))
    try:
        profile: dict[str, Any] = api_analysis._answer(
            request,  # type: ignore[arg-type]
            handle, lambda engine: views.profile_record(engine, iso3, None, lang))
    except StoreMissing as exc:  # a sparse store (no population figures): the page says why
        reason = exc.message(lang)
        return {**empty, "reason": reason[:1].upper() + reason[1:]}
    units = {} if store is None else _count_units(store, [*profile["indicators"],
                                        *(e for r in profile["roles"] for e in r.get("evidence", []))])
    indicators = [_counted_in(f, units) for f in profile["indicators"]]
    roles = [{**r, "evidence": [_counted_in(e, units) for e in r.get("evidence", [])]}
             for r in profile["roles"]]
    return {"available": True, "year": profile["year"],
            "roles": [_role_row(r, lang) for r in roles],
            "actions": [_action_row(a, lang) for a in profile["actions"]],
            "indicators": [_figure_row(f, lang) for f in indicators]}


COUNT_UNITS = ("EVENTS", "PERSONS")


def _count_units(store: Any, figures: list[dict[str, Any]]) -> dict[tuple[str, ...], str]:
    """The unit the figure's own sources count in, for count figures read from one unit.

    An indicator declares one unit for every country, but its series may differ by country
    (Panama and Honduras count persons where Mexico counts events): a figure says what its
    sources count.
    """
    wanted = {tuple(f.get("sources", [])) for f in figures
              if f.get("unit") in COUNT_UNITS and f.get("sources")}
    found: dict[tuple[str, ...], str] = {}
    for sources in wanted:
        units = {u for s in sources for u in db.source_units(store, s)}
        if len(units) == 1 and next(iter(units)) in COUNT_UNITS:
            found[sources] = next(iter(units))
    return found


def _counted_in(figure: dict[str, Any], units: dict[tuple[str, ...], str]) -> dict[str, Any]:
    """The figure with the unit its sources count in; only counts take it (a share read from
    the same source as a count of persons stays a percentage)."""
    if figure.get("unit") not in COUNT_UNITS:
        return figure
    return {**figure, "unit": units.get(tuple(figure.get("sources", [])), figure.get("unit"))}


def _value(figure: dict[str, Any], lang: str, unit: str | None = None) -> str:
    value = figure.get("value")
    if value is None:
        return "—"
    # counts are whole; rates and shares below 100 keep one decimal
    whole = unit in ("PERSONS", "EVENTS", "CASES") or abs(value) >= 100
    return fmt_number(value, lang, 0 if whole else 1)


def _figure_row(figure: dict[str, Any], lang: str) -> dict[str, Any]:
    notes = []
    if figure.get("annualized"):
        notes.append(text("country.annualized", lang, count=figure.get("months")))
    return {"name": figure.get("name") or figure.get("indicator", ""),
            "value": _value(figure, lang, figure.get("unit")),
            "unit": _unit(figure.get("unit"), lang),
            "year": figure.get("year") or "—", "sources": ", ".join(figure.get("sources", [])),
            "note": "; ".join(notes)}


def _unit(code: str | None, lang: str) -> str:
    if not code:
        return ""
    units = get_codelist("unit")
    if code in units:
        return units.label(code, lang)
    return text(f"unit.{code}", lang) if has_text(f"unit.{code}") else code


def _role_row(role: dict[str, Any], lang: str) -> dict[str, Any]:
    evidence = [_figure_row(ev, lang) for ev in role.get("evidence", []) if ev.get("value") is not None]
    # A role without evidence is "no data", never a verdict (the methodology says so).
    return {"id": role.get("role"), "name": role.get("name", role.get("role")),
            "held": bool(role.get("held")), "level": role.get("level", ""),
            "status": "no_data" if role.get("level") == "no_data" else (
                "held" if role.get("held") else "not_held"),
            "level_name": text(f"country.level.{role.get('level')}", lang)
            if has_text(f"country.level.{role.get('level')}") else str(role.get("level", "")),
            "evidence": evidence}


def _action_row(action: dict[str, Any], lang: str) -> dict[str, Any]:
    triggers = [{"name": tr.get("name", tr.get("indicator")), "met": bool(tr.get("met")),
                 "measured": "—" if tr.get("measured") is None else
                 fmt_number(tr["measured"], lang, 1) + (f" {tr['change_unit']}" if tr.get("change_unit") else "")}
                for tr in action.get("triggers", [])]
    return {"id": action.get("id", ""), "text": action.get("text", ""), "subtheme": action.get("subtheme_name", ""),
            "role": action.get("role", ""), "urgent": bool(action.get("urgent")),
            "triggers": triggers}


def glossary(lang: str) -> list[dict[str, str]]:
    """The national-terms glossary, sorted by term, in the page's language."""
    try:
        from observatorio.harmonize.glossary import load_glossary
    except ImportError:
        return []
    from observatorio.model.codelists import country_label, get_codelist

    flows, units = get_codelist("flow"), get_codelist("unit")
    return [{"term": g.term, "term_lang": g.lang, "definition": g.definition(lang),
             "note": g.note(lang), "flow": flows.label(g.flow, lang), "flow_code": g.flow,
             "unit": units.label(g.unit, lang),
             "countries": ", ".join(country_label(c, lang) for c in g.countries)}
            for g in sorted(load_glossary(), key=lambda g: g.term.casefold())]


#: The headings that open each language's half of docs/methodology.md.
METHODOLOGY_SECTIONS = {"es": "## Español", "en": "## English"}
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def methodology_section(markdown: str, lang: str) -> str:
    """The page language's half of the bilingual methodology document (markdown).

    The generated-table markers (HTML comments) are dropped: the renderer escapes raw HTML,
    so they would show as text.
    """
    start_heading = METHODOLOGY_SECTIONS[lang]
    lines = markdown.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == start_heading) + 1
    except StopIteration:
        return ""
    end = next((i for i, line in enumerate(lines[start:], start)
                if line.strip() in METHODOLOGY_SECTIONS.values()), len(lines))
    section = "\n".join(lines[start:end]).strip()
    section = section.removesuffix("---").strip()
    return HTML_COMMENT.sub("", section)


def methodology_html(docs_dir: Path, lang: str = "es") -> str:
    """The page language's half of docs/methodology.md as HTML (raw HTML escaped), or "".

    Wide tables scroll inside their own box, so the page never grows wider than the screen.
    """
    path = docs_dir / "methodology.md"
    if not path.is_file():
        return ""
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    html = str(renderer.render(methodology_section(path.read_text(encoding="utf-8"), lang)))
    return html.replace("<table>", '<div class="table-scroll" tabindex="0"><table>') \
        .replace("</table>", "</table></div>")


def forecast_release(app_state: Any, *, compute: bool = False,
                     progress: Callable[[str], None] | None = None) -> dict[str, Any] | None:
    """The forecast release the API answers with: the newest stored one, else the computed run.

    ``{"info", "forecasts", "alerts", "version"}`` (forecasts and alerts: plain rows, as
    routes/forecasts.release_frames gives them), or None while no stored release exists and
    the background warm-up has not computed one yet (``compute=True`` computes it: the warm-up
    only, never a page; ``progress`` is called per computed series). Shares the API's code and
    its per-store-version cache.
    """
    if app_state is None:
        return None
    try:
        from observatorio.publish.api.routes import forecasts as api_forecasts
        from observatorio.publish.api.store_access import get_handle
    except ImportError:
        return None
    try:
        handle = get_handle(app_state)
    except StoreMissing:
        return None
    kept = getattr(app_state, "portal_forecast", None)
    if kept is not None and kept["version"] == handle.version:
        return dict(kept)
    found = api_forecasts.release_frames(app_state, handle, None, compute=compute,
                                         progress=progress)
    if found is None:
        return None
    info, frame, alerts = found
    kept = {"info": info, "forecasts": frame, "alerts": alerts, "version": handle.version}
    app_state.portal_forecast = kept
    return dict(kept)


def forecast_token(app_state: Any) -> str:
    """What the pages' cache key needs to know: whether the forecast release is ready yet."""
    found = forecast_release(app_state)
    if found is None:
        return "pending"
    return f"ready:{found['info'].run_id or found['info'].created_at}"


def forecast_history(app_state: Any, series_id: str) -> list[tuple[date, float]]:
    """The observed monthly series behind a forecast: (first day of the month, value) pairs,
    month after month, a month without a figure 0 (analysis/forecast/history.py); empty if
    unavailable."""
    from observatorio.analysis.forecast.catalogue import load_catalogue
    from observatorio.analysis.forecast.history import load_one
    from observatorio.publish.api.store_access import get_handle

    return load_one(get_handle(app_state).store.cursor(), series_id, load_catalogue())


class WarmUpStopped(Exception):
    """Raised inside the warm-up's forecast loop when the server is shutting down."""


def warm_up(app_state: Any, stop: threading.Event | None = None, iso3: str = "GTM") -> None:
    """Compute one profile so the engine has read its selections before the first visitor comes,
    then the forecast release (computed once per store version when none is stored).

    ``stop`` is checked between steps and between forecast series, so a shut-down waits for
    one series at most.
    """
    stop = stop or threading.Event()

    def check(_series_id: str = "") -> None:
        if stop.is_set():
            raise WarmUpStopped

    # a warm-up must never take the server down
    from observatorio.publish.api.store_access import wait_for_warm_up

    wait_for_warm_up(app_state, stop)  # one start-up peak of memory at a time, not the sum
    with contextlib.suppress(Exception):
        check()
        country_analysis(app_state, iso3, "es")
    with contextlib.suppress(Exception):
        check()
        forecast_release(app_state, compute=True, progress=check)
    give_back_freed_memory()  # the rows read on the way (a forecast's models are fitted in its child)
