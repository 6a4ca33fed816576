"""Click's and Typer's usage errors (exit code 2) written from the catalogue (``cli.click.*``) in
the user's language: ``No such option: --x``, ``Missing argument 'X'.``, ``Invalid value for
'--x': …``, ``No such command 'x'.``, and the rest.

Typer 0.29's Click (``typer/_click``) writes them as plain English strings, but most of its
exceptions carry what the text is made of: ``NoSuchOption.option_name``/``possibilities``,
``MissingParameter.param``, ``BadParameter.param`` with the value in the pydantic error that
caused it, ``BadOptionUsage.option_name``. ``in_language`` writes the text again from those;
the few raised as a bare ``UsageError`` (an extra argument, an unknown command) are known by
Typer's fixed wording, the only way they can be. A refusal the program raises itself
(``typer.BadParameter(t(key, lang))``) is already in the user's language: only Click's words
around it (``Invalid value for '--x':``) are. A text Typer may write that is not known here
stays as Typer wrote it, rather than being lost (the tests name every one the commands meet).

The root group (``cli.py``) has every error of its command line go through
``usage_errors_in_language``; Typer then draws it in its Rich panel with words from
``cli_words.py``. The exit code stays the error's own (2).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from typer._click.exceptions import (  # Typer's own Click: the classes its parser raises
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)

from observatorio.i18n import t


@contextmanager
def usage_errors_in_language(lang: str) -> Iterator[None]:
    """A usage error raised in the block leaves it written in ``lang`` (the original as its
    ``__cause__``)."""
    try:
        yield
    except UsageError as error:
        shown = in_language(error, lang)
        if shown is error:
            raise
        raise shown from error


def in_language(error: UsageError, lang: str) -> UsageError:
    """``error`` written in ``lang`` (a bare ``UsageError`` with the same context and exit code,
    raised here: so written twice it stays as it is); ``error`` itself when it has no words of
    Click's (a help page Click raises as an error)."""
    if isinstance(error, NoArgsIsHelpError):
        return error
    text = usage_error_text(error, lang)
    if text is None:
        return error
    shown = UsageError(text, error.ctx)
    shown.exit_code = error.exit_code
    return shown


def usage_error_text(error: UsageError, lang: str) -> str | None:
    """The text of ``error`` in ``lang``; ``None`` when this module does not know it."""
    for cls, write in _WRITERS:
        if isinstance(error, cls):
            return write(error, lang)
    return None


def _no_such_option(error: NoSuchOption, lang: str) -> str:
    text = t("cli.click.no_such_option", lang, option=error.option_name)
    if error.possibilities:
        text += " " + t("cli.click.did_you_mean", lang, names=", ".join(sorted(error.possibilities)))
    return text


def _bad_option_usage(error: BadOptionUsage, lang: str) -> str | None:
    """Click's parser says so of an option given without its value, or of a flag given one."""
    param = _option_named(error.ctx, error.option_name)
    if param is None:
        return None
    if getattr(param, "is_flag", False):
        return t("cli.click.option_takes_no_value", lang, option=error.option_name)
    return t("cli.click.option_needs_value", lang, option=error.option_name, count=param.nargs)


def _missing_parameter(error: MissingParameter, lang: str) -> str:
    param = error.param
    hint = _param_hint(error, lang)
    kind = error.param_type or (param.param_type_name if param is not None else "parameter")
    key = {"argument": "cli.click.missing_argument", "option": "cli.click.missing_option"}.get(
        kind, "cli.click.missing_parameter")
    text = t(key, lang, name=hint or "")
    if error.message:  # the program's own words (Click's MissingParameter has none)
        text += " " + error.message
    choices = _choices(param)
    if choices:
        text += " " + t("cli.click.choose_from", lang, choices=choices)
    return text


def _bad_parameter(error: BadParameter, lang: str) -> str:
    detail = _typer_detail(error, lang) if _raised_by_typer(error) else error.message
    hint = _param_hint(error, lang)
    if hint is None:
        return t("cli.click.invalid_value", lang, detail=detail)
    return t("cli.click.invalid_value_for", lang, name=hint, detail=detail)


