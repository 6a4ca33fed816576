"""``observatorio cases …``: the restricted case-management side."""

from __future__ import annotations

import typer

app = typer.Typer(help="Gestión de casos consulares y de protección / Consular and protection case management.", no_args_is_help=True)
