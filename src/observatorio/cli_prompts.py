"""What a command says and asks, in the language of its command line: ``say(key, **values)``
for a message, ``ask_hidden``/``ask_hidden_twice`` for a password, ``confirm_or_abort`` for a
yes/no question.

A command finds the language without being handed it: the root group (``cli.py``) keeps the
one its command line chose (``--lang``, else ``OBSERVATORIO_LANG``) in the Click context every
command runs in (``cli_help.current_lang``).

Click's own prompts cannot be put in a language: Typer 0.29 runs its own copy of Click
(``typer/_click``), which has no gettext, and writes ``Repeat for confirmation``, ``Error: The
two entered values do not match.``, ``[y/N]`` and takes ``y``/``yes`` as fixed English
(cli_words.py says what Typer does let a program change). So the questions are asked here, one
``typer.prompt`` at a time (Click's line reading, hidden input through ``getpass``), with the
words from the catalogue (``cli.prompt.*``), and the answers of both languages accepted.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer

from observatorio import i18n
from observatorio.cli_help import current_lang

T = TypeVar("T")

#: The answers taken as yes and as no, in either language (``sí`` with or without its accent,
#: as a keyboard without ``í`` writes it); an empty answer is the default, no.
YES = frozenset({"s", "si", "sí", "y", "yes"})
NO = frozenset({"n", "no"})


def say(key: str, /, **values: Any) -> str:
    """The message ``key`` in the language of the running command line."""
    return i18n.t(key, current_lang(), **values)


def ask_hidden(text: str, *, err: bool = True) -> str:
    """One answer typed without echo (a password) after ``text``: on stderr unless told, so that
    a command's output to stdout stays clean."""
    return _or_abort(lambda: str(typer.prompt(text, hide_input=True, err=err)), err)


def ask_hidden_twice(text: str, *, err: bool = True) -> str:
    """A new secret typed twice without echo, as Click's ``confirmation_prompt``: when the two
    differ the command says so and asks both again."""
    repeat = say("cli.prompt.repeat")
    while True:
        first = ask_hidden(text, err=err)
        if first == ask_hidden(repeat, err=err):
            return first
        typer.echo(say("cli.prompt.mismatch"), err=err)


def ask_yes_no(text: str, *, err: bool = True) -> bool:
    """``text`` as a yes/no question whose default is no (``[s/N]``, ``[y/N]``); an answer that
    is neither is refused and the question asked again."""
    question = f"{text} {say('cli.prompt.yes_no_default_no')}"
    while True:
        answer = _or_abort(lambda: str(typer.prompt(question, default="", show_default=False, err=err)), err)
        word = unicodedata.normalize("NFC", answer).strip().lower()
        if word in YES:
            return True
        if word in NO or not word:
            return False
        typer.echo(say("cli.prompt.yes_no_invalid"), err=err)


def confirm_or_abort(text: str, *, err: bool = True) -> None:
    """Go on only after a yes to ``text``; any other answer ends the command as Click's
    ``confirm(abort=True)`` does (its ``Aborted.``, exit code 1)."""
    if not ask_yes_no(text, err=err):
        _abort(err)


def _or_abort(ask: Callable[[], T], err: bool) -> T:
    """``ask()``; the end of input or Ctrl-C ends the command as a no does (Click raises
    ``Abort``, which Typer would write in English outside the root's command line)."""
    try:
        return ask()
    except typer.Abort:
        _abort(err)


def _abort(err: bool) -> NoReturn:
    typer.echo(say("cli.click.aborted"), err=err)
    raise typer.Exit(1)
