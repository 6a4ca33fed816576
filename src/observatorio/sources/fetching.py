"""Download a publisher's newest file from its official address (httpx, with progress).

The download goes to a temporary ``.part`` file that is renamed only once complete and checked,
so a cut connection never leaves a half file where a loader could pick it up. A web page served
instead of the data file (a landing page, a login or an error page with status 200) is refused
with a clear error rather than handed to the adapter as a "CSV".
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx
from rich.console import Console
from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

from observatorio.errors import ObservatorioError
from observatorio.sources.base import Adapter

#: Suffixes of the data files adapters read; an HTML answer is never one of them.
DATA_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".xlsx", ".xls", ".xlsm", ".rda", ".rdata", ".json",
                           ".zip", ".xml", ".ods"})
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body)", re.I)


class DownloadFailed(ObservatorioError):
    key = "error.download"


def download(adapter: Adapter, folder: Path, *, url: str | None = None, timeout: float = 60.0,
             console: Console | None = None) -> Path:
    """Save the file at ``url`` (default: the source's official address) into ``folder``."""
    address = url or adapter.info.url
    if not address:
        raise DownloadFailed(url="—", reason="no official download address is known for this source")
    try:
        with httpx.stream("GET", address, timeout=timeout, follow_redirects=True) as response:
            if response.status_code >= 400:
                status = f"{response.status_code} {response.reason_phrase}".strip()
                raise DownloadFailed("error.download_status", url=address, status=status)
            content_type = response.headers.get("content-type", "")
            name = _file_name(adapter, address, response)
            target = folder / name
            part = _stream_to_part(response, folder, name, console)
    except httpx.ConnectError as exc:
        raise DownloadFailed("error.download_connect", url=address, reason=_reason(exc)) from None
    except httpx.HTTPError as exc:
        raise DownloadFailed(url=address, reason=_reason(exc)) from None
    try:
        if _is_html(part, content_type, name):
            raise DownloadFailed("error.download_html", url=address,
                                 content_type=content_type.split(";")[0].strip() or "text/html")
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return target


def _stream_to_part(response: httpx.Response, folder: Path, name: str, console: Console | None) -> Path:
    total = int(response.headers.get("content-length") or 0) or None
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    part = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as out, Progress(
            *Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(),
            console=console, transient=True,
        ) as progress:
            task = progress.add_task(name, total=total)
            for chunk in response.iter_bytes():
                out.write(chunk)
                progress.advance(task, len(chunk))
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return part


def _file_name(adapter: Adapter, address: str, response: httpx.Response) -> str:
    """The published file's name: Content-Disposition, else the URL's last segment, else the source's."""
    fallback = f"{adapter.info.id}.download"
    disposition = response.headers.get("content-disposition", "")
    found = re.search(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", disposition, re.I)
    if found:
        return safe_file_name(found.group(1), fallback)
    name = safe_file_name(urlparse(str(response.url) or address).path, "")
    if name and Path(name).suffix.lower() in DATA_SUFFIXES:
        return name
    pattern = adapter.info.filename
    return pattern if not any(c in pattern for c in "*?[") else name or fallback


_UNSAFE_CHARS = re.compile(r"[^\w.()\- ]")
MAX_NAME = 150


def safe_file_name(raw: str, fallback: str) -> str:
    """A name the remote server chose, made safe to create in the download folder and to show.

    Only the last path segment is kept (``/`` and ``\\`` alike, so no traversal); control and
    other unusual characters become ``_``; leading characters that would start a spreadsheet
    formula or hide the file (``= + - @ .`` and spaces) are dropped; the length is bounded with
    the suffix kept. Nothing usable left: ``fallback``.
    """
    name = re.split(r"[/\\]", unquote(raw))[-1]
    name = _UNSAFE_CHARS.sub("_", name).lstrip("=+-@. _").rstrip(". ")
    if len(name) > MAX_NAME:
        suffix = Path(name).suffix[:20]
        name = name[: MAX_NAME - len(suffix)] + suffix
    return name or fallback


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
