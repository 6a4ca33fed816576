"""Declarative mapping files (YAML or TOML): a new national table without Python.

A mapping says which column is which dimension, how raw labels become codes, how the period is
written and what one cell counts. This module holds the schema (pydantic, every key checked),
reads mapping files with errors that name the file and the key, and registers the result as an
ordinary :class:`~observatorio.sources.adapter.Adapter` so the CLI, loading and validation treat it
like any built-in source. The reading itself lives in :mod:`observatorio.sources.mapping_engine`.
See ``docs/mappings.md``.
"""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import pandas as pd

# The built-in adapters first: a mapping file whose id one of them has is refused (register_mapping_file).
import observatorio.sources.builtin  # noqa: F401
from observatorio.harmonize.problems import Problems
from observatorio.i18n import pair
from observatorio.settings import fresh_settings
from observatorio.sources.adapter import _REGISTRY, Adapter, register, unregister
from observatorio.sources.mapping_engine import read_mapped
from observatorio.sources.mapping_files import (  # the reading; re-exported for callers
    BUILTIN_MAPPINGS_DIR,
    MAPPINGS_ENV,
    MappingInvalid,
    load_mapping,
    mapping_files,
    mapping_info,
)
from observatorio.sources.mapping_spec import (  # the schema; re-exported for callers
    AREA_DIMENSIONS,
    DIMENSION_CODELISTS,
    REQUIRED_DIMENSIONS,
    DimensionSpec,
    DimensionsSection,
    DropRule,
    FileSection,
    MappingSpec,
    PeriodSection,
    RegexRule,
    SourceSection,
    ValueSection,
)

__all__ = [
    "AREA_DIMENSIONS",
    "DIMENSION_CODELISTS",
    "REQUIRED_DIMENSIONS",
    "DimensionSpec",
    "DimensionsSection",
    "DropRule",
    "FileSection",
    "MappingSpec",
    "PeriodSection",
    "RegexRule",
    "SourceSection",
    "ValueSection",
    "BUILTIN_MAPPINGS_DIR",
    "MAPPINGS_ENV",
    "MappingAdapter",
    "MappingInvalid",
    "load_mapping",
    "mapping_files",
    "register_mapping_file",
    "register_mapping_folder",
    "register_startup_mappings",
]

# -- the adapter -----------------------------------------------------------------------------


class MappingAdapter(Adapter):
    """An adapter defined by a mapping file."""

    def __init__(self, spec: MappingSpec, mapping_path: Path) -> None:
        self.spec = spec
        self.mapping_path = mapping_path.resolve()
        self.info = mapping_info(spec, self.mapping_path)
        self.discovery = spec.discovery

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        return read_mapped(self.spec, path, problems, release, source_id=self.info.id)

    def bundled_path(self, data_dir: Path) -> Path:
        if self.spec.source.file:
            return (self.mapping_path.parent / self.spec.source.file).resolve()
        return super().bundled_path(data_dir)


def register_mapping_file(path: Path | str) -> Adapter:
    """Read, validate and register the mapping in ``path`` under its source id.

    Registering the same file again replaces the earlier registration (the file may have
    changed); an id already taken by another adapter or mapping file is a ``bad_mapping`` error.
    """
    path = Path(path)
    spec = load_mapping(path)
    adapter = MappingAdapter(spec, path)
    # The built-in adapters are registered already (the package's __init__ imports them
    # first), so a clash with one is seen now.
    current = _REGISTRY.get(adapter.info.id)
    if current is not None:
        if isinstance(current, MappingAdapter) and current.mapping_path == adapter.mapping_path:
            unregister(adapter.info.id)
        else:
            owner = (current.mapping_path if isinstance(current, MappingAdapter)
                     else pair("mapping_reason.builtin_adapter"))
            problems = Problems(path.name)
            problems.add("bad_mapping", column="source.id", value=adapter.info.id,
                         reason=pair("mapping_reason.source_id_taken", owner=owner))
            raise MappingInvalid(problems)
    register(adapter)
    return adapter


def register_mapping_folder(folder: Path, *, strict: bool = True) -> list[Adapter]:
    """Register every mapping file in ``folder``; with ``strict=False`` a bad one only warns."""
    out: list[Adapter] = []
    for path in mapping_files(folder):
        try:
            out.append(register_mapping_file(path))
        except MappingInvalid as exc:
            if strict:
                raise
            # One broken user mapping must not stop every command; `validate --mapping` shows it.
            warnings.warn(exc.message("en"), stacklevel=2)
    return out


def register_startup_mappings() -> list[Adapter]:
    """The built-in mapping files, then the folder named by OBSERVATORIO_MAPPINGS."""
    out = register_mapping_folder(BUILTIN_MAPPINGS_DIR, strict=True)
    extra = fresh_settings().mappings
    if extra:
        out += register_mapping_folder(extra, strict=False)
    return out
