"""The query layer: filters → parameterized SQL over the store, sums without double counting,
past vintages, pagination, revisions, freshness and coverage.

The API and the portal both use it; nothing here knows about HTTP. User values only ever reach
DuckDB as bound parameters; column names only come from the contract whitelists below.

    >>> q = ObservationQuery.build(filters={"source": ["cbp_sw_land_border_encounters"]},
    ...                            start="2021-10", end="2022-09", group_by=["source"])
    >>> q.run(store).to_pylist()          # doctest: +SKIP
    [{'source': 'cbp_sw_land_border_encounters', 'value': 2378944.0, 'obs_count': 636}]

Every problem is a :class:`QueryError` naming the offending parameter, with the closest valid
values when there are some.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from observatorio.model.codelists import CRM_MEMBERS, get_codelist
from observatorio.model.contract import STOCK_FLOWS
from observatorio.model.dimensions import (
    ANSWER_ORDER,
    CODELIST_OF,
    FILTER_COLUMNS,
    GROUP_COLUMNS,
    OBSERVATION_COLUMNS,
)
from observatorio.store.aggregation import (
    AGGREGATES,
    MONTHS_COLUMN,
    aggregated_group,
    group_expression,
    output_expression,
)
from observatorio.store.duck import Store
from observatorio.store.schema import LATEST_TABLE_KEY

# -- whitelists (derived from the contract: model/dimensions.py) ---------------------------

#: The largest limit or offset a query takes (15 digits, as the fast path reads them).
MAX_PAGING = 10**15 - 1
#: A sum may only add rows that agree on these (no double counting, DATA_CONTRACT invariant 1).
SAME_WITHIN_SUM: tuple[str, ...] = ("source", "table", "unit", "freq")

#: Status of a sum: the rows' own when they agree; provisional if any is; else estimated when
#: any row is estimated, missing or suppressed (the sum is then incomplete).
_SUM_STATUS = (
    "CASE WHEN min(obs_status) = max(obs_status) THEN min(obs_status) "
    "WHEN bool_or(obs_status = 'P') THEN 'P' "
    "WHEN bool_or(obs_status IN ('E', 'M', 'L', 'C')) THEN 'E' ELSE 'A' END"
)

_STOCKS_SQL = ", ".join(f"'{f}'" for f in sorted(STOCK_FLOWS))  # constants, not user input


def q(name: str) -> str:
    """A whitelisted column name, quoted for SQL (``table`` is a keyword)."""
    if name not in OBSERVATION_COLUMNS and name not in ("loaded_at",):
        raise KeyError(name)
    return f'"{name}"'


# -- errors ---------------------------------------------------------------------------------


class QueryError(Exception):
    """A request the query layer refuses: ``key`` names a message in messages.yaml (``api.*``)."""

    def __init__(
        self,
        code: str,
        parameter: str,
        key: str,
        closest: Sequence[str] = (),
        **values: Any,
    ) -> None:
        self.code = code
        self.parameter = parameter
        self.key = key
        self.closest = list(closest)
        self.values = {"parameter": parameter, **values}
        super().__init__(f"{code}: {parameter} {values}")


# -- periods --------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{2})(?:-(\d{2}))?|Q([1-4])))?$")


@dataclass(frozen=True)
class Period:
    """A reference period given as ``2022``, ``2022-Q3``, ``2022-10`` or ``2022-10-01``."""

    text: str
    first_day: date
    next_first_day: date  # first day after the period (exclusive bound)


def parse_period(text: str, parameter: str) -> Period:
    """The period ``text`` means; QueryError naming ``parameter`` when it is malformed."""
    match = _PERIOD.match(text.strip())
    try:
        if not match:
            raise ValueError(text)
        year = int(match.group(1))
        month, day, quarter = match.group(2), match.group(3), match.group(4)
        if quarter:
            first = date(year, 3 * int(quarter) - 2, 1)
            after = _add_months(first, 3)
        elif day:
            first = date(year, int(month), int(day))
            after = date.fromordinal(first.toordinal() + 1)
        elif month:
            first = date(year, int(month), 1)
            after = _add_months(first, 1)
        else:
            first, after = date(year, 1, 1), date(year + 1, 1, 1)
    except ValueError:
        raise QueryError("bad_period", parameter, "api.bad_period", value=text) from None
    return Period(text, first, after)


def parse_date(text: str, parameter: str) -> date:
    """An ISO date (``2024-07-21``); QueryError naming ``parameter`` otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise QueryError("bad_date", parameter, "api.bad_date", value=text) from None


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def format_period(period: date, freq: str) -> str:
    """SDMX time period text: ``2022`` (A), ``2022-Q3`` (Q), ``2022-10`` (M)."""
    if freq == "A":
        return f"{period.year:04d}"
    if freq == "Q":
        return f"{period.year:04d}-Q{(period.month - 1) // 3 + 1}"
    return f"{period.year:04d}-{period.month:02d}"


