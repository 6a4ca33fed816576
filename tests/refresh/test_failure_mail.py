"""Failures of a refresh reach the operators by e-mail: a real SMTP server (aiosmtpd) on
127.0.0.1 receives the alert, in Spanish and English, naming each failed source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatorio.cli import app
from smtp_capture import Mailbox as _Inbox  # tests/ is on sys.path (root conftest)
from smtp_capture import free_port as _free_port
from smtp_capture import smtp_server

from .publishers import UNHCR, Publishers

runner = CliRunner()


@pytest.fixture()
def inbox(monkeypatch: pytest.MonkeyPatch, localhost_only: None) -> Iterator[_Inbox]:
    from observatorio.settings import get_settings

    with smtp_server() as (handler, port):
        for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false",
                            "SMTP_FROM": "observatorio@crm.example",
                            "ALERT_TO": "ops@crm.example, data@crm.example"}.items():
            monkeypatch.setenv(f"OBSERVATORIO_{name}", value)
        get_settings.cache_clear()
        try:
            yield handler
        finally:
            get_settings.cache_clear()


def test_failed_sources_are_mailed_to_the_operators(
    inbox: _Inbox, publishers: tuple[Publishers, str], declarations: Path, tmp_path: Path
) -> None:
    state, _ = publishers
    state.always_html.add(UNHCR.format(table="asylum-applications"))
    result = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "--lang", "en", "refresh",
                                 "unhcr_asylum_applications", "worldbank_population",
                                 "--discovery", str(declarations)])
    assert result.exit_code == 3, result.output
    assert len(inbox.mails) == 1
    envelope, mail = inbox.mails[0]
    assert sorted(envelope.rcpt_tos) == ["data@crm.example", "ops@crm.example"]
    assert mail["From"] == "observatorio@crm.example"
    assert "1 fuente no se actualizó" in mail["Subject"] and "1 source failed" in mail["Subject"]
    body = mail.get_body().get_content()  # type: ignore[attr-defined]
    assert body.index("FALLÓ") < body.index("FAILED")  # Spanish first
    assert "unhcr_asylum_applications" in body and "worldbank_population" not in body


def test_no_mail_when_everything_worked_or_when_asked_not_to(
    inbox: _Inbox, publishers: tuple[Publishers, str], declarations: Path, tmp_path: Path
) -> None:
    state, _ = publishers
    db = str(tmp_path / "s.duckdb")
    result = runner.invoke(app, ["--db", db, "refresh", "worldbank_population", "--discovery", str(declarations)])
    assert result.exit_code == 0, result.output
    state.always_html.add(UNHCR.format(table="asylum-applications"))
    result = runner.invoke(app, ["--db", db, "refresh", "unhcr_asylum_applications", "--no-mail",
                                 "--discovery", str(declarations)])
    assert result.exit_code == 4, result.output  # every source named failed
    assert inbox.mails == []


def test_an_unreachable_mail_server_is_reported_not_fatal(
    monkeypatch: pytest.MonkeyPatch, localhost_only: None, publishers: tuple[Publishers, str],
    declarations: Path, tmp_path: Path,
) -> None:
    state, _ = publishers
    state.always_html.add(UNHCR.format(table="asylum-applications"))
    monkeypatch.setenv("OBSERVATORIO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("OBSERVATORIO_SMTP_PORT", str(_free_port()))
    monkeypatch.setenv("OBSERVATORIO_ALERT_TO", "ops@crm.example")
    from observatorio.settings import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "--lang", "es", "refresh",
                                 "unhcr_asylum_applications", "--discovery", str(declarations)])
    assert result.exit_code == 4
    text = " ".join(result.output.split())
    assert "no se pudo enviar el aviso por correo a ops@crm.example" in text
    assert "Traceback" not in text
