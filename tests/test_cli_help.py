"""The command line's help texts come from the catalogue (cli.help.*) and show in one language:
``--lang`` (before or after the command), else ``OBSERVATORIO_LANG``, else Spanish."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from observatorio import i18n
from observatorio.cli import app
from observatorio.cli_help import cli_help, help_lang, help_text, is_help_key, localize

runner = CliRunner()
#: No language from the environment unless a test sets one; wide lines, so texts wrap less.
ENV: dict[str, str | None] = {"OBSERVATORIO_LANG": None, "COLUMNS": "200"}


def _help(*args: str, **env: str) -> str:
    result = runner.invoke(app, list(args), env={**ENV, **env})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group under ``command`` (itself first), with its path of names."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _text(key: str, lang: str) -> str:
    return _flat(help_text(key, lang) or "")


COMMANDS = sorted(path for path, _ in _commands(typer.main.get_command(app)))

#: By the language of a help page, Click's and Typer's own words in the other language, which
#: the page does not show (cli_words.py).
CLICK_WORDS = {
    "es": ("Usage:", "[OPTIONS]", "COMMAND [ARGS]", "Options", "Commands", "Arguments", "Show this message",
           "[default:", "[required]", "[env var:"),
    "en": ("Uso:", "[OPCIONES]", "COMANDO", "Opciones", "Comandos", "Argumentos", "Mostrar esta ayuda",
           "[por omisión:", "[obligatorio]", "[variable de entorno:"),
}


def test_root_help_is_spanish_by_default() -> None:
    text = _help("--help")
    for spanish in ("Observatorio Migratorio Regional (CRM): estadísticas migratorias armonizadas.",
                    "Archivo del almacén (DuckDB).", "Mostrar esta ayuda y salir.",
                    "Cargar fuentes en el almacén (todo o nada por archivo)."):
        assert spanish in text, spanish
    for english in ("Regional Migration Observatory", "DuckDB store file", "Show this message and exit",
                    "Install completion", "load sources into the store", *CLICK_WORDS["es"]):
        assert english not in text, english
    for spanish in ("Uso: observatorio [OPCIONES] COMANDO [ARGUMENTOS]...", "╭─ Opciones", "╭─ Comandos",
                    "[variable de entorno: OBSERVATORIO_DB]"):
        assert spanish in text, spanish


def test_lang_before_the_command_gives_english_help() -> None:
    text = _help("--lang", "en", "refresh", "--help")
    for english in ("Find, download and load each source's newest release.", "Every source that declares discovery",
                    "3 some sources failed", "4 every source failed", "docs/refresh.md", "Show this message and exit."):
        assert english in text, english
    for spanish in ("Buscar, descargar", "Todas las fuentes", "alguna fuente falló", "Mostrar esta ayuda"):
        assert spanish not in text, spanish


@pytest.mark.parametrize("args", [("refresh", "--help", "--lang", "en"), ("refresh", "--lang=en", "--help")])
def test_lang_after_the_command_gives_english_help(args: tuple[str, ...]) -> None:
    text = _help(*args)
    assert "Every source that declares discovery" in text
    assert "Todas las fuentes" not in text


def test_the_setting_gives_the_language_of_the_help() -> None:
    text = _help("cases", "--help", OBSERVATORIO_LANG="en")
    assert "Consular and protection case management." in text and "Audit log." in text
    assert "Gestión de casos" not in text and "Bitácora" not in text


def test_the_command_line_wins_over_the_setting() -> None:
    text = _help("--lang", "es", "cases", "--help", OBSERVATORIO_LANG="en")
    assert "Gestión de casos consulares y de protección." in text
    assert "Consular and protection" not in text


def test_a_group_without_its_command_shows_its_help_in_the_language() -> None:
    result = runner.invoke(app, ["--lang", "en", "cases", "reception"], env=ENV)
    text = _flat(result.output)
    assert "Returnee reception." in text and "Record an arrival" not in text  # the group's, not a command's
    assert "Recepción de personas" not in text and "Arrivals (flights, buses)." in text


def test_every_help_text_is_a_catalogue_key() -> None:
    """Every command and group (no docstring left as help) and every option or argument that has
    a help names a cli.help key the catalogue has in both languages."""
    problems = []
    for path, command in _commands(typer.main.get_command(app)):
        where = " ".join(path) or "observatorio"
        if not (is_help_key(command.help) and i18n.has_message(command.help)):
            problems.append(f"{where}: help {command.help!r}")
        for param in command.params:
            text = getattr(param, "help", None)
            if text is not None and param.name not in ("install_completion", "show_completion") and not (
                    is_help_key(text) and i18n.has_message(text)):
                problems.append(f"{where} {param.name}: help {text!r}")
    assert not problems, "\n".join(problems)
    assert len(COMMANDS) > 50  # the walk reaches the nested groups (cases reception arrival …)


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "observatorio")
def test_every_command_help_renders_in_one_language(path: tuple[str, ...], lang: str) -> None:
    """``observatorio --lang LANG … --help`` for each command: no key left, the command's help and
    its options' in LANG, none of their texts in the other language."""
    text = _help("--lang", lang, *path, "--help")
    assert "cli.help." not in text
    assert " ".join((i18n.t("cli.click.usage", lang), "observatorio", *path)) in text
    other_words = [word for word in CLICK_WORDS[lang] if word in text]
    assert not other_words, other_words
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    other = "en" if lang == "es" else "es"
    keys = [command.help] + [p.help for p in command.params if is_help_key(getattr(p, "help", None))]
    for key in keys:
        assert _text(key, lang).split("\n")[0][:60] in text, (key, lang)
        theirs, ours = _text(key, other), _text(key, lang)
        if theirs not in ours:
            assert theirs not in text, (key, other)


