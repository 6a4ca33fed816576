"""How each source's newest release is found, declared as data (discovery.yaml, mapping files).

Four kinds: a fixed address, a landing page whose data links carry a date in their name, a
documented JSON API read page by page, and a package's release listing (GitHub tags). This
module only reads the declarations and picks the newest link or tag; the HTTP work is in
:mod:`observatorio.sources.fetching` and the refresh itself in :mod:`observatorio.refresh`.
"""

from __future__ import annotations

import fnmatch
import re
from datetime import date
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urljoin

import yaml
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from observatorio import yaml_load
from observatorio.errors import ObservatorioError
from observatorio.sources.adapter import Adapter

BUILTIN_FILE = Path(__file__).with_name("discovery.yaml")

Cadence = Literal["monthly", "quarterly", "annual", "irregular"]
#: Months between two releases of each cadence (``irregular``: no expected date).
CADENCE_MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "annual": 12}


class DiscoveryInvalid(ObservatorioError):
    key = "error.discovery_invalid"


class NothingFound(ObservatorioError):
    key = "error.discovery_nothing"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    every: Cadence = "irregular"


class FixedSpec(_Spec):
    """One address that always serves the newest file."""

    kind: Literal["fixed"]


class LandingPageSpec(_Spec):
    """A page listing dated data files: the link whose name carries the newest date wins."""

    kind: Literal["landing_page"]
    link: str  # regular expression with named groups year|fy, month|fm, day
    fiscal_year_start_month: int = Field(1, ge=1, le=12)

    @field_validator("link")
    @classmethod
    def _compiles(cls, value: str) -> str:
        pattern = re.compile(value)
        if not {"year", "fy"} & set(pattern.groupindex):
            raise ValueError("the link pattern needs a named group 'year' or 'fy'")
        return value


