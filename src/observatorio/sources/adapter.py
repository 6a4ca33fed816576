"""The adapter interface and the registry's store (``register``): what every adapter module and
mapping file imports. Looking sources up (``get_adapter``, ``all_adapters``) is ``base.py``'s job,
which imports every built-in adapter and mapping file first; a source's facts alone come from
``catalogue.py`` without any adapter (issue #12: a server worker never imports pandas)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from observatorio.sources.info import SourceInfo

if TYPE_CHECKING:  # adapters read into frames; the interface itself needs no pandas
    import pandas as pd

    from observatorio.harmonize.problems import Problems

__all__ = ["Adapter", "SourceInfo", "register", "unregister"]

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


#: Every registered source by id: filled by the adapter modules and mapping files as they register.
_REGISTRY: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    """Add an adapter to the registry (an id can be registered once)."""
    if adapter.info.id in _REGISTRY:
        raise ValueError(f"source {adapter.info.id!r} is registered twice")
    _REGISTRY[adapter.info.id] = adapter
    return adapter


def unregister(source_id: str) -> None:
    _REGISTRY.pop(source_id, None)
