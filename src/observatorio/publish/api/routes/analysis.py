"""Analysis routes: indicators, country roles, country profiles and mirror reconciliation.

Every answer is computed from the store at request time by ``observatorio.analysis`` (the
same views the command line prints). One indicator engine per store version is kept, with a
lock, because its caches and its DuckDB cursor are not shared between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path, Query, Request

from observatorio.analysis import views
from observatorio.analysis.indicators import IndicatorEngine
from observatorio.api_texts import api_text
from observatorio.i18n import normalize_lang
from observatorio.publish.api.errors import ERROR_RESPONSES, ApiError
from observatorio.publish.api.params import StrictRoute
from observatorio.publish.api.store_access import StoreDep, StoreHandle

router = APIRouter(prefix="/api/v1", tags=["analysis"], route_class=StrictRoute)

LangQ = Annotated[Literal["es", "en"], Query(description=api_text("api.doc.param.lang_texts"))]
CountryQ = Annotated[str | None, Query(description=api_text("api.doc.param.country"), examples=["GTM"])]
YearQ = Annotated[int | None, Query(ge=1950, le=2100, description=api_text("api.doc.param.year"))]
FromQ = Annotated[int | None, Query(alias="from", ge=1900, le=2100, description=api_text("api.doc.param.from_year"))]
ToQ = Annotated[int | None, Query(alias="to", ge=1900, le=2100, description=api_text("api.doc.param.to_year"))]

_LOCK = threading.Lock()
T = TypeVar("T")


def _engine(request: Request, handle: StoreHandle) -> IndicatorEngine:
    """The cached engine for the store's current version."""
    state = request.app.state
    cached: tuple[str, IndicatorEngine] | None = getattr(state, "analysis_engine", None)
    if cached is None or cached[0] != handle.version:
        cached = (handle.version, IndicatorEngine(handle.store.cursor()))
        state.analysis_engine = cached
    return cached[1]


def _answer(request: Request, handle: StoreHandle, body: Callable[[IndicatorEngine], T]) -> T:
    """Run ``body`` on the engine, turning analysis input errors into bilingual 400s."""
    with _LOCK:
        try:
            return body(_engine(request, handle))
        except views.AnalysisInputError as exc:
            raise ApiError(400, "invalid_value", exc.parameter, exc.key, exc.closest,
                           **exc.values) from None


@router.get("/indicators", responses=ERROR_RESPONSES, summary=api_text("api.doc.analysis.indicators.summary"),
            description=api_text("api.doc.analysis.indicators.description"))
def indicator_catalogue(lang: LangQ = "es") -> list[dict[str, Any]]:
    """Every indicator: id, name, definition, unit, formula, sources and caveats."""
    return views.catalogue_records(normalize_lang(lang))


@router.get("/indicators/{indicator_id}", responses=ERROR_RESPONSES, summary=api_text("api.doc.analysis.indicator.summary"),
            description=api_text("api.doc.analysis.indicator.description"))
def indicator_values(
    request: Request,
    handle: StoreDep,
    indicator_id: Annotated[str, Path(description=api_text("api.doc.param.indicator_id"))],
    country: CountryQ = None,
    freq: Annotated[Literal["M", "A"] | None, Query(description=api_text("api.doc.param.freq_m_a"))] = None,
    start: FromQ = None,
    end: ToQ = None,
    lang: LangQ = "es",
) -> dict[str, Any]:
    """An indicator's values for a country (or every country together), with its evidence."""
    code = country.strip().upper() if country else None
    if code is not None and (len(code) != 3 or not code.isalpha()):
        raise ApiError(400, "invalid_value", "country", "api.invalid_value", reason="ISO3")
    lang = normalize_lang(lang)
    try:
        views.indicator_metadata(indicator_id, lang)
    except views.AnalysisInputError as exc:
        raise ApiError(404, "not_found", "indicator_id", exc.key, exc.closest,
                       **exc.values) from None
    return _answer(request, handle,
                   lambda e: views.indicator_values(e, indicator_id, code, freq, start, end, lang))


@router.get("/roles", responses=ERROR_RESPONSES, summary=api_text("api.doc.analysis.roles.summary"),
            description=api_text("api.doc.analysis.roles.description"))
def roles(
    request: Request, handle: StoreDep, country: CountryQ = None, year: YearQ = None, lang: LangQ = "es",
) -> list[dict[str, Any]]:
    """Origin, transit, destination and return scores of CRM members, with evidence."""
    lang = normalize_lang(lang)
    return _answer(request, handle,
                   lambda e: views.role_records(e, views.check_country(country), year, lang))


@router.get("/profiles/{iso3}", responses=ERROR_RESPONSES, summary=api_text("api.doc.analysis.profile.summary"),
            description=api_text("api.doc.analysis.profile.description"))
def profile(
    request: Request, handle: StoreDep,
    iso3: Annotated[str, Path(description=api_text("api.doc.param.iso3"))],
    year: YearQ = None, lang: LangQ = "es",
) -> dict[str, Any]:
    """A member's roles, the CRM actions that apply to it, why, and headline indicators."""
    lang = normalize_lang(lang)
    try:
        views.check_country(iso3, "iso3")
    except views.AnalysisInputError as exc:
        raise ApiError(404, "not_found", "iso3", exc.key, exc.closest, **exc.values) from None
    return _answer(request, handle, lambda e: views.profile_record(e, iso3, year, lang))


@router.get("/mirror", responses=ERROR_RESPONSES, summary=api_text("api.doc.analysis.mirror.summary"),
            description=api_text("api.doc.analysis.mirror.description"))
def mirror(
    request: Request, handle: StoreDep,
    freq: Annotated[Literal["M", "A"], Query(description=api_text("api.doc.param.freq_m_year"))] = "M",
    pair: Annotated[str | None, Query(description=api_text("api.doc.param.pair"))] = None,
    kind: Annotated[Literal["countries", "route", "compilers", "publications"] | None,
                    Query(description=api_text("api.doc.param.pair_kind"))] = None,
    start: FromQ = None, end: ToQ = None, lang: LangQ = "es",
) -> dict[str, Any]:
    """Both sides of each movement, the gap and the known definitional reasons."""
    lang = normalize_lang(lang)
    return _answer(request, handle, lambda e: views.mirror_record(e, freq, pair, kind, start, end, lang))
