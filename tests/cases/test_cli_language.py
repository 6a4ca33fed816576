"""``observatorio cases …`` speaks the language of its command line, and that one only: ``--lang``
(before or after the command), else ``OBSERVATORIO_LANG``, else Spanish — its messages, its
refusals and its questions (a password asked twice, a yes/no question), whose words Click would
write in English (cli_prompts.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from observatorio import i18n
from observatorio.cases.cli import EXIT_AUTH, PASSWORD_ENV
from observatorio.cases.models import Organisation, Person
from observatorio.cli import app

runner = CliRunner()
TAPACHULA_GTM = "Consulado de Guatemala en Tapachula"
ENV = {
    "OBSERVATORIO_SECRET_KEY": "cli-test-secret-cli-test-secret-cli-test",
    "OBSERVATORIO_CASES_ARGON2_TIME_COST": "1",
    "OBSERVATORIO_CASES_ARGON2_MEMORY_COST": "8",
    "OBSERVATORIO_CASES_ARGON2_PARALLELISM": "1",
}
#: The catalogue's texts a cases command may write: its own, the refusals', the questions'.
PREFIXES = ("cases_cli.", "cases.refusal.", "failure.heading.", "cli.prompt.", "cli.click.aborted")


def _t(key: str, lang: str, **values: object) -> str:
    return i18n.t(key, lang, **values)


def other_language_texts(lang: str) -> set[str]:
    """The pieces (between placeholders) of the other language's texts a cases command may
    write, long enough to tell (6 characters or more) and not in ``lang``'s own text."""
    other = "en" if lang == "es" else "es"
    pieces = set()
    for key, texts in i18n.catalogue().items():
        if key.startswith(PREFIXES):
            for piece in re.split(r"\{[^}]*\}", texts[other]):
                piece = piece.strip(" :;,.()«»'—")
                if len(piece) >= 6 and piece not in texts[lang]:
                    pieces.add(piece)
    return pieces


