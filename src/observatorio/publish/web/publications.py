"""Files behind the Publications page: archived bulletins, and bulletins produced on request."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from observatorio.errors import ErrorKind
from observatorio.report.options import MEDIA_TYPES, BulletinError, BulletinOptions
from observatorio.report.producer import BulletinFile, produce_in_child
from observatorio.settings import Settings
from observatorio.store.duck import Store

ARCHIVE_FILE = re.compile(r"^(regional|[A-Z]{3})-(es|en)\.(pdf|xlsx|html)$")
ARCHIVE_MONTH = re.compile(r"^\d{4}-\d{2}$")
#: A bulletin takes seconds of CPU and a few hundred MB to produce, in a child process (so that
#: none of it stays in the worker: report/producer.py): each worker runs one child at a time,
#: so that a burst of requests cannot exhaust the server; the others are told to retry.
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


def on_request(store: Store, settings: Settings, lang: str, query: dict[str, str]) -> BulletinFile:
    """A bulletin produced from the form's fields, by a child process reading the store snapshot
    this request reads (BulletinError when the fields are wrong, BulletinBusy while another one
    is being produced, the child's own refusal, BulletinTimeout, BulletinFailed)."""
    iso3 = query.get("iso3", "").strip().upper() or None
    scope = query.get("scope") or ("country" if iso3 else "regional")
    options = BulletinOptions.parse(scope, iso3, query.get("period", "").strip(), lang,
                                    query.get("format", "pdf"))
    if not PRODUCING.acquire(blocking=False):
        raise BulletinBusy(seconds=RETRY_AFTER_S)
    try:
        return produce_in_child(store.path, settings, options)
    finally:
        PRODUCING.release()
