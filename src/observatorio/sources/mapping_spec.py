"""The schema of a mapping file (pydantic; every key checked): what the mapping reader
(:mod:`observatorio.sources.mapping`) validates and the engine
(:mod:`observatorio.sources.mapping_engine`) executes. Its own module so that both depend on it
and neither on the other."""

from __future__ import annotations

import difflib
import re
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from observatorio.model.codelists import get_codelist
from observatorio.model.contract import CONTRACT_COLUMNS, column
from observatorio.model.dimensions import BREAKDOWN_COLUMN, TIME_COLUMN
from observatorio.sources.discovery import DiscoverySpec

#: Contract columns a mapping gives in its other sections: ``source.dataflow``, ``period``
#: (its ``freq`` too) and ``value``; the source's own breakdowns go to ``attributes``.
GIVEN_ELSEWHERE = frozenset({"dataflow", "freq", TIME_COLUMN, "value", BREAKDOWN_COLUMN})
#: Dimensions a mapping may fill, and the codelist their codes must come from (None: free
#: text): every key or coded column of the contract (model/contract.py) not given elsewhere, so
#: a dimension added to the contract can be mapped with no edit here.
DIMENSION_CODELISTS: dict[str, str | None] = {
    c.name: c.codelist for c in CONTRACT_COLUMNS
    if (c.key or c.codelist) and c.name not in GIVEN_ELSEWHERE
}
AREA_DIMENSIONS = frozenset(d for d, codelist in DIMENSION_CODELISTS.items() if codelist == "area")
#: Dimensions without a contract default: the mapping must say what they are.
REQUIRED_DIMENSIONS: tuple[str, ...] = tuple(
    d for d in DIMENSION_CODELISTS if column(d).default is None and not column(d).nullable)


def _regular_expression(value: str) -> str:
    """``value`` when it compiles as a regular expression (a mapping's error otherwise)."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return value


class _Strict(BaseModel):
    # A misspelt key must be an error, not silently ignored: that is how mappings go wrong.
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSection(_Strict):
    """Who publishes the table and what it is (becomes the source's SourceInfo)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_\-]+)?$")
    publisher: str
    title_es: str
    title_en: str
    licence: str
    release: date
    dataflow: str
    url: str | None = None
    homepage: str | None = None
    folder: str | None = None
    filename: str | None = None
    file: str | None = None  # data file path relative to the mapping file (optional)
    caveats_es: list[str] = []
    caveats_en: list[str] = []

    @field_validator("dataflow")
    @classmethod
    def _known_dataflow(cls, value: str) -> str:
        return _check_code(value, "dataflow")


class FileSection(_Strict):
    """How to read the file: format, encoding, where the header is, how numbers are written."""

    format: Literal["auto", "csv", "xlsx"] = "auto"
    encoding: str = "auto"
    sheet: str | int | None = None
    skip_lines: int = Field(default=0, ge=0)
    header_row: int | None = Field(default=None, ge=1)
    delimiter: str = "auto"
    decimal: str = "."
    thousands: str | None = None
    na_tokens: list[str] = []
    blank: Literal["error", "missing", "zero"] = "error"

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if value != "auto" and len(value) != 1:
            raise ValueError("delimiter must be one character (e.g. ';' or '\\t') or 'auto'")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        if value != "auto":
            import codecs

            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r} (use e.g. utf-8, latin-1, cp1252 or auto)") from None
        return value

    @model_validator(mode="after")
    def _separators(self) -> FileSection:
        if self.thousands is not None and self.thousands == self.decimal:
            raise ValueError("decimal and thousands separators must differ")
        if self.header_row is not None and self.skip_lines:
            raise ValueError("give either header_row or skip_lines, not both")
        return self

    @property
    def header_index(self) -> int:
        """0-based line/row index of the header."""
        return self.header_row - 1 if self.header_row is not None else self.skip_lines


class RegexRule(_Strict):
    """One ordered rule: labels matching ``pattern`` (searched, Python syntax) become ``code``."""

    pattern: str
    code: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        return _regular_expression(value)

    @cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


class DimensionSpec(_Strict):
    """Where a dimension comes from: a constant, or a column with value maps."""

    constant: str | None = None
    column: str | None = None
    map: dict[str, str] = {}
    ignore_case: bool = False  # exact map also matches regardless of case, accents and spaces
    regex: list[RegexRule] = []
    default: str | None = None  # code for labels no rule matches (instead of an error)
    countries: bool = True  # area dimensions: resolve country names/codes not in the maps

    @model_validator(mode="after")
    def _one_source(self) -> DimensionSpec:
        if (self.constant is None) == (self.column is None):
            raise ValueError("give exactly one of 'constant' or 'column'")
        if self.constant is not None and (self.map or self.regex or self.default is not None):
            raise ValueError("a constant takes no map, regex or default")
        return self

    def codes(self) -> list[str]:
        """Every code the spec can produce (checked against the codelist)."""
        out = [self.constant] if self.constant is not None else []
        out += list(self.map.values()) + [r.code for r in self.regex]
        return out + ([self.default] if self.default is not None else [])


