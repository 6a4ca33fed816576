"""HTTP for public reads: ETag / Last-Modified from the store version, 304 answers, a response
cache keyed by (path, normalized query, store version), and ``Cache-Control``.

A pure ASGI middleware (not BaseHTTPMiddleware) so that streaming answers pass through
untouched. It only acts on GET/HEAD of the public prefixes: the cases API is never cached.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Paths served to anyone, cacheable by browsers and proxies (others can extend it).
PUBLIC_READ_PREFIXES: tuple[str, ...] = (
    "/api/v1/observations", "/api/v1/revisions", "/api/v1/sources", "/api/v1/freshness",
    "/api/v1/codelists", "/api/v1/glossary", "/api/v1/loads", "/api/v1/dataflows", "/sdmx/",
)  # fmt: skip

#: Paths whose representation depends on the Accept header (SDMX content negotiation): the
#: header is part of their ETag and cache key.
NEGOTIATED_PREFIXES: tuple[str, ...] = ("/sdmx/",)

CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=60"
MAX_CACHED_BODY = 2 * 1024 * 1024  # larger answers are streamed and not kept
MAX_CACHE_BYTES = 96 * 1024 * 1024


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class ResponseCache:
    """A thread-safe LRU of encoded answers bounded by total size."""

    def __init__(self, max_bytes: int = MAX_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[bytes, CachedResponse] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: bytes) -> CachedResponse | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: bytes, value: CachedResponse) -> None:
        if len(value.body) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old.body)
            self._items[key] = value
            self._size += len(value.body)
            while self._size > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


def normalized_query(query_string: bytes) -> str:
    """Query parameters in a canonical order (the same question gives the same key)."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _etag_matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def _not_modified_since(if_modified_since: str, last_modified: str) -> bool:
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False


def _vary_accept(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``Vary`` naming ``Accept`` (merged into the one gzip or the route may have set)."""
    varies = [v for k, v in headers if k.lower() == b"vary"]
    words = {w.strip().lower() for v in varies for w in v.split(b",")}
    if b"accept" in words:
        return headers
    merged = b", ".join([*varies, b"Accept"]) if varies else b"Accept"
    return [(k, v) for k, v in headers if k.lower() != b"vary"] + [(b"vary", merged)]


class PublicReadMiddleware:
    """Conditional requests, caching headers and the response cache for public reads."""

    def __init__(
        self,
        app: ASGIApp,
        prefixes: Iterable[str] = PUBLIC_READ_PREFIXES,
        cache_bytes: int = MAX_CACHE_BYTES,
    ) -> None:
        self.app = app
        self.prefixes = tuple(prefixes)
        # Settings.api_cache_mb=0 turns the response cache off (tests of the query path).
        self.cache = ResponseCache(cache_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not scope["path"].startswith(self.prefixes)
        ):
            await self.app(scope, receive, send)
            return
        handle = self._store_handle(scope)
        if handle is None:  # no store yet: let the route answer (503 with a message)
            await self.app(scope, receive, send)
            return
        version, last_modified = handle
        query = normalized_query(scope.get("query_string", b""))
        accept = (_header(scope, b"accept") or "") if scope["path"].startswith(
            NEGOTIATED_PREFIXES) else ""
        digest = hashlib.blake2b(
            f"{version}\n{scope['path']}\n{query}\n{accept}".encode(), digest_size=12
        ).hexdigest()
        etag = f'W/"{digest}"'
        validators = [
            (b"etag", etag.encode()),
            (b"last-modified", last_modified.encode()),
            (b"cache-control", CACHE_CONTROL.encode()),
        ]
        if_none_match = _header(scope, b"if-none-match")
        if_modified_since = _header(scope, b"if-modified-since")
        if (if_none_match is not None and _etag_matches(if_none_match, etag)) or (
            if_none_match is None
            and if_modified_since is not None
            and _not_modified_since(if_modified_since, last_modified)
        ):
            await send({"type": "http.response.start", "status": 304,
                        "headers": [*validators, (b"vary", b"Accept-Encoding")]})
            await send({"type": "http.response.body", "body": b""})
            return
        gzip = "gzip" in (_header(scope, b"accept-encoding") or "")
        key = f"{digest}|{int(gzip)}|{scope['method']}".encode()
        cached = self.cache.get(key)
        if cached is not None:
            await send({"type": "http.response.start", "status": cached.status,
                        "headers": cached.headers})
            await send({"type": "http.response.body", "body": cached.body})
            return
        await self._forward(scope, receive, send, key, validators, negotiated=bool(accept) or
                            scope["path"].startswith(NEGOTIATED_PREFIXES))

    async def _forward(
        self, scope: Scope, receive: Receive, send: Send, key: bytes,
        validators: list[tuple[bytes, bytes]], negotiated: bool = False,
    ) -> None:
        started: dict[str, Any] = {}
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def capture(message: Message) -> None:
            nonlocal size, keep
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if status == 200:
                    names = {k.lower() for k, _ in headers}
                    headers += [v for v in validators if v[0] not in names]
                    if negotiated:
                        headers = _vary_accept(headers)
                else:
                    keep = False
                message = {**message, "headers": headers}
                started.update(message)
            elif message["type"] == "http.response.body" and keep:
                body = message.get("body", b"")
                size += len(body)
                if size > MAX_CACHED_BODY:
                    keep, chunks[:] = False, []
                else:
                    chunks.append(body)
                if not message.get("more_body", False) and keep:
                    self.cache.put(key, CachedResponse(started["status"], started["headers"],
                                                       b"".join(chunks)))
            await send(message)

        await self.app(scope, receive, capture)

    @staticmethod
    def _store_handle(scope: Scope) -> tuple[str, str] | None:
        from observatorio.errors import StoreMissing
        from observatorio.publish.api.store_access import get_handle

        state = getattr(scope.get("app"), "state", None)
        if state is None:
            return None
        try:
            handle = get_handle(state)
        except StoreMissing:
            return None
        return handle.version, handle.last_modified
