"""Data routes: ``/api/v1/observations`` in six formats and ``/api/v1/revisions``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response, StreamingResponse

from observatorio.api_texts import api_text
from observatorio.i18n import normalize_lang
from observatorio.publish.api.errors import ERROR_RESPONSES, ApiError
from observatorio.publish.api.filters import column_filters
from observatorio.publish.api.formats import (
    DEFAULT_JSON_LIMIT,
    EXTENSIONS,
    MAX_ROWS,
    MEDIA_TYPES,
    STREAM_FROM_ROWS,
    Format,
    XlsxAbout,
    csv_bytes,
    csv_stream,
    json_bytes,
    json_rows,
    parquet_bytes,
    xlsx_bytes,
)
from observatorio.publish.api.params import StrictRoute
from observatorio.publish.api.schemas import Lang, ObservationPage
from observatorio.publish.api.sdmx import SERIES_GROUP, sdmx_frame, sdmx_group_by, sdmx_json
from observatorio.publish.api.store_access import StoreDep, StoreHandle
from observatorio.store.query import MAX_PAGING, ObservationQuery, revisions

router = APIRouter(prefix="/api/v1", tags=["data"], route_class=StrictRoute)

#: One query parameter per filterable contract column (publish/api/filters.py).
Filters = Annotated[dict[str, list[str]], Depends(column_filters)]
Start = Annotated[str | None, Query(description=api_text("api.doc.param.start"),
                                    examples=["2021-10"])]
End = Annotated[str | None, Query(description=api_text("api.doc.param.end"),
                                  examples=["2022-09"])]
GroupBy = Annotated[str | None, Query(
    description=api_text("api.doc.param.group_by"),
    examples=["source"])]


@dataclass(frozen=True)
class Selection:
    """The series a request selects, as /api/v1/observations and /api/v1/revisions both take
    it: the contract's column filters, the periods and what to keep when summing."""

    filters: dict[str, list[str]]
    start: str | None
    end: str | None
    group_by: str | None


def selection(filters: Filters, start: Start = None, end: End = None,
              group_by: GroupBy = None) -> Selection:
    """The dependency: one declaration of the shared parameters for both routes."""
    return Selection(filters, start, end, group_by)


SelectionDep = Annotated[Selection, Depends(selection)]
Release = Annotated[str | None, Query(description=api_text("api.doc.param.release"))]
Aggregate = Annotated[str | None, Query(
    description=api_text("api.doc.param.aggregate"), examples=["A"])]
AsOf = Annotated[str | None, Query(description=api_text("api.doc.param.as_of"))]
# limit=0 passes here and is refused by ObservationQuery.build, as on the fast path (fast.py).
Limit = Annotated[int | None, Query(ge=0, le=MAX_PAGING,
                                    description=api_text("api.doc.param.limit"))]
Offset = Annotated[int, Query(ge=0, le=MAX_PAGING, description=api_text("api.doc.param.offset"))]
FormatQ = Annotated[Format, Query(description=api_text("api.doc.param.format"))]
LangQ = Annotated[Lang, Query(description=api_text("api.doc.param.lang_messages"))]

_CONTENT: dict[str, dict[str, Any]] = {
    m: {} for f, m in MEDIA_TYPES.items() if f is not Format.json
}
DATA_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": ObservationPage, "content": _CONTENT,
          "description": api_text("api.doc.response.observations")},
    304: {"description": api_text("api.doc.response.not_modified")},
    **ERROR_RESPONSES,
}


def build_query(
    filters: dict[str, list[str]], start: str | None, end: str | None, group_by: str | None,
    release: str | None, as_of: str | None, limit: int | None, offset: int,
    aggregate: str | None = None,
) -> ObservationQuery:
    """The ObservationQuery of a request (every problem is a QueryError naming the parameter)."""
    return ObservationQuery.build(
        filters=filters, start=start, end=end,
        group_by=group_by.split(",") if group_by is not None else None,
        release=release, as_of=as_of, limit=limit, offset=offset, aggregate=aggregate,
    )


@router.get("/observations", response_model=None, responses=DATA_RESPONSES,
            summary=api_text("api.doc.data.observations.summary"),
            description=api_text("api.doc.data.observations.description"))
def observations(
    request: Request,
    handle: StoreDep,
    chosen: SelectionDep,
    release: Release = None, as_of: AsOf = None,
    limit: Limit = None, offset: Offset = 0,
    format: FormatQ = Format.json,  # noqa: A002 - the public parameter name
    lang: LangQ = "es", aggregate: Aggregate = None,
) -> Response:
    """Every harmonized number: filter on any column, sum with ``group_by``, pick a vintage.

    JSON is paginated (``limit``/``offset``, ``meta.next``); other formats return the whole
    answer (CSV and SDMX-CSV stream), within the limits in docs/api.md.
    """
    query = observations_query(chosen.filters, chosen.start, chosen.end, chosen.group_by,
                               release, as_of, limit, offset, format, aggregate)
    return answer(request, handle, query, format, normalize_lang(lang))


