"""Declarative mapping files (YAML or TOML): a new national table without Python.

A mapping says which column is which dimension, how raw labels become codes, how the period is
written and what one cell counts. This module holds the schema (pydantic, every key checked),
reads mapping files with errors that name the file and the key, and registers the result as an
ordinary :class:`~observatorio.sources.base.Adapter` so the CLI, loading and validation treat it
like any built-in source. The reading itself lives in :mod:`observatorio.sources.mapping_engine`.
See ``docs/mappings.md``.
"""

from __future__ import annotations

import re
import tomllib
import warnings
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from observatorio.harmonize.problems import Problems, ValidationFailed
from observatorio.i18n import t
from observatorio.model.codelists import get_codelist
from observatorio.settings import env_name, fresh_settings
from observatorio.sources.base import _REGISTRY, Adapter, SourceInfo, register, unregister
from observatorio.sources.discovery import DiscoverySpec

#: Environment variable naming a folder of extra mapping files registered at startup.
MAPPINGS_ENV = env_name("mappings")
#: Mapping files shipped with the package, registered at startup like built-in adapters.
BUILTIN_MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
MAPPING_SUFFIXES = (".yaml", ".yml", ".toml")

#: Dimensions a mapping may fill, and the codelist their codes must come from (None: free text).
DIMENSION_CODELISTS: dict[str, str | None] = {
    "ref_area": "area",
    "citizenship": "area",
    "counterpart_area": "area",
    "flow": "flow",
    "sex": "sex",
    "age": "age",
    "accompaniment": "accompaniment",
    "unit": "unit",
    "obs_status": "obs_status",
    "table": None,
}
AREA_DIMENSIONS = frozenset({"ref_area", "citizenship", "counterpart_area"})
#: Dimensions without a contract default: the mapping must say what they are.
REQUIRED_DIMENSIONS = ("ref_area", "flow", "unit")


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
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return value

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
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return value


class DimensionsSection(_Strict):
    """One entry per dimension the table gives; ``sex: F`` is short for ``sex: {constant: F}``."""

    ref_area: DimensionSpec | None = None
    citizenship: DimensionSpec | None = None
    counterpart_area: DimensionSpec | None = None
    flow: DimensionSpec | None = None
    sex: DimensionSpec | None = None
    age: DimensionSpec | None = None
    accompaniment: DimensionSpec | None = None
    unit: DimensionSpec | None = None
    obs_status: DimensionSpec | None = None
    table: DimensionSpec | None = None

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
        import difflib

        close = difflib.get_close_matches(code.upper(), list(get_codelist(codelist).codes), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"{code!r} is not a code of codelist {codelist!r}{hint}")
    return code


def _check_dimension_code(dim: str, code: str) -> None:
    codelist = DIMENSION_CODELISTS[dim]
    if codelist is not None:
        _check_code(code, codelist)


# -- reading mapping files ------------------------------------------------------------------


class MappingInvalid(ValidationFailed):
    """A mapping file is not valid; the report names the file and each key."""

    def message(self, lang: str = "es") -> str:
        lines = self.problems.render(lang).splitlines()
        lines[0] = t("report.mapping_title", lang, count=len(self.problems), file=self.problems.file)
        return "\n".join(lines)


def load_mapping(path: Path | str) -> MappingSpec:
    """The validated mapping in ``path`` (YAML or TOML); MappingInvalid lists every problem."""
    path = Path(path)
    problems = Problems(path.name)
    if not path.is_file():
        problems.add("bad_mapping", value=str(path), reason="file not found / no existe el archivo")
        raise MappingInvalid(problems)
    text = _read_text(path, problems)
    if text is None:
        raise MappingInvalid(problems)
    data = _parse(path, text, problems)
    if data is None:
        raise MappingInvalid(problems)
    try:
        return MappingSpec.model_validate(data)
    except ValidationError as exc:
        lines = _yaml_lines(text) if path.suffix.lower() != ".toml" else {}
        for err in exc.errors():
            loc = tuple(str(p) for p in err["loc"])
            key = ".".join(loc) or "(root)"
            given = err.get("input")
            if isinstance(given, dict) and set(given) == {"constant"}:
                given = given["constant"]  # `flow: X` shorthand: show what the user wrote
            shown = given if not isinstance(given, dict | list) else None
            problems.add("bad_mapping", row=_line_of(lines, loc), column=key, value=shown,
                         reason=_pydantic_reason(err))
        raise MappingInvalid(problems) from None


def _read_text(path: Path, problems: Problems) -> str | None:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add("bad_mapping", row=line, reason="mapping files must be UTF-8 / use UTF-8")
        return None


