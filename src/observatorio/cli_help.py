"""The command line's help texts: named by catalogue key where a command is declared, shown in
one language, the user's (``--lang``, else ``OBSERVATORIO_LANG``, else Spanish).

Typer reads every ``help=`` when a command module is imported, long before the command line is
parsed, so a module cannot hand it the text itself: it hands it the key
(``help=cli_help("cli.help.refresh.all")``). The root group, once it knows the language, has
every command's context put the texts in that language when, and only when, a help page is
written (``HelpInLanguage``): a command that shows no help reads no catalogue for it. The keys
live in ``messages.yaml`` like every other text; ``observatorio texts check`` checks them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import ValidationError
from typer._click.exceptions import UsageError  # Typer's own Click: what its parser raises
from typer._click.globals import get_current_context  # Typer's own Click: the contexts it runs

from observatorio import i18n
from observatorio.cli_words import UsageInLanguage, click_words
from observatorio.settings import fresh_settings

#: Every help text's key starts so: the prefix tells a key from a text Typer got elsewhere.
HELP_KEY_PREFIX = "cli.help."
#: The option that chooses the language (``cli.py`` takes it anywhere on the command line).
LANG_OPTION = "--lang"

#: Where the root's context keeps the chosen language (``Context.meta`` is shared by every
#: context of one command line).
_LANG_META = "observatorio.help_lang"

#: Where a command, option or argument keeps its help's key once the text is in place.
_KEY_ATTRIBUTE = "observatorio_help_key"

#: Values a help text fills (``{shown}``), by key: a key's values are the same wherever it is used.
_VALUES: dict[str, dict[str, Any]] = {}


def cli_help(key: str, /, **values: Any) -> str:
    """What a command module gives Typer as ``help=``: the key of its text, shown in the user's
    language when the help is (``values`` fill the text's placeholders)."""
    if not key.startswith(HELP_KEY_PREFIX):
        raise ValueError(f"a help text's key starts with {HELP_KEY_PREFIX!r}: {key!r}")
    if values:
        _VALUES[key] = values
    return key


#: Click's help option and Typer's completion options bring their own help, in English.
HELP_OPTION_KEY = cli_help("cli.help.help_option")
BUILT_IN_KEYS = {
    "install_completion": cli_help("cli.help.install_completion"),
    "show_completion": cli_help("cli.help.show_completion"),
}


def is_help_key(text: object) -> bool:
    """Whether ``text`` is a help text's key (what ``cli_help`` returns)."""
    return isinstance(text, str) and text.startswith(HELP_KEY_PREFIX)


def help_text(text: str | None, lang: str) -> str | None:
    """``text`` in ``lang`` when it is a help text's key; any other text as it is. A key missing
    from the catalogue stays the key (``texts check`` and the tests name it): one missing text
    must not stop every command."""
    if not is_help_key(text):
        return text
    assert text is not None
    if not i18n.has_message(text):
        return text
    return i18n.t(text, lang, **_VALUES.get(text, {}))


def help_lang(args: Sequence[str]) -> i18n.Lang:
    """The language of the help: the last ``--lang`` on the command line, else the
    ``OBSERVATORIO_LANG`` setting, else Spanish (an unknown language: Spanish; the root command
    refuses it itself)."""
    chosen: str | None = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == LANG_OPTION and i + 1 < len(args):
            chosen = args[i + 1]
        elif arg.startswith(LANG_OPTION + "="):
            chosen = arg.split("=", 1)[1]
    if chosen is None:
        try:
            chosen = fresh_settings().lang
        except ValidationError:  # another setting is wrong: the command says so, not its help
            chosen = i18n.DEFAULT_LANG
    return i18n.normalize_lang(chosen)


class HelpInLanguage(typer.Context):
    """A context that puts its command's help texts in the chosen language just before writing
    the help page (``--help``, or a group called without its command): Click and Typer write
    every help page through ``Context.get_help``. Click's and Typer's own words on the page
    (``Usage:``, the panel titles, ``[default: …]``) are in that language too (cli_words.py)."""

    def get_help(self) -> str:
        lang = chosen_lang(self)
        localize(self.command, self, lang)
        with click_words(lang):
            return super().get_help()

    def make_formatter(self) -> Any:
        """Click's formatter, writing the usage line (a help page's, an error's) in the language."""
        return UsageInLanguage(width=self.terminal_width, max_width=self.max_content_width,
                               lang=chosen_lang(self), command=self.command)

    @contextmanager
    def scope(self, cleanup: bool = True) -> Iterator[Any]:
        """Click's scope of this context, in which its command parses its arguments: a usage
        error raised there without its context (Click's parser says ``Option '--x' requires an
        argument`` so) gets this one, so that it is shown with its command's usage line and
        ``--help``, and written from its command's options (cli_usage_errors.py)."""
        with super().scope(cleanup) as ctx:
            try:
                yield ctx
            except UsageError as error:
                if error.ctx is None:
                    error.ctx, error.cmd = self, self.command
                raise


def chosen_lang(ctx: Any) -> i18n.Lang:
    """The language the command line of ``ctx`` chose (set by the root group, cli.py)."""
    return i18n.normalize_lang(ctx.meta.get(_LANG_META, i18n.DEFAULT_LANG))


def current_lang() -> i18n.Lang:
    """The language of the command line running now: the one its root group chose (cli.py);
    outside the root's command line (a command group run alone, as a test may, or no command
    at all) ``OBSERVATORIO_LANG``, else Spanish."""
    ctx = get_current_context(silent=True)
    if ctx is not None and _LANG_META in ctx.meta:
        return chosen_lang(ctx)
    return help_lang(())


def help_in_language(command: Any, ctx: Any, lang: str) -> None:
    """Have the help of ``command`` (the root, whose ``ctx`` is a ``HelpInLanguage``) and of every
    command under it written in ``lang``."""
    ctx.meta[_LANG_META] = lang
    _use_help_context(command)


def _use_help_context(command: Any) -> None:
    command.context_class = HelpInLanguage  # the class each command's own context is made of
    for sub in getattr(command, "commands", {}).values():
        _use_help_context(sub)


def localize(command: Any, ctx: Any, lang: str) -> None:
    """Put the help texts of ``command`` and of every command under it in ``lang``: the
    commands' own (a group's page lists its commands'), their options' and arguments', and
    Click's help option's (Typer's vendored Click objects, hence ``Any``; ``ctx``: the command's
    context, which names the help option)."""
    _put(command, command.help, lang)
    for param in command.params:
        if hasattr(param, "help"):  # an argument has one in Typer, not in Click
            _put(param, BUILT_IN_KEYS.get(param.name or "", param.help), lang)
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        _put(help_option, HELP_OPTION_KEY, lang)
    for sub in getattr(command, "commands", {}).values():
        localize(sub, ctx, lang)


def _put(thing: Any, text: str | None, lang: str) -> None:
    """``thing.help`` in ``lang``; the key stays on ``thing``, so that the same command put in
    another language later (a test's second run) still finds it."""
    key = getattr(thing, _KEY_ATTRIBUTE, None) or text
    if is_help_key(key):
        setattr(thing, _KEY_ATTRIBUTE, key)
    thing.help = help_text(key, lang)