class Paging(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    items: str  # dotted path of the list of records in one answer
    pages: str  # dotted path of the number of pages
    updated: str | None = None  # dotted path of the publisher's update date, if it gives one
    page_param: str = "page"


class ApiSpec(_Spec):
    """A JSON API read page by page into the table the adapter reads (``columns``)."""

    kind: Literal["api"]
    params: dict[str, str] = {}
    paging: Paging
    columns: dict[str, str]  # adapter column → dotted path of the record's field
    max_pages: int = Field(1000, ge=1)


class PackageSpec(_Spec):
    """A package's tag listing (GitHub tags API): the newest version's data file."""

    kind: Literal["package"]
    file: str  # address template with {tag} and {file}


DiscoverySpec = Annotated[FixedSpec | LandingPageSpec | ApiSpec | PackageSpec, Field(discriminator="kind")]
_SPEC: TypeAdapter[FixedSpec | LandingPageSpec | ApiSpec | PackageSpec] = TypeAdapter(DiscoverySpec)


def parse_declarations(data: object, origin: str) -> dict[str, Any]:
    """Validated declarations of a discovery file: source id (or glob) → spec."""
    if not isinstance(data, dict):
        raise DiscoveryInvalid(file=origin, source="—", reason="expected a mapping of source ids")
    out: dict[str, Any] = {}
    for source, block in data.items():
        try:
            out[str(source)] = _SPEC.validate_python(block)
        except ValueError as exc:
            raise DiscoveryInvalid(file=origin, source=source, reason=_first_error(exc)) from None
    return out


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    return str(exc)


def read_declarations(path: Path) -> dict[str, Any]:
    """The declarations of one discovery YAML file."""
    try:
        data = yaml_load.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DiscoveryInvalid(file=str(path), source="—", reason=str(exc).splitlines()[0]) from None
    return parse_declarations(data, str(path))


@lru_cache(maxsize=1)
def builtin_declarations() -> dict[str, Any]:
    return read_declarations(BUILTIN_FILE)


def override_declarations(path: Path | None = None) -> dict[str, Any]:
    """Declarations replacing the built-in ones: ``path``, else OBSERVATORIO_DISCOVERY_FILE."""
    from observatorio.settings import get_settings

    chosen = path or get_settings().discovery_file
    return read_declarations(chosen) if chosen else {}


def spec_for(adapter: Adapter, overrides: dict[str, Any] | None = None) -> Any | None:
    """The discovery of ``adapter``: an override file first, then its mapping file, then the
    built-in declarations (an exact id before a glob). None: the source declares none."""
    return spec_for_source(adapter.info.id, getattr(adapter, "discovery", None), overrides)


def spec_for_source(source_id: str, declared: Any | None = None,
                    overrides: dict[str, Any] | None = None) -> Any | None:
    """``spec_for`` by id, without the adapter: ``declared`` is the mapping file's discovery
    (sources/catalogue.py reads it without importing the mapping engine)."""
    for table in (overrides or {}, {source_id: declared} if declared else {}, builtin_declarations()):
        if source_id in table:
            return table[source_id]
        for pattern, spec in table.items():
            if fnmatch.fnmatchcase(source_id, pattern):
                return spec
    return None


def next_expected(spec: Any | None, last_release: date | None) -> date | None:
    """The date the next release is expected: the last one plus the cadence."""
    months = CADENCE_MONTHS.get(getattr(spec, "every", "irregular"))
    if months is None or last_release is None:
        return None
    total = last_release.year * 12 + last_release.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


# -- landing pages ---------------------------------------------------------------------------

_MONTHS = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def newest_link(spec: LandingPageSpec, page: str, page_url: str) -> tuple[str, date]:
    """The absolute address of the newest data link on a landing page, and its date."""
    parser = _Links()
    parser.feed(page)
    pattern = re.compile(spec.link, re.I)
    found: list[tuple[date, str]] = []
    for href in parser.hrefs:
        match = pattern.search(unquote(href.split("?")[0]))
        stamp = _link_date(match.groupdict(), spec.fiscal_year_start_month) if match else None
        if stamp is not None:
            found.append((stamp, urljoin(page_url, href)))
    if not found:
        raise NothingFound(url=page_url, pattern=spec.link)
    stamp, url = max(found)
    return url, stamp


def _link_date(groups: dict[str, str | None], fiscal_start: int) -> date | None:
    try:
        year = _year(groups.get("year") or groups.get("fy"))
        month = _month(groups.get("month")) if groups.get("month") else None
        if groups.get("fm"):  # fiscal month index: 1 is the fiscal year's first month
            month = (fiscal_start - 1 + int(groups["fm"] or 0) - 1) % 12 + 1
        month = month or 12
        if groups.get("fy") and month >= fiscal_start and fiscal_start != 1:
            year -= 1  # e.g. October of US fiscal year 2025 is October 2024
        return date(year, month, int(groups.get("day") or 1))
    except (TypeError, ValueError, KeyError):
        return None


def _year(text: str | None) -> int:
    value = int(text or "")
    return value + 2000 if value < 100 else value


def _month(text: str | None) -> int:
    text = (text or "").strip().lower()
    return int(text) if text.isdecimal() else _MONTHS[text[:3]]


# -- packages --------------------------------------------------------------------------------


def newest_tag(listing: object, listing_url: str) -> str:
    """The newest final version among a GitHub tags listing (``[{"name": "v1.2.0"}, …]``);
    names that are not versions (``nightly``) and pre-releases are skipped."""
    versions: list[tuple[Version, str]] = []
    for entry in listing if isinstance(listing, list) else []:
        name = entry.get("name") if isinstance(entry, dict) else None
        try:
            version = Version(str(name).lstrip("vV"))
        except InvalidVersion:
            continue
        if not version.is_prerelease:  # a release candidate is not a release
            versions.append((version, str(name)))
    if not versions:
        raise NothingFound(url=listing_url, pattern="tags")
    return max(versions)[1]


# -- APIs ------------------------------------------------------------------------------------


def dig(document: object, path: str) -> Any:
    """The value at a dotted path (``0.pages``, ``country.value``); None where it is absent."""
    value: Any = document
    for part in path.split("."):
        if isinstance(value, list) and part.isdecimal() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value
