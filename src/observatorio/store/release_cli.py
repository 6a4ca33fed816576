"""``observatorio release``: the store's snapshots (init, list, rollback)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from observatorio.errors import ObservatorioError
from observatorio.i18n import t
from observatorio.store import snapshots

app = typer.Typer(help="Publicaciones del almacén por instantáneas / the store's snapshot publications",
                  no_args_is_help=True)


def _db(ctx: typer.Context) -> tuple[Path, str]:
    from observatorio.cli_state import state

    st = state(ctx)
    return Path(st.db), st.lang


@app.command("init")
def init(ctx: typer.Context) -> None:
    """Publicar por instantáneas en adelante (una vez, servidor detenido) / publish through
    snapshots from now on (once, with the server stopped)."""
    db, lang = _db(ctx)
    key = "snapshots.enabled" if snapshots.enable(db) else "snapshots.already"
    typer.echo(t(key, lang, path=db, folder=snapshots.folder_of(db)))


@app.command("list")
def list_snapshots(ctx: typer.Context) -> None:
    """Instantáneas guardadas, vigente y programadas / kept, in-force and scheduled snapshots."""
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


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option("--to", help="Instantánea / snapshot (default: the one before)")] = None,
) -> None:
    """Volver a una instantánea anterior / go back to an older snapshot."""
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
