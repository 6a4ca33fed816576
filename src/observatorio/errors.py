"""One error hierarchy: every error has a bilingual title and says what to do."""

from __future__ import annotations

from typing import Any

from observatorio.i18n import t


class ObservatorioError(Exception):
    """Base class: ``key`` names a message in messages.yaml; ``values`` fill it."""

    key = "error"

    def __init__(self, key: str | None = None, **values: Any) -> None:
        self.key = key or self.key
        self.values = values
        super().__init__(self.message("en"))

    def message(self, lang: str = "es") -> str:
        values = dict(self.values)
        if isinstance(values.get("closest"), list | tuple):
            options = values["closest"]
            values["closest"] = t("report.closest", lang, options=", ".join(options)) if options else ""
        return t(self.key, lang, **values)


class UnknownSource(ObservatorioError):
    key = "error.unknown_source"


class FileNotFound(ObservatorioError):
    key = "error.file_not_found"


class ReadOnlyViolation(ObservatorioError):
    key = "error.read_only_sql"


class StoreMissing(ObservatorioError):
    key = "error.no_store"


class StoreBusy(StoreMissing):
    """Another process (usually ``observatorio serve``) holds the store's lock. A kind of
    StoreMissing, so a server meeting it answers 503 ("no data yet"), never 500."""

    key = "error.store_busy"
