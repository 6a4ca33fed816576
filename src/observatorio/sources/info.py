"""What a source is (``SourceInfo``): plain facts, readable without any adapter or pandas."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class SourceInfo:
    """What a source is: who publishes it, under which licence, where its file lives."""

    id: str  # contract `source`: data folder, plus "." + file stem when a folder holds several
    folder: str  # folder under the data directory
    filename: str  # the published file's name (a glob pattern is allowed)
    publisher: str
    title_es: str
    title_en: str
    licence: str
    dataflow: str
    release: date  # release (vintage) of the bundled copy
    url: str | None = None  # official download address, used by `observatorio fetch`
    homepage: str | None = None
    caveats_es: tuple[str, ...] = ()
    caveats_en: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    def title(self, lang: str) -> str:
        return self.title_es if lang == "es" else self.title_en

    def caveats(self, lang: str) -> tuple[str, ...]:
        return self.caveats_es if lang == "es" else self.caveats_en
