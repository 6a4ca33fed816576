"""The catalogue of forecast series: definitions read from ``catalogue.yaml``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from observatorio import yaml_load
from observatorio.errors import ConfigFileInvalid, ErrorKind, ObservatorioError

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")
LEVELS = ("country", "nationality", "demographic", "children")


class CatalogueError(ConfigFileInvalid):
    """The catalogue file is malformed (names the series and the field)."""


class UnknownSeries(CatalogueError):
    """Series ids the catalogue does not have (the caller's mistake: a usage error)."""

    kind = ErrorKind.INVALID
    key = "forecast_cli.unknown_series"

    def __init__(self, unknown: list[str], available: list[str]) -> None:
        ObservatorioError.__init__(self, unknown=", ".join(unknown), available=", ".join(available))


@dataclass(frozen=True)
class SeriesDef:
    """One monthly series: which observations to sum, how it is labelled, where it sits."""

    id: str
    level: str
    labels: dict[str, str]
    source: str
    filters: dict[str, tuple[str, ...]]
    parent: str | None = None
    coherent: bool = True  # adds up (with its siblings) to its parent
    residual_of: tuple[str, ...] = ()  # a residual: parent minus these siblings
    min_count: float = 100.0
    leading: tuple[str, ...] = ()
    # A secondary copy of the same series (another publisher's re-release) that supplies only
    # the months before ``source``'s first one: the primary publisher's own, fresher file wins.
    earlier_source: str | None = None

    def sources(self) -> tuple[str, ...]:
        """The publishers read: the primary first, then the earlier-months copy if any."""
        return (self.source,) + ((self.earlier_source,) if self.earlier_source else ())

    def label(self, lang: str) -> str:
        """The label in ``lang`` (es or en), Spanish when missing."""
        return self.labels.get(lang) or self.labels["es"]


@dataclass(frozen=True)
class Catalogue:
    """All series, in file order, with the hierarchy between them."""

    series: tuple[SeriesDef, ...]
    by_id: dict[str, SeriesDef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id.update({s.id: s for s in self.series})

    def children(self, parent_id: str) -> list[SeriesDef]:
        """The coherent children of a series (they add up to it)."""
        return [s for s in self.series if s.parent == parent_id and s.coherent]

    def tops(self) -> list[SeriesDef]:
        """Series with coherent children: the roots of the reconciled hierarchies."""
        return [s for s in self.series if s.parent is None and self.children(s.id)]

    def select(self, ids: list[str] | None) -> Catalogue:
        """The sub-catalogue needed for ``ids`` (with whole hierarchies, so they stay coherent)."""
        if not ids:
            return self
        unknown = [i for i in ids if i not in self.by_id]
        if unknown:
            raise UnknownSeries(unknown, list(self.by_id))
        roots = {self.root(i) for i in ids}
        keep = [s for s in self.series if self.root(s.id) in roots]
        return Catalogue(tuple(keep))

    def root(self, series_id: str) -> str:
        """The top of the hierarchy a series belongs to."""
        s = self.by_id[series_id]
        while s.parent is not None:
            s = self.by_id[s.parent]
        return s.id


def _codes(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def _expand(entry: dict[str, Any], labels: dict[str, dict[str, str]]) -> list[SeriesDef]:
    sid = str(entry.get("id"))
    for key in ("id", "level", "labels", "source"):
        if key not in entry:
            raise CatalogueError(f"{CATALOGUE_PATH.name}: series {sid!r} lacks {key!r}")
    if entry["level"] not in LEVELS:
        raise CatalogueError(f"{CATALOGUE_PATH.name}: series {sid!r}: level must be one of {LEVELS}")
    filters = {k: _codes(v) for k, v in (entry.get("filters") or {}).items()}
    top = SeriesDef(
        id=sid,
        level=entry["level"],
        labels=dict(entry["labels"]),
        source=entry["source"],
        filters=filters,
        parent=entry.get("parent"),
        coherent=bool(entry.get("coherent", True)),
        min_count=float(entry.get("min_count", 100)),
        leading=tuple(entry.get("leading") or ()),
        earlier_source=entry.get("earlier_source"),
    )
    out = [top]
    spec = entry.get("children")
    if not spec:
        return out
    dim = spec["dimension"]
    members = [str(m) for m in spec["members"]]
    child_source = spec.get("source", entry["source"])
    base_filters = {k: v for k, v in filters.items() if k != dim}
    prefix = spec.get("label_prefix") or {"es": "", "en": ""}
    kids = set(spec.get("children_codes") or ())
    for code in members + ([spec["residual"]] if spec.get("residual") else []):
        names = labels.get(code, {"es": code, "en": code})
        is_residual = code not in members
        out.append(
            SeriesDef(
                id=f"{sid}.{code}",
                level="children" if code in kids else spec["level"],
                labels={lang: prefix.get(lang, "") + names.get(lang, code) for lang in ("es", "en")},
                source=child_source,
                filters={**base_filters, dim: (code,)} if not is_residual else base_filters,
                parent=sid,
                residual_of=tuple(f"{sid}.{m}" for m in members) if is_residual else (),
                min_count=float(spec.get("min_count", top.min_count)),
                leading=top.leading,
                earlier_source=top.earlier_source if child_source == entry["source"] else None,
            )
        )
    return out


@lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    """Read and expand the catalogue file."""
    raw = yaml_load.safe_load(path.read_text(encoding="utf-8"))
    labels = raw.get("labels") or {}
    series: list[SeriesDef] = []
    for entry in raw["series"]:
        series.extend(_expand(entry, labels))
    ids = [s.id for s in series]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise CatalogueError(f"{path.name}: duplicate series ids {sorted(dupes)}")
    for s in series:
        if s.parent is not None and s.parent not in ids:
            raise CatalogueError(f"{path.name}: series {s.id!r}: unknown parent {s.parent!r}")
        for lead in s.leading:
            if lead not in ids:
                raise CatalogueError(f"{path.name}: series {s.id!r}: unknown leading series {lead!r}")
    return Catalogue(tuple(series))
