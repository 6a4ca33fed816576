"""What the query layer derives from one open store, kept on that store.

The catalogue of codes (store/query.py), the in-memory columns of the latest releases
(store/memory.py) and each thread's cursor live as long as the :class:`~observatorio.store.duck.Store`
they were read from, not in module dictionaries keyed by ``id(store)``: a store that is closed
and dropped takes them with it, and a service that switches to a new store (a new publication)
never serves the old one's. Each name holds one value, that of the latest store version asked
for, so nothing grows with the number of loads or requests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Derived:
    """Values computed once per store version, and a cursor per thread."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, Any]] = {}
        # One thread computes a value: sixteen first requests at once must not all scan.
        self._lock = threading.Lock()
        self._threads = threading.local()

    def value(self, name: str, version: str, compute: Callable[[], T]) -> T:
        """The value ``name`` for ``version``, computed by ``compute`` the first time."""
        found = self._values.get(name)
        if found is None or found[0] != version:
            with self._lock:
                found = self._values.get(name)
                if found is None or found[0] != version:
                    found = (version, compute())
                    self._values[name] = found
        value: T = found[1]
        return value

    def peek(self, name: str) -> Any:
        """The value ``name`` if computed (any version), else None."""
        found = self._values.get(name)
        return None if found is None else found[1]

    def put(self, name: str, version: str, value: Any) -> None:
        with self._lock:
            self._values[name] = (version, value)

    def forget(self, name: str) -> None:
        with self._lock:
            self._values.pop(name, None)

    def cursor(self, open_cursor: Callable[[], T]) -> T:
        """This thread's cursor (DuckDB connections must not be shared by two threads)."""
        cursor: T | None = getattr(self._threads, "cursor", None)
        if cursor is None:
            cursor = open_cursor()
            self._threads.cursor = cursor
        return cursor
