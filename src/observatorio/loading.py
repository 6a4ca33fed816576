"""Validate a published file with its adapter and load it into the store as one release."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from observatorio.errors import FileNotFound, ObservatorioError
from observatorio.formula_guard import recorded_name
from observatorio.harmonize.frame import check_frame
from observatorio.harmonize.problems import WARNING, Problem, Problems, ValidationFailed
from observatorio.settings import get_settings
from observatorio.sources.base import Adapter, all_adapters
from observatorio.store.duck import Store, file_sha256
from observatorio.store.loads import LoadResult


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
        frame = frame.assign(source=adapter.info.id, source_file=recorded_name(path), release=resolved,
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
    return load_file_checked(store, adapter, path, release)[0]


def load_file_checked(
    store: Store, adapter: Adapter, path: Path, release: date | None = None
) -> tuple[LoadResult, Problems]:
    """:func:`load_file`, with the file's warnings (kept in ``load_warnings`` with the load; for
    an unchanged file, the ones kept when it was loaded). An error still loads nothing."""
    if not path.is_file():
        raise FileNotFound(path=str(path))
    # Resolve the release and checksum once: an unchanged file is recognised before it is read.
    sha = file_sha256(path)
    resolved = release or adapter.detect_release(path) or adapter.info.release
    existing = store.find_load(adapter.info.id, sha, resolved)
    if existing:
        return (LoadResult(adapter.info.id, resolved, 0, existing, skipped=True),
                stored_warnings(store, existing, path.name))
    frame, problems, _ = harmonize_file(adapter, path, resolved)
    return store_harmonized(store, adapter, frame, problems, recorded_name(path), sha, resolved), problems


def store_harmonized(
    store: Store, adapter: Adapter, frame: pd.DataFrame, problems: Problems, file_name: str,
    sha: str, release: date, also: Callable[[str], None] | None = None,
) -> LoadResult:
    """Load a frame :func:`harmonize_file` returned, with its warnings, as one release (any
    error: ValidationFailed, nothing loaded); ``also(load_id)`` runs in the load's transaction."""
    if problems:
        raise ValidationFailed(problems)
    return store.load_frame(
        frame, source=adapter.info.id, release=release, source_file=file_name, sha256=sha,
        source_meta=asdict(adapter.info), warnings=warning_rows(problems), also=also,
    )


def warning_rows(problems: Problems) -> pd.DataFrame:
    """The warnings as rows of ``load_warnings`` (without ``load_id``), messages in es and en."""
    return pd.DataFrame({
        "seq": pd.Series(range(1, len(problems.warnings) + 1), dtype="int32"),
        "rule": pd.Series([w.rule for w in problems.warnings], dtype=object),
        "source_row": pd.Series([w.row for w in problems.warnings], dtype="Int64"),
        "source_column": pd.Series([w.column for w in problems.warnings], dtype=object),
        "source_value": pd.Series([w.value for w in problems.warnings], dtype=object),
        "details": pd.Series([json.dumps(dict(w.details), sort_keys=True, ensure_ascii=False,
                                         default=str) for w in problems.warnings], dtype=object),
        "message_es": pd.Series([_sentence(w, "es") for w in problems.warnings], dtype=object),
        "message_en": pd.Series([_sentence(w, "en") for w in problems.warnings], dtype=object),
    })


def _sentence(warning: Problem, lang: str) -> str:
    return f"{warning.what(lang)}. {warning.todo(lang)}"


def stored_warnings(store: Store, load_id: str, file: str) -> Problems:
    """The warnings kept with a load, as a report for ``file`` (none in a store without them)."""
    problems = Problems(file)
    try:
        rows = store.con.execute(
            "SELECT rule, source_row, source_column, source_value, details FROM load_warnings "
            "WHERE load_id = ? ORDER BY seq", [load_id]).fetchall()
    except duckdb.CatalogException:  # a store from before load_warnings, opened read-only
        return problems
    problems.extend(
        Problem(rule, file, None if row is None else int(row), column, value,
                tuple(sorted(json.loads(details).items())), WARNING)
        for rule, row, column, value, details in rows
    )
    return problems


@dataclass(frozen=True)
class FileLoad:
    """What became of one file of a bundled load: its result and warnings, or the error that
    kept it out of the store (nothing of that file was written)."""

    adapter: Adapter
    path: Path
    result: LoadResult | None = None
    problems: Problems | None = None
    error: ObservatorioError | None = None


def load_bundled_files(
    store: Store,
    adapters: Sequence[Adapter] | None = None,
    data_dir: Path | None = None,
    *,
    file: Path | None = None,
    release: date | None = None,
    starting: Callable[[Adapter], None] | None = None,
    finished: Callable[[Adapter], None] | None = None,
) -> Iterator[FileLoad]:
    """Load the bundled published files of ``adapters`` (every registered source by default),
    one release per file, and say what became of each: the one loop behind ``observatorio
    load``, ``serve``'s first start and the test stores.

    A source bundled in several layouts or editions has several files. ``file`` replaces the
    bundled files (for one source). A failing file is reported and the next one goes on; stop
    iterating to stop loading. ``starting``/``finished`` are told of each source (progress bars).
    """
    folder = data_dir or get_settings().data_path
    for adapter in adapters if adapters is not None else all_adapters():
        if starting is not None:
            starting(adapter)
        for path in [file] if file is not None else adapter.bundled_paths(folder):
            try:
                result, problems = load_file_checked(store, adapter, path, release)
            except ObservatorioError as exc:
                yield FileLoad(adapter, path, error=exc)
            else:
                yield FileLoad(adapter, path, result, problems)
        if finished is not None:
            finished(adapter)


def load_bundled(
    store: Store, adapters: Sequence[Adapter] | None = None, data_dir: Path | None = None
) -> list[LoadResult]:
    """Load every bundled published file (or the given sources'); stops at the first failure."""
    results = []
    for outcome in load_bundled_files(store, adapters, data_dir):
        if outcome.error is not None:
            raise outcome.error
        assert outcome.result is not None
        results.append(outcome.result)
    return results
