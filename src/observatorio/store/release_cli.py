"""``observatorio release``: the store's snapshots (init, list, rollback)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from observatorio.cli_help import cli_help
from observatorio.errors import ObservatorioError
from observatorio.i18n import t
from observatorio.store import snapshots

app = typer.Typer(help=cli_help("cli.help.release"),
                  no_args_is_help=True)


def _db(ctx: typer.Context) -> tuple[Path, str]:
    from observatorio.cli_state import state

    st = state(ctx)
    return Path(st.db), st.lang


@app.command("init", help=cli_help("cli.help.release.init"))
def init(ctx: typer.Context) -> None:
    """Publish through snapshots from now on (help: cli.help.release.init)."""
    db, lang = _db(ctx)
    key = "snapshots.enabled" if snapshots.enable(db) else "snapshots.already"
    typer.echo(t(key, lang, path=db, folder=snapshots.folder_of(db)))


@app.command("list", help=cli_help("cli.help.release.list"))
def list_snapshots(ctx: typer.Context) -> None:
    """The kept, in-force and scheduled snapshots (help: cli.help.release.list)."""
    db, lang = _db(ctx)
    if not snapshots.is_enabled(db):
        _fail(snapshots.SnapshotsNotEnabled(path=str(db)), lang)
    current = os.path.realpath(db)
    pending = {s.snapshot: s for s in snapshots.scheduled(db)}
    typer.echo(t("snapshots.list.header", lang))
    for path in snapshots.snapshots(db):
        if str(path) == current:
            state, since = "current", ""
        elif path.name in pending:
            state, since = "scheduled", pending[path.name].at.isoformat()
        else:
            state, since = "kept", ""
        typer.echo(f"{path.name}\t{t(f'snapshots.state.{state}', lang)}\t{since}")


@app.command("rollback", help=cli_help("cli.help.release.rollback"))
def rollback(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option("--to", help=cli_help("cli.help.release.rollback.to"))] = None,
) -> None:
    """Go back to an older snapshot (help: cli.help.release.rollback)."""
    db, lang = _db(ctx)
    try:
        target = snapshots.rollback(db, to)
    except ObservatorioError as exc:
        _fail(exc, lang)
    typer.echo(t("snapshots.rolled_back", lang, path=db, snapshot=target.name))


def _fail(exc: ObservatorioError, lang: str) -> None:
    typer.echo(exc.message(lang), err=True)
    raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add ``observatorio release`` to the root app."""
    root.add_typer(app, name="release")