def assert_one_language(output: str, lang: str) -> None:
    found = sorted(piece for piece in other_language_texts(lang)
                   if re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", output))
    assert not found, f"{lang} output with texts of the other language {found}:\n{output}"


@pytest.fixture
def cases_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.delenv("OBSERVATORIO_LANG", raising=False)
    from observatorio.settings import get_settings

    get_settings.cache_clear()


def _person_of(url: str, org_name: str) -> int:
    engine = create_engine(url)
    with engine.connect() as c:
        pid = c.scalar(select(Person.id).join(Organisation, Organisation.id == Person.organisation_id)
                       .where(Organisation.name == org_name, Person.erased_at.is_(None))
                       .order_by(Person.id).limit(1))
        erased = c.scalar(select(Person.erased_at).where(Person.id == pid))
    engine.dispose()
    assert pid is not None and erased is None
    return int(pid)


def _erased(url: str, pid: int) -> bool:
    engine = create_engine(url)
    with engine.connect() as c:
        erased = c.scalar(select(Person.erased_at).where(Person.id == pid))
    engine.dispose()
    return erased is not None


# How the language is chosen: the expected language, where --lang goes (if given) and its value,
# and OBSERVATORIO_LANG (if set).
WAYS = [
    pytest.param("es", None, None, id="default-spanish"),
    pytest.param("en", "after", None, id="lang-after-command"),
    pytest.param("en", None, "en", id="OBSERVATORIO_LANG"),
    pytest.param("es", "before", "en", id="lang-before-wins-over-setting"),
]


@pytest.mark.parametrize(("lang", "option", "setting"), WAYS)
def test_cases_commands_speak_the_chosen_language_only(cases_env, tmp_path: Path, lang: str,
                                                       option: str | None, setting: str | None) -> None:
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    env = {"OBSERVATORIO_LANG": setting} if setting else {}
    outputs: list[str] = []

    def cases(*args: str, input: str | None = None, password: str | None = None, code: int = 0) -> str:
        line = ["cases", *args]
        if option == "before":
            line = ["--lang", lang, *line]
        elif option == "after":
            line = [*line, "--lang", lang]
        r = runner.invoke(app, line, input=input, env={**env, PASSWORD_ENV: password})
        assert r.exit_code == code, r.output
        outputs.append(r.output)
        return r.output

    out = cases("init", "--url", url)
    assert _t("cases_cli.schema_up_to_date", lang, url=url) in out

    out = cases("demo", "--url", url, "--cases", "12", "--seed", "1")
    assert _t("cases_cli.demo_users", lang) in out
    passwords = {m[1]: m[2] for m in re.finditer(r"^\s+(demo\.\S+)\s+(\S+)\s", out, re.M)}
    assert {"demo.jefa.gtm", "demo.consul.gtm"} <= set(passwords)

    out = cases("audit", "verify", "--url", url)
    assert _t("cases_cli.chain_intact", lang, entries=0).split(":")[0] in out
    assert re.search(rf"^  {_t('cases_cli.chain', lang)}  1  seq ", out, re.M), out

    # A new password typed twice, differently, then the same: asked again, then changed.
    new = "otra-clave-larga-2026"
    out = cases("user", "set-password", "demo.consul.gtm", "--url", url,
                input=f"una-clave-larga-1\nno-la-misma-clave-2\n{new}\n{new}\n")
    assert out.count(f"{_t('cases_cli.new_password', lang)}: ") == 2
    assert out.count(f"{_t('cli.prompt.repeat', lang)}: ") == 2
    assert out.count(_t("cli.prompt.mismatch", lang)) == 1
    assert _t("cases_cli.password_changed", lang, username="demo.consul.gtm") in out
    assert "clave" not in out, "hidden input is not echoed"
    cases("person", "export", str(_person_of(url, TAPACHULA_GTM)), "--url", url, "--user", "demo.consul.gtm",
          password=new, code=4)  # the new password logs in (and the officer may not export)
    assert f"{_t('failure.heading.forbidden', lang)}: " in outputs[-1]

    # Erasure asks first: a no (after an answer that is neither) cancels it, exit 1, nothing erased.
    pid = _person_of(url, TAPACHULA_GTM)
    erase = ("person", "erase", str(pid), "--url", url, "--user", "demo.jefa.gtm")
    question = f"{_t('cases_cli.confirm_erase', lang)} {_t('cli.prompt.yes_no_default_no', lang)}: "
    out = cases(*erase, input="quizás\nn\n", code=1)
    assert out.count(question) == 2 and _t("cli.prompt.yes_no_invalid", lang) in out
    assert _t("cli.click.aborted", lang) in out and not _erased(url, pid)
    out = cases(*erase, input="\n", code=1)  # the default is no
    assert _t("cli.click.aborted", lang) in out and not _erased(url, pid)
    # … the language's yes goes on: the password is asked (hidden), then the person is erased.
    yes = "sí" if lang == "es" else "yes"
    out = cases(*erase, input=f"{yes}\n{passwords['demo.jefa.gtm']}\n")
    assert _t("cases_cli.password_for", lang, username="demo.jefa.gtm") in out
    assert passwords["demo.jefa.gtm"] not in out
    assert _erased(url, pid)
    assert re.search(_t("cases_cli.person_erased", lang, person=pid, pseudonym="P-[0-9A-F]{16}", cases=r"\d+")
                     .replace("(", r"\(").replace(")", r"\)"), out), out

    # A refusal: its heading and message in the language, on stderr.
    out = cases("person", "export", str(pid), "--url", url, "--user", "demo.jefa.gtm",
                password="not the password", code=EXIT_AUTH)
    assert f"{_t('failure.heading.unauthenticated', lang)}: " in out

    cases("audit", "verify", "--url", url)
    for output in outputs:
        assert_one_language(output, lang)


def test_the_check_finds_the_other_language() -> None:
    """The check is not vacuous: a message of either language is found in the other's output."""
    for lang, other in (("es", "en"), ("en", "es")):
        for key, values in (("cases_cli.chain_intact", {"entries": 3}), ("cli.prompt.mismatch", {}),
                            ("cli.click.aborted", {}), ("failure.heading.forbidden", {})):
            with pytest.raises(AssertionError):
                assert_one_language(f"ok\n{_t(key, other, **values)}\n", lang)
        assert_one_language(f"{_t('cases_cli.chain_intact', lang, entries=3)}\n", lang)