#: The bare ``UsageError`` texts Typer and its Click write (``ctx.fail(…)``), by their wording.
_BARE_TEXTS: list[tuple[re.Pattern[str], Callable[[re.Match[str], str], str]]] = [
    (re.compile(r"Got unexpected extra argument\(s\) \((?P<args>.*)\)", re.S),
     lambda m, lang: t("cli.click.extra_arguments", lang, args=m["args"])),
    (re.compile(r"No such command (?P<name>.+?)\.(?: Did you mean (?P<names>.+)\?)?", re.S),
     lambda m, lang: t("cli.click.no_such_command", lang, name=m["name"]) + (
         " " + t("cli.click.did_you_mean", lang, names=m["names"]) if m["names"] else "")),
    (re.compile(r"Missing command\."), lambda m, lang: t("cli.click.missing_command", lang)),
]


def _bare_usage_error(error: UsageError, lang: str) -> str | None:
    if not _raised_by_typer(error):
        return None  # the program's own refusal, in the user's language already
    for pattern, write in _BARE_TEXTS:
        match = pattern.fullmatch(error.message)
        if match:
            return write(match, lang)
    return None


#: Each kind of error and how its text is written; a subclass before its parent class.
_WRITERS: list[tuple[type[UsageError], Callable[[Any, str], str | None]]] = [
    (NoSuchOption, _no_such_option),
    (BadOptionUsage, _bad_option_usage),
    (MissingParameter, _missing_parameter),
    (BadParameter, _bad_parameter),
    (UsageError, _bare_usage_error),
]


def _param_hint(error: BadParameter, lang: str) -> str | None:
    """Where the error is: ``'--format' / '-f'``, ``'iso3'`` (Click's hint, without its English
    ``env var:``), with the environment variable that may have given the value."""
    if isinstance(error.param_hint, str):
        return error.param_hint
    if error.param_hint is not None:
        return " / ".join(map(repr, error.param_hint))
    param = error.param
    if param is None:
        return None
    names = getattr(param, "opts", None) if param.param_type_name == "option" else None
    hint = " / ".join(f"'{name}'" for name in names or [param.metavar or param.name])
    envvar = getattr(param, "envvar", None)
    if getattr(param, "show_envvar", False) and isinstance(envvar, str):
        hint = t("cli.click.hint_env_var", lang, name=hint, env_var=envvar)
    return hint


def _choices(param: Any) -> str:
    """The values a choice takes (``'table', 'json', 'csv'``); empty when it is no choice."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or not descriptor.is_choice:
        return ""
    return ", ".join(repr(str(getattr(choice, "value", choice))) for choice in descriptor.choices or ())


#: Pydantic's error types that Typer's coercion meets on this command line's parameters, and the
#: catalogue key of each (the values: the error's ``ctx``, its bounds).
_VALUE_ERRORS = {
    "int_parsing": "cli.click.not_an_integer",
    "int_from_float": "cli.click.not_an_integer",
    "float_parsing": "cli.click.not_a_number",
    "bool_parsing": "cli.click.not_a_boolean",
    "greater_than_equal": "cli.click.at_least",
    "greater_than": "cli.click.more_than",
    "less_than_equal": "cli.click.at_most",
    "less_than": "cli.click.less_than",
}


def _typer_detail(error: BadParameter, lang: str) -> str:
    """Typer's own reason for refusing a value, written from what caused it."""
    cause: Any = error.__cause__  # pydantic's ValidationError, where Typer coerced the value
    errors = cause.errors() if hasattr(cause, "errors") else []
    if not errors:
        return error.message  # not one this module knows (a path check): Typer's text
    first = errors[0]
    value = repr(first.get("input"))
    choices = _choices(error.param)
    if choices:
        return t("cli.click.not_a_choice", lang, value=value, choices=choices)
    key = _VALUE_ERRORS.get(first.get("type", ""))
    if key is None:
        return t("cli.click.bad_value", lang, value=value)
    bounds = {name: str(bound) for name, bound in (first.get("ctx") or {}).items()}
    return t(key, lang, value=value, **bounds)


def _option_named(ctx: Any, name: str) -> Any:
    """The option of ``ctx``'s command that ``name`` gives, if any."""
    if ctx is None:
        return None
    for param in ctx.command.params:
        if name in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())):
            return param
    return None


def _raised_by_typer(error: BaseException) -> bool:
    """Whether Typer (or its Click) raised ``error``, not the program: Typer's words, in
    English, versus a refusal written from the catalogue."""
    tb: TracebackType | None = error.__traceback__
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    module = last.tb_frame.f_globals.get("__name__", "") if last is not None else ""
    return module == "typer" or module.startswith("typer.")
