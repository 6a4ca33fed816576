"""The options every command shares (store location, language), kept apart from ``cli.py`` so
that the command modules ``cli.py`` registers can read them without importing ``cli.py`` back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer


@dataclass
class CliState:
    """Options shared by every command (store location, language)."""

    db: Path
    lang: str


def state(ctx: typer.Context) -> CliState:
    """The shared options of the running command."""
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj
