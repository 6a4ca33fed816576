"""The store's one builder of SQL over the latest observations, for the analysis and the pages.

A :class:`Selection` says which rows (codes per column, code prefixes per column, attribute
codes, only the rows with a value, foreigners only, from a month on, the newest period of
another selection); the reads below sum it by columns, list its rows or its distinct values,
give its newest period, or sum it the way a publisher's total is read (:func:`published_sum_rows`),
as plain rows (store/rows.py).
The API's :class:`~observatorio.store.query.ObservationQuery` writes its filters with the same
:func:`condition`. Column names only ever come from the contract's filterable columns
(model/dimensions.py); codes always reach DuckDB as bound parameters.

A read takes the :class:`~observatorio.store.duck.Store` or any DuckDB connection or cursor of it
(the forecasts and indicators hold one per thread).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from observatorio.model.contract import FRAME_NAMES, TOTALLED_DIMENSIONS
from observatorio.model.dimensions import FILTER_COLUMNS
from observatorio.store.query_errors import QueryError
from observatorio.store.rows import Row, fetch_rows

#: A sum may only add rows that agree on these (no double counting, DATA_CONTRACT invariant 1).
SAME_WITHIN_SUM: tuple[str, ...] = ("source", "table", "unit", "freq")
#: The code of "all" in a totalled dimension.
TOTAL = "_T"
#: What a read may compute per group (constants, never user input).
MEASURES: dict[str, str] = {
    "sum": 'sum("value")',
    "values": 'count("value")',
    "latest_release": 'max("release")',
    "latest_value": 'arg_max("value", "period")',  # the value of the newest period
}
#: The relation the analysis reads: the latest release of every source.
LATEST = "observations"
#: Columns a selection may name besides the filterable ones (value: only "IS NOT NULL").
_READABLE = (*FILTER_COLUMNS, "period", "value", "release")


def column(name: str) -> str:
    """A vetted column name, quoted for SQL (``table`` is a keyword)."""
    if name not in _READABLE:
        raise KeyError(name)
    return f'"{name}"'


def condition(name: str, values: Sequence[str | None], params: list[Any]) -> str:
    """``name`` equal to one of ``values`` (``None``: no code), its parameters appended."""
    quoted = column(name)
    codes = [v for v in values if v is not None]
    parts = []
    if len(codes) == 1:
        parts.append(f"{quoted} = ?")
    elif codes:
        parts.append(f"{quoted} IN ({', '.join('?' for _ in codes)})")
    if len(codes) < len(values):
        parts.append(f"{quoted} IS NULL")
    params.extend(codes)
    if not parts:
        return "FALSE"  # no value wanted: no row
    return parts[0] if len(parts) == 1 else f"({' OR '.join(parts)})"


def codes(values: str | Iterable[str | None] | None) -> tuple[str | None, ...]:
    """``"GTM"`` → ``("GTM",)``; a sequence as a tuple."""
    if values is None or isinstance(values, str):
        return (values,)
    return tuple(values)


@dataclass(frozen=True)
class Selection:
    """Which observations of the latest releases to read."""

    #: Column → the codes wanted (``None`` in them: rows without a code).
    filters: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)
    #: Breakdown attribute → the codes wanted (``attributes->>name``; ``None`` in them: rows
    #: without that attribute).
    attributes: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)
    #: Column → prefixes: only the rows whose code starts with one of them.
    prefixes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Column → prefixes: the rows whose code starts with one of them are left out (and, as
    #: with ``prefixes``, the rows without a code).
    excluded_prefixes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Columns that must hold something (``value``: only the rows with a figure).
    present: tuple[str, ...] = ()
    #: Only the people counted outside their own country (``citizenship <> ref_area``).
    exclude_nationals: bool = False
    #: Only the periods from this day on.
    since: date | None = None
    #: Only the newest period of this other selection (a source's newest year, whatever the
    #: table or country): one statement, the newest period found as a subquery.
    newest_of: Selection | None = None

    def __post_init__(self) -> None:
        for name in (*self.filters, *self.present, *self.prefixes, *self.excluded_prefixes):
            column(name)  # refuse a name the contract does not vet, before any SQL is written

    def narrowed(self, **filters: str | Iterable[str | None] | None) -> Selection:
        """The same selection with these columns' codes set (replacing any it had)."""
        return dataclasses.replace(
            self, filters={**self.filters, **{k: codes(v) for k, v in filters.items()}})

    def fixed(self, name: str) -> str | None:
        """The one code the selection pins ``name`` to (None: free, or several)."""
        wanted = self.filters.get(name, ())
        return wanted[0] if len(wanted) == 1 else None

    def where(self, params: list[Any]) -> str:
        """The WHERE condition (``TRUE`` when it selects everything), parameters appended."""
        clauses = [condition(name, values, params) for name, values in self.filters.items()]
        for name, wanted in sorted(self.attributes.items()):
            clauses.append(_attribute_condition(name, wanted, params))
        for name, starts in self.prefixes.items():
            clauses.append(_prefix_condition(name, starts, params))
        for name, starts in self.excluded_prefixes.items():
            clauses.append(f"NOT {_prefix_condition(name, starts, params)}")
        clauses += [f"{column(name)} IS NOT NULL" for name in self.present]
        if self.exclude_nationals:
            clauses.append('"citizenship" <> "ref_area"')
        if self.since is not None:
            clauses.append('"period" >= ?')
            params.append(self.since)
        if self.newest_of is not None:
            inner = self.newest_of.where(params)
            clauses.append(f'"period" = (SELECT max("period") FROM {LATEST} WHERE {inner})')  # noqa: S608
        return " AND ".join(clauses) or "TRUE"


