"""TRANSITION (#12): the chart frame's pandas builder, for pages not yet built from rows.

Deleted once every page builds its charts from rows (charts.tidy); nothing new may import it.
"""

from __future__ import annotations

import pandas as pd

from observatorio.publish.web.charts import FRAME_COLUMNS


def tidy_frame(frame: pd.DataFrame, *, series: str, label: str, x: str, value: str = "value") -> pd.DataFrame:
    """Rename a query frame into the chart frame (series, label, x, value)."""
    if frame.empty:
        return pd.DataFrame(columns=FRAME_COLUMNS)
    out = pd.DataFrame({
        "series": frame[series].astype(str),
        "label": frame[label].astype(str),
        "x": frame[x],
        "value": frame[value].astype(float),
    })
    return out.reset_index(drop=True)
