"""A project error carried from a child process back to its parent as plain data.

The children of a server worker (a bulletin produced on request, report/producer.py; a forecast
computed on the fly, analysis/forecast/computed.py) answer over a pipe with pickled plain values.
An :class:`~observatorio.errors.ObservatorioError` does not survive pickle as it is (its
constructor takes the message key, not the message it passes to ``Exception``), and an exception
of a library would import that library (pandas…) in the parent when unpickled. So a child sends
:func:`described` and the parent raises :func:`rebuilt`: the same error class when the parent has
imported it, else :class:`RefusedInChild` with the same kind, code and message — a refusal keeps
its HTTP status and bilingual text, a retriable store error stays retriable.
"""

from __future__ import annotations

import sys
from typing import Any

from observatorio.errors import ErrorKind, ObservatorioError


class RefusedInChild(ObservatorioError):
    """An error the child raised with a class this process has not imported: its kind, code and
    message as the child had them."""

    def __init__(self, kind: str, code: str, key: str, values: dict[str, Any]) -> None:
        self.kind = ErrorKind(kind)
        self.code = code
        super().__init__(key, **values)


def described(exc: ObservatorioError) -> dict[str, Any]:
    """``exc`` as plain data (its values that are not plain become their text)."""
    values = {k: v if isinstance(v, str | int | float | bool | list | tuple | None) else str(v)
              for k, v in exc.values.items()}
    return {"module": type(exc).__module__, "name": type(exc).__qualname__, "kind": str(exc.kind),
            "code": exc.code, "key": exc.key, "values": values, "state": dict(vars(exc)),
            "args": exc.args}


def without_state(found: dict[str, Any]) -> dict[str, Any]:
    """A description whose instance state did not pickle: rebuilt as :class:`RefusedInChild`."""
    return {**found, "module": "", "state": {}}


def rebuilt(found: dict[str, Any]) -> ObservatorioError:
    """The child's error again (module docstring)."""
    module = sys.modules.get(found["module"])
    cls = getattr(module, found["name"], None) if module is not None else None
    if isinstance(cls, type) and issubclass(cls, ObservatorioError):
        error = cls.__new__(cls)
        Exception.__init__(error, *found["args"])
        try:
            error.__dict__.update(found["state"])
            return error
        except (TypeError, AttributeError):
            pass
    return RefusedInChild(found["kind"], found["code"], found["key"], found["values"])