def observations_query(
    filters: dict[str, list[str]], start: str | None, end: str | None, group_by: str | None,
    release: str | None, as_of: str | None, limit: int | None, offset: int, fmt: Format,
    aggregate: str | None = None,
) -> ObservationQuery:
    """The question of a request to /api/v1/observations (the route's and the fast path's,
    publish/api/fast.py): SDMX formats default to one row per series key and period, JSON to
    pages of DEFAULT_JSON_LIMIT rows."""
    if fmt in (Format.sdmx_csv, Format.sdmx_json):
        # one observation per SDMX series key and period, or per asked group and period
        group_by = ",".join(SERIES_GROUP) if group_by is None else sdmx_group_by(group_by)
    if fmt is Format.json and limit is None:
        limit = DEFAULT_JSON_LIMIT
    return build_query(filters, start, end, group_by, release, as_of, limit, offset, aggregate)


def answer(
    request: Request, handle: StoreHandle, query: ObservationQuery, fmt: Format, lang: str,
    dataflow: str | None = None,
) -> Response:
    """Run a checked query and encode its answer in ``fmt``."""
    store = handle.store
    query.check(store)
    streamable = fmt in (Format.csv, Format.sdmx_csv)
    # Ask for one row more than may be served whole: the answer says whether there are more,
    # so that the common small answer costs one query, not a count and a query.
    threshold = STREAM_FROM_ROWS if streamable else MAX_ROWS[fmt]
    cap = threshold + 1 if query.limit is None else min(query.limit, threshold + 1)
    table = replace(query, limit=cap).run(store, check=False)
    if table.num_rows > threshold:
        total = query.count(store)
        if not streamable:
            raise ApiError(400, "too_large", "limit" if fmt is Format.json else "format",
                           "api.too_large", rows=total - query.offset,
                           maximum=MAX_ROWS[fmt], format=fmt.value)
    elif query.limit is not None and table.num_rows == query.limit:
        total = query.count(store)  # a full page: there may be more
    elif table.num_rows == 0 and query.offset:
        total = query.count(store)  # past the end: say how far the end is
    else:
        total = query.offset + table.num_rows
    if dataflow is None and len(query.filters.get("dataflow", ())) == 1:
        dataflow = query.filters["dataflow"][0]
    headers = {"X-Total-Count": str(total)}
    if fmt is not Format.json:
        headers["Content-Disposition"] = f'inline; filename="observations.{EXTENSIONS[fmt]}"'
    media = MEDIA_TYPES[fmt]
    if table.num_rows > threshold:
        stream = csv_stream(query.batches(store), dataflow, sdmx=fmt is Format.sdmx_csv)
        return StreamingResponse(stream, media_type=media, headers=headers)
    if fmt is Format.json:
        next_url = _next_page(request, query, total)
        if next_url:
            headers["Link"] = f'<{next_url}>; rel="next"'
        payload = {
            "meta": {
                "total": total, "limit": query.limit, "offset": query.offset, "next": next_url,
                "columns": list(query.columns()), "group_by": list(query.group_by),
                "release": query.release, "as_of": query.as_of,
                "store_version": handle.version,
            },
            "data": json_rows(table),
        }
        body = json_bytes(payload)
    elif fmt is Format.csv:
        body = csv_bytes(table)
    elif fmt is Format.sdmx_csv:
        body = csv_bytes(sdmx_frame(table, dataflow))
    elif fmt is Format.sdmx_json:
        body = sdmx_json(table, dataflow, lang, "OMR-" + handle.version_id, handle.version)
    elif fmt is Format.parquet:
        body = parquet_bytes(table)
    else:
        body = xlsx_bytes(table, XlsxAbout(str(request.url), handle.version,
                                           "see /api/v1/sources (licence per source)"))
    return Response(body, media_type=media, headers=headers)


def _next_page(request: Request, query: ObservationQuery, total: int) -> str | None:
    if not query.limit or query.offset + query.limit >= total:
        return None
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")]
    params += [("limit", str(query.limit)), ("offset", str(query.offset + query.limit))]
    return f"{request.url.path}?{urlencode(params)}"


@router.get("/revisions", response_model=None, responses=DATA_RESPONSES,
            summary=api_text("api.doc.data.revisions.summary"),
            description=api_text("api.doc.data.revisions.description"))
def revisions_route(
    request: Request,
    handle: StoreDep,
    chosen: SelectionDep,
    format: Annotated[Format, Query(description=api_text("api.doc.param.format_json_csv"))] = Format.json,  # noqa: A002
    lang: LangQ = "es",
) -> Response:
    """The values of one series in each release loaded (column ``vintage``), oldest first."""
    if format not in (Format.json, Format.csv):
        raise ApiError(400, "invalid_value", "format", "api.invalid_value",
                       reason="json | csv")
    query = build_query(chosen.filters, chosen.start, chosen.end, chosen.group_by,
                        None, None, None, 0)
    query.check(handle.store)
    vintages = revisions(handle.store, query)
    if vintages.num_rows > MAX_ROWS[Format.json]:
        raise ApiError(400, "too_large", "group_by", "api.too_large", rows=vintages.num_rows,
                       maximum=MAX_ROWS[Format.json], format=format.value)
    if format is Format.csv:
        return Response(csv_bytes(vintages), media_type=MEDIA_TYPES[Format.csv])
    payload = {
        "meta": {
            "total": vintages.num_rows, "limit": vintages.num_rows, "offset": 0, "next": None,
            "columns": vintages.column_names, "group_by": list(query.group_by),
            "store_version": handle.version,
        },
        "data": json_rows(vintages),
    }
    return Response(json_bytes(payload), media_type="application/json")
