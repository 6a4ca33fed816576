"""SDMX messages written by pysdmx: SDMX-ML 2.1 data (structure-specific and generic) and
SDMX-JSON 2.0 structure, from the same SDMX-CSV frame (sdmx.py) and SDMX-ML structure
(sdmx_structure.py) the other formats come from, so every format says the same numbers."""

from __future__ import annotations

import threading
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa

from observatorio.publish.api.sdmx import AGENCY, DSD_ID, VERSION

if TYPE_CHECKING:
    from pysdmx.model.dataflow import Schema

MEDIA_SDMX_ML_SS = "application/vnd.sdmx.structurespecificdata+xml; version=2.1; charset=utf-8"
MEDIA_SDMX_ML_GENERIC = "application/vnd.sdmx.genericdata+xml; version=2.1; charset=utf-8"
MEDIA_SDMX_JSON_STRUCTURE = "application/vnd.sdmx.structure+json; version=2.0.0; charset=utf-8"
#: What SDMX-ML's dimensionAtObservation may name besides a dimension id.
ALL_DIMENSIONS = "AllDimensions"
TIME_DIMENSION = "TIME_PERIOD"
_URN_DSD = f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY}:{DSD_ID}({VERSION})"


class DataMessage(StrEnum):
    """The SDMX-ML 2.1 data messages offered."""

    structure_specific = "structurespecificdata"
    generic = "genericdata"


_schemas: dict[str, Schema] = {}
_lock = threading.Lock()


def dsd_schema(version: str, structure_xml: bytes) -> Schema:
    """The DSD as pysdmx's Schema, read once per store version from our own structure message
    (DSD, concepts and codelists)."""
    from pysdmx.io import read_sdmx
    from pysdmx.model.dataflow import DataStructureDefinition

    with _lock:
        found = _schemas.get(version)
        if found is None:
            message = read_sdmx(structure_xml.decode("utf-8"))
            dsd = next(s for s in message.structures or () if isinstance(s, DataStructureDefinition))
            _schemas.clear()  # one store version at a time
            found = _schemas[version] = dsd.to_schema()
        return found


def data_message(frame: pa.Table, schema: Schema, kind: DataMessage, dimension_at_observation: str,
                 message_id: str, prepared: str) -> bytes:
    """An SDMX-ML 2.1 data message of an SDMX-CSV frame (STRUCTURE… columns are dropped).

    ``prepared`` is the store version: the same store gives the same bytes.
    """
    from pysdmx.io import write_sdmx
    from pysdmx.io.format import Format
    from pysdmx.io.pd import PandasDataset
    from pysdmx.model import Organisation
    from pysdmx.model.message import Header

    columns = [c for c in frame.column_names if c not in ("STRUCTURE", "STRUCTURE_ID", "ACTION")]
    data = frame.select(columns).to_pandas().astype(object)
    if "OBS_VALUE" in data:
        data["OBS_VALUE"] = [_number_text(v) for v in data["OBS_VALUE"]]
    header = Header(id=message_id, test=False, prepared=datetime.fromisoformat(prepared),
                    sender=Organisation(id=AGENCY))
    target = (Format.DATA_SDMX_ML_2_1_STR if kind is DataMessage.structure_specific
              else Format.DATA_SDMX_ML_2_1_GEN)
    text = write_sdmx([PandasDataset(structure=schema, data=data)], target, header=header,
                      prettyprint=False, dimension_at_observation=dimension_at_observation)
    assert text is not None
    return text.encode("utf-8")


def _number_text(value: Any) -> Any:
    """Counts as ``502``, not ``502.0``; fractions as they are."""
    if value is None or value != value:
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def structure_json(structure_xml: bytes) -> bytes:
    """An SDMX-ML 2.1 structure message as SDMX-JSON 2.0.0, by pysdmx's writer.

    Two fixes so that pysdmx's own reader (and the SDMX-JSON schema) accept the result: a
    dataflow's structure is written as a full URN, and the empty ``groups`` list is left out.
    """
    from pysdmx.io import read_sdmx, write_sdmx
    from pysdmx.io.format import Format

    message = read_sdmx(structure_xml.decode("utf-8"))
    text = write_sdmx(message.structures, Format.STRUCTURE_SDMX_JSON_2_0_0, prettyprint=False)
    assert text is not None
    document = orjson.loads(text)
    data = document.get("data", {})
    for flow in data.get("dataflows", ()):
        if isinstance(flow.get("structure"), str) and not flow["structure"].startswith("urn:"):
            flow["structure"] = _URN_DSD
    for dsd in data.get("dataStructures", ()):
        parts = dsd.get("dataStructureComponents", {})
        if parts.get("groups") == []:
            del parts["groups"]
    return orjson.dumps(document)
