"""A month published again must not give away, by the difference of two releases, the few
people its data changed by (a returnee entered late, a person's record edited or erased).

Every run publishes every month up to its period as a new release, and the store keeps every
release (observations_history): two releases of one month are two linked tables, the same
problem as differences.py's, between releases instead of between specs. Two rules:

* **Frozen by default.** A month some release already published is published again with the
  rows of its latest release (``Versions.freeze``): every release of a month then publishes the
  same numbers, and their difference is zero everywhere. Months are closed before they are
  published (closing.py), so what a frozen month leaves out is data entered after its closing
  lag; the numbers the public has read do not move under it.
* **Protected revision**, only when the operator asks (``revise``): the month is counted again,
  and every earlier published version of it is a linked table (``revision_keys``, run inside
  suppression.suppress_linked): an entry a version hid is hidden (showing it would narrow the
  change); *primary*: an entry a version published that changed by 1 … threshold−1 is hidden;
  *secondary*: the new tables and the version solved as one system (attack.exposed_pairs, the
  version's hidden entries unknown) narrow no hidden entry, nor a small hidden change, below the
  threshold; each one that is gets one more entry of the new release hidden in its row or column.

Why not protect every run against the previous release? A revision protected against one
release is not against the older ones, an entry hidden for a change can be shown again one
release later, and each release of an open-ended series adds a table the attacker solves with
the others: freezing keeps the number of versions of a month at one until someone decides a
revision is worth its suppression, and that run is protected against every version there is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from observatorio.cases.publication.attack import exposed_pairs
from observatorio.cases.publication.differences import complement_of
from observatorio.cases.publication.tables import Table
from observatorio.cases.publication.writer import (
    FRAME_COLUMNS,
    SOURCE_ID,
    StoreWriter,
    cell_identity,
    entry_identity,
    ordered,
)
from observatorio.store.release_cells import MONTH_VERSIONS_SQL

Key = tuple[Any, ...]
#: one published version of a month: entry identity → value (None: hidden)
Version = dict[tuple[Any, ...], float | None]


def _month(value: Any) -> dt.date:
    stamp = pd.Timestamp(value)
    return dt.date(stamp.year, stamp.month, 1)


@dataclass
class Versions:
    """What earlier releases published, per month: the rows of the latest release that holds
    the month (what a frozen month publishes again) and every distinct version of it."""

    latest: dict[dt.date, pd.DataFrame] = field(default_factory=dict)
    distinct: dict[dt.date, list[Version]] = field(default_factory=dict)

    @classmethod
    def read(cls, store: StoreWriter) -> Versions:
        """Every release of ``cases_publication`` the store keeps (none on a fresh store), each
        month's rows read once per distinct content (frozen releases repeat a month unchanged:
        the history grows with releases × months, what is read here with the revisions)."""
        rows = store.query_df(MONTH_VERSIONS_SQL, [SOURCE_ID, SOURCE_ID])
        versions = cls()
        if rows.empty:
            return versions
        rows["month"] = [_month(p) for p in rows["period"]]
        for value, part in rows.groupby("month", sort=True):
            month = _month(value)
            by_load = sorted(part.groupby("load_id"), key=lambda item: (item[1]["loaded_at"].max(), item[0]))
            versions.latest[month] = by_load[-1][1]
            seen: list[Version] = []
            for _, load in by_load:
                version = {entry_identity(r): (None if pd.isna(r["value"]) else float(r["value"]))
                           for r in load.to_dict("records")}
                if version not in seen:
                    seen.append(version)
            versions.distinct[month] = seen
        return versions

    def freeze(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (a run's rows) with every month already published replaced by its latest
        release's rows, as this release."""
        if not self.latest:
            return frame
        months = pd.Series([_month(p) for p in frame["period"]], index=frame.index)
        fresh = frame[~months.isin(list(self.latest))]
        kept = [self._as_release(rows, frame) for month, rows in self.latest.items() if month in set(months)]
        out = pd.concat([fresh, *kept], ignore_index=True) if kept else fresh
        out["value"] = out["value"].astype("float64")
        out["source_row"] = out["source_row"].astype("Int64")
        return ordered(out)

    @staticmethod
    def _as_release(rows: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
        old = rows[list(FRAME_COLUMNS)].copy()
        old["period"] = [_month(p) for p in old["period"]]
        old["release"] = frame["release"].iloc[0]
        old["source_file"] = frame["source_file"].iloc[0]
        old["value"] = [None if pd.isna(v) else float(v) for v in old["value"]]
        return old




def _period_of(table: Table) -> dt.date | None:
    layers = dict(zip(table.spec.layers, table.layer, strict=True))
    return _month(layers["period"]) if "period" in layers else None


def revision_keys_for(versions: Versions, threshold: int) -> Callable[[list[Table]], set[Key]]:
    """The ``linked`` rule suppression.suppress_linked runs for a protected revision: the keys
    to hide next so that no earlier version of a month can be differenced with this one."""
    identities: dict[int, dict[tuple[int, int], tuple[Any, ...]]] = {}

    def identity(table: Table, i: int, j: int) -> tuple[Any, ...]:
        cells = identities.setdefault(id(table), {})
        if (i, j) not in cells:
            cells[(i, j)] = cell_identity(table, i, j)
        return cells[(i, j)]

    def keys(tables: list[Table]) -> set[Key]:
        found: set[Key] = set()
        for table in tables:
            if not table.spec.published:  # a link (suppression.py) was never published: no version
                continue
            month = _period_of(table)
            for version in versions.distinct.get(month, []) if month else []:
                found |= {table.entry_key(i, j) for i, j in _to_hide(table, version, threshold, identity)}
        return found

    return keys


def _to_hide(table: Table, version: Version, threshold: int,
             identity: Callable[[Table, int, int], tuple[Any, ...]]) -> Iterator[tuple[int, int]]:
    """The entries of ``table`` to hide against one earlier ``version`` of its month (module
    doc): the direct ones first; only when there are none, one complement per exposed entry.
    An entry the version lacks is a zero it published (nobody in that category then)."""
    shape = table.counts.shape
    old = np.zeros(shape, dtype=np.int64)
    old_hidden = np.zeros(shape, dtype=bool)
    for i, j in np.ndindex(shape):
        value = version.get(identity(table, i, j), 0.0)
        if value is None:
            old_hidden[i, j] = True
        else:
            old[i, j] = round(value)
    new, hidden = table.counts.astype(np.int64), table.suppressed
    if (hidden == old_hidden).all() and (new[~hidden] == old[~hidden]).all():
        return  # it publishes what the version published: nothing to solve together (most months)
    change = np.abs(new - old)
    visible = ~hidden
    direct = visible & (old_hidden | ((change >= 1) & (change < threshold)))
    if direct.any():
        yield from ((int(i), int(j)) for i, j in np.argwhere(direct))
        return
    # the version's hidden values are not kept; the new ones stand in (their change is then
    # zero, and the attacker's "new ≥ old" assumption is tested on what both published)
    filled = np.where(old_hidden, new, old)
    for i, j in exposed_pairs(new, hidden, filled, old_hidden, threshold):
        complement = complement_of(new, change, visible, i, j)
        if complement is not None:
            visible[complement] = False
            yield complement
