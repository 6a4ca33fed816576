"""Every source's public facts without importing an adapter: "sources as data" (issue #12).

The built-in sources are declared in ``catalogue.yaml`` (each adapter takes its ``info`` from
there: ``source_info``); mapping-declared sources in their mapping files, read here without the
mapping engine. A server worker lists sources (the calendar, the directory, reminders) from this
module and so never imports the adapters, the readers or pandas.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from observatorio import yaml_load
from observatorio.settings import fresh_settings
from observatorio.sources.discovery import DiscoverySpec
from observatorio.sources.info import SourceInfo
from observatorio.sources.mapping_files import (
    BUILTIN_MAPPINGS_DIR,
    MappingInvalid,
    load_mapping,
    mapping_files,
    mapping_info,
)

CATALOGUE_FILE = Path(__file__).resolve().parent / "catalogue.yaml"


@cache
def builtin_infos() -> dict[str, SourceInfo]:
    """The built-in sources' facts by id, in the file's order."""
    with CATALOGUE_FILE.open(encoding="utf-8") as fh:
        declared: dict[str, dict[str, Any]] = yaml_load.safe_load(fh)
    return {source_id: _info(source_id, fields) for source_id, fields in declared.items()}


def _info(source_id: str, fields: dict[str, Any]) -> SourceInfo:
    return SourceInfo(
        id=source_id,
        **{key: value for key, value in fields.items() if key not in ("caveats_es", "caveats_en", "extra")},
        caveats_es=tuple(fields.get("caveats_es", ())),
        caveats_en=tuple(fields.get("caveats_en", ())),
        extra=dict(fields.get("extra", {})),
    )


def source_info(source_id: str) -> SourceInfo:
    """A built-in source's facts (what its adapter declares as ``info``)."""
    return builtin_infos()[source_id]


def mapping_infos() -> list[SourceInfo]:
    """The sources the startup mapping files declare, as the registry takes them
    (``mapping.register_startup_mappings``): the built-in mapping files, then the folder named by
    OBSERVATORIO_MAPPINGS; a file that is not valid, or whose id is taken, is left out (the
    registry refuses or warns about it)."""
    return [info for info, _ in _mapping_sources(fresh_settings().mappings)]


def declared_discovery(source_id: str) -> DiscoverySpec | None:
    """The discovery a startup mapping file declares for ``source_id`` (None: none, or not a
    mapping-declared source)."""
    if source_id in builtin_infos():  # declared in code: no settings to read (per freshness row)
        return None
    return next((spec for info, spec in _mapping_sources(fresh_settings().mappings)
                 if info.id == source_id), None)


def known(source_id: str) -> bool:
    """Whether ``source_id`` is a built-in or startup mapping-declared source."""
    return source_id in builtin_infos() or any(info.id == source_id for info in mapping_infos())


@cache
def _mapping_sources(extra: Path | None) -> list[tuple[SourceInfo, DiscoverySpec | None]]:
    # Read once per process and folder, like the registry (mapping files register at startup).
    taken = set(builtin_infos())
    out: list[tuple[SourceInfo, DiscoverySpec | None]] = []
    for folder in [BUILTIN_MAPPINGS_DIR, *([Path(extra)] if extra else [])]:
        for path in mapping_files(folder):
            try:
                spec = load_mapping(path)
            except MappingInvalid:
                continue
            info = mapping_info(spec, path.resolve())
            if info.id not in taken:
                taken.add(info.id)
                out.append((info, spec.discovery))
    return out


def all_source_infos() -> list[SourceInfo]:
    """Every source's facts (built-in and mapping-declared), ordered by id like
    ``base.all_adapters``."""
    infos = [*builtin_infos().values(), *mapping_infos()]
    return sorted(infos, key=lambda info: info.id)


def source_titles(lang: str) -> dict[str, str]:
    """Every source's title in ``lang``, by id."""
    return {info.id: info.title(lang) for info in all_source_infos()}
