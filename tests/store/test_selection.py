"""The store's selection builder (store/selection.py): the analysis' reads answer as their own
SQL did, a sum that would add two frequencies is refused, and only the store writes SQL over the
observations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from selection_parity import (  # beside this file (pytest puts its folder on sys.path)
    DIGESTS,
    digests,
)

from observatorio.analysis import dashboards as db
from observatorio.store.duck import Store
from observatorio.store.query_errors import QueryError
from observatorio.store.selection import (
    Selection,
    condition,
    latest_period,
    published_sum_rows,
    scan_rows,
)


def test_every_analysis_read_answers_as_its_own_sql_did(bundled_store: Store) -> None:
    # The digests were recorded with the dashboards', series' and forecasts' own SQL (main
    # before the builder): every dashboard, indicator series and forecast series is the same.
    expected = json.loads(DIGESTS.read_text())
    found = digests(bundled_store)
    # (a source added since only adds inputs; a changed bundled file changes digests: record
    # them again with main's code, tests/store/selection_parity.py says how)
    changed = sorted(name for name in expected if found.get(name) != expected[name])
    assert not changed, f"answers differ from the analysis' own SQL: {changed[:20]}"


def test_a_sum_over_two_tables_is_refused(bundled_store: Store) -> None:
    # USBP publishes its encounters in a yearly and a monthly sheet: summing both by period
    # would count a fiscal year's people twice in its first month. The analysis' own SQL
    # summed whatever it was given.
    both = Selection(present=("value",)).narrowed(
        source="ohss_cbp_usbp_encounters", table=("Annual Count", "Monthly Count"))
    with pytest.raises(QueryError) as refused:
        published_sum_rows(bundled_store, both)
    assert refused.value.code == "double_count"
    assert refused.value.values["column"] == "table"
    assert refused.value.values["values"] == "Annual Count, Monthly Count"
    assert published_sum_rows(bundled_store, both.narrowed(table="Monthly Count"))


def test_a_window_does_not_change_the_table_or_the_totals_read(bundled_store: Store) -> None:
    spec = next(s for s in db.HEADLINE_SERIES if s.key == "usbp")
    whole = db.aggregate_rows(bundled_store, spec)
    last_year = max(r["period"] for r in whole).replace(month=1)
    window = db.aggregate_rows(bundled_store, spec, since=last_year)
    assert window == [r for r in whole if r["period"] >= last_year]


def test_conditions_bind_every_code_and_name_no_unvetted_column() -> None:
    params: list[object] = []
    assert condition("ref_area", ("GTM",), params) == '"ref_area" = ?'
    assert condition("ref_area", ("GTM", "HND"), params) == '"ref_area" IN (?, ?)'
    assert condition("table", (None,), params) == '"table" IS NULL'
    assert condition("table", ("a", None), params) == '("table" = ? OR "table" IS NULL)'
    assert condition("flow", (), params) == "FALSE"
    assert params == ["GTM", "GTM", "HND", "a"]
    with pytest.raises(KeyError):
        Selection(filters={"1=1; DROP TABLE loads; --": ("x",)})


def test_prefixes_and_absent_attributes_bind_every_value() -> None:
    chosen = Selection(filters={"source": ("s",)}, attributes={"municipality": (None,), "route": ("a", None)},
                       prefixes={"table": ("returnees", "x';--")}, excluded_prefixes={"table": ("returnees_by",)},
                       since=dt.date(2025, 1, 1))
    params: list[object] = []
    where = chosen.where(params)
    assert where == (
        '"source" = ? AND json_extract_string(attributes, ?) IS NULL'
        ' AND (json_extract_string(attributes, ?) IN (?) OR json_extract_string(attributes, ?) IS NULL)'
        ' AND (starts_with("table", ?) OR starts_with("table", ?)) AND NOT starts_with("table", ?)'
        ' AND "period" >= ?')
    assert params == ["s", "$.municipality", "$.route", "a", "$.route", "returnees", "x';--", "returnees_by",
                      dt.date(2025, 1, 1)]
    assert Selection(prefixes={"ref_area": ()}).where([]) == "FALSE"
    newest: list[object] = []
    assert Selection(filters={"table": ("t",)}, newest_of=Selection(filters={"source": ("s",)})).where(newest) == (
        '"table" = ? AND "period" = (SELECT max("period") FROM observations WHERE "source" = ?)')
    assert newest == ["t", "s"]
    with pytest.raises(KeyError):
        Selection(prefixes={"1=1 OR ref_area": ("x",)})
    with pytest.raises(KeyError):
        scan_rows(None, Selection(), ["value", "1; DROP TABLE loads"])


def test_rows_and_the_latest_period_of_a_selection(bundled_store: Store) -> None:
    usbp = Selection(filters={"source": ("ohss_cbp_usbp_encounters",), "table": ("Monthly Count",)})
    newest = latest_period(bundled_store, usbp)
    assert newest is not None and newest.day == 1
    last = scan_rows(bundled_store, dataclasses.replace(usbp, newest_of=usbp), ["period", "value"])
    assert last and {r["period"] for r in last} == {newest}
    assert latest_period(bundled_store, usbp.narrowed(source="no such source")) is None
