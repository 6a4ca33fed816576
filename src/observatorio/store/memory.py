"""The latest releases as in-memory columns: the API's small questions answered without SQL.

DuckDB plans every statement anew, and for a grouped question that planning costs ~2 ms on the
benchmark machine however few rows the question reads; the API's typical question (one source,
a country or a year, a few hundred rows) then needs well under a millisecond of actual work. So a
read-only server, whose store cannot change under it, keeps the rows of ``observations_latest``
here as numpy columns, in the table's own order and in the smallest types that keep every
value exact (25 MB for 1.37 M rows, docs/benchmarks.md): text as unsigned codes into its sorted
labels (large label sets, the ``attributes``', packed: :class:`_Packed`), dates and small
integers as codes into their sorted distinct values, a column with one value per source once
per source and the small text columns through one combination key (:class:`_Shared`), the
doubles as ``int32`` with the non-integers apart (:class:`_Doubles`).
:class:`~observatorio.store.query.ObservationQuery` asks this module first when a question is
about the latest releases:

* which rows: the row range of each source asked for (rows are grouped by source and, within a
  source, sorted by ``ref_area``: a country is a binary search), then a mask per other filter
  and for the periods;
* sums: the groups are numbered in sort order (``ORDER BY`` comes with them) and each group's
  sum is the exactly rounded one (``math.fsum``, or ``bincount`` where integers make any order
  exact), as DuckDB's ``fsum`` gives it whatever order its plan adds in; ``obs_status`` follows
  ``_SUM_STATUS``, the order of plain rows ``ANSWER_ORDER`` with NULLs first;
* large questions are declined (``None``): past ``MAX_SCAN`` candidate rows or ``MAX_SELECTED``
  selected rows DuckDB is the faster engine, and answers them.

These are the rows only, never an answer: every request computes its answer from them, and the
answers are DuckDB's own (tests/store/test_memory.py compares both on many questions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from observatorio.model.contract import STOCK_FLOWS
from observatorio.model.dimensions import ANSWER_ORDER, OBSERVATION_COLUMNS
from observatorio.store.catalogue import StoreCatalogue
from observatorio.store.duck import Store
from observatorio.store.heap import give_back_freed_memory

if TYPE_CHECKING:
    from observatorio.store.query import ObservationQuery

#: Most candidate rows (the sources' and countries' ranges) a question may read here.
MAX_SCAN = 400_000
#: Most rows a grouped question may sum here, after its filters.
MAX_SELECTED = 150_000
#: Most rows a question without ``group_by`` may sort here (DuckDB's top-N is faster beyond).
MAX_SORTED = 20_000

_DATE_NULL_LAST = np.iinfo(np.int64).max
_INT_NULL_FIRST = np.iinfo(np.int64).min


class _Shared:
    """A column looked up through a key that other columns share: ``column[rows]`` is
    ``per_key[keys[rows]]``, read as an array's would be. Two keys:

    * the source's codes, for a column with one value per source (``release``, ``source_file``,
      ``load_id``: a load writes its source's rows at once);
    * a combination key of the small text columns (:func:`_combine`): on the bench store the
      875 combinations of ``dataflow``, ``table``, ``freq``, ``flow``, ``sex`` … (15,867 with
      ``citizenship``) are one ``uint16`` per row instead of eleven bytes."""

    __slots__ = ("keys", "per_key")

    def __init__(self, per_key: np.ndarray, keys: np.ndarray) -> None:
        self.per_key = per_key  # the column's value (or code) per key
        self.keys = keys  # the shared key per row (the same array, not a copy)

    def __getitem__(self, rows: Any) -> np.ndarray:
        found: np.ndarray = self.per_key[self.keys[rows]]
        return found

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.per_key.dtype

    @property
    def nbytes(self) -> int:
        return int(self.per_key.nbytes)


#: A column's per-row codes or values: an array, or looked up through a shared key.
_Column = np.ndarray | _Shared


#: Labels of a text column packed past this many bytes of text (the ``attributes``: 36,288
#: texts, 10.4 MB, one per incident of the missing-migrants sources), in blocks of this many.
_PACK_BYTES = 1 << 20
_PACK_BLOCK = 256
_CODEC = "lz4"


class _Packed:
    """A text column's sorted labels, the last a NULL, as LZ4-compressed blocks of
    ``_PACK_BLOCK`` labels: 10.4 → 1.9 MB for the ``attributes``, whose labels only answers
    read (filters, sorts and groups use the codes). The blocks hold the labels in order of
    first appearance in the table, so that the rows an answer reads together (a source's, a
    country's) find their labels in a block or two; ``place`` maps a code (sort order) to that
    order. An answer decompresses the blocks it uses (~15 µs each). Reads as much of a
    ``pa.Array`` as the columns use (``len``, ``take``, ``to_pylist``)."""

    def __init__(self, labels: pa.Array, place: np.ndarray) -> None:
        text = labels.cast(pa.string())  # in order of first appearance, no NULL
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[
            text.offset:text.offset + len(text) + 1]
        first = int(offsets[0])
        self.offsets = (offsets - first).astype(np.int32)
        self.place = place.astype(np.int32)  # code → position in ``labels``
        data = text.buffers()[2]
        codec = pa.Codec(_CODEC)
        self.blocks: list[bytes] = []
        for lo in range(0, len(text), _PACK_BLOCK):
            hi = min(lo + _PACK_BLOCK, len(text))
            raw = data[first + int(self.offsets[lo]):first + int(self.offsets[hi])]
            self.blocks.append(codec.compress(raw, asbytes=True))
        self.count = len(text)

    def __len__(self) -> int:
        return self.count + 1

    @property
    def nbytes(self) -> int:
        return int(self.offsets.nbytes + self.place.nbytes) + sum(len(b) for b in self.blocks)

    def take(self, indices: pa.Array | np.ndarray) -> pa.Array:
        """The labels of the codes ``indices`` (the last code: NULL), as ``pa.Array.take``."""
        codes = np.asarray(indices, dtype=np.int64)
        real = codes != self.count
        wanted = self.place[codes[real]].astype(np.int64)
        mine = wanted // _PACK_BLOCK
        blocks = np.unique(mine)
        codec = pa.Codec(_CODEC)
        parts: list[pa.Array] = []
        for block in blocks.tolist():
            lo, hi = block * _PACK_BLOCK, min((block + 1) * _PACK_BLOCK, self.count)
            offsets = self.offsets[lo:hi + 1] - self.offsets[lo]
            size = int(offsets[-1])
            raw = codec.decompress(self.blocks[block], decompressed_size=size) if size else (
                pa.py_buffer(b""))
            parts.append(pa.StringArray.from_buffers(hi - lo, pa.py_buffer(offsets), raw))
        parts.append(pa.nulls(1, pa.string()))
        found = pa.concat_arrays(parts)
        # a label's place among the blocks decompressed: the labels of the blocks before its own
        sizes = np.minimum((blocks + 1) * _PACK_BLOCK, self.count) - blocks * _PACK_BLOCK
        before = np.concatenate(([0], np.cumsum(sizes)))
        at = np.full(len(codes), len(found) - 1, dtype=np.int64)
        at[real] = before[np.searchsorted(blocks, mine)] + wanted - mine * _PACK_BLOCK
        return found.take(pa.array(at, type=pa.int64()))

    def to_pylist(self) -> list[str | None]:
        return self.take(np.arange(len(self))).to_pylist()


@dataclass(frozen=True)
class _Strings:
    """A text column: ``codes`` index ``values`` (sorted, bytewise as DuckDB compares text),
    whose last entry is NULL: code ``len(values) - 1`` is a NULL, and sorts last."""

    codes: _Column
    values: pa.Array | _Packed

    @cached_property
    def index(self) -> dict[str, int]:
        """Label → code, made when a filter first needs it: a column only ever returned (the
        ``attributes``: 36,000 distinct texts, ≈ 13 MB as Python strings) never makes it."""
        return {str(v): i for i, v in enumerate(self.values.to_pylist()[:-1])}

    @property
    def null(self) -> int:
        return len(self.values) - 1

    def flags(self, labels: Sequence[str]) -> np.ndarray:
        """A lookup table: True at the codes of ``labels`` (``flags[codes]`` is their mask)."""
        table = np.zeros(len(self.values), dtype=bool)
        table[[self.index[v] for v in labels if v in self.index]] = True
        return table


@dataclass(frozen=True)
class _Numbers:
    """A date (as days), integer or double column (doubles: mostly :class:`_Doubles`);
    ``valid`` is None when it has no NULL.

    With ``table`` (its distinct values, sorted) ``data`` holds codes into it, in the smallest
    type that holds them: ``period``'s few hundred months are a ``uint16`` instead of an
    ``int32`` per row. Codes sort as the values do, so keys, groups and ranges use them as they
    are (:meth:`position`); only an answer looks the values up (:meth:`at`)."""

    data: _Column
    valid: _Column | None
    type: pa.DataType
    table: np.ndarray | None = None

    def at(self, rows: np.ndarray) -> np.ndarray:
        """The values of ``rows`` (NULLs are some value: see :meth:`valid_at`)."""
        found: np.ndarray = self.data[rows]
        return found if self.table is None else self.table[found]

    def keys(self, rows: np.ndarray) -> np.ndarray:
        """``int64`` keys of ``rows`` that sort (and differ) as their values do."""
        return self.data[rows].astype(np.int64)

    def valid_at(self, rows: np.ndarray) -> np.ndarray | None:
        return None if self.valid is None else self.valid[rows]

    def position(self, value: int) -> int:
        """The key from which values are ``>= value`` (keys below it are ``< value``)."""
        if self.table is None:
            return value
        return int(np.searchsorted(self.table, value, side="left"))


#: A double column's marks in ``_Doubles.data``: a NULL, and a value kept apart.
_NULL = np.iinfo(np.int32).min
_APART = _NULL + 1


@dataclass(frozen=True)
class _Doubles:
    """A double column whose values are mostly integers (counts of people, the most sources):
    an ``int32`` per row (4 bytes, not 8 and a validity byte), and the few others (fractions,
    values past ``int32``, ``-0.0``, NaN) apart, by row, as they are: every value comes back
    bit for bit. ``data`` holds ``_NULL`` at a NULL and ``_APART`` at a value kept apart."""

    data: np.ndarray
    apart_rows: np.ndarray  # sorted
    apart_values: np.ndarray
    has_nulls: bool
    type: pa.DataType

    def at(self, rows: np.ndarray) -> np.ndarray:
        """The values of ``rows`` as ``float64`` (NULLs are some value: see :meth:`valid_at`)."""
        picked = self.data[rows]
        out = picked.astype(np.float64)
        apart = np.flatnonzero(picked == _APART)
        if len(apart):
            out[apart] = self.apart_values[np.searchsorted(self.apart_rows, rows[apart])]
        return out

    def valid_at(self, rows: np.ndarray) -> np.ndarray | None:
        found: np.ndarray | None = self.data[rows] != _NULL if self.has_nulls else None
        return found


def _smallest_int(top: int) -> type[np.integer[Any]]:
    """The smallest code type that holds ``0 … top``: unsigned (``uint16`` holds the
    ``attributes``' 36,288 labels, ``uint8`` the 205 tables and 251 countries of citizenship)."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def _read_strings(reader: pa.RecordBatchReader, total: int) -> _Strings:
    """A text column, batch by batch, into codes of its sorted labels: each batch's labels get
    a number in order of first appearance (an ``int32`` per row, the one row-length temporary),
    renumbered in sort order at the end into the codes' own small type. (Numbering the labels
    with Arrow's ``index_in`` instead of a dict of Python strings was measured: its hash table
    copies the labels seen so far at every batch, and the ``attributes``' peak rose 30 MB.)"""
    seen: dict[str, int] = {}
    raw = np.empty(total, dtype=np.int32)
    at = 0
    for batch in reader:
        part = batch.column(0)
        encoded = part if pa.types.is_dictionary(part.type) else pc.dictionary_encode(part)
        labels = encoded.dictionary.to_pylist()
        # the batch's label numbers → the column's, and a NULL (index len(labels)) → -1
        local = np.fromiter((seen.setdefault(str(v), len(seen)) for v in labels),
                            dtype=np.int32, count=len(labels))
        local = np.append(local, np.int32(-1))
        indices = pc.fill_null(encoded.indices.cast(pa.int32()), len(labels)).to_numpy(
            zero_copy_only=False)  # int32: an ENUM's own index type may be too small for it
        raw[at:at + len(part)] = local[indices]
        at += len(part)
    _check_rows(at, total)
    known = pa.array(list(seen), type=pa.string())
    del seen
    order = pc.sort_indices(known).to_numpy()  # bytewise, as DuckDB compares text
    null = len(order)
    small = _smallest_int(null)
    rank = np.empty(null + 1, dtype=small)
    rank[order] = np.arange(null, dtype=small)
    rank[null] = null  # a NULL (-1 in raw: the last entry) is the code past the last label
    codes = rank[raw]
    del raw
    if known.nbytes >= _PACK_BYTES and pa.Codec.is_available(_CODEC):
        return _Strings(codes=codes, values=_Packed(known, order))
    # the labels in sort order and a NULL after them, in one copy (a NULL index takes a NULL)
    take = pa.array(np.append(order, 0), type=pa.int64(), mask=np.arange(null + 1) == null)
    return _Strings(codes=codes, values=known.take(take))


def _read_numbers(reader: pa.RecordBatchReader, kind: pa.DataType, total: int) -> _Numbers:
    """A date (as days), integer or double column, batch by batch into its final array; an
    integer column whose values fit is kept as ``int32`` (answers still carry ``kind``)."""
    is_date = pa.types.is_date32(kind)
    data = np.empty(total, dtype=np.int32 if is_date else kind.to_pandas_dtype())
    valid: np.ndarray | None = None
    at = 0
    for batch in reader:
        part = batch.column(0)
        if is_date:
            part = part.cast(pa.int32())
        if part.null_count:
            if valid is None:
                valid = np.ones(total, dtype=bool)
            valid[at:at + len(part)] = pc.is_valid(part).to_numpy(zero_copy_only=False)
            part = pc.fill_null(part, 0)
        data[at:at + len(part)] = part.to_numpy(zero_copy_only=False)
        at += len(part)
    _check_rows(at, total)
    if data.dtype == np.int64 and total and (
            np.iinfo(np.int32).min <= data.min() and data.max() <= np.iinfo(np.int32).max):
        data = data.astype(np.int32)
    return _Numbers(data, valid, kind)


def _compact(found: _Strings | _Numbers) -> _Strings | _Numbers | _Doubles:
    """A column read, in less memory: a double column as :class:`_Doubles` (when that is
    smaller), an integer or date column as codes into its sorted distinct values (when the
    codes' type is smaller than the values'). Both go block by block: no row-length
    temporary on top of the column."""
    if isinstance(found, _Strings):
        return found
    data = found.data
    assert isinstance(data, np.ndarray)
    if data.dtype == np.float64:
        return _doubles(data, found.valid, found.type)
    if not len(data) or found.table is not None:
        return found
    table = np.sort(pc.unique(pa.array(data)).to_numpy())  # hashed: no sort of the rows
    small = _smallest_int(len(table) - 1)
    if np.dtype(small).itemsize >= data.dtype.itemsize:
        return found
    codes = np.empty(len(data), dtype=small)
    for at in range(0, len(data), _READ_BATCH):
        codes[at:at + _READ_BATCH] = np.searchsorted(table, data[at:at + _READ_BATCH])
    return _Numbers(codes, found.valid, found.type, table)


def _doubles(data: np.ndarray, valid: _Column | None, kind: pa.DataType
             ) -> _Numbers | _Doubles:
    assert valid is None or isinstance(valid, np.ndarray)
    ints = np.empty(len(data), dtype=np.int32)
    apart: list[np.ndarray] = []
    for at in range(0, len(data), _READ_BATCH):
        block = data[at:at + _READ_BATCH]
        # -0.0 is kept apart: as an int32 it would come back +0.0
        whole = (np.floor(block) == block) & (block >= _APART + 1) & (
            block <= np.iinfo(np.int32).max) & ~((block == 0) & np.signbit(block))
        ints[at:at + _READ_BATCH] = np.where(whole, block, 0).astype(np.int32)
        away = ~whole if valid is None else ~whole & valid[at:at + _READ_BATCH]
        apart.append(np.flatnonzero(away) + at)
    apart_rows = np.concatenate(apart) if apart else np.empty(0, dtype=np.int64)
    # an int32 per row and 16 bytes per value apart against a double and a validity byte
    if len(apart_rows) * 16 + len(data) * 4 >= len(data) * 9:
        return _Numbers(data, valid, kind)
    ints[apart_rows] = _APART
    if valid is not None:
        ints[~valid] = _NULL
    return _Doubles(ints, apart_rows, data[apart_rows], valid is not None, kind)


def _check_rows(read: int, total: int) -> None:
    if read != total:  # a read-only store cannot change: this would be a bug, never a state
        raise RuntimeError(f"observations_latest gave {read} rows, counted {total}")


class LatestColumns:
    """The rows of ``observations_latest`` of one store version, grouped by source."""

    def __init__(self, version: str, columns: dict[str, _Strings | _Numbers | _Doubles],
                 sources: dict[str, tuple[int, int]], area_sorted: dict[str, bool]) -> None:
        self.version = version
        self.columns = columns
        self.sources = sources  # source → [start, stop) of its rows
        self.area_sorted = area_sorted  # source → its rows are sorted by ref_area
        self.rows = sum(b - a for a, b in sources.values())

    # -- building --------------------------------------------------------------------------

    @classmethod
    def read(cls, store: Store, version: str, names: Sequence[str],
             stop: Callable[[], bool] = lambda: False) -> LatestColumns | None:
        """Read the columns ``names`` of ``observations_latest`` (None if ``stop`` says so).

        Each column is read batch by batch straight into its final array, so the start-up peak
        is the columns kept plus one batch and one ``int32`` per row (docs/benchmarks.md)."""
        cursor = store.cursor()
        try:
            counted = cursor.execute("SELECT count(*) FROM observations_latest").fetchall()
            total = int(counted[0][0])
            by_source = _column(cursor, "source", total)
            assert isinstance(by_source, _Strings) and isinstance(by_source.codes, np.ndarray)
            # A source's rows must lie together. The table keeps them so (each load rewrites
            # its source's rows at once): then nothing moves. Otherwise they are put together,
            # each source keeping the table's order, one column at a time.
            order = None if _runs(by_source.codes) <= len(by_source.values) - 2 else (
                np.argsort(by_source.codes, kind="stable"))
            read: dict[str, _Strings | _Numbers | _Doubles] = {}
            for name in _reading_order(names):
                if stop():
                    return None
                found = by_source if name == "source" else _column(cursor, name, total)
                read[name] = _compact(found if order is None else _reorder(found, order))
                del found
                # Each column's temporaries (Arrow batches, the label numbers) go back before
                # the next is read: the start-up peak is one column's, not their sum.
                give_back_freed_memory()
            columns = {name: read[name] for name in names}
        finally:
            cursor.close()
        source, area = columns["source"], columns["ref_area"]
        assert isinstance(source, _Strings) and isinstance(area, _Strings)
        codes = source.codes
        assert isinstance(codes, np.ndarray)
        if np.any(codes == source.null):
            return None  # a row without a source would be in no source's range
        labels = source.values.to_pylist()[:-1]
        starts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
        starts = np.concatenate(([0], starts)) if len(codes) else starts
        stops = np.append(starts[1:], len(codes))
        sources: dict[str, tuple[int, int]] = {}
        area_sorted: dict[str, bool] = {}
        for first, after in zip(starts.tolist(), stops.tolist(), strict=True):
            label = str(labels[int(codes[first])])
            sources[label] = (first, after)
            segment = area.codes[first:after]
            area_sorted[label] = bool(np.all(segment[1:] >= segment[:-1]))
        ranges = list(sources.values())
        for name, column in columns.items():
            if name != "source":
                columns[name] = _per_source(column, codes, ranges)
        columns.update(_combine({n: c for n, c in columns.items()
                                 if n not in _NOT_COMBINED and isinstance(c, _Strings)}))
        return cls(version, columns, sources, area_sorted)

    # -- answering -------------------------------------------------------------------------

    def candidates(self, query: ObservationQuery) -> int:
        """How many rows the question's sources (and countries) span here."""
        return sum(b - a for a, b in self._ranges(query))

    def run(self, query: ObservationQuery) -> pa.Table | None:
        """The answer, as ``ObservationQuery.run`` gives it (None: too large, ask DuckDB)."""
        rows = self._select(query)
        if rows is None:
            return None
        if query.group_by:
            return self._grouped(query, rows)
        if len(rows) > MAX_SORTED:
            return None
        return self._plain(query, rows)

    def count(self, query: ObservationQuery) -> int | None:
        """How many rows the whole answer has (None: too large, ask DuckDB)."""
        rows = self._select(query)
        if rows is None:
            return None
        if not query.group_by:
            return len(rows)
        return len(self._groups(query.group_by, rows)[0])

    def cannot_double_count(self, query: ObservationQuery, must_agree: Sequence[str],
                            check_stock: bool) -> bool:
        """True when no output group mixes values of ``must_agree`` columns nor, with
        ``check_stock``, periods of a stock flow (False: maybe it does; DuckDB says how)."""
        rows = self._select(query)
        if rows is None or not query.group_by:
            return False
        _, first, inverse = self._groups(query.group_by, rows)
        groups = len(first)
        for name in must_agree:
            strings = self._strings(name)
            if strings is None:
                return False
            codes = strings.codes[rows].astype(np.int64)
            empty = strings.index.get("")
            if empty is not None:  # coalesce(column, ''): NULL and '' are one value
                codes[codes == strings.null] = empty
            if _varies(codes, inverse, groups):
                return False
        if check_stock:
            flow = self._strings("flow")
            period = self.columns.get("period")
            if flow is None or not isinstance(period, _Numbers):
                return False
            stock = np.isin(flow.codes[rows], [flow.index[f] for f in STOCK_FLOWS if f in flow.index])
            valid = period.valid_at(rows)
            if valid is not None:
                stock &= valid
            days = period.keys(rows)
            if _varies(days[stock], inverse[stock], groups):
                return False
        return True

    # -- rows ------------------------------------------------------------------------------

    def _strings(self, name: str) -> _Strings | None:
        found = self.columns.get(name)
        return found if isinstance(found, _Strings) else None

    def _ranges(self, query: ObservationQuery) -> list[tuple[int, int]]:
        """The row ranges of the sources asked for (and of their countries), in table order."""
        wanted = query.filters.get("source")
        names = sorted((s for s in (wanted if wanted is not None else self.sources)
                        if s in self.sources), key=lambda s: self.sources[s][0])
        areas = query.filters.get("ref_area")
        area = self._strings("ref_area")
        if areas is None or area is None:
            return [self.sources[s] for s in names]
        codes = sorted(area.index[a] for a in areas if a in area.index)
        narrowed: list[tuple[int, int]] = []
        for name in names:
            start, stop = self.sources[name]
            if not self.area_sorted[name]:
                narrowed.append((start, stop))  # the ref_area mask does it
                continue
            segment = area.codes[start:stop]
            for code in codes:
                lo = start + int(np.searchsorted(segment, code, side="left"))
                hi = start + int(np.searchsorted(segment, code, side="right"))
                if lo < hi:
                    narrowed.append((lo, hi))
        return narrowed

    def _select(self, query: ObservationQuery) -> np.ndarray | None:
        """Positions of the rows the question reads, in table order (None: too many)."""
        ranges = self._ranges(query)
        if sum(b - a for a, b in ranges) > MAX_SCAN:
            return None
        if not ranges:
            rows = np.empty(0, dtype=np.int64)
        elif len(ranges) == 1:
            rows = np.arange(*ranges[0], dtype=np.int64)
        else:
            rows = np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in ranges])
        for name, values in query.filters.items():
            if name == "source":
                continue
            strings = self._strings(name)
            if strings is None:
                return None
            found = strings.codes
            if isinstance(found, _Shared) and len(rows) > len(found.per_key):
                # flags per key: one lookup per row, as an array's (fewer rows: per row)
                rows = rows[strings.flags(values)[found.per_key][found.keys[rows]]]
            elif len(values) == 1:
                rows = rows[found[rows] == strings.index.get(values[0], -1)]
            else:
                rows = rows[strings.flags(values)[found[rows]]]
        if query.start is not None or query.end is not None:
            period = self.columns["period"]
            assert isinstance(period, _Numbers)
            keys = period.data[rows]  # codes sort as the days do: ranges of days are of codes
            keep = np.ones(len(rows), dtype=bool)
            if query.start is not None:
                keep &= keys >= period.position(_days(query.start.first_day))
            if query.end is not None:
                keep &= keys < period.position(_days(query.end.next_first_day))
            valid = period.valid_at(rows)
            if valid is not None:
                keep &= valid
            rows = rows[keep]
        if len(rows) > MAX_SELECTED:
            return None
        return rows

    # -- sums ------------------------------------------------------------------------------

    def _sort_key(self, name: str, rows: np.ndarray, nulls_first: bool) -> np.ndarray:
        found = self.columns[name]
        if isinstance(found, _Strings):
            codes = found.codes[rows].astype(np.int64)
            return (codes + 1) % len(found.values) if nulls_first else codes
        assert isinstance(found, _Numbers)  # the doubles (value) are no key
        data = found.keys(rows)
        valid = found.valid_at(rows)
        if valid is not None:
            data[~valid] = _INT_NULL_FIRST if nulls_first else _DATE_NULL_LAST
        return data

    def _groups(self, names: Sequence[str], rows: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The groups in ``ORDER BY names`` order (NULLs last): their keys, the position in
        ``rows`` of each group's first row, and each row's group."""
        # One number per row that sorts as the columns do: codes and days are already ordered,
        # so each column is a digit (its values shifted to start at 0) of a mixed-radix number.
        key = np.zeros(len(rows), dtype=np.int64)
        span = 1
        for name in names:
            digit = self._sort_key(name, rows, False)
            if len(digit):
                digit = digit - digit.min()
                radix = int(digit.max()) + 1
            else:
                radix = 1
            if span * radix >= 1 << 62:  # renumber the groups so far and this column's values
                key = np.unique(key, return_inverse=True)[1].reshape(-1).astype(np.int64)
                span = int(key.max()) + 1 if len(key) else 1
                values, digit = np.unique(digit, return_inverse=True)
                digit, radix = digit.reshape(-1).astype(np.int64), len(values)
            key = key * radix + digit
            span *= radix
        keys, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return keys, first, inverse.reshape(-1)

    def _grouped(self, query: ObservationQuery, rows: np.ndarray) -> pa.Table:
        _, first, inverse = self._groups(query.group_by, rows)
        groups = len(first)
        values = self.columns["value"]
        assert not isinstance(values, _Strings)
        data = values.at(rows)
        wanted = query.filters.get("source") or self.sources
        largest = max((self._whole_values[s] for s in wanted if s in self.sources), default=0.0)
        whole = largest * len(rows) < _EXACT_INTEGERS  # integers only, adding up exactly
        valid = values.valid_at(rows)
        if valid is not None:
            sums = _exact_sums(data[valid], inverse[valid], groups, whole)
            summed = np.bincount(inverse[valid], minlength=groups)
        else:
            sums = _exact_sums(data, inverse, groups, whole)
            summed = np.bincount(inverse, minlength=groups)
        counts = np.bincount(inverse, minlength=groups)
        window = slice(query.offset, None if query.limit is None else query.offset + query.limit)
        picked = rows[first][window]
        names = list(query.group_by)
        arrays = [self._output(name, picked) for name in names]
        names.append("value")
        arrays.append(pa.array(sums[window].astype(np.float64), type=pa.float64(),
                               mask=summed[window] == 0))
        if "obs_status" not in query.group_by:
            names.append("obs_status")
            arrays.append(self._sum_status(rows, inverse, groups)[window])
        names.append("obs_count")
        arrays.append(pa.array(counts[window].astype(np.int64), type=pa.int64()))
        return pa.Table.from_arrays(arrays, names=names)

    @cached_property
    def _whole_values(self) -> dict[str, float]:
        """Per source, its largest absolute value when all its values are integers (counts, the
        most sources), else infinity: a question on such sources needs no check of its own
        before ``bincount`` (:func:`_exact_sums`)."""
        values = self.columns["value"]
        assert not isinstance(values, _Strings)
        out: dict[str, float] = {}
        for source, (start, stop) in self.sources.items():
            rows = np.arange(start, stop)
            data = values.at(rows)
            valid = values.valid_at(rows)
            if valid is not None:
                data = data[valid]
            whole = bool(np.all(np.floor(data) == data)) if len(data) else True
            out[source] = float(np.max(np.abs(data))) if whole and len(data) else (
                0.0 if whole else math.inf)
        return out

    def _sum_status(self, rows: np.ndarray, inverse: np.ndarray, groups: int) -> pa.Array:
        """``_SUM_STATUS`` per group: the rows' own status when they agree, P if any is
        provisional, E if any is estimated, missing or suppressed, else A (NULLs ignored)."""
        status = self.columns["obs_status"]
        assert isinstance(status, _Strings)
        codes = status.codes[rows].astype(np.int64)
        known = codes != status.null
        low = np.full(groups, status.null, dtype=np.int64)
        high = np.full(groups, -1, dtype=np.int64)
        np.minimum.at(low, inverse[known], codes[known])
        np.maximum.at(high, inverse[known], codes[known])

        def any_of(labels: Sequence[str]) -> np.ndarray:
            hits = status.flags(labels)[codes]
            return np.bincount(inverse[hits], minlength=groups) > 0

        # codes of the answer's statuses in a dictionary of the rows' own and P, E, A
        extra = pa.array(["P", "E", "A"], type=pa.string())
        null = status.null
        fallback = np.where(any_of(("P",)), null + 1, np.where(any_of(("E", "M", "L", "C")),
                                                               null + 2, null + 3))
        same = (low != null) & (low == high)
        picked = np.where(same, low, fallback)
        assert isinstance(status.values, pa.Array)  # a few labels: never packed
        dictionary = pa.concat_arrays([status.values, extra])
        return dictionary.take(pa.array(picked, type=pa.int64()))

    # -- plain rows ------------------------------------------------------------------------

    def _plain(self, query: ObservationQuery, rows: np.ndarray) -> pa.Table:
        keys = [self._sort_key(name, rows, True) for name in reversed(ANSWER_ORDER)]
        ordered = rows[np.lexsort(keys)] if len(rows) else rows
        window = slice(query.offset, None if query.limit is None else query.offset + query.limit)
        picked = ordered[window]
        return pa.Table.from_arrays([self._output(n, picked) for n in OBSERVATION_COLUMNS],
                                    names=list(OBSERVATION_COLUMNS))

    def _output(self, name: str, rows: np.ndarray) -> pa.Array:
        """Column ``name`` of ``rows``, typed as DuckDB's answer types it."""
        found = self.columns[name]
        if isinstance(found, _Strings):
            return found.values.take(pa.array(found.codes[rows].astype(np.int64)))
        valid = found.valid_at(rows)
        return pa.array(found.at(rows), type=found.type, mask=None if valid is None else ~valid)


#: Integers up to this add exactly in any order (a double's 53-bit significand, with room).
_EXACT_INTEGERS = float(2**52)


def _exact_sums(data: np.ndarray, inverse: np.ndarray, groups: int,
                whole: bool = False) -> np.ndarray:
    """Each group's exactly rounded sum (``math.fsum``'s, DuckDB's ``fsum``: query.py), which
    no order of adding changes.

    Integers whose absolute values add up to less than 2^52 sum exactly in any order, so
    ``bincount`` gives that sum; so does one addition (a group of two), and a group of one is
    its value. Only the other groups, with fractions or huge values, go through ``math.fsum``.
    ``whole``: the caller knows the values are such integers (nothing to check)."""
    sums: np.ndarray = np.bincount(inverse, weights=data, minlength=groups)
    if whole or not len(data):
        return sums
    largest = float(np.max(np.abs(data)))
    if largest * len(data) < _EXACT_INTEGERS and bool(np.all(np.floor(data) == data)):
        return sums
    sizes = np.bincount(inverse, minlength=groups)
    inexact = np.flatnonzero(sizes > 2)
    if not len(inexact):
        return sums
    order = np.argsort(inverse, kind="stable")
    ends = np.cumsum(sizes)
    ordered = data[order]
    for group in inexact.tolist():
        sums[group] = math.fsum(ordered[ends[group] - sizes[group]:ends[group]].tolist())
    return sums


def _varies(codes: np.ndarray, inverse: np.ndarray, groups: int) -> bool:
    """Whether some group has two different ``codes``."""
    if not len(codes):
        return False
    low = np.full(groups, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.full(groups, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(low, inverse, codes)
    np.maximum.at(high, inverse, codes)
    seen = high >= low
    return bool(np.any(low[seen] != high[seen]))


def _days(day: Any) -> int:
    return int(day.toordinal() - 719163)  # days since 1970-01-01, as DATE is stored


#: Rows read from DuckDB at a time: a column is written into its final array batch by batch,
#: so it never exists whole as Arrow (or as text) beside it (the start-up peak,
#: docs/benchmarks.md).
_READ_BATCH = 100_000


#: The columns whose reading needs the most memory for a moment (long texts, or a text per row
#: that DuckDB and Arrow materialise before it becomes one code per source): read first, while the
#: process holds the fewest columns, since a process's peak is what it holds plus that moment.
_READ_FIRST = ("attributes", "source_file", "load_id")


def _reading_order(names: Sequence[str]) -> list[str]:
    """``names`` with ``source`` first (the rows' order comes from it), then ``_READ_FIRST``."""
    first = ["source"] if "source" in names else []
    first += [n for n in _READ_FIRST if n in names]
    return first + [n for n in names if n not in first]


def _column(cursor: Any, name: str, total: int) -> _Strings | _Numbers:
    """One column of ``observations_latest`` in table order (``total`` rows)."""
    quoted = '"' + name.replace('"', '""') + '"'
    reader = cursor.sql(f"SELECT {quoted} FROM observations_latest").to_arrow_reader(  # noqa: S608
        _READ_BATCH)
    kind = reader.schema.field(0).type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind):
        return _read_strings(reader, total)
    return _read_numbers(reader, kind, total)


def _runs(codes: np.ndarray) -> int:
    """How many times the value changes from one row to the next."""
    return int(np.count_nonzero(codes[1:] != codes[:-1]))


def _reorder(found: _Strings | _Numbers, order: np.ndarray) -> _Strings | _Numbers:
    if isinstance(found, _Strings):
        return _Strings(found.codes[order], found.values)
    valid = None if found.valid is None else found.valid[order]
    return _Numbers(found.data[order], valid, found.type, found.table)


#: Text columns kept apart from the combination key: the source is a key itself, ``ref_area``
#: is searched (sorted within a source), the ``attributes`` have 36,000 labels.
_NOT_COMBINED = ("source", "ref_area", "attributes")


def _combine(strings: dict[str, _Strings]) -> dict[str, _Strings]:
    """The small text columns (one-byte codes) as one combination key (:class:`_Shared`): each
    is folded in, fewest labels first, while the combinations that occur fit a ``uint16``.

    The combinations are numbered through a table of every (combination so far, code) pair,
    block by block, the key rewritten in place: no row-length temporary at the end of the
    build, when every column is held (that table stays under ``_PAIRS`` entries)."""
    names = sorted((n for n, c in strings.items()
                    if isinstance(c.codes, np.ndarray) and c.codes.dtype == np.uint8),
                   key=lambda n: len(strings[n].values))
    if len(names) < 2:
        return {}
    first = strings[names[0]].codes
    assert isinstance(first, np.ndarray)
    key = first.astype(np.uint16)  # the combination of the columns folded so far
    count = len(strings[names[0]].values)  # combinations so far (an upper bound at first)
    tables: dict[str, np.ndarray] = {names[0]: np.arange(count, dtype=np.uint8)}
    for name in names[1:]:
        codes = strings[name].codes
        assert isinstance(codes, np.ndarray)
        width = len(strings[name].values)
        if count * width > _PAIRS:
            continue
        seen = np.zeros(count * width, dtype=bool)
        for at in range(0, len(key), _READ_BATCH):
            seen[key[at:at + _READ_BATCH].astype(np.int64) * width
                 + codes[at:at + _READ_BATCH]] = True
        pairs = np.flatnonzero(seen)  # per new combination: old one * width + code
        del seen
        if len(pairs) > np.iinfo(np.uint16).max + 1:
            continue  # too many with this column: it keeps its own codes
        number = np.zeros(count * width, dtype=np.uint16)
        number[pairs] = np.arange(len(pairs))
        for at in range(0, len(key), _READ_BATCH):
            key[at:at + _READ_BATCH] = number[key[at:at + _READ_BATCH].astype(np.int64) * width
                                              + codes[at:at + _READ_BATCH]]
        previous = pairs // width
        tables = {n: t[previous] for n, t in tables.items()}
        tables[name] = (pairs % width).astype(np.uint8)
        count = len(pairs)
    if len(tables) < 2:
        return {}
    shared = key if count > np.iinfo(np.uint8).max + 1 else key.astype(np.uint8)
    return {n: _Strings(_Shared(t, shared), strings[n].values) for n, t in tables.items()}


#: Most (combination, code) pairs :func:`_combine` numbers through a table (4 MB of it).
_PAIRS = 1 << 22


def _per_source(found: _Strings | _Numbers | _Doubles, source: np.ndarray,
                ranges: Sequence[tuple[int, int]]) -> _Strings | _Numbers | _Doubles:
    """The column as one value per source (:class:`_Shared`) when each source's rows
    all have the same value (NULL included), else as it is."""
    if isinstance(found, _Doubles):
        return found
    parts = [found.codes] if isinstance(found, _Strings) else (
        [found.data] if found.valid is None else [found.data, found.valid])
    per_source: list[np.ndarray] = []
    for part in parts:
        if not isinstance(part, np.ndarray):
            return found
        table = np.zeros(int(source.max(initial=0)) + 1, dtype=part.dtype)
        for start, stop in ranges:
            if np.any(part[start:stop] != part[start]):
                return found
            table[source[start]] = part[start]
        per_source.append(table)
    shared = [_Shared(table, source) for table in per_source]
    if isinstance(found, _Strings):
        return _Strings(shared[0], found.values)
    return _Numbers(shared[0], shared[1] if len(shared) > 1 else None, found.type, found.table)


# -- one per read-only store -----------------------------------------------------------------

#: Name of the columns among what the store derives (store/derived.py).
_DERIVED = "latest_columns"


def columns_of(store: Store) -> LatestColumns | None:
    """The store's in-memory columns if :func:`build` made them (never builds: None)."""
    found: LatestColumns | None = store.derived.peek(_DERIVED)
    return found


def build(store: Store, max_rows: int, stop: Callable[[], bool] = lambda: False
          ) -> LatestColumns | None:
    """Read the latest releases of a read-only store into memory (once per store, kept on it:
    one copy per process for the store the process serves).

    Nothing is built for a store opened for writing (it may change), a store without
    ``observations_latest`` (older stores: DuckDB answers), or more than ``max_rows`` rows.
    """
    if not store.read_only or max_rows <= 0:
        return None
    known = columns_of(store)
    if known is not None:
        return known
    catalogue = StoreCatalogue.of(store)
    if not catalogue.latest_table:
        return None
    rows = store.cursor().execute("SELECT count(*) FROM observations_latest").fetchall()
    if not rows or int(rows[0][0]) > max_rows:
        return None

    def read() -> LatestColumns | None:
        return LatestColumns.read(store, catalogue.version, OBSERVATION_COLUMNS, stop)

    built: LatestColumns | None = store.derived.value(_DERIVED, catalogue.version, read)
    if built is None:
        store.derived.forget(_DERIVED)  # stopped: a later build may try again
    return built


def forget(store: Store) -> None:
    """Drop the store's columns."""
    store.derived.forget(_DERIVED)
