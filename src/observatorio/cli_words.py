"""The words Click and Typer write themselves around a help page or an error (``Usage:``, the
panel titles, ``[default: …]``, ``Try '… --help' for help.``, ``Aborted.``), from the catalogue
(``cli.click.*``) in the user's language.

Typer 0.29 runs its own copy of Click (``typer/_click``), which has no gettext: its words are
plain strings. What Typer lets a program change is used, nothing is patched:

- Typer's Rich help and error panels read their words from module attributes of
  ``typer.rich_utils`` each time they draw (``OPTIONS_PANEL_TITLE``, ``DEFAULT_STRING`` …):
  ``click_words(lang)`` sets them for one help page or one command line and puts Typer's
  back after, so no other code of the process (a test of another module) sees them;
- the ``Usage:`` line is written by the context's help formatter, which a context class may
  choose (``UsageInLanguage``, made by ``cli_help.HelpInLanguage.make_formatter``); Typer's
  highlighter (``rich_utils.highlighter``, set like the words) colours its prefix.

The usage errors' own texts are ``cli_usage_errors.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from typer import rich_utils
from typer._click.formatting import HelpFormatter  # Typer's own Click: the class it formats with

from observatorio import i18n

#: Typer's Rich words (a ``typer.rich_utils`` attribute) → the catalogue key of each. A value
#: Typer fills in later (``{}``, ``{command_path}``) is put back in the text as Typer wrote it.
_RICH_WORDS: dict[str, tuple[str, dict[str, str]]] = {
    "ARGUMENTS_PANEL_TITLE": ("cli.click.arguments", {}),
    "OPTIONS_PANEL_TITLE": ("cli.click.options", {}),
    "COMMANDS_PANEL_TITLE": ("cli.click.commands", {}),
    "ERRORS_PANEL_TITLE": ("cli.click.error", {}),
    "ABORTED_TEXT": ("cli.click.aborted", {}),
    "DEFAULT_STRING": ("cli.click.default", {"value": "{}"}),
    "ENVVAR_STRING": ("cli.click.env_var", {"name": "{}"}),
    "REQUIRED_LONG_STRING": ("cli.click.required", {}),
    "DEPRECATED_STRING": ("cli.click.deprecated", {}),  # Typer writes the name right after it
    # Rich markup around the command, as Typer has it: the catalogue text holds no markup.
    "RICH_HELP": ("cli.click.try_help", {"command": "[blue]'{command_path} {help_option}'[/]"}),
}


def rich_words(lang: str) -> dict[str, str]:
    """Typer's Rich words in ``lang``, by ``typer.rich_utils`` attribute."""
    words = {name: i18n.t(key, lang, **values) for name, (key, values) in _RICH_WORDS.items()}
    words["DEPRECATED_STRING"] += " "
    return words


def usage_highlighter(lang: str) -> rich_utils.OptionHighlighter:
    """Typer's highlighter of help and error texts (options, types), colouring the usage line's
    prefix in ``lang`` as Typer colours its ``Usage:``."""
    prefix = re.escape(i18n.t("cli.click.usage", lang) + " ")
    usage = r"(?P<usage>Usage: )"
    if usage not in rich_utils.OptionHighlighter.highlights:  # a Typer that colours it otherwise
        return rich_utils.OptionHighlighter()

    class InLanguage(rich_utils.OptionHighlighter):
        highlights = [f"(?P<usage>{prefix})" if pattern == usage else pattern
                      for pattern in rich_utils.OptionHighlighter.highlights]

    return InLanguage()


@contextmanager
def click_words(lang: str) -> Iterator[None]:
    """Typer's Rich help and error panels in ``lang`` while the block runs; Typer's own words
    back after it (a block inside another puts back the outer one's)."""
    before = {name: getattr(rich_utils, name) for name in (*_RICH_WORDS, "highlighter")}
    try:  # a failure while setting them puts back those already set
        for name, text in rich_words(lang).items():
            setattr(rich_utils, name, text)
        rich_utils.highlighter = usage_highlighter(lang)
        yield
    finally:
        for name, text in before.items():
            setattr(rich_utils, name, text)


class UsageInLanguage(HelpFormatter):
    """Click's help formatter writing the usage line in ``lang``: ``Uso: observatorio cases
    [OPCIONES] COMANDO [ARGS]...``. The usage line is the only thing Typer's Rich help takes
    from the formatter; Click writes ``[OPTIONS]`` and ``COMMAND [ARGS]...`` from the command's
    own ``options_metavar`` and ``subcommand_metavar``, which are put in ``lang`` here (the
    command's are left as they are, for a later command line in the other language)."""

    def __init__(self, *args: Any, lang: str, command: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang = lang
        self.command = command

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = i18n.t("cli.click.usage", self.lang) + " "
        return super().write_usage(prog, self._pieces_in_language(args), prefix)

    def _pieces_in_language(self, args: str) -> str:
        options = getattr(self.command, "options_metavar", None)
        if options and args.startswith(options):
            args = i18n.t("cli.click.options_metavar", self.lang) + args[len(options):]
        subcommand = getattr(self.command, "subcommand_metavar", None)
        if subcommand and args.endswith(subcommand):
            args = args[: -len(subcommand)] + i18n.t("cli.click.subcommand_metavar", self.lang)
        return args
