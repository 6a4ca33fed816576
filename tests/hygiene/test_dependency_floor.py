"""DuckDB's lower bound in pyproject.toml is a version the suite runs on: the store's load path
(delete then insert in one transaction, store/duck.py) was verified on the version pinned in
constraints.txt only, so an install may not pick an older one."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_duckdb_floor_is_the_tested_version() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    floor = next(re.fullmatch(r"duckdb>=([\d.]+)", d).group(1) for d in deps  # type: ignore[union-attr]
                 if d.startswith("duckdb"))
    pinned = re.search(r"^duckdb==([\d.]+)$", (ROOT / "constraints.txt").read_text(encoding="utf-8"), re.MULTILINE)
    assert pinned is not None
    assert _version(floor) >= _version(pinned.group(1)), (
        f"pyproject.toml allows duckdb {floor}, the suite runs on {pinned.group(1)}: raise the floor "
        "or show the older version passes tests/store")
