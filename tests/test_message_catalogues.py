"""The message catalogues: one entry per key (YAML keeps the last of two silently)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from observatorio.errors import StoreBusy

SRC = Path(__file__).resolve().parents[1] / "src" / "observatorio"
CATALOGUES = [SRC / "messages.yaml", SRC / "publish" / "web" / "texts.yaml"]


class _NoDuplicates(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise AssertionError(f"line {key_node.start_mark.line + 1}: key {key!r} twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_no_key_is_defined_twice(path: Path) -> None:
    """Two branches added ``error.store_busy`` with different placeholders: the second won and
    every command that met a busy store ended in a KeyError traceback."""
    yaml.load(path.read_text(encoding="utf-8"), Loader=_NoDuplicates)  # noqa: S506 - a SafeLoader


def test_store_busy_message_fills_in_both_languages() -> None:
    error = StoreBusy(path="/tmp/s.duckdb", holder="PID 1, python")
    assert "PID 1, python" in error.message("es") and "PID 1, python" in error.message("en")
