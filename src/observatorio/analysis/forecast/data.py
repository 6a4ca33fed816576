"""Read the catalogue's monthly series out of the latest observations (through the store's
selection builder, store/selection.py)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from observatorio.analysis.forecast.catalogue import Catalogue, SeriesDef
from observatorio.analysis.forecast.history import series_selection
from observatorio.model.dimensions import FILTER_COLUMNS
from observatorio.store.selection import Selection, sums_query


def _query(con: Any, defn: SeriesDef, dim: str | None) -> pd.DataFrame:
    """Monthly sums for one definition, split by ``dim`` when given: the primary publisher's
    months, preceded by the earlier-months copy's (``earlier_source``) where it has none."""
    frame = _query_source(con, defn, dim, defn.source)
    if defn.earlier_source is None:
        return frame
    earlier = _query_source(con, defn, dim, defn.earlier_source)
    if not frame.empty:
        earlier = earlier[earlier["period"] < frame["period"].min()]
    return pd.concat([earlier, frame], ignore_index=True) if not earlier.empty else frame


def _frame(con: Any, query: tuple[str, list[Any]]) -> pd.DataFrame:
    """A selection read (store/selection.py) as a pandas frame: the engine's tables are frames."""
    found: pd.DataFrame = con.execute(*query).df()
    return found


def _query_source(con: Any, defn: SeriesDef, dim: str | None, source: str) -> pd.DataFrame:
    if dim and dim not in FILTER_COLUMNS:
        raise ValueError(f"series {defn.id!r}: cannot split on column {dim!r}")
    selection = series_selection(defn, [dim] if dim else [], source)
    if dim:
        frame = _frame(con, sums_query(selection, ["period", dim], {"y": "sum"}, names={dim: "code"}))
    else:
        frame = _frame(con, sums_query(selection, ["period"], {"y": "sum"}))
        frame.insert(1, "code", None)
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


def _split_dim(parent: SeriesDef, kids: list[SeriesDef]) -> str | None:
    named = [k for k in kids if not k.residual_of]
    dims = {c for k in named for c, v in k.filters.items() if parent.filters.get(c) != v}
    return dims.pop() if len(dims) == 1 else None


def _monthly(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    idx = pd.date_range(start, end, freq="MS")
    s = frame.groupby("period")["y"].sum()
    return s.reindex(idx, fill_value=0.0).astype(float)


def load_series(con: Any, catalogue: Catalogue) -> dict[str, pd.Series]:
    """Each catalogue series as a monthly ``pd.Series`` (missing months inside its span are 0)."""
    out: dict[str, pd.Series] = {}
    kids_of: dict[str, list[SeriesDef]] = defaultdict(list)
    for s in catalogue.series:
        if s.parent is not None and s.coherent:
            kids_of[s.parent].append(s)
    for s in catalogue.series:
        if s.parent is not None and s.coherent:
            continue  # read with the parent below
        frame = _query(con, s, None)
        if frame.empty:
            continue
        out[s.id] = _monthly(frame, frame["period"].min(), frame["period"].max())
        kids = kids_of.get(s.id)
        if not kids:
            continue
        top = out[s.id]
        dim = _split_dim(s, kids)
        if dim is None:
            raise ValueError(f"series {s.id!r}: children must differ from it in one dimension")
        split = _query(con, kids[0], dim) if kids[0].source != s.source else _query(con, s, dim)
        if split.empty:
            continue
        # Children span their own data (a child table may start later than the total's).
        start, end = split["period"].min(), top.index.max()
        named_sum = pd.Series(0.0, index=pd.date_range(start, end, freq="MS"))
        for k in kids:
            if k.residual_of:
                continue
            code = k.filters[dim][0]
            ser = _monthly(split[split["code"] == code], start, end)
            out[k.id] = ser
            named_sum = named_sum + ser
        for k in kids:
            if not k.residual_of:
                continue
            resid = (top.reindex(named_sum.index).fillna(0.0) - named_sum).clip(lower=0.0)
            if float(resid.abs().sum()) > 0:
                out[k.id] = resid
    return out


def to_long(series: dict[str, pd.Series]) -> pd.DataFrame:
    """The statsforecast long frame (``unique_id``, ``ds``, ``y``)."""
    parts = [
        pd.DataFrame({"unique_id": sid, "ds": s.index, "y": s.to_numpy(dtype=np.float64)})
        for sid, s in series.items()
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["unique_id", "ds", "y"])


def data_release(con: Any, catalogue: Catalogue) -> dict[str, str]:
    """The latest release of each source the catalogue reads (a forecast release's data key)."""
    sources = sorted({src for s in catalogue.series for src in s.sources()})
    frame = _frame(con, sums_query(Selection(filters={"source": tuple(sources)}), ["source"],
                                   {"release": "latest_release"}))
    return {str(src): pd.Timestamp(rel).date().isoformat()
            for src, rel in frame.itertuples(index=False)}
