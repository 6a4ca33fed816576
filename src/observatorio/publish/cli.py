"""Command-line commands of this area (registered on the root ``observatorio`` app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from observatorio.cli_help import cli_help
from observatorio.cli_state import state


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help=cli_help("cli.help.serve.host"))] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help=cli_help("cli.help.serve.port"))] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help=cli_help("cli.help.serve.workers"))] = 1,
    load: Annotated[bool, typer.Option("--load/--no-load", help=cli_help("cli.help.serve.load"))] = True,
    snapshots: Annotated[bool, typer.Option("--snapshots/--no-snapshots", help=cli_help("cli.help.serve.snapshots"))] = True,
) -> None:
    """Serve the API and the portal (help: cli.help.serve)."""
    from rich.console import Console

    from observatorio.data_commands import load_bundled_quietly
    from observatorio.i18n import t
    from observatorio.settings import get_settings, pass_to_child_processes

    st = state(ctx)
    err = Console(stderr=True)
    if load and _needs_load(st.db):
        err.print(t("api.serve.loading", st.lang, path=st.db), markup=False)
        load_bundled_quietly(st.db, err, st.lang)
    if snapshots and st.db.exists():
        from observatorio.store import snapshots as store_snapshots

        # From now on loads write new snapshots and this server switches to them (docs/deployment.md).
        if store_snapshots.enable(st.db):
            err.print(t("snapshots.enabled", st.lang, path=st.db,
                        folder=store_snapshots.folder_of(st.db)), markup=False)
    # Worker processes build the app from the environment: pass the store location on.
    pass_to_child_processes(db=st.db, lang=st.lang)
    err.print(t("api.serve.listening", st.lang, host=host, port=port), markup=False)
    from observatorio.publish.server_process import run_server, uvicorn_options

    # A fresh interpreter, not this command line's (server_process.py: memory of every worker).
    run_server(uvicorn_options(get_settings(), host, port, workers))


def _needs_load(db: Path) -> bool:
    """No store, or one that never finished a load (e.g. a first load interrupted)."""
    if not db.exists():
        return True
    from observatorio.store import Store

    try:
        with Store.open(db, read_only=True) as store:
            rows = store.con.execute("SELECT count(*) FROM loads").fetchall()
    except Exception:  # a file left unusable by an interrupted first load
        return True
    return not rows or rows[0][0] == 0


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("serve", help=cli_help("cli.help.serve"))(serve)
