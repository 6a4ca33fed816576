"""Click's and Typer's own words come from the catalogue (cli.click.*) in the language of the
command line: the usage errors of every kind (exit code 2), with their usage line and the
``--help`` to try, and the words around them (cli_words.py, cli_usage_errors.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer import rich_utils
from typer.testing import CliRunner

from observatorio import i18n
from observatorio.cli import app
from observatorio.cli_words import click_words, rich_words

runner = CliRunner()
#: No language nor password from the environment; wide lines, so that Rich's panel wraps less.
ENV: dict[str, str | None] = {"OBSERVATORIO_LANG": None, "OBSERVATORIO_CASES_PASSWORD": None, "COLUMNS": "200"}

#: What Click and Typer write in English; none of it may reach a Spanish command line.
ENGLISH = ("Usage:", "No such option", "Possible options", "Did you mean", "Missing argument", "Missing option",
           "Invalid value", "is not one of", "Input should be", "Try '", "for help", "Options", "Error",
           "Got unexpected", "No such command", "requires an argument", "Aborted")
#: The same words in Spanish, which an English command line does not show.
SPANISH = ("Uso:", "No existe", "Quiso decir", "Falta ", "Valor no válido", "Escriba '", "Uso incorrecto",
           "Argumentos que", "necesita un valor", "Cancelado")


def _flat(text: str) -> str:
    """The output on one line, without Rich's panel borders."""
    return " ".join(text.replace("│", " ").split())


def _run(lang: str, *args: str) -> Any:
    return runner.invoke(app, ["--lang", lang, *args], env=ENV)


def _t(key: str, lang: str, **values: Any) -> str:
    return _flat(i18n.t(key, lang, **values))


