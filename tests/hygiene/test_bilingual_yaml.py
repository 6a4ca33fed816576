"""Every bilingual text in the package's YAML files is one text in each language.

In a YAML flow mapping a comma ends a plain text: ``{es: Niñas, niños y adolescentes, en: …}``
reads as the keys ``es``, ``niños y adolescentes`` (null) and ``en``, and the label served is
«Niñas». Three policy actions and a forecast label were cut so; a text with a comma is quoted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import observatorio

PACKAGE = Path(observatorio.__file__).parent
YAML_FILES = sorted(p for p in PACKAGE.rglob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def _bilingual(node: Any, where: str) -> Iterator[tuple[str, dict[Any, Any]]]:
    if isinstance(node, dict):
        if "es" in node and "en" in node:
            yield where, node
        for key, value in node.items():
            yield from _bilingual(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _bilingual(value, f"{where}[{i}]")


def test_there_are_yaml_files_to_check() -> None:
    assert any(p.name == "policy.yaml" for p in YAML_FILES)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_bilingual_text_is_whole(path: Path) -> None:
    broken = [f"{where}: {sorted(map(str, node))}"
              for where, node in _bilingual(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
              if set(node) != {"es", "en"} or any(node[lang] in (None, "") for lang in ("es", "en"))]
    assert not broken, "a text holding a comma must be quoted in a flow mapping: " + "; ".join(broken)
