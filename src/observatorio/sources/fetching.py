"""Download a publisher's newest file from its official address (httpx, with progress)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx
from rich.console import Console
from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

from observatorio.errors import ObservatorioError
from observatorio.sources.base import Adapter


class DownloadFailed(ObservatorioError):
    key = "error.download"


def download(adapter: Adapter, folder: Path, *, url: str | None = None, timeout: float = 60.0,
             console: Console | None = None) -> Path:
    """Save the file at ``url`` (default: the source's official address) into ``folder``."""
    address = url or adapter.info.url
    if not address:
        raise DownloadFailed(url="—", reason="no official download address is known for this source")
    name = Path(unquote(urlparse(address).path)).name or adapter.info.filename
    target = folder / name
    try:
        with httpx.stream("GET", address, timeout=timeout, follow_redirects=True) as response:
            response.raise_for_status()
            total = int(response.headers.get("content-length") or 0) or None
            with Progress(*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(),
                          console=console, transient=True) as progress, target.open("wb") as out:
                task = progress.add_task(name, total=total)
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    progress.advance(task, len(chunk))
    except httpx.HTTPError as exc:
        raise DownloadFailed(url=address, reason=str(exc) or type(exc).__name__) from None
    return target