# -- the observation query ------------------------------------------------------------------


def split_values(values: Iterable[str]) -> tuple[str, ...]:
    """``["GTM,HND", "MEX"]`` → ``("GTM", "HND", "MEX")`` (repeated and comma-separated)."""
    out: list[str] = []
    for value in values:
        out.extend(part.strip() for part in value.split(","))
    return tuple(out)


@dataclass(frozen=True)
class ObservationQuery:
    """What observations to read and how to sum them. Build it with :meth:`build`."""

    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    start: Period | None = None
    end: Period | None = None
    group_by: tuple[str, ...] = ()
    release: date | None = None
    as_of: date | None = None
    limit: int | None = None
    offset: int = 0
    #: Monthly rows summed by calendar year (A), US fiscal year (FY) or quarter (Q): store/
    #: aggregation.py. None: periods as published.
    aggregate: str | None = None

    @classmethod
    def build(
        cls,
        filters: Mapping[str, Iterable[str]] | None = None,
        start: str | None = None,
        end: str | None = None,
        group_by: Iterable[str] | str | None = None,
        release: str | date | None = None,
        as_of: str | date | None = None,
        limit: int | None = None,
        offset: int = 0,
        aggregate: str | None = None,
    ) -> ObservationQuery:
        """Parse and check the shape of a query (codes are checked against a store by ``check``)."""
        clean: dict[str, tuple[str, ...]] = {}
        for name, values in (filters or {}).items():
            if name not in FILTER_COLUMNS:
                close = difflib.get_close_matches(name, FILTER_COLUMNS, n=3, cutoff=0.5)
                raise QueryError("unknown_parameter", name, "api.unknown_filter", close,
                                 allowed=", ".join(FILTER_COLUMNS))
            parts = split_values([values] if isinstance(values, str) else values)
            clean[name] = tuple(dict.fromkeys(parts))  # keep order, drop repeats
        groups = split_values([group_by] if isinstance(group_by, str) else group_by or ())
        for name in groups:
            if name not in GROUP_COLUMNS:
                close = difflib.get_close_matches(name, GROUP_COLUMNS, n=3, cutoff=0.5)
                raise QueryError("bad_group_by", "group_by", "api.bad_group_by", close,
                                 value=name, allowed=", ".join(GROUP_COLUMNS))
        if release is not None and as_of is not None:
            raise QueryError("conflict", "as_of", "api.release_and_as_of")
        start_p = parse_period(start, "start") if start else None
        end_p = parse_period(end, "end") if end else None
        if start_p and end_p and start_p.first_day >= end_p.next_first_day:
            raise QueryError("bad_range", "end", "api.bad_range", start=start_p.text, end=end_p.text)
        # limit=0 would make a page that never advances (its "next" is itself); both bounds
        # keep the numbers inside what the engines take (DuckDB's BIGINT).
        if limit is not None and not 1 <= limit <= MAX_PAGING:
            raise QueryError("bad_integer", "limit", "api.bad_integer", value=limit, low=1,
                             high=MAX_PAGING)
        if not 0 <= offset <= MAX_PAGING:
            raise QueryError("bad_integer", "offset", "api.bad_integer", value=offset, low=0,
                             high=MAX_PAGING)
        grouped = tuple(dict.fromkeys(groups))
        if aggregate is not None:
            if aggregate not in AGGREGATES:
                raise QueryError("invalid_value", "aggregate", "api.invalid_value",
                                 difflib.get_close_matches(aggregate, list(AGGREGATES), n=3),
                                 reason=" | ".join(AGGREGATES))
            grouped = aggregated_group(grouped)
        return cls(
            filters=clean,
            start=start_p,
            end=end_p,
            group_by=grouped,
            release=_as_date(release, "release"),
            as_of=_as_date(as_of, "as_of"),
            limit=limit,
            offset=offset,
            aggregate=aggregate,
        )

    # -- checks against the store ------------------------------------------------------------

    def check(self, store: Store) -> None:
        """Every code exists, the release exists, and the sum cannot double count."""
        catalogue = StoreCatalogue.of(store)
        for name, values in self.filters.items():
            for value in values:
                catalogue.check_code(name, value)
        if self.release is not None and self.release not in catalogue.releases:
            options = sorted({r.isoformat() for r in catalogue.releases})
            close = difflib.get_close_matches(self.release.isoformat(), options, n=3, cutoff=0.0)
            raise QueryError("unknown_release", "release", "api.unknown_release", close,
                             value=self.release.isoformat())
        if self.group_by:
            self._check_no_double_counting(store)

    def _must_agree(self) -> list[str]:
        # A column that is grouped, or pinned to one value by a filter, cannot vary in a group.
        return [
            c for c in SAME_WITHIN_SUM
            if c not in self.group_by and len(self.filters.get(c, ())) != 1
        ]

    def _check_no_double_counting(self, store: Store) -> None:
        must_agree = self._must_agree()
        check_stock = "period" not in self.group_by or self.aggregate is not None
        if self.release is None and self.as_of is None:
            # What the latest releases hold tells which checks cannot fail: skip their query.
            catalogue = StoreCatalogue.of(store)
            sources = self.filters.get("source")
            must_agree = [c for c in must_agree if not catalogue.constant(c, sources)]
            check_stock = check_stock and catalogue.has_stocks(sources)
        if not must_agree and not check_stock:
            return
        memory = self._memory(store)
        if memory is not None and memory.cannot_double_count(self, must_agree, check_stock):
            return
        base, params = self._where_sql(latest=self._latest(store))
        group_cols = ", ".join(self._group_sql(c) for c in self.group_by)
        counts = [f'count(DISTINCT coalesce({q(c)}, \'\')) AS "n_{c}"' for c in must_agree]
        conditions = [f'count(DISTINCT coalesce({q(c)}, \'\')) > 1' for c in must_agree]
        if check_stock:
            counts.append(f'count(DISTINCT "period") FILTER (WHERE "flow" IN ({_STOCKS_SQL})) AS "n_period"')
            conditions.append(f'count(DISTINCT "period") FILTER (WHERE "flow" IN ({_STOCKS_SQL})) > 1')
        sql = (
            f"SELECT {group_cols}, {', '.join(counts)} FROM {base} "  # noqa: S608 - whitelisted names
            f"GROUP BY {group_cols} HAVING {' OR '.join(conditions)} LIMIT 1"
        )
        row = _fetch_one(store, sql, params)
        if row is None:
            return
        n = len(self.group_by)
        group = ", ".join(f"{c}={_text(v)}" for c, v in zip(self.group_by, row[:n], strict=True))
        info = dict(zip(_names(counts), row[n:], strict=True))
        for c in must_agree:
            if info[f"n_{c}"] > 1:
                raise QueryError(
                    "double_count", "group_by", "api.double_count", [c],
                    group=group, column=c, values=self._values_in_group(store, c, row[:n]),
                )
        raise QueryError("double_count_stock", "group_by", "api.double_count_stock", ["period"],
                         group=group)

    def _values_in_group(self, store: Store, name: str, group: Sequence[Any]) -> str:
        """The distinct values of ``name`` in one output group (for the error message)."""
        base, params = self._where_sql(
            [f"{self._group_sql(c)} IS NOT DISTINCT FROM ?" for c in self.group_by],
            latest=self._latest(store))
        rows = _fetch_all(
            store, f"SELECT DISTINCT {q(name)} FROM {base} ORDER BY 1 LIMIT 6",  # noqa: S608
            [*params, *group],
        )
        return ", ".join(_text(r[0]) for r in rows)

    # -- SQL -------------------------------------------------------------------------------

    def _relation(self, latest: Sequence[str] | str | None = None) -> tuple[str, list[Any]]:
        # The latest release by default; a past one by exact release or by date (as_of).
        # ``latest``: the table holding exactly the latest rows (a str), or the latest load ids
        # (a store without that table), or None (the ``observations`` view).
        if self.release is not None:
            return (
                "(SELECT * FROM observations_history WHERE load_id IN (SELECT load_id FROM ("
                "SELECT load_id, row_number() OVER (PARTITION BY source ORDER BY loaded_at DESC) AS rn "
                "FROM loads WHERE release = ?) WHERE rn = 1))",
                [self.release],
            )
        if self.as_of is not None:
            return (
                "(SELECT * FROM observations_history WHERE load_id IN (SELECT load_id FROM ("
                "SELECT load_id, row_number() OVER (PARTITION BY source ORDER BY release DESC, "
                "loaded_at DESC) AS rn FROM loads WHERE release <= ?) WHERE rn = 1))",
                [self.as_of],
            )
        if isinstance(latest, str):
            return latest, []
        if latest is not None:
            # The latest loads named outright: cheaper than the view's semi-join on every row.
            if len(latest) == 1:
                return "(SELECT * FROM observations_history WHERE load_id = ?)", list(latest)
            return (
                "(SELECT * FROM observations_history WHERE load_id IN "  # noqa: S608 - marks only
                f"({', '.join('?' for _ in latest) or 'NULL'}))",
                list(latest),
            )
        return "observations", []

    def _where_sql(
        self, extra: Sequence[str] = (), latest: Sequence[str] | str | None = None
    ) -> tuple[str, list[Any]]:
        relation, params = self._relation(latest)
        conditions: list[str] = []
        for name, values in self.filters.items():
            if len(values) == 1:
                conditions.append(f"{q(name)} = ?")
            else:
                conditions.append(f"{q(name)} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
        if self.start is not None:
            conditions.append('"period" >= ?')
            params.append(self.start.first_day)
        if self.end is not None:
            conditions.append('"period" < ?')
            params.append(self.end.next_first_day)
        if self.aggregate is not None:
            conditions.append("\"freq\" = 'M'")  # only monthly rows are summed into periods
        conditions.extend(extra)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return f"{relation} AS o{where}", params

    def columns(self) -> tuple[str, ...]:
        """The columns of the answer, in order."""
        if self.group_by:
            status = () if "obs_status" in self.group_by else ("obs_status",)
            months = (MONTHS_COLUMN,) if self.aggregate is not None else ()
            return (*self.group_by, "value", *status, "obs_count", *months)
        return OBSERVATION_COLUMNS

    def _group_sql(self, column: str) -> str:
        """A group column's SQL (the aggregated period and frequency when aggregating)."""
        q(column)  # whitelisted
        return group_expression(column, self.aggregate)

    def select_sql(
        self, paged: bool = True, latest: Sequence[str] | str | None = None
    ) -> tuple[str, list[Any]]:
        """The SELECT this query runs, with its bound parameters."""
        base, params = self._where_sql(latest=latest)
        if self.group_by and self.aggregate is not None:
            exprs = [self._group_sql(c) for c in self.group_by]
            cols = ", ".join(f"{output_expression(c, self.aggregate)} AS {q(c)}"
                             for c in self.group_by)
            status = "" if "obs_status" in self.group_by else f", {_SUM_STATUS} AS obs_status"
            keys = ", ".join(exprs)
            sql = (
                f"SELECT {cols}, sum(\"value\") AS \"value\"{status}, count(*) AS obs_count, "  # noqa: S608
                f"count(DISTINCT \"period\") AS {MONTHS_COLUMN} "
                f"FROM {base} GROUP BY {keys} ORDER BY {keys}"
            )
        elif self.group_by:
            cols = ", ".join(q(c) for c in self.group_by)
            status = "" if "obs_status" in self.group_by else f", {_SUM_STATUS} AS obs_status"
            sql = (
                f"SELECT {cols}, sum(\"value\") AS \"value\"{status}, count(*) AS obs_count "  # noqa: S608
                f"FROM {base} GROUP BY {cols} ORDER BY {cols}"
            )
        else:
            cols = ", ".join(q(c) for c in OBSERVATION_COLUMNS)
            order = ", ".join(f"{q(c)} NULLS FIRST" for c in ANSWER_ORDER)
            sql = f"SELECT {cols} FROM {base} ORDER BY {order}"  # noqa: S608
        if paged and self.limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [self.limit, self.offset]
        elif paged and self.offset:
            sql += " OFFSET ?"
            params.append(self.offset)
        return sql, params

    def count(self, store: Store) -> int:
        """How many rows the whole answer has (all pages)."""
        memory = self._memory(store)
        if memory is not None:
            found = memory.count(self)
            if found is not None:
                return found
        sql, params = self.select_sql(paged=False, latest=self._latest(store))
        row = _fetch_one(store, f"SELECT count(*) FROM ({sql})", params)  # noqa: S608
        return int(row[0]) if row else 0

    def run(self, store: Store, check: bool = True) -> pa.Table:
        """The answer as an Arrow table (columns as :meth:`columns`).

        A question about the latest releases is answered from the in-memory columns when the
        store has them and the question is small enough (store/memory.py: the same rows, order
        and sums); otherwise, and for past vintages, by DuckDB.
        """
        if check:
            self.check(store)
        memory = self._memory(store)
        if memory is not None:
            table = memory.run(self)
            if table is not None:
                return table
        sql, params = self.select_sql(latest=self._latest(store))
        if self.limit is not None and self.limit <= _SMALL_ANSWER:
            return _fetch_table(store, sql, params)
        return _cursor(store).sql(sql, params=params).to_arrow_table()

    def in_memory(self, store: Store, max_rows: int) -> bool:
        """Whether :meth:`run` reads at most ``max_rows`` rows of the in-memory columns (a cheap
        answer the API computes without leaving its event loop)."""
        memory = self._memory(store)
        return memory is not None and memory.candidates(self) <= max_rows

    def _memory(self, store: Store) -> Any:
        """The in-memory columns of the store's latest releases, when built (None otherwise;
        aggregated periods are DuckDB's)."""
        if self.release is not None or self.as_of is not None or self.aggregate is not None:
            return None
        from observatorio.store.memory import columns_of

        return columns_of(store)

    def batches(self, store: Store, rows_per_batch: int = 50_000) -> pa.RecordBatchReader:
        """The answer as a stream of record batches (for large downloads, own cursor)."""
        sql, params = self.select_sql(latest=self._latest(store))
        cursor = store.cursor()
        return cursor.sql(sql, params=params).to_arrow_reader(rows_per_batch)

    def _latest(self, store: Store) -> list[str] | str | None:
        """Where the latest releases are (None: a past vintage): the ``observations_latest``
        table, or in an older store without it, the load ids of the sources asked for."""
        if self.release is not None or self.as_of is not None:
            return None
        catalogue = StoreCatalogue.of(store)
        if catalogue.latest_table:
            return "observations_latest"
        wanted = self.filters.get("source")
        return [catalogue.latest[s] for s in (wanted or sorted(catalogue.latest)) if s in catalogue.latest]

    def run_df(self, store: Store) -> Any:
        """The answer as a pandas DataFrame."""
        return self.run(store).to_pandas()

    def canonical(self) -> str:
        """A normalized text of the query (cache keys, ETags)."""
        parts = [f"{k}={','.join(sorted(v))}" for k, v in sorted(self.filters.items())]
        parts += [f"start={self.start.first_day}" if self.start else "",
                  f"end={self.end.next_first_day}" if self.end else "",
                  f"group_by={','.join(self.group_by)}", f"release={self.release}",
                  f"as_of={self.as_of}", f"limit={self.limit}", f"offset={self.offset}",
                  f"aggregate={self.aggregate}"]
        return "&".join(parts)


def _names(expressions: list[str]) -> list[str]:
    return [e.rsplit(" AS ", 1)[1].strip('"') for e in expressions]


def _text(value: Any) -> str:
    return "∅" if value is None else str(value)


def _as_date(value: str | date | None, parameter: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_date(value, parameter)


_THREAD = threading.local()


def _cursor(store: Store) -> Any:
    """This thread's cursor on the store (DuckDB connections are not thread-safe)."""
    cursors: dict[int, tuple[Any, Any]] = _THREAD.__dict__.setdefault("cursors", {})
    key = id(store.con)
    found = cursors.get(key)
    # Keeping the connection in the entry keeps its id from being reused by another store.
    if found is not None and found[0] is store.con:
        return found[1]
    cur = store.cursor()
    cursors[key] = (store.con, cur)
    while len(cursors) > 4:  # a caller opening a store per request must not pile them up
        cursors.pop(next(iter(cursors)))
    return cur


def _fetch_one(store: Store, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    # fetchall: DuckDB refuses new work on a cursor with an unfinished result.
    rows = _cursor(store).execute(sql, list(params)).fetchall()
    return tuple(rows[0]) if rows else None


def _fetch_all(store: Store, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in _cursor(store).execute(sql, list(params)).fetchall()]


#: Arrow types of the DuckDB types an answer has (as DuckDB's own Arrow export gives them).
_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(), "DATE": pa.date32(), "DOUBLE": pa.float64(), "BIGINT": pa.int64(),
    "INTEGER": pa.int32(), "BOOLEAN": pa.bool_(),
}  # fmt: skip
#: Answers of at most this many rows (a page) are read as Python rows (see _fetch_table).
_SMALL_ANSWER = 5000


def _fetch_table(store: Store, sql: str, params: Sequence[Any]) -> pa.Table:
    """The answer of one statement of at most _SMALL_ANSWER rows, as an Arrow table.

    ``cursor.sql(...).to_arrow_table()`` binds the statement to learn its schema, then plans it
    again to run it: twice DuckDB's planning, which is most of the cost of a small answer. Here
    it is planned and run once, and its rows typed as DuckDB's Arrow export types them.
    """
    result = _cursor(store).execute(sql, list(params))
    names = [d[0] for d in result.description]
    types = [_ARROW_TYPES.get(str(d[1])) for d in result.description]
    rows = result.fetchall()
    if all(types):
        return _rows_table(rows, pa.schema(list(zip(names, types, strict=True))))
    return _cursor(store).sql(sql, params=list(params)).to_arrow_table()  # another type: ask


def _rows_table(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.Table.from_arrays(
        [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)], schema=schema)


# -- what codes exist -----------------------------------------------------------------------

@dataclass(frozen=True)
class StoreCatalogue:
    """Values present in one store version for the columns without a codelist, and what each
    source's latest release holds (to skip checks that cannot fail)."""

    version: str
    values: Mapping[str, frozenset[str]]
    releases: frozenset[date]
    #: per source, the distinct values of SAME_WITHIN_SUM columns and whether it has stocks
    profiles: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    #: per source, the load id of its latest release
    latest: Mapping[str, str] = field(default_factory=dict)
    #: whether ``observations_latest`` holds exactly the latest rows (a store written by this
    #: schema; older stores are read through the load ids)
    latest_table: bool = False

    @classmethod
    def of(cls, store: Store) -> StoreCatalogue:
        """The catalogue of this store (computed once per store file and version)."""
        if store.read_only:  # a read-only connection cannot see a new load: ask once
            known = _BY_STORE.get(id(store))
            if known is not None and known[0] is store:
                return known[1]
        meta = dict(_fetch_all(store, "SELECT key, value FROM store_meta "
                                      "WHERE key IN ('version', 'ddl_sha256')"))
        version = str(meta.get("version", "empty"))
        # the schema too: upgrading a store (observations_latest) keeps its version
        key = (str(store.path), version, str(meta.get("ddl_sha256")))
        found = _CATALOGUES.get(key)
        if found is None:
            # One thread computes it: sixteen first requests at once must not all scan the store.
            with _CATALOGUE_LOCK:
                found = _CATALOGUES.get(key) or cls._compute(store, version)
                _CATALOGUES[key] = found
        if store.read_only:
            _BY_STORE[id(store)] = (store, found)
        return found

    @classmethod
    def _compute(cls, store: Store, version: str) -> StoreCatalogue:
        values = {
            "source": _distinct(store, "SELECT DISTINCT source FROM loads"),
            "source_file": _distinct(store, "SELECT DISTINCT source_file FROM loads"),
            "load_id": _distinct(store, "SELECT DISTINCT load_id FROM loads"),
            "table": _distinct(
                store, 'SELECT DISTINCT "table" FROM observations_history WHERE "table" IS NOT NULL'
            ),
        }
        releases = frozenset(r[0] for r in _fetch_all(store, "SELECT DISTINCT release FROM loads"))
        latest = {str(src): str(lid) for src, lid in _fetch_all(
            store, "SELECT source, load_id FROM loads WHERE is_latest")}
        meta = dict(_fetch_all(store, "SELECT key, value FROM store_meta WHERE key IN (?, ?)",
                               [LATEST_TABLE_KEY, "ddl_sha256"]))
        latest_table = meta.get(LATEST_TABLE_KEY) not in (None, "") and (
            meta.get(LATEST_TABLE_KEY) == meta.get("ddl_sha256"))
        return cls(version, values, releases, _profiles(store), latest, latest_table)

    def constant(self, column_name: str, sources: Iterable[str] | None) -> bool:
        """Whether ``column_name`` has one value across the latest rows of these sources."""
        chosen = self.profiles.keys() if sources is None else sources
        seen: set[str] = set()
        for src in chosen:
            seen |= self.profiles.get(src, {}).get(column_name, frozenset({"?"}))
            if len(seen) > 1:
                return False
        return True

    def has_stocks(self, sources: Iterable[str] | None) -> bool:
        chosen = self.profiles.keys() if sources is None else sources
        return any(self.profiles.get(src, {}).get("stock") for src in chosen)

    def check_code(self, name: str, value: str) -> None:
        """QueryError (with the closest codes) unless ``value`` is valid for column ``name``."""
        codelist_id = CODELIST_OF.get(name)
        if codelist_id is not None:
            codelist = get_codelist(codelist_id)
            if value in codelist:
                return
            raise QueryError("unknown_code", name, "api.unknown_code",
                             closest_codes(value, codelist_id), value=value, codelist=codelist_id)
        known = self.values.get(name, frozenset())
        if value in known:
            return
        close = closest_texts(value, sorted(known))
        raise QueryError("unknown_value", name, "api.unknown_value", close, value=value)


_CATALOGUES: dict[tuple[str, str, str], StoreCatalogue] = {}
_CATALOGUE_LOCK = threading.Lock()
_BY_STORE: dict[int, tuple[Store, StoreCatalogue]] = {}


def _profiles(store: Store) -> dict[str, dict[str, frozenset[str]]]:
    rows = _fetch_all(
        store,
        f"""SELECT source, list(DISTINCT coalesce("table", '')), list(DISTINCT unit),
                   list(DISTINCT freq), bool_or(flow IN ({_STOCKS_SQL}))
            FROM observations GROUP BY source""",  # noqa: S608 - constants only
    )
    return {
        src: {"source": frozenset({src}), "table": frozenset(tables), "unit": frozenset(units),
              "freq": frozenset(freqs), "stock": frozenset({"yes"}) if stock else frozenset()}
        for src, tables, units, freqs, stock in rows
    }


def _distinct(store: Store, sql: str) -> frozenset[str]:
    return frozenset(str(r[0]) for r in _fetch_all(store, sql))


def closest_texts(value: str, options: Sequence[str], n: int = 3) -> list[str]:
    """Options that contain ``value`` (any case), then those that look like it."""
    wanted = value.casefold()
    containing = [o for o in options if wanted and wanted in o.casefold()]
    similar = difflib.get_close_matches(value, list(options), n=n, cutoff=0.5)
    return list(dict.fromkeys(containing[:n] + similar))[:n]


def closest_codes(value: str, codelist_id: str, n: int = 3) -> list[str]:
    """Codes of a codelist closest to ``value``: by code, then by Spanish or English label."""
    codes = get_codelist(codelist_id).codes
    by_code = closest_texts(value.upper(), list(codes), n=n) if len(value) > 1 else []
    labels: dict[str, str] = {}
    for code in codes.values():
        labels.setdefault(code.label_es.casefold(), code.id)
        labels.setdefault(code.label_en.casefold(), code.id)
    by_label = [labels[m] for m in difflib.get_close_matches(value.casefold(), list(labels), n=n, cutoff=0.6)]
    # A name ("Guatemala") is matched by label first; a code-like value by code first.
    found = by_label + by_code if len(value) > 3 else by_code + by_label
    if not found and len(codes) <= 12:
        found = list(codes)  # a short list: every code is a useful suggestion
    return list(dict.fromkeys(found))[:n if len(codes) > 12 else len(codes)]


# -- metadata queries -----------------------------------------------------------------------


def sources(store: Store) -> list[dict[str, Any]]:
    """Every loaded source: publisher, licence, latest release, coverage, loaded at."""
    rows = _fetch_all(
        store,
        """SELECT l.source, s.publisher, s.title_es, s.title_en, s.licence, s.dataflow, s.url,
                  s.homepage, s.caveats_es, s.caveats_en, l.release, l.rows, l.period_start,
                  l.period_end, l.loaded_at, l.source_file, l.load_id,
                  (SELECT count(*) FROM loads x WHERE x.source = l.source) AS releases
           FROM loads l LEFT JOIN sources s USING (source)
           WHERE l.is_latest ORDER BY l.source""",
    )
    names = ("source", "publisher", "title_es", "title_en", "licence", "dataflow", "url",
             "homepage", "caveats_es", "caveats_en", "release", "rows", "period_start",
             "period_end", "loaded_at", "source_file", "load_id", "releases")  # fmt: skip
    out = [dict(zip(names, r, strict=True)) for r in rows]
    for entry in out:
        entry["loaded_at"] = _utc(entry["loaded_at"])
    coverage = _fetch_all(
        store,
        """SELECT source, ref_area, freq, min(period), max(period), count(*)
           FROM observations GROUP BY source, ref_area, freq ORDER BY source, ref_area, freq""",
    )
    by_source: dict[str, list[dict[str, Any]]] = {}
    for src, area, freq, first, last, n in coverage:
        by_source.setdefault(src, []).append(
            {"ref_area": area, "freq": freq, "period_start": first, "period_end": last, "rows": n}
        )
    for entry in out:
        entry["coverage"] = by_source.get(entry["source"], [])
    return out


def loads(store: Store, source: str | None = None) -> list[dict[str, Any]]:
    """Every load (release) of every source, newest first: the lineage of each row's load_id."""
    sql = ("SELECT load_id, source, release, source_file, sha256, rows, period_start, period_end, "
           "loaded_at, is_latest FROM loads")
    params: list[Any] = []
    if source is not None:
        sql += " WHERE source = ?"
        params.append(source)
    sql += " ORDER BY source, release DESC, loaded_at DESC"
    names = ("load_id", "source", "release", "source_file", "sha256", "rows", "period_start",
             "period_end", "loaded_at", "is_latest")  # fmt: skip
    out = [dict(zip(names, r, strict=True)) for r in _fetch_all(store, sql, params)]
    for entry in out:
        entry["loaded_at"] = _utc(entry["loaded_at"])
    return out


def _utc(moment: datetime) -> datetime:
    """The store keeps load times as naive UTC: say so (RFC 3339 wants an offset)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def freshness(store: Store) -> list[dict[str, Any]]:
    """Who reported what, when: for each CRM country and flow, last period and last release.

    The country is the reporting one (``ref_area``); countries without any data still appear,
    with no flow, so that gaps are visible.
    """
    marks = ", ".join("?" for _ in CRM_MEMBERS)
    rows = _fetch_all(
        store,
        f"""SELECT ref_area, flow, freq, max(period) AS last_period, max(release) AS last_release,
                   list(DISTINCT source ORDER BY source) AS sources
            FROM observations WHERE ref_area IN ({marks}) AND value IS NOT NULL
            GROUP BY ref_area, flow, freq ORDER BY ref_area, flow, freq""",  # noqa: S608
        list(CRM_MEMBERS),
    )
    out: list[dict[str, Any]] = []
    seen = set()
    for area, flow, freq, last_period, last_release, srcs in rows:
        seen.add(area)
        out.append({"ref_area": area, "flow": flow, "freq": freq, "last_period": last_period,
                    "last_release": last_release, "sources": list(srcs)})
    for area in CRM_MEMBERS:
        if area not in seen:
            out.append({"ref_area": area, "flow": None, "freq": None, "last_period": None,
                        "last_release": None, "sources": []})
    out.sort(key=lambda r: (r["ref_area"], r["flow"] or "", r["freq"] or ""))
    return out


def revisions(store: Store, query: ObservationQuery) -> pa.Table:
    """One series (the query's filters and group_by) in every release ever loaded.

    Each release is summed with the same no-double-counting rule; a column ``release`` tells
    which vintage each value belongs to, ``load_id`` which load.
    """
    wanted = query.filters.get("source")
    releases = _fetch_all(
        store,
        "SELECT DISTINCT release FROM loads WHERE (? OR list_contains(?, source)) ORDER BY release",
        [wanted is None, list(wanted or ())],
    )
    tables = []
    for (rel,) in releases:
        vintage = ObservationQuery(
            filters=query.filters, start=query.start, end=query.end,
            group_by=query.group_by, release=rel,
        )
        vintage.check(store)
        table = vintage.run(store, check=False)
        tables.append(table.append_column("vintage", pa.array([rel] * table.num_rows, pa.date32())))
    if not tables:
        empty = ObservationQuery(filters=query.filters, group_by=query.group_by, release=date(1, 1, 1))
        table = empty.run(store, check=False)
        return table.append_column("vintage", pa.array([], pa.date32()))
    return pa.concat_tables(tables)
