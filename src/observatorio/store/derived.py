"""What the query layer derives from one open store, kept on that store.

The catalogue of codes (store/query.py), the in-memory columns of the latest releases
(store/memory.py) and each thread's cursor live as long as the :class:`~observatorio.store.duck.Store`
they were read from, not in module dictionaries keyed by ``id(store)``: a store that is closed
and dropped takes them with it, and a service that switches to a new store (a new publication)
never serves the old one's. Each name holds one value, that of the latest store version asked
for, so nothing grows with the number of loads or requests.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class _HeldCursor:
    """What a thread's slot holds: its cursor, which :meth:`Derived.close_cursors` can take
    away from another thread."""

    __slots__ = ("cursor", "thread")

    def __init__(self, cursor: Any, thread: threading.Thread) -> None:
        self.cursor = cursor
        self.thread = thread


class Derived:
    """Values computed once per store version, and a cursor per thread."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, Any]] = {}
        # One thread computes a value: sixteen first requests at once must not all scan.
        self._lock = threading.Lock()
        self._threads = threading.local()
        # Every thread's cursor is also held here, so that none is ever destroyed by its own
        # thread's end: a pool thread torn down while the interpreter finalises, with a DuckDB
        # connection to destroy, aborts the process (SIGABRT, duckdb/duckdb#13904). Cursors
        # are closed by the thread that closes the store or stops the server, or by the next
        # thread to open one once their own thread has ended.
        self._held: list[_HeldCursor] = []
        self._held_lock = threading.Lock()

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
        held: _HeldCursor | None = getattr(self._threads, "held", None)
        if held is not None and held.cursor is not None:
            cursor: T = held.cursor
            return cursor
        cursor = open_cursor()
        held = _HeldCursor(cursor, threading.current_thread())
        with self._held_lock:
            ended = [h for h in self._held if not h.thread.is_alive()]
            self._held = [h for h in self._held if h.thread.is_alive()] + [held]
        self._threads.held = held
        _close(ended)
        return cursor

    def close_cursors(self) -> None:
        """Close every thread's cursor, from this thread (at a store's close, a server's stop).
        A thread that asks again gets a new one. No statement may be running on them."""
        with self._held_lock:
            held, self._held = self._held, []
        _close(held)

    def open_cursors(self) -> int:
        """How many threads' cursors are open (for tests and the memory bench)."""
        with self._held_lock:
            return sum(h.cursor is not None for h in self._held)


def _close(held: list[_HeldCursor]) -> None:
    for slot in held:
        cursor, slot.cursor = slot.cursor, None
        if cursor is not None:
            # already closed with its connection, or its database gone: nothing left to free
            with contextlib.suppress(Exception):
                cursor.close()
