"""What a bulletin holds, independent of its format: sections of text, charts and tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from observatorio.publish.web.charts import Chart


def version_label(version: str) -> str:
    """The store version as printed: ``2026-12-04 21:22:29 UTC`` for the load timestamp it
    usually is (not ``…T21:22:29.725054+00:00``); any other token as it is. The manifest keeps
    the exact token."""
    try:
        stamp = datetime.fromisoformat(version)
    except ValueError:
        return version
    zone = " UTC" if stamp.utcoffset() is not None and not stamp.utcoffset() else ""
    return f"{stamp:%Y-%m-%d %H:%M:%S}{zone}"


#: A table cell: text, or a number kept raw (formatted per language only when laid out).
Cell = str | int | float | None


@dataclass
class Table:
    """A table as printed and as written to its own XLSX sheet."""

    id: str
    title: str
    header: list[str]
    rows: list[list[Cell]]
    unit: str = ""
    sources: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass(frozen=True)
class ReleaseUsed:
    """One source's release a bulletin read (the bulletin's lineage)."""

    source: str
    publisher: str
    title: str
    release: date


@dataclass
class Bulletin:
    scope: str  # regional | country
    iso3: str | None
    period: date  # first day of the bulletin's data month
    lang: str
    title: str
    subtitle: str
    sections: list[Section]
    releases: list[ReleaseUsed]
    store_version: str

    @property
    def version_label(self) -> str:
        return version_label(self.store_version)

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts]

    @property
    def slug(self) -> str:
        """``2024-03-regional-es`` / ``2024-03-GTM-en``: the file name without extension."""
        return f"{self.period:%Y-%m}-{self.iso3 or 'regional'}-{self.lang}"

    def manifest(self) -> dict[str, Any]:
        """What identifies the bulletin's numbers: options, store version, releases used."""
        return {"scope": self.scope, "iso3": self.iso3, "period": f"{self.period:%Y-%m}",
                "lang": self.lang, "title": self.title, "store_version": self.store_version,
                "releases": {r.source: r.release.isoformat() for r in self.releases}}
