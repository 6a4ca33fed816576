"""What one observation looks like in an answer of the query layer: its columns and their order.

Part of the contract shared by the SQL engine (``store/query.py``) and the in-memory engine
(``store/memory.py``): both must return the same columns in the same order, so both read them
here rather than one from the other.
"""

from __future__ import annotations

#: Columns of one observation as the query layer returns it (lineage last).
OBSERVATION_COLUMNS: tuple[str, ...] = (
    "dataflow", "source", "table", "release", "freq", "period", "ref_area", "citizenship",
    "counterpart_area", "flow", "sex", "age", "accompaniment", "unit", "value", "obs_status",
    "attributes", "source_file", "source_row", "load_id",
)  # fmt: skip

#: The order observations come in: stable, so that pages never overlap.
OBSERVATION_ORDER: tuple[str, ...] = (
    "source", "table", "freq", "period", "ref_area", "citizenship", "counterpart_area", "flow",
    "sex", "age", "accompaniment", "unit", "attributes", "source_row",
)  # fmt: skip
