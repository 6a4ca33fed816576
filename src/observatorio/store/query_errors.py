"""The one error of the query layer: a request it refuses, naming the offending parameter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from observatorio.errors import ObservatorioError
from observatorio.i18n import t


class QueryError(ObservatorioError):
    """A request the query layer refuses: ``key`` names a message in messages.yaml (``api.*``);
    ``code`` says which refusal (unknown_code, bad_period…) and ``parameter`` where."""

    def __init__(
        self,
        code: str,
        parameter: str,
        key: str,
        closest: Sequence[str] = (),
        **values: Any,
    ) -> None:
        self.code = code
        self.parameter = parameter
        self.key = key
        self.closest = list(closest)
        self.values = {"parameter": parameter, **values}
        Exception.__init__(self, f"{code}: {parameter} {values}")

    def message(self, lang: str = "es") -> str:
        return t(self.key, lang, **self.values)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "parameter": self.parameter,
                          "message": self.messages(), "closest": self.closest}}
