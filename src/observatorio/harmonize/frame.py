"""Building and validating harmonized frames (one row per observation, contract columns).

Adapters and the declarative mapping engine both use these helpers, so every source gets the
same checks and the same error messages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from observatorio.harmonize.countries import CountryResolver, default_resolver
from observatorio.harmonize.problems import Problems
from observatorio.model.codelists import get_codelist
from observatorio.model.contract import (
    CONTRACT_COLUMNS,
    COUNT_UNITS,
    FRAME_COLUMNS,
    FRAME_NAMES,
    KEY_COLUMNS,
    SIGNED_FLOWS,
    TOTALLED_DIMENSIONS,
)

#: Defaults for dimensions a table does not break down (the contract's, model/contract.py).
DIMENSION_DEFAULTS: dict[str, Any] = {
    "table": None,
    "source_row": None,
    **{c.name: c.default for c in FRAME_COLUMNS if c.default is not None},
}

EARLIEST_YEAR = 1900


def canonical_json(values: Mapping[str, Any]) -> str:
    """Sorted, compact JSON without null members: equal breakdowns give equal text."""
    clean = {k: v for k, v in values.items() if v is not None and not _is_nan(v)}
    return json.dumps(clean, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and np.isnan(value)


def attributes_column(frame: pd.DataFrame) -> pd.Series:
    """Canonical JSON per row of the given attribute columns.

    Breakdowns repeat a lot (a few components × authorities), so each distinct combination is
    encoded once and mapped back.
    """
    if frame.shape[1] == 0 or frame.empty:
        return pd.Series("{}", index=frame.index, dtype=object)
    clean = frame.astype(object).where(frame.notna(), None)
    # Factorize column by column (a MultiIndex would coerce ints beside nulls to floats) and
    # encode the first row of each distinct combination with its values as given. List values
    # must be passed as tuples (hashable); they are written as JSON lists.
    combination = np.zeros(len(clean), dtype=np.int64)
    for name in clean.columns:
        codes = pd.factorize(clean[name])[0] + 1  # null → 0
        # Refactorizing at each step keeps the combined code below len(frame): no overflow.
        combination = pd.factorize(combination * (int(codes.max()) + 1) + codes)[0]
    _, first = np.unique(combination, return_index=True)
    records = clean.iloc[first].to_dict("records")
    encoded = pd.Index([canonical_json({str(k): v for k, v in r.items()}) for r in records], dtype=object)
    return pd.Series(encoded.take(combination), index=frame.index, dtype=object)


def assemble(index: pd.Index, columns: Mapping[str, Any]) -> pd.DataFrame:
    """A frame with every frame column, in contract order; scalars are broadcast.

    Missing dimensions take their defaults (``_T`` for breakdowns, ``A`` for status).
    """
    data: dict[str, Any] = {}
    for name in FRAME_NAMES:
        if name in columns:
            value = columns[name]
        elif name in DIMENSION_DEFAULTS:
            value = DIMENSION_DEFAULTS[name]
        else:
            raise KeyError(f"column {name!r} must be given")
        if isinstance(value, pd.Series):
            data[name] = value.reindex(index).to_numpy(dtype=object)
        elif isinstance(value, np.ndarray):
            data[name] = value
        else:
            data[name] = [value] * len(index)
    frame = pd.DataFrame(data, index=index)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    frame["source_row"] = frame["source_row"].astype("Int64")
    return frame.reset_index(drop=True)


def parse_values(
    raw: pd.Series,
    rows: pd.Series,
    column: str,
    problems: Problems,
    *,
    blank: str = "error",
    na_tokens: tuple[str, ...] = (),
) -> tuple[pd.Series, pd.Series]:
    """Numbers from a raw column; returns (values, obs_status).

    ``blank`` says what an empty cell means: ``"error"`` (report it), ``"missing"`` (null value,
    status ``M`` — unknown is not zero) or ``"zero"``. ``na_tokens`` (e.g. ``-``) mean
    "not applicable": null value, status ``L``.
    """
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.astype("float64")
        text = None
        is_blank = values.isna()
        is_na = pd.Series(False, index=raw.index)
    else:
        text = raw.astype("string").str.strip()
        is_blank = text.isna() | (text == "")
        is_na = text.isin(list(na_tokens)) if na_tokens else pd.Series(False, index=raw.index)
        cleaned = text.str.replace(r"(?<=\d)[,\s\u00a0](?=\d{3}\b)", "", regex=True)
        values = pd.to_numeric(cleaned.where(~is_blank & ~is_na), errors="coerce").astype("float64")
        bad = values.isna() & ~is_blank & ~is_na
        if bad.any():
            problems.add_rows("not_numeric", rows[bad].tolist(), column, text[bad].tolist())
    status = pd.Series("A", index=raw.index, dtype=object)
    status[is_na] = "L"
    if blank == "zero":
        values = values.where(~is_blank, 0.0)
    else:
        status[is_blank] = "M"
        if blank == "error" and is_blank.any():
            problems.add_rows("missing_value", rows[is_blank].tolist(), column, [""] * int(is_blank.sum()))
    return values, status


def resolve_countries(
    raw: pd.Series,
    rows: pd.Series,
    column: str,
    problems: Problems,
    *,
    special: Mapping[str, str] | None = None,
    resolver: CountryResolver | None = None,
) -> pd.Series:
    """ISO3 codes for country names or codes; ``special`` maps publisher codes first (e.g. UNK → _U).

    Unknown names are reported with the closest known names.
    """
    resolver = resolver or default_resolver()
    special = dict(special or {})
    uniques = pd.unique(raw.astype(object))
    lookup: dict[Any, str | None] = {}
    for name in uniques:
        if name is None or _is_nan(name) or (isinstance(name, str) and not name.strip()):
            lookup[name] = special.get("")
            continue
        text = str(name)
        lookup[name] = special.get(text.strip(), special.get(text)) or resolver.resolve(text)
    codes = raw.astype(object).map(lookup)
    unknown = codes.isna()
    if unknown.any():
        for name in pd.unique(raw[unknown].astype(object)):
            where = raw.astype(object) == name if not _is_nan(name) and name is not None else raw.isna()
            shown = "" if name is None or _is_nan(name) else str(name)
            closest = resolver.closest(shown) if shown else []
            problems.add_value("unknown_country", rows[where & unknown].tolist(), column=column,
                               value=shown, closest=closest)
    return codes


def map_values(
    raw: pd.Series, mapping: Mapping[str, str], rows: pd.Series, column: str, codelist: str,
    problems: Problems,
) -> pd.Series:
    """Codes for raw labels through an exact ``mapping``; unmapped labels are reported."""
    mapped = raw.astype("string").str.strip().map(mapping)
    report_unknown(raw, mapped.isna(), rows, column, codelist, problems)
    return mapped.astype(object)


def report_unknown(
    raw: pd.Series, bad: pd.Series, rows: pd.Series, column: str, codelist: str, problems: Problems
) -> None:
    """Report each distinct unmappable label (first rows only) as an unknown code."""
    if not bad.any():
        return
    for value in pd.unique(raw[bad].astype(object))[:10]:
        same = raw.astype(object) == value if not pd.isna(value) else raw.isna()
        problems.add_value("unknown_code", rows[bad & same].tolist(), column=column,
                           value="" if pd.isna(value) else value, codelist=codelist, closest=[])


def check_frame(frame: pd.DataFrame, problems: Problems, *, release: date | None = None) -> None:
    """Contract checks on a harmonized frame: codes, counts, periods, keys, totals."""
    if frame.empty:
        problems.add("empty")
        return
    rows = frame["source_row"]
    for col in CONTRACT_COLUMNS:
        if col.codelist is None:
            continue
        codelist = get_codelist(col.codelist)
        values = frame[col.name]
        bad = ~values.isin(list(codelist.codes))
        if bad.any():
            for value in pd.unique(values[bad].astype(object))[:10]:
                # A missing code (None/NaN) never equals itself: select it with isna().
                at = values.isna() if pd.isna(value) else values.astype(object) == value
                shown = "" if pd.isna(value) else value
                closest = _closest_codes(str(shown), list(codelist.codes)) if shown else []
                problems.add_value("unknown_code", rows[at & bad].tolist(), column=col.name,
                                   value=shown, codelist=col.codelist, closest=closest)
    _check_counts(frame, rows, problems)
    _check_periods(frame, rows, problems, release)
    _check_duplicates(frame, rows, problems)
    _check_mixed_totals(frame, problems)
    _check_mixed_levels(frame, problems)


def _row(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)


def _closest_codes(value: str, codes: list[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(value.upper(), codes, n=3, cutoff=0.5)


def _check_counts(frame: pd.DataFrame, rows: pd.Series, problems: Problems) -> None:
    counts = frame["unit"].isin(list(COUNT_UNITS)) & frame["value"].notna()
    estimated = frame["obs_status"] == "E"
    value = frame["value"]
    negative = counts & (value < 0) & ~frame["flow"].isin(list(SIGNED_FLOWS))
    if negative.any():
        problems.add_rows("negative", [_row(r) for r in rows[negative]], "value", value[negative].tolist())
    fractional = counts & ~estimated & (np.floor(value) != value)
    if fractional.any():
        problems.add_rows("fractional", [_row(r) for r in rows[fractional]], "value", value[fractional].tolist())
    unexplained = frame["value"].isna() & frame["obs_status"].isin(["A", "P", "E", "B"])
    if unexplained.any():
        problems.add_rows("missing_value", [_row(r) for r in rows[unexplained]], "value",
                          [""] * int(unexplained.sum()))


def _check_periods(
    frame: pd.DataFrame, rows: pd.Series, problems: Problems, release: date | None
) -> None:
    periods = frame["period"]
    years = pd.Series([getattr(p, "year", None) for p in periods], index=frame.index)
    latest = (release.year + 1) if release else 2100
    bad = years.isna() | (years < EARLIEST_YEAR) | (years > latest)
    if bad.any():
        reason = f"{EARLIEST_YEAR}–{latest}"
        for row, value in list(zip(rows[bad], periods[bad], strict=True))[:50]:
            problems.add("impossible_period", row=_row(row), column="period", value=value, reason=reason)


def _check_duplicates(frame: pd.DataFrame, rows: pd.Series, problems: Problems) -> None:
    dup = frame[list(KEY_COLUMNS)].duplicated(keep=False)
    if not dup.any():
        return
    # Text only for the rows reported (converting a 300,000-row frame costs a second).
    keys = frame.loc[dup, list(KEY_COLUMNS)].astype(str)
    first_row: dict[tuple[str, ...], Any] = {}
    for idx in frame.index[dup]:
        key = tuple(keys.loc[idx])
        if key not in first_row:
            first_row[key] = rows.loc[idx]
            continue
        shown = ", ".join(f"{c}={v}" for c, v in zip(KEY_COLUMNS, key, strict=True) if v not in ("_T", "_Z", "None", "{}"))
        problems.add("duplicate_key", row=_row(rows.loc[idx]), column=None, value=None,
                     other_row=_row(first_row[key]), key=shown)


def _check_mixed_totals(frame: pd.DataFrame, problems: Problems) -> None:
    # Per table, a dimension is either all `_T` or never `_T`: count totals and rows per table.
    table_codes, tables = pd.factorize(frame["table"].astype(str))
    rows_per_table = np.bincount(table_codes, minlength=len(tables))
    for dim in TOTALLED_DIMENSIONS:
        totals = np.bincount(table_codes, weights=(frame[dim].to_numpy() == "_T"), minlength=len(tables))
        for table in tables[(totals > 0) & (totals < rows_per_table)]:
            problems.add("mixed_totals", column=dim, table=table)


def _check_mixed_levels(frame: pd.DataFrame, problems: Problems) -> None:
    # Per table, a country is either whole or split into its ISO 3166-2 subdivisions, never both:
    # adding MEX and MX-CHP would count Chiapas twice (the country-level table is a separate one).
    from observatorio.harmonize.subdivisions import country_of

    for column in ("ref_area", "counterpart_area"):
        pairs = frame[["table", column]].drop_duplicates()
        areas = pairs[column].astype(str)
        split = areas.str.contains("-", regex=False)
        if not split.any():
            continue
        parents = pd.DataFrame({"table": pairs["table"][split].astype(str),
                                "country": [country_of(a) for a in areas[split]]})
        whole = pd.DataFrame({"table": pairs["table"][~split].astype(str), "country": areas[~split]})
        for table, country in parents.merge(whole).drop_duplicates().itertuples(index=False):
            problems.add("mixed_levels", column=column, value=country, table=table)
