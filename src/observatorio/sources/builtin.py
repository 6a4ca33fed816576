"""Imports every built-in adapter module so that each registers itself (mapping files join the
registry after them: ``base.py``)."""

from __future__ import annotations

import importlib
import pkgutil

import observatorio.sources.adapters as _adapters

for _module in pkgutil.iter_modules(_adapters.__path__):
    importlib.import_module(f"{_adapters.__name__}.{_module.name}")
