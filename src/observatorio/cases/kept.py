"""Answers kept a short while per database and per principal (issue 14, page latency): what a
page's forms offer (the case list's filter choices, a case page's assignable members) changes
seldom but was read on every view.

The key always holds the whole principal (the user and every membership, read afresh on each
request), so nothing is shared between users and a changed membership asks the database again;
anything else changed meanwhile shows at most ``ttl`` seconds late. Only what a form offers is
kept, never what a page shows as a record (those reads are audited, and always made).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from observatorio.cases.policy import Principal

T = TypeVar("T")


class Kept(Generic[T]):
    """``get(session, principal, key, read)``: ``read()`` at most once per ``ttl`` seconds for
    each database, principal and ``key``; at most ``size`` answers per database, oldest out."""

    def __init__(self, ttl: float, size: int) -> None:
        self.ttl = ttl
        self.size = size
        self._lock = threading.Lock()
        self._by_engine: weakref.WeakKeyDictionary[Engine, OrderedDict[tuple[Principal, Hashable], tuple[float, T]]]
        self._by_engine = weakref.WeakKeyDictionary()

    def get(self, session: Session, principal: Principal, key: Hashable, read: Callable[[], T]) -> T:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        now = time.monotonic()
        with self._lock:
            kept = self._by_engine.get(engine)
            hit = kept.get((principal, key)) if kept is not None else None
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        found = read()
        with self._lock:
            kept = self._by_engine.setdefault(engine, OrderedDict())
            kept[(principal, key)] = (now, found)
            kept.move_to_end((principal, key))
            while len(kept) > self.size:
                kept.popitem(last=False)
        return found
