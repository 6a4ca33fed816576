"""The one error of the query layer: a request it refuses, naming the offending parameter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class QueryError(Exception):
    """A request the query layer refuses: ``key`` names a message in messages.yaml (``api.*``)."""

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
        super().__init__(f"{code}: {parameter} {values}")
