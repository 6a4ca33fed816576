"""The query layer: filters → parameterized SQL over the store, sums without double counting,
past vintages, pagination, revisions, freshness and coverage.

The API and the portal both use it; nothing here knows about HTTP. User values only ever reach
DuckDB as bound parameters; column names only come from the contract's lists
(model/dimensions.py). Beside it: periods.py (period parsing), catalogue.py (what codes
exist), reading.py (cursors), metadata.py (sources, loads, freshness), memory.py (the
in-memory engine).

    >>> q = ObservationQuery.build(filters={"source": ["cbp_sw_land_border_encounters"]},
    ...                            start="2021-10", end="2022-09", group_by=["source"])
    >>> q.run(store).to_pylist()          # doctest: +SKIP
    [{'source': 'cbp_sw_land_border_encounters', 'value': 2378944.0, 'obs_count': 636}]

Every problem is a :class:`QueryError` naming the offending parameter, with the closest valid
values when there are some.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa

from observatorio.model.contract import STOCK_FLOWS
from observatorio.model.dimensions import (
    ANSWER_ORDER,
    FILTER_COLUMNS,
    GROUP_COLUMNS,
    OBSERVATION_COLUMNS,
)
from observatorio.store import memory as memory_engine
from observatorio.store.aggregation import (
    AGGREGATES,
    MONTHS_COLUMN,
    aggregated_group,
    group_expression,
    output_expression,
)
from observatorio.store.catalogue import StoreCatalogue
from observatorio.store.duck import Store
from observatorio.store.periods import Period, parse_date, parse_period
from observatorio.store.query_errors import QueryError
from observatorio.store.reading import SMALL_ANSWER, cursor, fetch_all, fetch_one, fetch_table
from observatorio.store.selection import SAME_WITHIN_SUM, condition

# -- whitelists (derived from the contract: model/dimensions.py) ---------------------------

#: The largest limit or offset a query takes (15 digits, as the fast path reads them).
MAX_PAGING = 10**15 - 1

#: Status of a sum: the rows' own when they agree; provisional if any is; else estimated when
#: any row is estimated, missing or suppressed (the sum is then incomplete).
_SUM_STATUS = (
    "CASE WHEN min(obs_status) = max(obs_status) THEN min(obs_status) "
    "WHEN bool_or(obs_status = 'P') THEN 'P' "
    "WHEN bool_or(obs_status IN ('E', 'M', 'L', 'C')) THEN 'E' ELSE 'A' END"
)

#: The sum of a group's values. The engines add in different orders (DuckDB as its plan goes,
#: store/memory.py in table order) and a plain sum of fractions depends on the order in the
#: last bit. DuckDB's ``fsum`` (Kahan–Babuška compensated) gives the exactly rounded sum in any
#: order, short of a cancellation of ~10^16 (2^53) that counts and rates do not produce; the
#: in-memory columns compute that sum (``math.fsum``), so both give the same number
#: (tests/store/test_memory.py). It costs DuckDB ~2x on the adding itself (17 → 33 ms for
#: every row of the bundled store grouped by flow and citizenship, one thread).
_SUM_VALUE = 'fsum("value")'

_STOCKS_SQL = ", ".join(f"'{f}'" for f in sorted(STOCK_FLOWS))  # constants, not user input


def q(name: str) -> str:
    """A whitelisted column name, quoted for SQL (``table`` is a keyword)."""
    if name not in OBSERVATION_COLUMNS and name not in ("loaded_at",):
        raise KeyError(name)
    return f'"{name}"'


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
        row = fetch_one(store, sql, params)
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
        rows = fetch_all(
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
        conditions += [condition(name, values, params) for name, values in self.filters.items()]
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
                f"SELECT {cols}, {_SUM_VALUE} AS \"value\"{status}, count(*) AS obs_count, "  # noqa: S608
                f"count(DISTINCT \"period\") AS {MONTHS_COLUMN} "
                f"FROM {base} GROUP BY {keys} ORDER BY {keys}"
            )
        elif self.group_by:
            cols = ", ".join(q(c) for c in self.group_by)
            status = "" if "obs_status" in self.group_by else f", {_SUM_STATUS} AS obs_status"
            sql = (
                f"SELECT {cols}, {_SUM_VALUE} AS \"value\"{status}, count(*) AS obs_count "  # noqa: S608
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
        row = fetch_one(store, f"SELECT count(*) FROM ({sql})", params)  # noqa: S608
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
        if self.limit is not None and self.limit <= SMALL_ANSWER:
            return fetch_table(store, sql, params)
        return cursor(store).sql(sql, params=params).to_arrow_table()

    def in_memory(self, store: Store, max_rows: int) -> bool:
        """Whether :meth:`run` reads at most ``max_rows`` rows of the in-memory columns (a cheap
        answer the API computes without leaving its event loop)."""
        memory = self._memory(store)
        return memory is not None and memory.candidates(self) <= max_rows

    def _memory(self, store: Store) -> memory_engine.LatestColumns | None:
        """The in-memory columns of the store's latest releases, when built (None otherwise;
        aggregated periods are DuckDB's)."""
        if self.release is not None or self.as_of is not None or self.aggregate is not None:
            return None
        return memory_engine.columns_of(store)  # looked up on the module: tests switch it off

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


def revisions(store: Store, query: ObservationQuery) -> pa.Table:
    """One series (the query's filters and group_by) in every release ever loaded.

    Each release is summed with the same no-double-counting rule; a column ``release`` tells
    which vintage each value belongs to, ``load_id`` which load.
    """
    wanted = query.filters.get("source")
    releases = fetch_all(
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
