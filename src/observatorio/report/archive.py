"""Issued bulletins: files kept by month, scope and language, each with its manifest.

``<dir>/<YYYY-MM>/<regional|ISO3>-<lang>.{pdf,xlsx,html,json}``; the JSON manifest records the
options, the store version and the releases used. The previous bulletin's manifest says what
was revised since.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from observatorio.report.model import Bulletin


@dataclass(frozen=True)
class Issued:
    period: str
    scope: str
    iso3: str | None
    lang: str
    files: dict[str, Path]  # format -> file
    manifest: dict[str, Any]


def bulletin_path(root: Path, bulletin: Bulletin, fmt: str) -> Path:
    return root / f"{bulletin.period:%Y-%m}" / f"{bulletin.iso3 or 'regional'}-{bulletin.lang}.{fmt}"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a half-written bulletin never appears)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record(root: Path, bulletin: Bulletin, outputs: dict[str, bytes]) -> dict[str, Path]:
    """Keep the bulletin's files and manifest in the archive."""
    written = {}
    for fmt, data in outputs.items():
        path = bulletin_path(root, bulletin, fmt)
        write_atomically(path, data)
        written[fmt] = path
    manifest = json.dumps(bulletin.manifest(), ensure_ascii=False, indent=2, sort_keys=True)
    write_atomically(bulletin_path(root, bulletin, "json"), manifest.encode())
    return written


def issued(root: Path) -> list[Issued]:
    """Every bulletin in the archive, newest month first, regional before countries."""
    found = []
    for manifest_path in sorted(root.glob("*/*.json")) if root.is_dir() else []:
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not a manifest of ours
        stem = manifest_path.with_suffix("")
        files = {fmt: stem.with_suffix(f".{fmt}") for fmt in ("pdf", "xlsx", "html")
                 if stem.with_suffix(f".{fmt}").is_file()}
        found.append(Issued(manifest.get("period", ""), manifest.get("scope", ""),
                            manifest.get("iso3"), manifest.get("lang", ""), files, manifest))
    found.sort(key=lambda i: (i.period, i.scope == "regional", i.iso3 or "", i.lang), reverse=True)
    return found


def previous_releases(root: Path, scope: str, iso3: str | None, period: str) -> dict[str, str] | None:
    """The releases recorded by the last bulletin of the same kind issued before ``period``."""
    for item in issued(root):
        if item.scope == scope and item.iso3 == iso3 and item.period < period:
            releases: dict[str, str] = item.manifest.get("releases", {})
            return releases
    return None
