"""Files behind the Publications page: archived bulletins, and bulletins produced on request."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from observatorio.errors import ErrorKind
from observatorio.report.options import BulletinError, BulletinOptions
from observatorio.report.service import MEDIA_TYPES, Produced, produce
from observatorio.settings import Settings
from observatorio.store.duck import Store

ARCHIVE_FILE = re.compile(r"^(regional|[A-Z]{3})-(es|en)\.(pdf|xlsx|html)$")
ARCHIVE_MONTH = re.compile(r"^\d{4}-\d{2}$")
#: A bulletin takes seconds of CPU and a few hundred MB to produce: the server makes one at a
#: time, so that a burst of requests cannot exhaust it; the others are told to retry.
PRODUCING = threading.BoundedSemaphore(1)
RETRY_AFTER_S = 30


class BulletinBusy(BulletinError):
    """Another bulletin is being produced on this server (answered 503, retry later)."""

    kind = ErrorKind.UNAVAILABLE
    key = "bulletin.error.busy"


def archived_file(settings: Settings, month: str, name: str) -> tuple[Path, str] | None:
    """An issued bulletin's file and media type (None when the name is not one of ours)."""
    found = ARCHIVE_FILE.match(name)
    if not ARCHIVE_MONTH.match(month) or not found:
        return None
    path = settings.bulletins_path / month / name
    return (path, MEDIA_TYPES[found.group(3)]) if path.is_file() else None


def on_request(store: Store, settings: Settings, lang: str, query: dict[str, str]) -> Produced:
    """A bulletin produced from the form's fields (BulletinError when they are wrong,
    BulletinBusy while another one is being produced)."""
    iso3 = query.get("iso3", "").strip().upper() or None
    scope = query.get("scope") or ("country" if iso3 else "regional")
    options = BulletinOptions.parse(scope, iso3, query.get("period", "").strip(), lang,
                                    query.get("format", "pdf"))
    if not PRODUCING.acquire(blocking=False):
        raise BulletinBusy(seconds=RETRY_AFTER_S)
    try:
        return produce(store, settings, options)
    finally:
        PRODUCING.release()