def _attribute_condition(name: str, wanted: Sequence[str | None], params: list[Any]) -> str:
    """Attribute ``name`` one of ``wanted`` (``None``: absent); the name is bound too."""
    codes = [w for w in wanted if w is not None]
    parts = []
    if codes:
        params.append(f"$.{name}")
        parts.append(f"json_extract_string(attributes, ?) IN ({', '.join('?' for _ in codes)})")
        params.extend(codes)
    if len(codes) < len(wanted):
        params.append(f"$.{name}")
        parts.append("json_extract_string(attributes, ?) IS NULL")
    if not parts:
        return "FALSE"
    return parts[0] if len(parts) == 1 else f"({' OR '.join(parts)})"


def _prefix_condition(name: str, starts: Sequence[str], params: list[Any]) -> str:
    """``name`` starting with one of ``starts`` (none: ``FALSE``)."""
    quoted = column(name)
    params.extend(starts)
    parts = [f"starts_with({quoted}, ?)" for _ in starts]
    if not parts:
        return "FALSE"
    return parts[0] if len(parts) == 1 else f"({' OR '.join(parts)})"


def _execute(target: Any, sql: str, params: list[Any]) -> Any:
    # A Store carries its connection; a connection or cursor is used as it is.
    con = getattr(target, "con", target)
    return con.execute(sql, params)


