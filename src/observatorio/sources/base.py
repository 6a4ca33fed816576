"""The adapter interface and the one registry every source (built-in or mapping file) joins.

The registry fills itself on first use (``registered``): the built-in adapters and the mapping
files are imported then, with pandas. Whoever needs only a source's facts (titles, publisher:
the portal's calendar and directory, reminders) reads ``sources/catalogue.py`` instead, which
imports no adapter (issue #12: a server worker never imports pandas).
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from observatorio.errors import UnknownSource
from observatorio.sources.info import SourceInfo

if TYPE_CHECKING:  # adapters read into frames; the registry and a source's facts need no pandas
    import pandas as pd

    from observatorio.harmonize.problems import Problems

__all__ = ["Adapter", "SourceInfo", "all_adapters", "get_adapter", "register", "registered", "unregister"]


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
_BUILTINS_IMPORTED = False


def registered() -> dict[str, Adapter]:
    """The registry, every built-in adapter and startup mapping file in it: they register
    themselves when ``sources/builtin.py`` is imported, here on the first call."""
    global _BUILTINS_IMPORTED
    if not _BUILTINS_IMPORTED:
        _BUILTINS_IMPORTED = True  # first: the adapters' own register() calls come back here
        import observatorio.sources.builtin  # noqa: F401
    return _REGISTRY


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
        return registered()[source_id]
    except KeyError:
        close = difflib.get_close_matches(source_id, list(_REGISTRY), n=3, cutoff=0.4)
        raise UnknownSource(source=source_id, closest=close) from None


def all_adapters() -> list[Adapter]:
    """Every registered adapter, in a stable order."""
    registry = registered()
    return [registry[k] for k in sorted(registry)]

