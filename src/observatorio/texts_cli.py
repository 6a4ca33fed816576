"""``observatorio texts``: the message catalogue's lint (the CI step) and its gettext export."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from observatorio import catalogue_lint, catalogue_po
from observatorio.cli_help import cli_help
from observatorio.cli_state import state
from observatorio.i18n import t

app = typer.Typer(help=cli_help("cli.help.texts"), no_args_is_help=True)


@app.command("check", help=cli_help("cli.help.texts.check"))
def check(
    ctx: typer.Context,
    unused: Annotated[bool, typer.Option(
        "--unused", help=cli_help("cli.help.texts.check.unused"))] = False,
) -> None:
    """Fail on a missing translation or on placeholders that differ (help: cli.help.texts.check)."""
    lang = state(ctx).lang
    problems = catalogue_lint.problems()
    with tempfile.TemporaryDirectory() as folder:
        catalogue_po.export(Path(folder))
        from_msgfmt = catalogue_po.msgfmt_problems(Path(folder))
    if from_msgfmt is None:
        typer.echo(t("texts_cli.no_msgfmt", lang), err=True)
    else:
        problems += [f"msgfmt: {line}" for line in from_msgfmt]
    spare = catalogue_lint.unused_keys()
    for line in spare if unused else ():
        typer.echo(f"  {line}")
    typer.echo(t("texts_cli.unused", lang, count=len(spare)))
    if problems:
        for line in problems:
            typer.echo(line, err=True)
        typer.echo(t("texts_cli.failed", lang, count=len(problems)), err=True)
        raise typer.Exit(1)
    typer.echo(t("texts_cli.sound", lang, count=len(catalogue_po.to_catalog("es"))))


@app.command("export-po", help=cli_help("cli.help.texts.export_po"))
def export_po(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help=cli_help("cli.help.texts.export_po.folder"))],
) -> None:
    """Write the catalogue as gettext files (help: cli.help.texts.export_po)."""
    lang = state(ctx).lang
    for path in catalogue_po.export(folder):
        typer.echo(t("texts_cli.written", lang, path=path))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="texts")