def test_help_lang_reads_the_command_line_then_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OBSERVATORIO_LANG", raising=False)
    assert help_lang(["refresh", "--help"]) == "es"
    assert help_lang(["--lang", "en", "refresh"]) == "en"
    assert help_lang(["--lang=en", "refresh"]) == "en"
    assert help_lang(["--lang", "fr"]) == "es"  # the root command refuses it; its help is Spanish
    assert help_lang(["sql", "--", "--lang", "en"]) == "es"  # past --: an argument
    monkeypatch.setenv("OBSERVATORIO_LANG", "en")
    assert help_lang(["cases", "--help"]) == "en"
    assert help_lang(["--lang", "es", "cases"]) == "es"


def test_a_missing_key_shows_as_the_key_and_a_text_stays_as_written() -> None:
    assert help_text("cli.help.no_such_text", "en") == "cli.help.no_such_text"
    assert help_text("plain text", "en") == "plain text"
    assert help_text(None, "en") is None
    with pytest.raises(ValueError, match="cli.help."):
        cli_help("refresh.all")


def test_a_command_put_in_one_language_goes_into_the_other() -> None:
    """The key stays with the command: one Click tree shown in Spanish, then in English."""
    root = typer.main.get_command(app)
    ctx = root.make_context("observatorio", ["--help"], resilient_parsing=True)
    localize(root, ctx, "es")
    assert root.commands["refresh"].help.startswith("Buscar, descargar")
    localize(root, ctx, "en")
    assert root.commands["refresh"].help.startswith("Find, download")
    assert root.commands["refresh"].params[1].help == "Every source that declares discovery"


def test_the_texts_are_put_in_place_only_for_a_help_page(capsys: pytest.CaptureFixture[str]) -> None:
    """Parsing a command line leaves the keys (no catalogue read for help); the help page of the
    command in hand is written in the language the command line chose."""
    root = typer.main.get_command(app)
    i18n.catalogue.cache_clear()
    ctx = root.make_context("observatorio", ["--lang", "en", "refresh", "--all"])
    assert i18n.catalogue.cache_info().currsize == 0  # the catalogue was not read
    refresh = root.commands["refresh"]
    assert refresh.help == "cli.help.refresh"
    assert root.commands["cases"].commands["audit"].help == "cli.help.cases.audit"
    sub = refresh.make_context("refresh", ["--all"], parent=ctx)
    written = sub.get_help()  # Typer's rich help prints the page itself
    page = " ".join((written + capsys.readouterr().out).split())
    assert "Every source that declares discovery" in page and "Todas las fuentes" not in page
