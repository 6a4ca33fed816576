"""Download a publisher's files politely (httpx): timeouts, retries with backoff, conditional
requests, a User-Agent naming the observatory, a size limit, progress.

A download goes to a temporary ``.part`` file that is renamed only once complete and checked,
so a cut connection never leaves a half file where a loader could pick it up. A web page served
instead of the data file (a landing page, a login or an error page with status 200) is refused
with a clear error rather than handed to the adapter as a "CSV".
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

import httpx
from rich.console import Console
from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

from observatorio import __version__
from observatorio.errors import ErrorKind, ObservatorioError
from observatorio.sources.adapter import Adapter

#: Suffixes of the data files adapters read; an HTML answer is never one of them.
DATA_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".xlsx", ".xls", ".xlsm", ".rda", ".rdata", ".json",
                           ".zip", ".xml", ".ods"})
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body)", re.I)
#: Answers worth asking again after a pause: the server is busy or briefly broken.
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = (f"ObservatorioMigratorioRegional/{__version__} (Regional Conference on Migration "
              "statistics observatory; scheduled refresh of published statistics)")

T = TypeVar("T")


class DownloadFailed(ObservatorioError):
    kind = ErrorKind.UNAVAILABLE  # the publisher's server, now: a later run may succeed
    key = "error.download"


class _Retry(Exception):
    """A failure that a later attempt may not meet (5xx, 429, a cut or refused connection)."""

    def __init__(self, error: DownloadFailed, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error, self.wait = error, wait


@dataclass(frozen=True)
class Politeness:
    """How the observatory behaves towards a publisher's server."""

    timeout: float = 60.0  # seconds without an answer (connect, read) before giving up
    retries: int = 3  # further attempts after a retryable failure
    backoff: float = 2.0  # first pause in seconds; doubled at each retry
    max_bytes: int = 512 * 1024 * 1024  # a bigger answer is refused (and not kept)
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Downloaded:
    """A complete, checked file and the validators to send next time."""

    path: Path
    url: str
    etag: str | None
    last_modified: str | None


