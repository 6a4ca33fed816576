"""Per source: the latest release, the last refresh attempt and its result, and the date the
next release is expected (the publisher's cadence, discovery.yaml ``every``). Read by the API
(``/api/v1/freshness/sources``) and the portal's data page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from observatorio.sources.catalogue import declared_discovery, known
from observatorio.sources.discovery import next_expected, spec_for_source
from observatorio.store import Store

_LATEST = """SELECT l.source, l.release, l.loaded_at FROM loads l WHERE l.is_latest"""
_ATTEMPTS = """SELECT source, attempted_at, result, message_es, message_en, succeeded_at
               FROM refresh_state"""


def source_freshness(store: Store) -> list[dict[str, Any]]:
    """One entry per source that was loaded or tried, sorted by source id."""
    cursor = store.cursor()
    latest = {r[0]: r[1:] for r in cursor.execute(_LATEST).fetchall()}
    try:
        attempts = {r[0]: r[1:] for r in cursor.execute(_ATTEMPTS).fetchall()}
    except duckdb.CatalogException:  # a store written before `observatorio refresh` existed
        attempts = {}
    out = []
    for source in sorted(set(latest) | set(attempts)):
        release, loaded_at = latest.get(source, (None, None))
        attempted_at, result, message_es, message_en, succeeded_at = attempts.get(
            source, (None, None, None, None, None))
        out.append({
            "source": source, "last_release": release, "loaded_at": _utc(loaded_at),
            "last_attempt": _utc(attempted_at), "result": result,
            "message_es": message_es, "message_en": message_en,
            "last_success": _utc(succeeded_at), "cadence": _cadence(source),
            "next_expected": next_expected(_spec(source), release),
        })
    return out


def _spec(source: str) -> Any | None:
    # From the catalogue, not the adapter: a server worker imports no adapter (issue #12).
    if not known(source):  # a source loaded from a mapping file this process does not know
        return None
    return spec_for_source(source, declared_discovery(source))


def _cadence(source: str) -> str | None:
    spec = _spec(source)
    return None if spec is None else str(spec.every)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