#: A usage error of each kind, on commands of several areas: (command line, its command path,
#: the catalogue texts the error is written with, by language, from its key and values).
CASES: list[tuple[tuple[str, ...], str, list[tuple[str, dict[str, Any]]]]] = [
    (("roles", "--formt", "json"), "observatorio roles",
     [("cli.click.no_such_option", {"option": "--formt"}), ("cli.click.did_you_mean", {"names": "--format"})]),
    (("cases", "audit", "verify", "--anchr", "x"), "observatorio cases audit verify",
     [("cli.click.no_such_option", {"option": "--anchr"}), ("cli.click.did_you_mean", {"names": "--anchor"})]),
    (("cases", "audit", "verify", "-z"), "observatorio cases audit verify",
     [("cli.click.no_such_option", {"option": "-z"})]),
    (("profile",), "observatorio profile", [("cli.click.missing_argument", {"name": "'iso3'"})]),
    (("cases", "person", "export", "1", "--url", "sqlite:///no-such.sqlite"), "observatorio cases person export",
     [("cli.click.missing_option", {"name": "'--user' / '-u'"})]),
    (("indicators", "--format", "xx"), "observatorio indicators",
     [("cli.click.invalid_value_for", {"name": "'--format' / '-f'", "detail": ""}),
      ("cli.click.not_a_choice", {"value": "'xx'", "choices": "'table', 'json', 'csv'"})]),
    (("forecast", "--horizon", "abc"), "observatorio forecast",
     [("cli.click.invalid_value_for", {"name": "'--horizon'", "detail": ""}),
      ("cli.click.not_an_integer", {"value": "'abc'"})]),
    (("serve", "--workers", "0"), "observatorio serve",
     [("cli.click.at_least", {"value": "'0'", "ge": "1"})]),
    (("fetch", "--timeout", "soon", "x"), "observatorio fetch", [("cli.click.not_a_number", {"value": "'soon'"})]),
    (("texts", "check", "extra"), "observatorio texts check", [("cli.click.extra_arguments", {"args": "extra"})]),
    (("zzz",), "observatorio", [("cli.click.no_such_command", {"name": "'zzz'"})]),
    (("cases", "audti"), "observatorio cases",
     [("cli.click.no_such_command", {"name": "'audti'"}), ("cli.click.did_you_mean", {"names": "'audit'"})]),
    (("indicators", "--format"), "observatorio indicators",
     [("cli.click.option_needs_value", {"option": "--format", "count": 1})]),
    (("cases", "audit", "verify", "--anchor"), "observatorio cases audit verify",
     [("cli.click.option_needs_value", {"option": "--anchor", "count": 1})]),
    (("refresh", "--all=yes"), "observatorio refresh", [("cli.click.option_takes_no_value", {"option": "--all"})]),
    # the program's own refusal keeps its text; Click's words around it are in the language
    (("validate",), "observatorio validate", [("cli.click.invalid_value", {"detail": ""})]),
]


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize(("args", "path", "texts"), CASES, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_a_usage_error_is_written_in_the_language(
        args: tuple[str, ...], path: str, texts: list[tuple[str, dict[str, Any]]], lang: str) -> None:
    """Exit code 2; what is wrong (the catalogue's text), where (the command's usage line) and
    what to do (its ``--help``), all in the language of the command line."""
    result = _run(lang, *args)
    out = _flat(result.output)
    assert result.exit_code == 2, out
    for key, values in texts:
        assert _t(key, lang, **values).rstrip(".") in out, (key, out)
    assert _t("cli.click.usage", lang) + " " + path in out, out
    assert _t("cli.click.try_help", lang, command=f"'{path} --help'") in out, out
    assert _t("cli.click.error", lang) in out
    for word in ENGLISH if lang == "es" else SPANISH:
        assert word not in out, (word, out)


def test_the_language_may_follow_the_command_or_come_from_the_setting() -> None:
    after = _flat(runner.invoke(app, ["indicators", "--format", "xx", "--lang", "en"], env=ENV).output)
    assert _t("cli.click.not_a_choice", "en", value="'xx'", choices="'table', 'json', 'csv'") in after
    setting = _flat(runner.invoke(app, ["roles", "--formt"], env={**ENV, "OBSERVATORIO_LANG": "en"}).output)
    assert _t("cli.click.no_such_option", "en", option="--formt") in setting
    default = _flat(runner.invoke(app, ["roles", "--formt"], env=ENV).output)
    assert _t("cli.click.no_such_option", "es", option="--formt") in default


def test_the_root_option_without_its_value_is_shown_with_the_root_usage() -> None:
    """``observatorio --lang``: Click's parser raises it without a context; it gets the root's."""
    result = runner.invoke(app, ["--lang"], env=ENV)
    out = _flat(result.output)
    assert result.exit_code == 2
    assert _t("cli.click.option_needs_value", "es", option="--lang", count=1) in out
    assert "Uso: observatorio [OPCIONES] COMANDO [ARGUMENTOS]..." in out
    assert "Escriba 'observatorio --help' para ver la ayuda." in out


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_an_aborted_prompt_says_so_in_the_language(lang: str, tmp_path: Path) -> None:
    """No password typed (end of input): Typer's ``Aborted.``, exit 1, no database made."""
    db = tmp_path / "cases.sqlite"
    result = runner.invoke(app, ["--lang", lang, "cases", "person", "export", "1", "--url",
                                 f"sqlite:///{db}", "--user", "u"], input="", env=ENV)
    assert result.exit_code == 1
    assert not db.exists()
    assert _t("cli.click.aborted", lang) in _flat(result.output)


def test_click_words_are_put_back_after_a_command_line() -> None:
    """Typer's words are the observatorio command line's only while it runs: other code of the
    process (another module's tests, another Typer app) sees Typer's own."""
    typer_own = {name: getattr(rich_utils, name) for name in (*rich_words("es"), "highlighter")}
    assert typer_own["OPTIONS_PANEL_TITLE"] == "Options"
    runner.invoke(app, ["roles", "--formt"], env=ENV)
    runner.invoke(app, ["roles", "--help"], env=ENV)
    assert {name: getattr(rich_utils, name) for name in typer_own} == typer_own
    with click_words("es"):
        assert rich_utils.OPTIONS_PANEL_TITLE == "Opciones"
        usage = rich_utils.highlighter("Uso: observatorio --help")
        assert (0, 5, "usage") in [(span.start, span.end, span.style) for span in usage.spans]  # as Usage:
        with click_words("en"):
            assert rich_utils.DEFAULT_STRING.format("x") == "[default: x]"
        assert rich_utils.DEFAULT_STRING.format("x") == "[por omisión: x]"
        assert rich_utils.RICH_HELP.format(command_path="observatorio", help_option="--help") == (
            "Escriba [blue]'observatorio --help'[/] para ver la ayuda.")
    assert rich_utils.OPTIONS_PANEL_TITLE == "Options"


def _command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under ``command`` (itself first), by its path of names."""
    return [path] + [sub_path for name, sub in getattr(command, "commands", {}).items()
                     for sub_path in _command_paths(sub, (*path, name))]


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_command_writes_its_usage_errors_in_the_language(lang: str) -> None:
    """An unknown option on each command and group of the command line (every one parses its
    own): the catalogue's text with the command's usage line and ``--help``, nothing of the
    other language."""
    problems = []
    for path in _command_paths(typer.main.get_command(app)):
        result = _run(lang, *path, "--zz-no-such")
        out = _flat(result.output)
        where = " ".join(("observatorio", *path))
        expected = [_t("cli.click.no_such_option", lang, option="--zz-no-such"),
                    _t("cli.click.usage", lang) + " " + where,
                    _t("cli.click.try_help", lang, command=f"'{where} --help'")]
        missing = [text for text in expected if text not in out]
        other = [word for word in (ENGLISH if lang == "es" else SPANISH) if word in out]
        if result.exit_code != 2 or missing or other:
            problems.append(f"{where}: exit {result.exit_code}, missing {missing}, other language {other}")
    assert not problems, "\n".join(problems)
