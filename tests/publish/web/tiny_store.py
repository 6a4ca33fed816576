"""A store holding only the rows a test gives (every other contract column at its default), for
page builders tested without loading the bundled data."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from observatorio.store.duck import Store

DEFAULTS: dict[str, Any] = {
    "dataflow": "FORCED_DISPLACEMENT", "source_file": "fixture.csv", "source_row": None, "table": None,
    "release": dt.date(2026, 1, 1), "freq": "A", "ref_area": "_T", "citizenship": "_T",
    "counterpart_area": "_Z", "flow": "REFUGEE_STOCK", "sex": "_T", "age": "_T", "accompaniment": "_T",
    "unit": "PERSONS", "value": None, "obs_status": "A", "attributes": "{}",
}


def tiny_store(path: Path, source: str, rows: list[dict[str, Any]],
               meta: dict[str, Any] | None = None) -> Path:
    """``path`` as a store with one release of ``source`` made of ``rows``."""
    frame = pd.DataFrame([{**DEFAULTS, "source": source, **r} for r in rows])
    digest = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
    with Store.open(path) as store:
        store.load_frame(frame, source=source, release=frame["release"].iloc[0], source_file="fixture.csv",
                         sha256=digest, source_meta=meta or {"publisher": "fixture", "title_es": source,
                                                              "title_en": source})
    return path
