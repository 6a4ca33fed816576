"""SDMX REST (1.x paths): data at ``/sdmx/data/{dataflow}/{key}`` (SDMX-CSV 2.0 or SDMX-JSON
2.0) and structure at ``/sdmx/{datastructure|dataflow|codelist|conceptscheme}/{agencyID}/
{resourceID}/{version}`` (SDMX-ML 2.1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from observatorio.i18n import normalize_lang
from observatorio.model.codelists import get_codelist
from observatorio.publish.api.errors import ERROR_RESPONSES, ApiError
from observatorio.publish.api.formats import Format
from observatorio.publish.api.params import StrictRoute
from observatorio.publish.api.routes.data import answer
from observatorio.publish.api.schemas import DataflowOut, Lang
from observatorio.publish.api.sdmx import (
    AGENCY,
    DIMENSIONS,
    MEDIA_SDMX_CSV,
    MEDIA_SDMX_JSON,
    SERIES_GROUP,
    dataflows,
    key_filters,
    structure_id,
)
from observatorio.publish.api.sdmx_structure import (
    KINDS,
    MEDIA_SDMX_ML_STRUCTURE,
    REFERENCES,
    NotFound,
    StoreCodes,
    codelists,
    select,
    structure_message,
)
from observatorio.publish.api.store_access import StoreDep, StoreHandle
from observatorio.store.query import ObservationQuery, QueryError, StoreCatalogue, closest_texts

router = APIRouter(prefix="/sdmx", tags=["sdmx"], route_class=StrictRoute)

KEY_TEMPLATE = ".".join(d.id for d in DIMENSIONS)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA_SDMX_CSV: {}, MEDIA_SDMX_JSON: {}},
          "description": "SDMX-CSV 2.0 (default) or SDMX-JSON 2.0 data message"},
    304: {"description": "Not modified (conditional request)"},
    404: ERROR_RESPONSES[400],
    **ERROR_RESPONSES,
}


@router.get("/dataflow", response_model=list[DataflowOut], summary="SDMX dataflows")
def dataflow_list(lang: Annotated[Lang, Query()] = "es") -> list[dict[str, str]]:
    """The dataflows and the key template of their data structure."""
    cl = get_codelist("dataflow")
    return [
        {"id": d, "name": cl.label(d, normalize_lang(lang)), "structure": structure_id(d)[1],
         "key_template": KEY_TEMPLATE}
        for d in dataflows()
    ]


def _wants_json(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        return fmt in ("sdmx-json", "json")
    return "json" in request.headers.get("accept", "")


DataflowP = Annotated[str, Path(description="dataflow id, or ALL", examples=["BORDER_ENFORCEMENT"])]
KeyP = Annotated[str, Path(description=f"dot-separated key: {KEY_TEMPLATE}; '+' = or, "
                                       "empty = any; 'all' = everything")]
StartP = Annotated[str | None, Query(description="2022, 2022-Q3 or 2022-10")]
EndP = Annotated[str | None, Query(description="inclusive")]
FormatP = Annotated[str | None, Query(
    pattern="^(sdmx-csv|sdmx-json|csv|json)$",
    description="sdmx-csv (default) or sdmx-json; or use the Accept header")]
ReleaseP = Annotated[str | None, Query(description="exact release YYYY-MM-DD")]
AsOfP = Annotated[str | None, Query(description="releases in force on YYYY-MM-DD")]
LangP = Annotated[Lang, Query()]


@router.get("/data/{dataflow}", response_model=None, responses=_RESPONSES,
            summary="SDMX data of a whole dataflow")
def sdmx_dataflow(
    request: Request, handle: StoreDep, dataflow: DataflowP,
    startPeriod: StartP = None, endPeriod: EndP = None,  # noqa: N803 - SDMX REST names
    format: FormatP = None, release: ReleaseP = None, as_of: AsOfP = None,  # noqa: A002
    lang: LangP = "es",
) -> Response:
    """Every series of a dataflow (same as the key ``all``)."""
    return sdmx_data(request, handle, dataflow, "all", startPeriod, endPeriod, format,
                     release, as_of, lang)


@router.get("/data/{dataflow}/{key}", response_model=None, responses=_RESPONSES,
            summary="SDMX data for a series key")
def sdmx_data(
    request: Request, handle: StoreDep, dataflow: DataflowP, key: KeyP,
    startPeriod: StartP = None, endPeriod: EndP = None,  # noqa: N803 - SDMX REST names
    format: FormatP = None, release: ReleaseP = None, as_of: AsOfP = None,  # noqa: A002
    lang: LangP = "es",
) -> Response:
    """The same numbers as /api/v1/observations, one observation per series key and period."""
    flows = dataflows()
    filters: dict[str, tuple[str, ...]] = {}
    if dataflow.upper() != "ALL":
        if dataflow not in flows:
            raise ApiError(404, "not_found", "dataflow", "api.not_found",
                           closest_texts(dataflow, flows), value=dataflow)
        filters["dataflow"] = (dataflow,)
    catalogue = StoreCatalogue.of(handle.store)
    filters.update(key_filters(key, {c: sorted(v) for c, v in catalogue.values.items()}))
    try:
        query = ObservationQuery.build(
            filters=filters, start=startPeriod, end=endPeriod, group_by=list(SERIES_GROUP),
            release=release, as_of=as_of,
        )
    except QueryError as exc:  # name the parameter as this route spells it
        renamed = {"start": "startPeriod", "end": "endPeriod"}.get(exc.parameter, exc.parameter)
        exc.parameter = exc.values["parameter"] = renamed
        raise
    fmt = Format.sdmx_json if _wants_json(request, format) else Format.sdmx_csv
    flow_id = dataflow if dataflow.upper() != "ALL" else None
    return answer(request, handle, query, fmt, normalize_lang(lang), dataflow=flow_id)


# -- structure (SDMX-ML 2.1) ----------------------------------------------------------------------

_STRUCTURE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA_SDMX_ML_STRUCTURE: {}}, "description": "SDMX-ML 2.1 structure message"},
    304: {"description": "Not modified (conditional request)"},
    404: {**ERROR_RESPONSES[400], "description": "No such agency, artefact or version"},
    **ERROR_RESPONSES,
}
AgencyP = Annotated[str, Path(description=f"{AGENCY}, or all", examples=[AGENCY])]
ResourceP = Annotated[str, Path(description="artefact id (several with +), or all",
                                examples=["DSD_MIGRATION"])]
VersionP = Annotated[str, Path(description="1.0, latest or all", examples=["latest"])]
ReferencesP = Annotated[str | None, Query(
    pattern=f"^({'|'.join(REFERENCES)})$",
    description="also return related artefacts: none (default), parents, parentsandsiblings, "
                "children, descendants, all, or one kind (codelist…)")]
DetailP = Annotated[str | None, Query(pattern="^full$", description="full (the only detail)")]


def _store_codes(handle: StoreHandle) -> StoreCodes:
    """SOURCE and TABLE codes: the values in the store, sources named by their titles."""
    catalogue = StoreCatalogue.of(handle.store)
    titles = {str(src): (es or src, en or src) for src, es, en in handle.store.cursor().execute(
        "SELECT source, title_es, title_en FROM sources").fetchall()}
    sources = {src: titles.get(src, (src, src)) for src in catalogue.values.get("source", ())}
    return StoreCodes(sources, [*sorted(catalogue.values.get("table", ())), None])


def _structure(handle: StoreHandle, kind: str, agency: str, resource: str, version: str,
               references: str | None) -> Response:
    known = codelists(_store_codes(handle))
    try:
        selection = select(kind, agency, resource, version, references or "none", list(known))
    except NotFound as exc:
        # One agency, one version: name them even when the value looks like neither.
        closest = closest_texts(exc.value, exc.known) or (exc.known if len(exc.known) <= 3 else [])
        raise ApiError(404, "not_found", exc.parameter, "api.not_found", closest,
                       value=exc.value) from None
    body = structure_message(selection, known, f"{AGENCY}-STRUCTURE-{handle.version_id}",
                             handle.version)
    return Response(body, media_type=MEDIA_SDMX_ML_STRUCTURE)


def _register_structure_routes(kind: str) -> None:
    """``/sdmx/{kind}[/{agencyID}[/{resourceID}[/{version}]]]`` (omitted parts: all, all, latest).

    The bare ``/sdmx/dataflow`` stays the JSON list of dataflows (above); its SDMX-ML form is
    ``/sdmx/dataflow/all`` (or ``/sdmx/dataflow/OMR``).
    """
    what = f"SDMX-ML 2.1 {kind}"

    def everything(handle: StoreDep, references: ReferencesP = None,
                   detail: DetailP = None) -> Response:
        return _structure(handle, kind, "all", "all", "latest", references)

    def by_agency(handle: StoreDep, agencyID: AgencyP, references: ReferencesP = None,  # noqa: N803
                  detail: DetailP = None) -> Response:
        return _structure(handle, kind, agencyID, "all", "latest", references)

    def by_id(handle: StoreDep, agencyID: AgencyP, resourceID: ResourceP,  # noqa: N803
              references: ReferencesP = None, detail: DetailP = None) -> Response:
        return _structure(handle, kind, agencyID, resourceID, "latest", references)

    def by_version(handle: StoreDep, agencyID: AgencyP, resourceID: ResourceP,  # noqa: N803
                   version: VersionP, references: ReferencesP = None,
                   detail: DetailP = None) -> Response:
        return _structure(handle, kind, agencyID, resourceID, version, references)

    shapes: list[tuple[str, Callable[..., Response]]] = [("", everything), ("/{agencyID}", by_agency), ("/{agencyID}/{resourceID}", by_id),
              ("/{agencyID}/{resourceID}/{version}", by_version)]
    for suffix, endpoint in shapes:
        if kind == "dataflow" and not suffix:
            continue  # GET /sdmx/dataflow is the JSON list
        router.add_api_route(
            f"/{kind}{suffix}", endpoint, methods=["GET"], response_model=None,
            responses=_STRUCTURE_RESPONSES, response_class=Response,
            summary=f"{what}{suffix.replace('{', '').replace('}', '')}",
            operation_id=f"sdmx_{kind}_{endpoint.__name__}",
            description=f"The {kind} artefact(s) as an SDMX-ML 2.1 structure message, names in "
                        "Spanish and English; references= adds related artefacts.",
        )


for _kind in KINDS:
    _register_structure_routes(_kind)


__all__ = ["router", "AGENCY"]
