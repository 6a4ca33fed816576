"""Every bilingual text in the analysis data files is exactly a Spanish and an English string.

A YAML flow mapping such as ``{es: …, en: … per 100,000 population}`` silently splits at the
comma; this catches it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

DATA_FILES = sorted((Path(__file__).resolve().parents[2] / "src" / "observatorio" / "analysis").glob("*.yaml"))


def _bilingual(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "es" in node and "en" in node:
            found.append(node)
        for value in node.values():
            found.extend(_bilingual(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_bilingual(value))
    return found


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_bilingual_texts_have_exactly_es_and_en(path: Path) -> None:
    texts = _bilingual(yaml.safe_load(path.read_text(encoding="utf-8")))
    broken = [t for t in texts if set(t) != {"es", "en"} or not all(_text_or_texts(v) for v in t.values())
              or (isinstance(t["es"], list) and len(t["es"]) != len(t["en"]))]
    assert broken == []


def _text_or_texts(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, str) and v for v in value)
    return isinstance(value, str) and bool(value)
