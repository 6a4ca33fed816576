"""The questions a command asks in its command line's language (cli_prompts.py): a secret typed
twice, a yes/no question, the end of input; and the language found outside the root's command
line (a command group run alone), from ``OBSERVATORIO_LANG``."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from observatorio import i18n
from observatorio.cli_prompts import ask_hidden_twice, ask_yes_no, confirm_or_abort, say

runner = CliRunner()

#: A command group of its own, run without the root (``observatorio``): no ``--lang`` here, so
#: the language is ``OBSERVATORIO_LANG``'s, else Spanish.
app = typer.Typer(help="cli.help.app")


@app.command("secret", help="cli.help.app")
def secret() -> None:
    typer.echo(f"[{ask_hidden_twice(say('cases_cli.new_password'))}]")


@app.command("question", help="cli.help.app")
def question() -> None:
    typer.echo(f"[{ask_yes_no(say('cases_cli.confirm_erase'))}]")


@app.command("go-on", help="cli.help.app")
def go_on() -> None:
    confirm_or_abort(say("cases_cli.confirm_erase"))
    typer.echo("[done]")


def _run(lang: str, *args: str, input: str) -> tuple[int, str]:
    r = runner.invoke(app, list(args), input=input, env={"OBSERVATORIO_LANG": lang})
    return r.exit_code, r.output


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_a_secret_typed_twice_differently_is_asked_again(lang: str) -> None:
    code, out = _run(lang, "secret", input="secreto-1\nsecreto-2\nsecreto-3\nsecreto-3\n")
    assert code == 0 and out.endswith("[secreto-3]\n")
    assert out.count(f"{i18n.t('cases_cli.new_password', lang)}: ") == 2
    assert out.count(f"{i18n.t('cli.prompt.repeat', lang)}: ") == 2
    assert out.count(i18n.t("cli.prompt.mismatch", lang)) == 1
    assert out.count("secreto") == 1, "hidden input stays hidden (only the command's own echo)"
    assert "Repeat for confirmation" not in out if lang == "es" else "Repita" not in out


@pytest.mark.parametrize(("answer", "yes"), [
    ("s", True), ("sí", True), ("SI", True), ("Sí ", True), ("y", True), ("yes", True), ("YES", True),
    ("n", False), ("no", False), ("No", False), ("", False),
])
@pytest.mark.parametrize("lang", i18n.LANGS)
def test_yes_and_no_in_either_language(lang: str, answer: str, yes: bool) -> None:
    code, out = _run(lang, "question", input=f"{answer}\n")
    assert code == 0 and out.endswith(f"[{yes}]\n"), out
    suffix = i18n.t("cli.prompt.yes_no_default_no", lang)
    assert f"{i18n.t('cases_cli.confirm_erase', lang)} {suffix}: " in out
    assert suffix == ("[s/N]" if lang == "es" else "[y/N]")


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_an_answer_that_is_neither_is_asked_again(lang: str) -> None:
    code, out = _run(lang, "question", input="quizás\nmaybe\ns\n")
    assert code == 0 and out.endswith("[True]\n")
    assert out.count(i18n.t("cli.prompt.yes_no_invalid", lang)) == 2


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("answer", ["n\n", "\n", ""])  # no, the default, the end of input
def test_anything_but_yes_aborts_with_the_languages_word(lang: str, answer: str) -> None:
    code, out = _run(lang, "go-on", input=answer)
    assert code == 1 and "[done]" not in out
    assert i18n.t("cli.click.aborted", lang) in out
    other = "en" if lang == "es" else "es"
    assert i18n.t("cli.click.aborted", other) not in out


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_the_end_of_input_while_a_secret_is_asked_aborts(lang: str) -> None:
    code, out = _run(lang, "secret", input="secreto-1\n")
    assert code == 1 and i18n.t("cli.click.aborted", lang) in out


def test_outside_a_command_line_the_setting_then_spanish(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OBSERVATORIO_LANG", raising=False)
    assert say("cli.click.aborted") == i18n.t("cli.click.aborted", "es")
    monkeypatch.setenv("OBSERVATORIO_LANG", "en")
    assert say("cli.click.aborted") == i18n.t("cli.click.aborted", "en")
