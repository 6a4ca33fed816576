"""The one registry every source (built-in adapter or mapping file) joins, and its look-ups.

Importing this module imports every built-in adapter (``builtin``) and registers the startup
mapping files after them (so a mapping can never shadow a built-in adapter's id): the registry is
complete before anyone asks it. The adapter interface lives in ``adapter.py``; whoever needs only
a source's facts (titles, publisher: the portal's calendar and directory, reminders) reads
``catalogue.py``, which imports no adapter (issue #12: a server worker never imports pandas).
"""

from __future__ import annotations

import difflib

from observatorio.errors import UnknownSource
from observatorio.sources.adapter import _REGISTRY, Adapter, register, unregister
from observatorio.sources.info import SourceInfo
from observatorio.sources.mapping import register_startup_mappings

__all__ = ["Adapter", "SourceInfo", "all_adapters", "get_adapter", "register", "unregister"]

register_startup_mappings()  # the built-in adapters registered already (mapping.py imports them)


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

