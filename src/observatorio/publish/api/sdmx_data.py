"""What an SDMX data request asks for (format by ``format=`` or content negotiation, ``detail``,
``dimensionAtObservation``) and the messages the store's ``answer`` does not write itself:
SDMX-ML 2.1 (pysdmx) and the reduced ``detail`` forms of SDMX-CSV and SDMX-JSON."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
from starlette.responses import Response

from observatorio.publish.api.errors import ApiError
from observatorio.publish.api.formats import MEDIA_TYPES, Format, csv_bytes
from observatorio.publish.api.negotiation import Offer, negotiate
from observatorio.publish.api.sdmx import (
    AGENCY,
    DIMENSIONS,
    MEDIA_SDMX_CSV,
    MEDIA_SDMX_JSON,
    sdmx_frame,
    sdmx_json,
)
from observatorio.publish.api.sdmx_ml import (
    ALL_DIMENSIONS,
    MEDIA_SDMX_ML_GENERIC,
    MEDIA_SDMX_ML_SS,
    TIME_DIMENSION,
    DataMessage,
    data_message,
    dsd_schema,
)
from observatorio.publish.api.sdmx_structure import StoreCodes, codelists, select, structure_message
from observatorio.publish.api.store_access import StoreHandle
from observatorio.store.catalogue import StoreCatalogue
from observatorio.store.query import ObservationQuery

DataChoice = Format | DataMessage

#: ``format=`` values (ours, and the SDMX REST names) and the representation each gives.
DATA_FORMAT_NAMES: dict[str, DataChoice] = {
    "sdmx-csv": Format.sdmx_csv, "csv": Format.sdmx_csv, "csvdata": Format.sdmx_csv,
    "sdmx-json": Format.sdmx_json, "json": Format.sdmx_json, "jsondata": Format.sdmx_json,
    "structurespecificdata": DataMessage.structure_specific, "sdmx-ml": DataMessage.structure_specific,
    "genericdata": DataMessage.generic,
}  # fmt: skip
#: The media types offered, preferred first (no Accept, or */*: SDMX-CSV).
DATA_OFFERS: tuple[Offer[DataChoice], ...] = (
    Offer("application/vnd.sdmx.data+csv", Format.sdmx_csv, "2.0.0"),
    Offer("application/vnd.sdmx.data+json", Format.sdmx_json, "2.0.0"),
    Offer("application/vnd.sdmx.structurespecificdata+xml", DataMessage.structure_specific, "2.1"),
    Offer("application/vnd.sdmx.genericdata+xml", DataMessage.generic, "2.1"),
    Offer("text/csv", Format.sdmx_csv),
    Offer("application/json", Format.sdmx_json),
    Offer("application/xml", DataMessage.structure_specific),
    Offer("text/xml", DataMessage.structure_specific),
)
MEDIA: dict[DataChoice, str] = {
    Format.sdmx_csv: MEDIA_SDMX_CSV, Format.sdmx_json: MEDIA_SDMX_JSON,
    DataMessage.structure_specific: MEDIA_SDMX_ML_SS, DataMessage.generic: MEDIA_SDMX_ML_GENERIC,
}
#: SDMX REST ``detail`` values of a data query.
DATA_DETAILS = ("full", "dataonly", "serieskeysonly", "nodata")
#: Most observations of one SDMX-ML answer (the XML writer holds it whole in memory).
MAX_ML_ROWS = 100_000


def data_choice(accept: str | None, fmt: str | None) -> DataChoice:
    """``format=`` when given, else the ``Accept`` header's choice; 406 when it names nothing
    offered."""
    if fmt is not None:
        return DATA_FORMAT_NAMES[fmt]
    chosen = negotiate(accept, DATA_OFFERS)
    if chosen is None:
        offered = ", ".join(f"{o.media_type}" + (f";version={o.version}" if o.version else "")
                            for o in DATA_OFFERS[:4])
        raise ApiError(406, "not_acceptable", "Accept", "api.not_acceptable", [],
                       value=accept or "", offered=offered)
    return chosen


def dimension_at_observation(value: str | None, choice: DataChoice) -> str:
    """TIME_PERIOD (the default), AllDimensions or a dimension id; SDMX-JSON is written with
    TIME_PERIOD at the observation only (SDMX-CSV is flat: any value gives the same rows)."""
    if value is None:
        return TIME_DIMENSION
    known = [TIME_DIMENSION, ALL_DIMENSIONS, *(d.id for d in DIMENSIONS)]
    if value not in known:
        raise ApiError(400, "invalid_value", "dimensionAtObservation", "api.invalid_value",
                       reason=" | ".join(known))
    if choice is Format.sdmx_json and value != TIME_DIMENSION:
        raise ApiError(400, "invalid_value", "dimensionAtObservation", "api.invalid_value",
                       reason="SDMX-JSON: TIME_PERIOD; use SDMX-ML (Accept or format=) for "
                              f"{value}")
    return value


def sdmx_message(handle: StoreHandle, query: ObservationQuery, choice: DataChoice,
                 dataflow: str | None, detail: str, at_observation: str, lang: str) -> Response:
    """SDMX-ML in any detail, or SDMX-CSV / SDMX-JSON in a reduced detail (whole answers)."""
    store = handle.store
    query.check(store)
    limit = MAX_ML_ROWS
    table = replace(query, limit=limit + 1).run(store, check=False)
    if table.num_rows > limit:
        raise ApiError(400, "too_large", "format", "api.too_large", rows=query.count(store),
                       maximum=limit, format=str(choice))
    if detail in ("dataonly", "serieskeysonly", "nodata") and "obs_status" in table.column_names:
        table = table.drop_columns(["obs_status"])  # attributes are left out
    observations = detail not in ("serieskeysonly", "nodata")
    message_id = f"{AGENCY}-{handle.version_id}"
    if choice is Format.sdmx_json:
        body = sdmx_json(table, dataflow, lang, message_id, handle.version,
                         with_observations=observations)
    else:
        frame = sdmx_frame(table, dataflow)
        if not observations:
            frame = _series_keys(frame)
        if choice is Format.sdmx_csv:
            body = csv_bytes(frame)
        else:
            assert isinstance(choice, DataMessage)
            schema = dsd_schema(handle.version, _dsd_structure(handle))
            body = data_message(frame, schema, choice, at_observation, message_id, handle.version)
    return Response(body, media_type=MEDIA.get(choice, MEDIA_TYPES.get(Format.sdmx_csv, "")),
                    headers={"Vary": "Accept"})


def _series_keys(frame: pa.Table) -> pa.Table:
    """One row per series: the frame without its observation columns, duplicates dropped."""
    keep = [c for c in frame.column_names if c not in ("TIME_PERIOD", "OBS_VALUE", "OBS_STATUS")]
    return frame.select(keep).group_by(keep, use_threads=False).aggregate([])


def _dsd_structure(handle: StoreHandle) -> bytes:
    """Our SDMX-ML structure message of the DSD with its concepts and codelists."""
    return structure_bytes(handle, "datastructure", "all", "all", "latest", "descendants")


def store_codes(handle: StoreHandle) -> StoreCodes:
    """SOURCE and TABLE codes: the values in the store, sources named by their titles."""
    catalogue = StoreCatalogue.of(handle.store)
    titles = {str(src): (es or src, en or src) for src, es, en in handle.store.cursor().execute(
        "SELECT source, title_es, title_en FROM sources").fetchall()}
    sources = {src: titles.get(src, (src, src)) for src in catalogue.values.get("source", ())}
    return StoreCodes(sources, [*sorted(catalogue.values.get("table", ())), None])


def structure_bytes(handle: StoreHandle, kind: str, agency: str, resource: str, version: str,
                    references: str) -> bytes:
    """The SDMX-ML 2.1 structure message of a structure query (NotFound when nothing matches)."""
    known = codelists(store_codes(handle))
    selection = select(kind, agency, resource, version, references, list(known))
    return structure_message(selection, known, f"{AGENCY}-STRUCTURE-{handle.version_id}",
                             handle.version)
