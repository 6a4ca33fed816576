"""The adapter interface and the one registry every source (built-in or mapping file) joins."""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from observatorio.errors import UnknownSource
from observatorio.harmonize.problems import Problems


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


class Adapter(ABC):
    """Reads one published table into the harmonized frame (contract columns)."""

    info: SourceInfo

    @abstractmethod
    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        """Harmonized frame of the file; every problem found goes to ``problems``.

        Must not raise on bad content: report it and return what could be read.
        """

    def detect_release(self, path: Path) -> date | None:
        """The release a file declares about itself (e.g. a "Last updated" line), if any."""
        return None

    def bundled_paths(self, data_dir: Path) -> list[Path]:
        """Every bundled file of the dataset, oldest release first: a dataset published in
        several layouts or editions ships each as its own release (``load`` adds them in order)."""
        return [self.bundled_path(data_dir)]

    def bundled_path(self, data_dir: Path) -> Path:
        """Where the bundled copy of the published file lives."""
        folder = data_dir / self.info.folder
        matches = sorted(folder.glob(self.info.filename))
        return matches[0] if matches else folder / self.info.filename


_REGISTRY: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    """Add an adapter to the registry (an id can be registered once)."""
    if adapter.info.id in _REGISTRY:
        raise ValueError(f"source {adapter.info.id!r} is registered twice")
    _REGISTRY[adapter.info.id] = adapter
    return adapter


def unregister(source_id: str) -> None:
    _REGISTRY.pop(source_id, None)


def get_adapter(source_id: str) -> Adapter:
    """The registered adapter for ``source_id``; the error suggests the closest ids."""
    try:
        return _REGISTRY[source_id]
    except KeyError:
        close = difflib.get_close_matches(source_id, list(_REGISTRY), n=3, cutoff=0.4)
        raise UnknownSource(source=source_id, closest=close) from None


def all_adapters() -> list[Adapter]:
    """Every registered adapter, in a stable order."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]

