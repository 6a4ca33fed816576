"""Command-line commands of this area (registered on the root ``observatorio`` app)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