def _parse(path: Path, text: str, problems: Problems) -> dict[str, Any] | None:
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"line (\d+)", str(exc))
            problems.add("bad_mapping", row=int(found.group(1)) if found else None,
                         reason=f"TOML syntax: {exc}")
            return None
    try:
        data = yaml.load(text, Loader=_MappingLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add("bad_mapping", row=mark.line + 1 if mark else None,
                     reason=f"YAML syntax: {getattr(exc, 'problem', None) or exc}")
        return None
    if not isinstance(data, dict):
        problems.add("bad_mapping", reason="the file must hold a mapping of keys (source, file, period, dimensions, value…)")
        return None
    return data


class _MappingLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 scalars: only true/false are booleans and dates stay text.

    YAML 1.1 reads ``No``/``Sí``-style labels (``No: _U``) as booleans and builds dates itself
    (crashing on ``2024-13-01`` with no line); pydantic checks the text instead and names the key.
    """


_MappingLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_MappingLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _pydantic_reason(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "required key is missing / falta esta clave"
    if kind == "extra_forbidden":
        return "unknown key (typo?) / clave desconocida (¿error de escritura?)"
    msg = str(err.get("msg", ""))
    return msg.removeprefix("Value error, ")


def _yaml_lines(text: str) -> dict[tuple[str, ...], int]:
    """1-based line of every key path in a YAML document (for error messages)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    out: dict[tuple[str, ...], int] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        out.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, str(key.value))
                out[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, str(i)))

    if root is not None:
        walk(root, ())
    return out


def _line_of(lines: dict[tuple[str, ...], int], loc: tuple[str, ...]) -> int | None:
    # pydantic adds the union/model branch names to `loc`; the nearest known prefix is close enough.
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]] if n else None
    return None


# -- the adapter -----------------------------------------------------------------------------


class MappingAdapter(Adapter):
    """An adapter defined by a mapping file."""

    def __init__(self, spec: MappingSpec, mapping_path: Path) -> None:
        self.spec = spec
        self.mapping_path = mapping_path.resolve()
        src = spec.source
        self.info = SourceInfo(
            id=src.id,
            folder=src.folder or src.id.split(".")[0],
            filename=src.filename or (Path(src.file).name if src.file else "*"),
            publisher=src.publisher,
            title_es=src.title_es,
            title_en=src.title_en,
            licence=src.licence,
            dataflow=src.dataflow,
            release=src.release,
            url=src.url,
            homepage=src.homepage,
            caveats_es=tuple(src.caveats_es),
            caveats_en=tuple(src.caveats_en),
            extra={"mapping": str(self.mapping_path)},
        )
        self.discovery = spec.discovery

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        from observatorio.sources.mapping_engine import read_mapped

        return read_mapped(self.spec, path, problems, release, source_id=self.info.id)

    def bundled_path(self, data_dir: Path) -> Path:
        if self.spec.source.file:
            return (self.mapping_path.parent / self.spec.source.file).resolve()
        return super().bundled_path(data_dir)


def register_mapping_file(path: Path | str) -> Adapter:
    """Read, validate and register the mapping in ``path`` under its source id.

    Registering the same file again replaces the earlier registration (the file may have
    changed); an id already taken by another adapter or mapping file is a ``bad_mapping`` error.
    """
    from observatorio.sources.base import _ensure_builtins

    path = Path(path)
    spec = load_mapping(path)
    adapter = MappingAdapter(spec, path)
    _ensure_builtins()  # so that a clash with a built-in adapter is seen now, not later
    current = _REGISTRY.get(adapter.info.id)
    if current is not None:
        if isinstance(current, MappingAdapter) and current.mapping_path == adapter.mapping_path:
            unregister(adapter.info.id)
        else:
            owner = current.mapping_path if isinstance(current, MappingAdapter) else "a built-in adapter"
            problems = Problems(path.name)
            problems.add("bad_mapping", column="source.id", value=adapter.info.id,
                         reason=f"this source id is already registered by {owner} / "
                                "este id de fuente ya está registrado")
            raise MappingInvalid(problems)
    register(adapter)
    return adapter


def mapping_files(folder: Path) -> list[Path]:
    """The mapping files in ``folder`` (not recursive), in a stable order."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in MAPPING_SUFFIXES and p.is_file())


def register_mapping_folder(folder: Path, *, strict: bool = True) -> list[Adapter]:
    """Register every mapping file in ``folder``; with ``strict=False`` a bad one only warns."""
    out: list[Adapter] = []
    for path in mapping_files(folder):
        try:
            out.append(register_mapping_file(path))
        except MappingInvalid as exc:
            if strict:
                raise
            # One broken user mapping must not stop every command; `validate --mapping` shows it.
            warnings.warn(exc.message("en"), stacklevel=2)
    return out


def register_startup_mappings() -> list[Adapter]:
    """The built-in mapping files, then the folder named by OBSERVATORIO_MAPPINGS."""
    out = register_mapping_folder(BUILTIN_MAPPINGS_DIR, strict=True)
    extra = fresh_settings().mappings
    if extra:
        out += register_mapping_folder(extra, strict=False)
    return out
