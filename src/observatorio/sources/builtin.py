"""Imports every built-in adapter module so that each registers itself."""

from __future__ import annotations

import importlib
import pkgutil

import observatorio.sources.adapters as _adapters

for _module in pkgutil.iter_modules(_adapters.__path__):
    importlib.import_module(f"{_adapters.__name__}.{_module.name}")

# Mapping files (built-in ones, then the OBSERVATORIO_MAPPINGS folder) join the same registry
# after the Python adapters, so a mapping can never shadow a built-in adapter's id.
from observatorio.sources.mapping import register_startup_mappings  # noqa: E402

register_startup_mappings()
