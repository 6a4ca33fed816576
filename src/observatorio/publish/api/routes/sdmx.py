"""SDMX REST (1.x paths): data at ``/sdmx/data/{flowRef}/{key}[/{providerRef}]`` (SDMX-CSV 2.0,
SDMX-JSON 2.0, SDMX-ML 2.1 structure-specific or generic) and structure at
``/sdmx/{datastructure|dataflow|codelist|conceptscheme}/{agencyID}/{resourceID}/{version}``
(SDMX-ML 2.1 or SDMX-JSON 2.0), by ``format=`` or content negotiation (406 otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from observatorio.api_texts import api_text
from observatorio.i18n import normalize_lang
from observatorio.model.codelists import get_codelist
from observatorio.publish.api.errors import ERROR_RESPONSES, ApiError
from observatorio.publish.api.formats import Format
from observatorio.publish.api.negotiation import Offer, negotiate
from observatorio.publish.api.params import StrictRoute
from observatorio.publish.api.routes.data import answer
from observatorio.publish.api.schemas import DataflowOut, Lang
from observatorio.publish.api.sdmx import (
    AGENCY,
    DIMENSIONS,
    MEDIA_SDMX_CSV,
    MEDIA_SDMX_JSON,
    SERIES_GROUP,
    VERSION,
    dataflows,
    key_filters,
    structure_id,
)
from observatorio.publish.api.sdmx_data import (
    DATA_DETAILS,
    DATA_FORMAT_NAMES,
    data_choice,
    dimension_at_observation,
    sdmx_message,
    structure_bytes,
)
from observatorio.publish.api.sdmx_ml import (
    MEDIA_SDMX_JSON_STRUCTURE,
    MEDIA_SDMX_ML_GENERIC,
    MEDIA_SDMX_ML_SS,
    structure_json,
)
from observatorio.publish.api.sdmx_structure import (
    KINDS,
    MEDIA_SDMX_ML_STRUCTURE,
    REFERENCES,
    NotFound,
)
from observatorio.publish.api.store_access import StoreDep, StoreHandle
from observatorio.store.catalogue import StoreCatalogue, closest_texts
from observatorio.store.query import ObservationQuery
from observatorio.store.query_errors import QueryError

router = APIRouter(prefix="/sdmx", tags=["sdmx"], route_class=StrictRoute)

KEY_TEMPLATE = ".".join(d.id for d in DIMENSIONS)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA_SDMX_CSV: {}, MEDIA_SDMX_JSON: {}, MEDIA_SDMX_ML_SS: {},
                      MEDIA_SDMX_ML_GENERIC: {}},
          "description": api_text("api.doc.response.sdmx_data")},
    406: {**ERROR_RESPONSES[400], "description": api_text("api.doc.response.not_acceptable")},
    304: {"description": api_text("api.doc.response.not_modified")},
    404: ERROR_RESPONSES[400],
    **ERROR_RESPONSES,
}


@router.get("/dataflow", response_model=list[DataflowOut], summary=api_text("api.doc.sdmx.dataflows.summary"),
            description=api_text("api.doc.sdmx.dataflows.description"))
def dataflow_list(lang: Annotated[Lang, Query()] = "es") -> list[dict[str, str]]:
    """The dataflows and the key template of their data structure."""
    cl = get_codelist("dataflow")
    return [
        {"id": d, "name": cl.label(d, normalize_lang(lang)), "structure": structure_id(d)[1],
         "key_template": KEY_TEMPLATE}
        for d in dataflows()
    ]


DataflowP = Annotated[str, Path(
    description=api_text("api.doc.param.dataflow"), examples=["RETURNS"])]
KeyP = Annotated[str, Path(description=api_text("api.doc.param.key", template=KEY_TEMPLATE))]
ProviderP = Annotated[str, Path(description=api_text("api.doc.param.provider"),
                                examples=["all"])]
StartP = Annotated[str | None, Query(description=api_text("api.doc.param.sdmx_start"))]
EndP = Annotated[str | None, Query(description=api_text("api.doc.param.sdmx_end"))]
FormatP = Annotated[str | None, Query(
    pattern=f"^({'|'.join(DATA_FORMAT_NAMES)})$",
    description=api_text("api.doc.param.sdmx_format"))]
ReleaseP = Annotated[str | None, Query(description=api_text("api.doc.param.sdmx_release"))]
AsOfP = Annotated[str | None, Query(description=api_text("api.doc.param.sdmx_as_of"))]
LangP = Annotated[Lang, Query()]
DataDetailP = Annotated[str | None, Query(
    pattern=f"^({'|'.join(DATA_DETAILS)})$",
    description=api_text("api.doc.param.data_detail"))]
DimensionAtObservationP = Annotated[str | None, Query(
    description=api_text("api.doc.param.dimension_at_observation"))]


@router.get("/data/{dataflow}", response_model=None, responses=_RESPONSES,
            summary=api_text("api.doc.sdmx.data_flow.summary"),
            description=api_text("api.doc.sdmx.data_flow.description"))
def sdmx_dataflow(
    request: Request, handle: StoreDep, dataflow: DataflowP,
    startPeriod: StartP = None, endPeriod: EndP = None,  # noqa: N803 - SDMX REST names
    format: FormatP = None, release: ReleaseP = None, as_of: AsOfP = None,  # noqa: A002
    lang: LangP = "es", detail: DataDetailP = None,
    dimensionAtObservation: DimensionAtObservationP = None,  # noqa: N803
) -> Response:
    """Every series of a dataflow (same as the key ``all``)."""
    return sdmx_data(request, handle, dataflow, "all", startPeriod, endPeriod, format,
                     release, as_of, lang, detail, dimensionAtObservation)


@router.get("/data/{dataflow}/{key}/{provider}", response_model=None, responses=_RESPONSES,
            summary=api_text("api.doc.sdmx.data_provider.summary"),
            description=api_text("api.doc.sdmx.data_provider.description"))
def sdmx_data_of_provider(
    request: Request, handle: StoreDep, dataflow: DataflowP, key: KeyP, provider: ProviderP,
    startPeriod: StartP = None, endPeriod: EndP = None,  # noqa: N803 - SDMX REST names
    format: FormatP = None, release: ReleaseP = None, as_of: AsOfP = None,  # noqa: A002
    lang: LangP = "es", detail: DataDetailP = None,
    dimensionAtObservation: DimensionAtObservationP = None,  # noqa: N803
) -> Response:
    """The same as without a provider: the observatory is the only data provider."""
    if provider not in ("all", "*", AGENCY) and not provider.startswith(f"{AGENCY},"):
        raise ApiError(404, "not_found", "providerRef", "api.not_found", ["all"], value=provider)
    return sdmx_data(request, handle, dataflow, key, startPeriod, endPeriod, format,
                     release, as_of, lang, detail, dimensionAtObservation)


@router.get("/data/{dataflow}/{key}", response_model=None, responses=_RESPONSES,
            summary=api_text("api.doc.sdmx.data_key.summary"),
            description=api_text("api.doc.sdmx.data_key.description"))
def sdmx_data(
    request: Request, handle: StoreDep, dataflow: DataflowP, key: KeyP,
    startPeriod: StartP = None, endPeriod: EndP = None,  # noqa: N803 - SDMX REST names
    format: FormatP = None, release: ReleaseP = None, as_of: AsOfP = None,  # noqa: A002
    lang: LangP = "es", detail: DataDetailP = None,
    dimensionAtObservation: DimensionAtObservationP = None,  # noqa: N803
) -> Response:
    """The same numbers as /api/v1/observations, one observation per series key and period.

    The representation follows ``format=`` or else the ``Accept`` header: SDMX-CSV 2.0,
    SDMX-JSON 2.0, SDMX-ML 2.1 structure-specific or generic data; anything else is 406.
    """
    choice = data_choice(request.headers.get("accept"), format)
    flow_id = flow_of(dataflow)
    at_observation = dimension_at_observation(dimensionAtObservation, choice)
    filters: dict[str, tuple[str, ...]] = {}
    if flow_id is not None:
        filters["dataflow"] = (flow_id,)
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
    wanted = detail or "full"
    if isinstance(choice, Format) and wanted == "full":
        return answer(request, handle, query, choice, normalize_lang(lang), dataflow=flow_id)
    return sdmx_message(handle, query, choice, flow_id, wanted, at_observation,
                        normalize_lang(lang))


def flow_of(flow_ref: str) -> str | None:
    """The dataflow of an SDMX REST flowRef (``RETURNS``, ``OMR,RETURNS``, ``OMR,RETURNS,1.0``,
    ``all``): its id, or None for every dataflow. 404 for an unknown agency, id or version."""
    parts = flow_ref.split(",")
    if len(parts) > 3:
        raise ApiError(404, "not_found", "flowRef", "api.not_found", [], value=flow_ref)
    agency, flow, version = (["all", *parts, "latest"] if len(parts) == 1 else
                             [*parts, "latest"] if len(parts) == 2 else parts)
    if agency not in ("all", "*", AGENCY):
        raise ApiError(404, "not_found", "agencyID", "api.not_found", [AGENCY], value=agency)
    if version not in ("latest", "all", "*", "~", VERSION):
        raise ApiError(404, "not_found", "version", "api.not_found", [VERSION, "latest"],
                       value=version)
    if flow.upper() == "ALL" or flow == "*":
        return None
    flows = dataflows()
    if flow not in flows:
        raise ApiError(404, "not_found", "dataflow", "api.not_found",
                       closest_texts(flow, flows), value=flow)
    return flow


# -- structure (SDMX-ML 2.1) ----------------------------------------------------------------------

_STRUCTURE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA_SDMX_ML_STRUCTURE: {}, MEDIA_SDMX_JSON_STRUCTURE: {}},
          "description": api_text("api.doc.response.sdmx_structure")},
    406: {**ERROR_RESPONSES[400], "description": api_text("api.doc.response.not_acceptable")},
    304: {"description": api_text("api.doc.response.not_modified")},
    404: {**ERROR_RESPONSES[400], "description": api_text("api.doc.response.sdmx_not_found")},
    **ERROR_RESPONSES,
}
AgencyP = Annotated[str, Path(description=api_text("api.doc.param.agency", agency=AGENCY), examples=[AGENCY])]
ResourceP = Annotated[str, Path(description=api_text("api.doc.param.resource"),
                                examples=["DSD_MIGRATION"])]
VersionP = Annotated[str, Path(description=api_text("api.doc.param.version"), examples=["latest"])]
ReferencesP = Annotated[str | None, Query(
    pattern=f"^({'|'.join(REFERENCES)})$",
    description=api_text("api.doc.param.references"))]
DetailP = Annotated[str | None, Query(
    pattern="^(full|allstubs|referencestubs|allcompletestubs|referencecompletestubs|"
            "referencepartial)$",
    description=api_text("api.doc.param.detail"))]
StructureFormatP = Annotated[str | None, Query(
    pattern="^(sdmx-ml|sdmx-json)$",
    description=api_text("api.doc.param.structure_format"))]


STRUCTURE_OFFERS: tuple[Offer[str], ...] = (
    Offer("application/vnd.sdmx.structure+xml", "sdmx-ml", "2.1"),
    Offer("application/vnd.sdmx.structure+json", "sdmx-json", "2.0.0"),
    Offer("application/xml", "sdmx-ml"),
    Offer("text/xml", "sdmx-ml"),
    Offer("application/json", "sdmx-json"),
)


def _structure(request: Request, handle: StoreHandle, kind: str, agency: str, resource: str,
               version: str, references: str | None, fmt: str | None) -> Response:
    choice = fmt or negotiate(request.headers.get("accept"), STRUCTURE_OFFERS)
    if choice is None:
        raise ApiError(406, "not_acceptable", "Accept", "api.not_acceptable", [],
                       value=request.headers.get("accept", ""),
                       offered="application/vnd.sdmx.structure+xml;version=2.1, "
                               "application/vnd.sdmx.structure+json;version=2.0.0")
    try:
        body = structure_bytes(handle, kind, agency, resource, version, references or "none")
    except NotFound as exc:
        # One agency, one version: name them even when the value looks like neither.
        closest = closest_texts(exc.value, exc.known) or (exc.known if len(exc.known) <= 3 else [])
        raise ApiError(404, "not_found", exc.parameter, "api.not_found", closest,
                       value=exc.value) from None
    if choice == "sdmx-json":
        return Response(structure_json(body), media_type=MEDIA_SDMX_JSON_STRUCTURE,
                        headers={"Vary": "Accept"})
    return Response(body, media_type=MEDIA_SDMX_ML_STRUCTURE, headers={"Vary": "Accept"})


def _register_structure_routes(kind: str) -> None:
    """``/sdmx/{kind}[/{agencyID}[/{resourceID}[/{version}]]]`` (omitted parts: all, all, latest).

    The bare ``/sdmx/dataflow`` stays the JSON list of dataflows (above); its SDMX-ML form is
    ``/sdmx/dataflow/all`` (or ``/sdmx/dataflow/OMR``).
    """
    def everything(request: Request, handle: StoreDep, references: ReferencesP = None,
                   detail: DetailP = None, format: StructureFormatP = None) -> Response:  # noqa: A002
        return _structure(request, handle, kind, "all", "all", "latest", references, format)

    def by_agency(request: Request, handle: StoreDep, agencyID: AgencyP,  # noqa: N803
                  references: ReferencesP = None, detail: DetailP = None,
                  format: StructureFormatP = None) -> Response:  # noqa: A002
        return _structure(request, handle, kind, agencyID, "all", "latest", references, format)

    def by_id(request: Request, handle: StoreDep, agencyID: AgencyP,  # noqa: N803
              resourceID: ResourceP, references: ReferencesP = None,  # noqa: N803
              detail: DetailP = None, format: StructureFormatP = None) -> Response:  # noqa: A002
        return _structure(request, handle, kind, agencyID, resourceID, "latest", references,
                          format)

    def by_version(request: Request, handle: StoreDep, agencyID: AgencyP,  # noqa: N803
                   resourceID: ResourceP, version: VersionP,  # noqa: N803
                   references: ReferencesP = None, detail: DetailP = None,
                   format: StructureFormatP = None) -> Response:  # noqa: A002
        return _structure(request, handle, kind, agencyID, resourceID, version, references,
                          format)

    shapes: list[tuple[str, Callable[..., Response]]] = [("", everything), ("/{agencyID}", by_agency), ("/{agencyID}/{resourceID}", by_id),
              ("/{agencyID}/{resourceID}/{version}", by_version)]
    for suffix, endpoint in shapes:
        if kind == "dataflow" and not suffix:
            continue  # GET /sdmx/dataflow is the JSON list
        router.add_api_route(
            f"/{kind}{suffix}", endpoint, methods=["GET"], response_model=None,
            responses=_STRUCTURE_RESPONSES, response_class=Response,
            summary=api_text("api.doc.sdmx.structure.summary", kind=kind,
                             path=suffix.replace("{", "").replace("}", "")),
            operation_id=f"sdmx_{kind}_{endpoint.__name__}",
            description=api_text("api.doc.sdmx.structure.description", kind=kind),
        )


for _kind in KINDS:
    _register_structure_routes(_kind)


__all__ = ["router", "AGENCY"]
