"""Validate a published file with its adapter and load it into the store as one release."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path

import pandas as pd

from observatorio.errors import FileNotFound
from observatorio.harmonize.frame import check_frame
from observatorio.harmonize.problems import Problems, ValidationFailed
from observatorio.sources.base import Adapter
from observatorio.store.duck import LoadResult, Store, file_sha256


def harmonize_file(
    adapter: Adapter, path: Path, release: date | None = None
) -> tuple[pd.DataFrame, Problems, date]:
    """Read and check a file: the harmonized frame, every problem found, and its release."""
    if not path.is_file():
        raise FileNotFound(path=str(path))
    problems = Problems(path.name)
    resolved = release or adapter.detect_release(path) or adapter.info.release
    frame = adapter.read(path, problems, resolved)
    if frame is not None and frame.empty and not problems:
        problems.add("empty")
    elif frame is not None and not frame.empty and not problems.has_file_problems():
        frame = frame.assign(source=adapter.info.id, source_file=path.name, release=resolved,
                             dataflow=frame["dataflow"])
        # Every failure of a file is reported at once: the contract checks also run when the
        # adapter found problems, on the rows it did not already flag (a cell that failed to
        # parse would otherwise be reported a second time as a missing value or unknown code).
        clean = ~frame["source_row"].isin(list(problems.flagged_rows)) if problems else None
        checked = frame if clean is None else frame[clean.fillna(True).astype(bool)]
        if not checked.empty or not problems:
            check_frame(checked, problems, release=resolved)
    return (frame if frame is not None else pd.DataFrame()), problems, resolved


def load_file(
    store: Store, adapter: Adapter, path: Path, release: date | None = None
) -> LoadResult:
    """Load one file as a release of its source; any problem loads nothing (ValidationFailed)."""
    if not path.is_file():
        raise FileNotFound(path=str(path))
    # Resolve the release and checksum once: an unchanged file is recognised before it is read.
    sha = file_sha256(path)
    resolved = release or adapter.detect_release(path) or adapter.info.release
    existing = store.find_load(adapter.info.id, sha, resolved)
    if existing:
        return LoadResult(adapter.info.id, resolved, 0, existing, skipped=True)
    frame, problems, _ = harmonize_file(adapter, path, resolved)
    if problems:
        raise ValidationFailed(problems)
    meta = asdict(adapter.info)
    return store.load_frame(
        frame, source=adapter.info.id, release=resolved, source_file=path.name, sha256=sha,
        source_meta=meta,
    )


def load_bundled(
    store: Store, adapters: list[Adapter] | None = None, data_dir: Path | None = None
) -> list[LoadResult]:
    """Load every bundled published file (or the given sources'); stops at the first failure."""
    from observatorio.settings import get_settings
    from observatorio.sources.base import all_adapters

    folder = data_dir or get_settings().data_path
    return [load_file(store, a, a.bundled_path(folder)) for a in (adapters or all_adapters())]