def sums_query(
    selection: Selection,
    keys: Sequence[str],
    measures: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> tuple[str, list[Any]]:
    """The SQL and parameters of :func:`sum_rows` (the forecast engine fetches the same answer
    as a pandas frame: analysis/forecast/data.py)."""
    measures = {"value": "sum"} if measures is None else measures
    names = names or {}
    params: list[Any] = []
    where = selection.where(params)
    key_sql = [column(k) for k in keys]
    selected = [f"{q} AS \"{names.get(k, k)}\"" for k, q in zip(keys, key_sql, strict=True)]
    selected += [f'{MEASURES[m]} AS "{name}"' for name, m in measures.items()]
    group = ", ".join(key_sql)
    sql = f"SELECT {', '.join(selected)} FROM {LATEST} WHERE {where}"  # noqa: S608 - vetted names
    if keys:
        sql += f" GROUP BY {group} ORDER BY {group}"
    return sql, params


def sum_rows(
    target: Any,
    selection: Selection,
    keys: Sequence[str],
    measures: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[Row]:
    """The selection summed by ``keys`` (in order, ordered by them): one column per key
    (renamed by ``names``), then one per measure (output name → :data:`MEASURES` name;
    default ``value``: the sum)."""
    sql, params = sums_query(selection, keys, measures, names)
    return fetch_rows(_execute(target, sql, params))


def distinct_rows(target: Any, selection: Selection, columns: Sequence[str]) -> list[Row]:
    """The distinct values of ``columns`` in the selection, ordered."""
    params: list[Any] = []
    where = selection.where(params)
    cols = ", ".join(column(c) for c in columns)
    return fetch_rows(_execute(
        target, f"SELECT DISTINCT {cols} FROM {LATEST} WHERE {where} ORDER BY {cols}", params))  # noqa: S608


def scan_rows(target: Any, selection: Selection, columns: Sequence[str]) -> list[Row]:
    """The selection's rows, these contract columns (``attributes`` and ``obs_status`` too), in
    the store's order: not sorted, as a plain scan gives them (a caller that keeps the first of
    equal rows keeps what it kept when it wrote this scan itself)."""
    for name in columns:
        if name not in FRAME_NAMES:
            raise KeyError(name)
    params: list[Any] = []
    where = selection.where(params)
    cols = ", ".join(f'"{c}"' for c in columns)
    return fetch_rows(_execute(
        target, f"SELECT {cols} FROM {LATEST} WHERE {where}", params))  # noqa: S608 - vetted names


def latest_period(target: Any, selection: Selection) -> date | None:
    """The newest period in the selection (None: no row)."""
    params: list[Any] = []
    where = selection.where(params)
    row = _execute(target, f'SELECT max("period") FROM {LATEST} WHERE {where}',  # noqa: S608
                   params).fetchone()
    return None if row is None else row[0]


def least_detailed_table(target: Any, selection: Selection) -> tuple[bool, str | None]:
    """The publisher's table with the fewest rows in the selection (``(False, None)``: no row).

    A publisher that gives the same figures at several levels of detail (the sheets of a
    workbook) is read from one table only, so nothing is counted twice."""
    params: list[Any] = []
    where = selection.where(params)
    row = _execute(
        target,
        f'SELECT "table" FROM {LATEST} WHERE {where} '  # noqa: S608 - vetted names
        'GROUP BY "table" ORDER BY count(*), "table" NULLS FIRST LIMIT 1', params).fetchone()
    return (False, None) if row is None else (True, row[0])


def with_totals(target: Any, selection: Selection, dimensions: Sequence[str]) -> list[str]:
    """Those of ``dimensions`` that have ``_T`` rows in the selection."""
    if not dimensions:
        return []
    params: list[Any] = [TOTAL] * len(dimensions)
    where = selection.where(params)
    flags = _execute(
        target,
        f"SELECT {', '.join(f'bool_or({column(d)} = ?)' for d in dimensions)} "  # noqa: S608
        f"FROM {LATEST} WHERE {where}", params).fetchone()
    return [d for d, has_total in zip(dimensions, flags or (), strict=False) if has_total]


def check_one_value(target: Any, selection: Selection, keys: Sequence[str]) -> None:
    """Refuse a sum by ``keys`` that would add rows of two sources, tables, units or
    frequencies (the same people counted twice, or two measures added)."""
    free = [c for c in SAME_WITHIN_SUM if c not in keys and selection.fixed(c) is None]
    if not free:
        return
    params: list[Any] = []
    where = selection.where(params)
    group = ", ".join(column(k) for k in keys) or "()"
    counts = ", ".join(f"count(DISTINCT coalesce({column(c)}, ''))" for c in free)
    having = " OR ".join(f"count(DISTINCT coalesce({column(c)}, '')) > 1" for c in free)
    row = _execute(
        target,
        f"SELECT {counts} FROM {LATEST} WHERE {where} "  # noqa: S608 - vetted names
        f"GROUP BY {group} HAVING {having} LIMIT 1", params).fetchone()
    if row is None:
        return
    name = next(c for c, n in zip(free, row, strict=True) if n > 1)
    values = [row[name] for row in distinct_rows(target, selection, [name])[:6]]
    raise QueryError("double_count", "group_by", "api.double_count", [name],
                     group=", ".join(keys) or "∅", column=name,
                     values=", ".join("∅" if v is None else str(v) for v in values))


def _published_choice(target: Any, selection: Selection, keys: Sequence[str]) -> Selection | None:
    """The selection :func:`published_sum_rows` reads (None: no row matches)."""
    whole = dataclasses.replace(selection, since=None, newest_of=None)
    if "table" not in whole.filters:
        found, table = least_detailed_table(target, whole)
        if not found:
            return None
        whole = whole.narrowed(table=(table,))
    by = [k for k in keys if k not in ("period", "unit")]
    free = [d for d in TOTALLED_DIMENSIONS if d not in by and d not in whole.filters]
    whole = whole.narrowed(**{d: TOTAL for d in with_totals(target, whole, free)})
    chosen = dataclasses.replace(whole, since=selection.since, newest_of=selection.newest_of)
    check_one_value(target, chosen, keys)
    return chosen


def published_sum_rows(target: Any, selection: Selection, by: Sequence[str] = ()) -> list[Row]:
    """The selection summed by period (and ``by``, and unit) as the publisher totals it.

    * one table: unless the selection names one, the least detailed table holding its rows;
    * ``_T`` beats detail: a totalled dimension neither filtered nor in ``by`` is read at
      ``_T`` where the table has ``_T`` rows, else its detail rows are summed;
    * no double counting: the rows summed agree on source, table, unit and frequency.

    The table and the totals are chosen on the whole series (``since`` and ``newest_of`` only
    cut the answer), so a shorter window never reads a different table.
    Keys: period, ``by``, unit, value (period a :class:`datetime.date`); no row when nothing
    matches.
    """
    keys = ["period", *by, "unit"]
    chosen = _published_choice(target, selection, keys)
    return [] if chosen is None else sum_rows(target, chosen, keys)
