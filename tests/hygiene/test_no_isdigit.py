"""``str.isdigit()`` is true for "²" or "①", which ``int()`` refuses: a check followed by
``int()`` turned such input into a server fault (a 500) in several places. The code asks
``str.isdecimal()`` (exactly what ``int()`` accepts) instead; this keeps the class closed."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "observatorio"


def _isdigit_calls() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "isdigit":
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def test_no_str_isdigit_in_the_code() -> None:
    offences = _isdigit_calls()
    assert not offences, "use str.isdecimal() (what int() accepts), not str.isdigit():\n" + "\n".join(offences)
