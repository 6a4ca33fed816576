"""The ``observatorio`` command line: one Typer app; each area registers its own commands."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from observatorio.cli_help import HelpInLanguage, chosen_lang, cli_help, help_in_language, help_lang
from observatorio.cli_state import CliState, state
from observatorio.cli_usage_errors import usage_errors_in_language
from observatorio.cli_words import click_words
from observatorio.i18n import in_both
from observatorio.settings import get_settings

__all__ = ["CliState", "app", "state"]  # state: command modules read it from cli_state

#: Root options that may also be written after the command (``profile GTM --lang en``).
ANYWHERE_OPTIONS = ("--lang",)


class RootOptionsAnywhere(TyperGroup):
    """The root group, taking ``--lang`` after the command too: Click parses an option only at
    the level that declares it, so the option and its value are moved before the command. It
    also has every help page and every usage error written in the user's language (cli_help.py,
    cli_words.py, cli_usage_errors.py)."""

    context_class = HelpInLanguage

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        """Typer's ``main``, with its words (the error panel's title, ``Try '… --help' for
        help.``, ``Aborted.``) in the user's language (cli_words.py)."""
        args = list(sys.argv[1:] if args is None else args)
        with click_words(help_lang(hoist_options(args, ANYWHERE_OPTIONS))):
            return super().main(args, *rest, **extra)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None,
                     **extra: Any) -> Any:
        """Click's, with a usage error of the root's options written in the user's language."""
        with usage_errors_in_language(help_lang(hoist_options(args, ANYWHERE_OPTIONS))):
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        """Click's, with a usage error of any command under the root (an unknown command, a
        command's wrong option or missing argument) written in the user's language."""
        with usage_errors_in_language(chosen_lang(ctx)):
            return super().invoke(ctx)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's vendored Click Context
        args = hoist_options(args, ANYWHERE_OPTIONS)
        help_in_language(self, ctx, help_lang(args))
        return super().parse_args(ctx, args)


def hoist_options(args: list[str], names: tuple[str, ...]) -> list[str]:
    """``args`` with each ``--name value`` / ``--name=value`` moved to the front (not past ``--``)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in names and i + 1 < len(args):
            front += args[i:i + 2]
            i += 2
            continue
        if arg.split("=", 1)[0] in names and "=" in arg:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


app = typer.Typer(
    name="observatorio",
    cls=RootOptionsAnywhere,
    help=cli_help("cli.help.app"),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option("--db", envvar="OBSERVATORIO_DB", help=cli_help("cli.help.db")),
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", envvar="OBSERVATORIO_LANG", help=cli_help("cli.help.lang"))
    ] = "es",
) -> None:
    """The options every command shares (the app's help says what the command line is)."""
    if lang not in ("es", "en"):
        # No language we know was chosen, so the refusal speaks both.
        raise typer.BadParameter(in_both("cli.lang_unknown"))
    ctx.obj = CliState(db=db or get_settings().db_path, lang=lang)


def _register_all() -> None:
    # Imported here, not at module top, so each area stays importable on its own.
    from observatorio import data_commands, texts_cli
    from observatorio.analysis import cli as analysis_cli
    from observatorio.analysis.forecast import cli as forecast_cli
    from observatorio.cases import accounts_cli, directory_cli, notify_cli
    from observatorio.cases import cli as cases_cli
    from observatorio.cases.reception import cli as reception_cli
    from observatorio.publish import cases_publish_command
    from observatorio.publish import cli as publish_cli
    from observatorio.refresh import calendar_cli
    from observatorio.refresh import cli as refresh_cli
    from observatorio.report import cli as report_cli
    from observatorio.store import release_cli
    from observatorio.submissions import cli as submissions_cli

    data_commands.register(app)
    analysis_cli.register(app)
    forecast_cli.register(app)
    publish_cli.register(app)
    refresh_cli.register(app)
    calendar_cli.register(app)
    report_cli.register(app)
    app.add_typer(cases_cli.app, name="cases")
    cases_publish_command.register(cases_cli.app)
    reception_cli.register(cases_cli.app)
    release_cli.register(app)
    submissions_cli.register(app)
    texts_cli.register(app)
    directory_cli.register(cases_cli.app)
    accounts_cli.register(cases_cli.app)
    cases_cli.app.add_typer(notify_cli.app, name="notify")


_register_all()