class PeriodSection(_Strict):
    """Which columns give the reference period, and the fiscal-year rule."""

    freq: Literal["M", "Q", "A"]
    year: str | int | None = None  # column name, or a constant year
    month: str | None = None
    quarter: str | None = None
    date: str | None = None  # column holding a date (xlsx date cells or text)
    column: str | None = None  # one text column holding the whole period
    format: str | None = None  # strptime format for `date` / `column` (e.g. "%Y-%m")
    pattern: str | None = None  # regex with named groups year, month, quarter for `column`
    dayfirst: bool = False
    month_is: Literal["calendar", "fiscal"] = "calendar"
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    keep_fiscal_year: bool = False  # add the fiscal year as attribute `fiscal_year`

    @model_validator(mode="after")
    def _consistent(self) -> PeriodSection:
        ways = [self.year is not None, self.date is not None, self.column is not None]
        if sum(ways) != 1:
            raise ValueError("give exactly one of 'year' (with 'month'/'quarter'), 'date' or 'column'")
        if self.column is not None and (self.format is None) == (self.pattern is None):
            raise ValueError("'column' needs exactly one of 'format' or 'pattern'")
        if self.pattern is not None:
            try:
                groups = re.compile(self.pattern).groupindex
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
            if "year" not in groups:
                raise ValueError("'pattern' needs a named group (?P<year>…)")
        if self.year is not None:
            if self.freq == "M" and self.month is None:
                raise ValueError("monthly data (freq M) need a 'month' column")
            if self.freq == "Q" and self.quarter is None:
                raise ValueError("quarterly data (freq Q) need a 'quarter' column")
        if self.month_is == "fiscal" and self.fiscal_year_start_month == 1:
            raise ValueError("month_is: fiscal needs fiscal_year_start_month (e.g. 10 for the US)")
        return self


class ValueSection(_Strict):
    """Which cells hold the numbers: one column (long) or several (wide, melted)."""

    column: str | None = None
    columns: dict[str, dict[str, str]] | None = None  # header → dimension codes for its cells
    melt: str | None = None  # regex: every header it matches is a value column
    header_as: str = "header"  # melt: name of the new column holding each cell's header
    # Rows that end up with the same key (the publisher split them by something the table does
    # not show): an error (default), or summed into one observation.
    duplicates: Literal["error", "sum"] = "error"

    @model_validator(mode="after")
    def _one_layout(self) -> ValueSection:
        if sum(x is not None for x in (self.column, self.columns, self.melt)) != 1:
            raise ValueError("give exactly one of 'column', 'columns' or 'melt'")
        for header, codes in (self.columns or {}).items():
            for dim, code in codes.items():
                if dim not in DIMENSION_CODELISTS:
                    raise ValueError(f"columns.{header}: {dim!r} is not a dimension "
                                     f"(one of {', '.join(DIMENSION_CODELISTS)})")
                _check_dimension_code(dim, code)
        if self.melt is not None:
            try:
                re.compile(self.melt)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return self


class DropRule(_Strict):
    """Rows to leave out (totals, notes): ``regex`` searched in ``column`` (any column if omitted)."""

    regex: str
    column: str | None = None
    and_after: bool = False  # also drop every later row (footnotes under the table)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        return _regular_expression(value)


class _DimensionsBase(_Strict):
    """One entry per dimension the table gives; ``sex: F`` is short for ``sex: {constant: F}``.
    Its fields, one per mappable dimension, are added from the contract (``DimensionsSection``)."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"constant": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("*")
    @classmethod
    def _known_codes(cls, spec: DimensionSpec | None, info: Any) -> DimensionSpec | None:
        if spec is not None:
            for code in spec.codes():
                _check_dimension_code(info.field_name, code)
        return spec

    def given(self) -> dict[str, DimensionSpec]:
        """The dimensions the mapping fills."""
        return {d: s for d in DIMENSION_CODELISTS if (s := getattr(self, d)) is not None}


if TYPE_CHECKING:
    DimensionsSection = _DimensionsBase
else:
    DimensionsSection = create_model(
        "DimensionsSection", __base__=_DimensionsBase, __module__=__name__,
        **{d: (DimensionSpec | None, None) for d in DIMENSION_CODELISTS})


class MappingSpec(_Strict):
    """A whole mapping file."""

    source: SourceSection
    file: FileSection = FileSection()
    period: PeriodSection
    dimensions: DimensionsSection
    value: ValueSection
    drop_rows: list[DropRule] = []
    attributes: dict[str, str] = {}  # attribute name → column
    discovery: DiscoverySpec | None = None  # how `observatorio refresh` finds the newest release

    @model_validator(mode="after")
    def _required(self) -> MappingSpec:
        given = self.dimensions.given()
        overridden = {d for codes in (self.value.columns or {}).values() for d in codes}
        missing = [d for d in REQUIRED_DIMENSIONS if d not in given and d not in overridden]
        if missing:
            raise ValueError(f"dimensions must give {', '.join(missing)} (a constant or a column)")
        return self


def _check_code(code: str, codelist: str) -> str:
    if code not in get_codelist(codelist):
        close = difflib.get_close_matches(code.upper(), list(get_codelist(codelist).codes), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"{code!r} is not a code of codelist {codelist!r}{hint}")
    return code


def _check_dimension_code(dim: str, code: str) -> None:
    codelist = DIMENSION_CODELISTS[dim]
    if codelist is not None:
        _check_code(code, codelist)