class Client:
    """One polite HTTP session (connection reuse, one User-Agent) for several requests."""

    def __init__(self, politeness: Politeness | None = None, console: Console | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.politeness = politeness or Politeness()
        self.console = console
        self._sleep = sleep
        self._http = httpx.Client(
            timeout=self.politeness.timeout, follow_redirects=True,
            headers={"User-Agent": self.politeness.user_agent},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ------------------------------------------------------------------------------

    def get_text(self, url: str, params: dict[str, str] | None = None) -> str:
        """A page's text (a landing page: HTML is what is expected here)."""
        return self._retrying(url, lambda: self._small(url, params).text)

    def get_json(self, url: str, params: dict[str, str] | None = None) -> Any:
        """A JSON answer; an HTML page or broken JSON is refused like a web page for a file."""

        def once() -> Any:
            response = self._small(url, params, accept="application/json")
            try:
                return json.loads(response.content)
            except ValueError:
                kind = response.headers.get("content-type", "").split(";")[0].strip() or "text/html"
                raise DownloadFailed("error.download_html", url=str(response.url), content_type=kind) from None

        return self._retrying(url, once)

    def download(self, url: str, folder: Path, *, fallback_name: str, etag: str | None = None,
                 last_modified: str | None = None) -> Downloaded | None:
        """Save the file at ``url`` into ``folder``; None when the server says it has not changed
        since the validators given (304)."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._retrying(url, lambda: self._download_once(url, folder, fallback_name, headers))

    # -- machinery -----------------------------------------------------------------------------

    def _retrying(self, url: str, attempt: Callable[[], T]) -> T:
        tries = self.politeness.retries + 1
        for number in range(tries):
            try:
                return attempt()
            except _Retry as retry:
                if number == tries - 1:
                    raise retry.error from None
                pause = self.politeness.backoff * 2**number
                self._sleep(min(retry.wait, 300.0) if retry.wait is not None else pause)
        raise AssertionError("unreachable")

    @contextmanager
    def _stream(self, url: str, params: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> Iterator[httpx.Response]:
        try:
            with self._http.stream("GET", url, params=params, headers=headers) as response:
                if response.status_code in _RETRY_STATUS:
                    raise _Retry(_status_error(url, response), _retry_after(response))
                if response.status_code >= 400:
                    raise _status_error(url, response)
                declared = int(response.headers.get("content-length") or 0)
                if declared > self.politeness.max_bytes:
                    raise self._too_big(url)
                yield response
        except httpx.ConnectError as exc:
            raise _Retry(DownloadFailed("error.download_connect", url=url, reason=_reason(exc))) from None
        except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise _Retry(DownloadFailed(url=url, reason=_reason(exc))) from None
        except httpx.HTTPError as exc:
            raise DownloadFailed(url=url, reason=_reason(exc)) from None

    def _small(self, url: str, params: dict[str, str] | None, accept: str | None = None) -> httpx.Response:
        with self._stream(url, params, {"Accept": accept} if accept else None) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.politeness.max_bytes:
                    raise self._too_big(url)
            _check_complete(url, response, len(body))
            return httpx.Response(response.status_code, headers=response.headers,
                                  content=bytes(body), request=response.request)

    def _download_once(self, url: str, folder: Path, fallback_name: str,
                       headers: dict[str, str]) -> Downloaded | None:
        with self._stream(url, headers=headers) as response:
            if response.status_code == 304:
                return None
            content_type = response.headers.get("content-type", "")
            name = file_name(url, response, fallback_name)
            part = self._stream_to_part(url, response, folder, name)
            etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        try:
            if _is_html(part, content_type, name):
                raise DownloadFailed("error.download_html", url=url,
                                     content_type=content_type.split(";")[0].strip() or "text/html")
            target = folder / name
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
        return Downloaded(target, url, etag, modified)

    def _stream_to_part(self, url: str, response: httpx.Response, folder: Path, name: str) -> Path:
        total = int(response.headers.get("content-length") or 0) or None
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
        part = Path(tmp)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out, Progress(
                *Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(),
                console=self.console, transient=True, disable=self.console is None,
            ) as progress:
                task = progress.add_task(name, total=total)
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.politeness.max_bytes:
                        raise self._too_big(url)
                    out.write(chunk)
                    progress.advance(task, len(chunk))
            _check_complete(url, response, size)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return part

    def _too_big(self, url: str) -> DownloadFailed:
        limit = self.politeness.max_bytes
        text = f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
        return DownloadFailed("error.download_too_big", url=url, limit=text)


def _check_complete(url: str, response: httpx.Response, received: int) -> None:
    """A body shorter than its Content-Length is a cut download: try again."""
    declared = response.headers.get("content-length")
    encoded = response.headers.get("content-encoding", "identity") not in ("", "identity")
    if declared and declared.isdecimal() and not encoded and received < int(declared):
        raise _Retry(DownloadFailed("error.download_cut", url=url, received=received, declared=declared))


def _status_error(url: str, response: httpx.Response) -> DownloadFailed:
    status = f"{response.status_code} {response.reason_phrase}".strip()
    return DownloadFailed("error.download_status", url=url, status=status)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdecimal() else None


def download(adapter: Adapter, folder: Path, *, url: str | None = None, timeout: float = 60.0,
             console: Console | None = None) -> Path:
    """Save the file at ``url`` (default: the source's official address) into ``folder``."""
    address = url or adapter.info.url
    if not address:
        raise DownloadFailed(url="—", reason="no official download address is known for this source")
    with Client(Politeness(timeout=timeout, retries=2, backoff=1.0), console) as client:
        done = client.download(address, folder, fallback_name=fallback_name(adapter))
    assert done is not None  # no validators were sent, so no 304
    return done.path


def fallback_name(adapter: Adapter) -> str:
    """The source's own file name, when the answer names none (a glob pattern is not a name)."""
    pattern = adapter.info.filename
    return pattern if not any(c in pattern for c in "*?[") else f"{adapter.info.id}.download"


def file_name(address: str, response: httpx.Response, fallback: str) -> str:
    """The published file's name: Content-Disposition, else the URL's last segment, else
    ``fallback``; always made safe (see :func:`safe_name`)."""
    header = Message()  # the standard library parses quoting and RFC 2231 (filename*=UTF-8'')
    header["content-disposition"] = response.headers.get("content-disposition", "")
    given = header.get_filename()
    if given:
        return safe_name(given, fallback)
    name = unquote(urlparse(str(response.url) or address).path).rsplit("/", 1)[-1]
    if name and Path(name).suffix.lower() in DATA_SUFFIXES:
        return safe_name(name, fallback)
    return safe_name(fallback, f"download{Path(fallback).suffix}")


_UNSAFE = re.compile(r"[^\w .()\-]+")


MAX_NAME = 150


def safe_name(name: str, fallback: str) -> str:
    """A server-given file name reduced to one plain segment: percent-escapes decoded first (so
    ``..%2F`` cannot hide a folder), no folders (``../``, ``\\``), no control or shell characters,
    no leading dot or spreadsheet-formula character (= + - @), at most ``MAX_NAME`` characters
    with the suffix kept."""
    base = unquote(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base.strip().lstrip(".=+-@ \t\r\n")).strip()
    if len(base) > MAX_NAME:
        suffix = Path(base).suffix[:20]
        base = base[: MAX_NAME - len(suffix)] + suffix
    return base if base and base not in (".", "..") else fallback


def _is_html(path: Path, content_type: str, name: str) -> bool:
    if Path(name).suffix.lower() in (".html", ".htm"):
        return False  # the source really publishes HTML (none does today)
    if "html" in content_type.lower():
        return True
    with path.open("rb") as fh:
        head = fh.read(512).lstrip(b"\xef\xbb\xbf")
    return bool(_HTML_START.match(head))


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
