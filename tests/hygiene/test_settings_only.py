"""Settings come only through ``Settings``: no module but settings.py reads the environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import observatorio
from observatorio.publish.api.app import create_app
from observatorio.publish.api.http import PublicReadMiddleware
from observatorio.settings import Settings, env_name

PACKAGE = Path(observatorio.__file__).resolve().parent
ALLOWED = {PACKAGE / "settings.py"}


def _environment_reads(path: Path) -> list[str]:
    """``os.environ`` / ``os.getenv`` / ``os.putenv`` / ``from os import environ`` in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv", "unsetenv", "environb"):
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: os.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            names = {alias.name for alias in node.names} & {"environ", "getenv", "putenv", "environb"}
            found += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: from os import {n}" for n in sorted(names)]
    return found


def test_no_environment_read_outside_settings() -> None:
    assert len(list(PACKAGE.rglob("*.py"))) > 100  # the walk reads the package
    offenders = [hit for path in sorted(PACKAGE.rglob("*.py")) if path not in ALLOWED for hit in _environment_reads(path)]
    assert not offenders, "read these through observatorio.settings.Settings:\n" + "\n".join(offenders)


def test_the_walk_sees_an_environment_read() -> None:
    """The walk itself works: a module reading os.environ is caught (guards against a no-op test)."""
    module = PACKAGE / "settings.py"
    assert _environment_reads(module), "settings.py reads XDG_DATA_HOME; the walk should see it"


def test_env_name_names_the_variable() -> None:
    assert env_name("mappings") == "OBSERVATORIO_MAPPINGS"
    with pytest.raises(KeyError):
        env_name("no_such_setting")


def test_response_cache_size_comes_from_settings(tmp_path: Path) -> None:
    app = create_app(Settings(db=tmp_path / "none.duckdb", api_cache_mb=0))
    stack = app.build_middleware_stack()
    layer = stack
    while not isinstance(layer, PublicReadMiddleware):
        layer = layer.app  # type: ignore[attr-defined]
    assert layer.cache.max_bytes == 0
