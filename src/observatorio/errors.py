"""One error hierarchy: every error the observatory raises on purpose is an ``ObservatorioError``.

Each error has a **kind** (what went wrong, in the words a caller acts on), a stable machine
**code**, and a bilingual message (Spanish first) that says what to do. Whether trying again
may help follows from the kind (``retriable``), as pysdmx separates retriable errors
(unavailable) from the ones to investigate first (invalid, not found, internal).

The kind is all a channel needs: it is mapped once to an HTTP status (``HTTP_STATUS``, used by
the app's one exception handler and the cases pages) and once to a CLI exit code
(``observatorio.cli_errors``).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from observatorio.i18n import LANGS, t


class ErrorKind(StrEnum):
    """What kind of failure an error is; ``retriable`` ones may succeed later unchanged."""

    INVALID = "invalid"  # the request or the file is wrong: fix it, then try again
    UNPROCESSABLE = "unprocessable"  # well-formed, but its content is refused (cases: 422)
    NOT_FOUND = "not_found"  # no such resource (or no access to it: not told apart)
    NOT_ACCEPTABLE = "not_acceptable"  # no representation in the format asked for
    CONFLICT = "conflict"  # the resource changed or is in a state that refuses the action
    UNAUTHENTICATED = "unauthenticated"  # who is asking is not known
    FORBIDDEN = "forbidden"  # who is asking may not do this
    THROTTLED = "throttled"  # too many attempts: wait (retriable)
    UNAVAILABLE = "unavailable"  # a store, a service or a publisher is not there now (retriable)
    MISCONFIGURED = "misconfigured"  # the deployment's settings are unusable
    INTERNAL = "internal"  # a fault of the observatory itself: report it


RETRIABLE_KINDS = frozenset({ErrorKind.THROTTLED, ErrorKind.UNAVAILABLE})

#: The HTTP status of each kind: the one table the API, SDMX and the cases pages answer with.
HTTP_STATUS: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 400,
    ErrorKind.UNPROCESSABLE: 422,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.NOT_ACCEPTABLE: 406,
    ErrorKind.CONFLICT: 409,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.THROTTLED: 429,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.MISCONFIGURED: 503,
    ErrorKind.INTERNAL: 500,
}


def kind_of_status(status: int) -> ErrorKind:
    """The kind an HTTP status stands for (callers that still name a status, e.g. ApiError(404, …));
    503 is ``unavailable``, any other unknown status ``internal``."""
    if status == 503:
        return ErrorKind.UNAVAILABLE
    for kind, known in HTTP_STATUS.items():
        if known == status:
            return kind
    return ErrorKind.INTERNAL


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class ObservatorioError(Exception):
    """Base class: ``key`` names a message in messages.yaml; ``values`` fill it.

    Subclasses set ``kind`` (default ``invalid``) and may set ``code`` (default: the class name
    in snake case, e.g. ``unknown_source``); an instance may carry a more precise code.
    """

    kind: ErrorKind = ErrorKind.INVALID
    code: str = "error"
    key = "failure.generic"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            cls.code = _snake(cls.__name__)

    def __init__(self, key: str | None = None, **values: Any) -> None:
        self.key = key or self.key
        self.values = values
        super().__init__(self.message("en"))

    @property
    def retriable(self) -> bool:
        """Whether the same request may succeed later (a busy store, an unreachable server)."""
        return self.kind in RETRIABLE_KINDS

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.kind]

    def message(self, lang: str = "es") -> str:
        values = dict(self.values)
        if isinstance(values.get("closest"), list | tuple):
            options = values["closest"]
            values["closest"] = t("report.closest", lang, options=", ".join(options)) if options else ""
        return t(self.key, lang, **values)

    def messages(self) -> dict[str, str]:
        """The message in both languages, Spanish first."""
        return {lang: self.message(lang) for lang in LANGS}

    def body(self) -> dict[str, Any]:
        """The JSON body an HTTP answer carries: ``{"error": {code, parameter, message, closest}}``."""
        closest = self.values.get("closest")
        return {"error": {
            "code": self.code,
            "parameter": getattr(self, "parameter", None),
            "message": self.messages(),
            "closest": list(closest) if isinstance(closest, list | tuple) else [],
        }}


class UnknownSource(ObservatorioError):
    key = "error.unknown_source"


class FileNotFound(ObservatorioError):
    key = "error.file_not_found"


class ReadOnlyViolation(ObservatorioError):
    key = "error.read_only_sql"


class StoreMissing(ObservatorioError):
    kind = ErrorKind.UNAVAILABLE
    key = "error.no_store"


class ConfigFileInvalid(ObservatorioError, ValueError):
    """A file the observatory ships or is configured with (policy, protocols, the forecast
    catalogue) is inconsistent: the deployment's fault, not the caller's. ``reason`` names the
    file and the key (technical English: it is read by whoever maintains the file)."""

    kind = ErrorKind.MISCONFIGURED
    key = "failure.config_file"

    def __init__(self, reason: str) -> None:
        super().__init__(reason=reason)


class StoreBusy(StoreMissing):
    """Another process (usually ``observatorio serve``) holds the store's lock. A kind of
    StoreMissing, so a server meeting it answers 503 ("no data yet"), never 500."""

    key = "error.store_busy"


class NoPopulationFigures(StoreMissing):
    """No year has a population figure for every country asked about (a sparse store: only an
    example source, or one country): the roles analysis needs them. A kind of StoreMissing, so
    the API answers 503 ("no data yet") and the portal says what to load, never a 500."""

    key = "sparse_store.no_population"


class PublishedSnapshotWrite(ObservatorioError):
    """A command opened a published snapshot (or the store's link to one) for writing: readers
    may be using that file, so a write goes through a new snapshot (``snapshots.publishing``)."""

    kind = ErrorKind.CONFLICT
    key = "snapshot_guard.published"
