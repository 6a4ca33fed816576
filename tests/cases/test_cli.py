"""The command line: init, demo, audit verify/list, retention (operator commands, no account),
and person export/erase (account commands: --user, password, the API's policy and audit)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import create_engine, func, insert, select, text
from typer.testing import CliRunner

from observatorio.cases.cli import EXIT_AUTH, EXIT_FORBIDDEN, EXIT_NOT_FOUND, PASSWORD_ENV, app
from observatorio.cases.models import AuditEntry, Case, LoginFailure, Organisation, Person, utcnow
from observatorio.cases.transition_models import CaseTransitionReason

runner = CliRunner()
TAPACHULA_GTM = "Consulado de Guatemala en Tapachula"


@dataclass
class Demo:
    url: str
    passwords: dict[str, str]  # demo username -> password printed once by `cases demo`

    def person_of(self, org_name: str) -> int:
        engine = create_engine(self.url)
        with engine.connect() as c:
            pid = c.scalar(select(Person.id).join(Organisation, Organisation.id == Person.organisation_id)
                           .where(Organisation.name == org_name, Person.erased_at.is_(None))
                           .order_by(Person.id).limit(1))
        engine.dispose()
        assert pid is not None
        return int(pid)

    def audit_rows(self, after: int = 0) -> list[Any]:
        """Audit rows after ``after`` (Row objects with the entry's columns)."""
        engine = create_engine(self.url)
        with engine.connect() as c:
            rows = list(c.execute(select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id)))
        engine.dispose()
        return rows

    def last_id(self) -> int:
        engine = create_engine(self.url)
        with engine.connect() as c:
            n = c.scalar(select(func.max(AuditEntry.id))) or 0
        engine.dispose()
        return int(n)


@pytest.fixture
def cli_env(monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("OBSERVATORIO_SECRET_KEY", "cli-test-secret-cli-test-secret-cli-test")
    monkeypatch.setenv("OBSERVATORIO_CASES_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("OBSERVATORIO_CASES_ARGON2_MEMORY_COST", "8")
    monkeypatch.setenv("OBSERVATORIO_CASES_ARGON2_PARALLELISM", "1")
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    from observatorio.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def demo(db_url, cli_env) -> Demo:
    r = runner.invoke(app, ["init", "--url", db_url])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["demo", "--url", db_url, "--cases", "12", "--seed", "1"])
    assert r.exit_code == 0, r.output
    assert "demo.jefa.gtm" in r.output and "consular_head" in r.output and "SINTÉTICO" in r.output
    passwords = {m[1]: m[2] for m in re.finditer(r"^\s+(demo\.\S+)\s+(\S+)\s", r.output, re.M)}
    assert {"demo.jefa.gtm", "demo.consul.gtm", "demo.jefe.hnd"} <= set(passwords)
    return Demo(db_url, passwords)


def test_operator_commands(demo) -> None:
    """init, demo, audit verify/list and retention need the database URL, no account."""
    url = demo.url
    r = runner.invoke(app, ["audit", "verify", "--url", url])
    assert r.exit_code == 0 and "Cadena íntegra" in r.output and "  cadena  1" in r.output
    assert "Chain intact" not in r.output  # Spanish only: no --lang, no OBSERVATORIO_LANG
    r = runner.invoke(app, ["audit", "list", "--url", url, "--limit", "2"])
    assert r.exit_code == 0 and len(r.output.strip().splitlines()) == 2
    first = json.loads(r.output.splitlines()[0])
    assert first["id"] == 1 and first["outcome"] == "granted"

    engine = create_engine(url)
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(Case).where(Case.synthetic.is_(False))) == 0
        assert c.scalar(select(func.count()).select_from(Organisation).where(Organisation.synthetic.is_(False))) == 0
    # two failed sign-ins: one older than the throttle's window, one within it
    with engine.begin() as c:
        c.execute(insert(LoginFailure), [
            {"username": "alguien", "source_ip": "10.9.9.9", "at": utcnow() - dt.timedelta(days=2)},
            {"username": "alguien", "source_ip": "10.9.9.9", "at": utcnow()}])
    r = runner.invoke(app, ["retention", "run", "--url", url, "--days", "0", "--dry-run"])
    assert r.exit_code == 0 and "olvidados" not in r.output  # a dry run forgets nothing
    r = runner.invoke(app, ["retention", "run", "--url", url, "--days", "0"])
    assert r.exit_code == 0
    assert "Intentos de acceso fallidos olvidados (anteriores a la ventana de 15 min): 1." in r.output
    with engine.connect() as c:  # the recent one still counts for the throttle
        assert c.scalar(select(func.count()).select_from(LoginFailure)) == 1
    r = runner.invoke(app, ["audit", "verify", "--url", url])
    assert r.exit_code == 0
    assert runner.invoke(app, ["audit", "list", "--url", url, "--outcome", "maybe"]).exit_code == 2

    # tamper, then verify fails with its message (in Spanish, the default) and exit code 1
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("SET session_replication_role = replica"))
        else:
            c.execute(text("DROP TRIGGER audit_log_no_update"))
        c.execute(text("UPDATE audit_log SET actor = 'nadie' WHERE id = 7"))
    engine.dispose()
    r = runner.invoke(app, ["audit", "verify", "--url", url])
    assert r.exit_code == 1
    assert "ALTERACIÓN DETECTADA en la entrada 7" in r.output and "TAMPERING DETECTED" not in r.output


def test_demo_twice_says_the_world_exists(demo) -> None:
    """A second ``cases demo`` creates nothing and says so: exit 0, no IntegrityError (#11 item 14)."""
    engine = create_engine(demo.url)
    with engine.connect() as c:
        before = c.scalar(select(func.count()).select_from(Case))
    r = runner.invoke(app, ["demo", "--url", demo.url, "--cases", "3"])
    assert r.exit_code == 0, r.output
    assert r.exception is None
    assert "ya existe" in r.output and "already exists" not in r.output
    assert "IntegrityError" not in r.output and "demo.jefa.gtm" not in r.output
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(Case)) == before
    engine.dispose()


def test_export_and_erase_as_an_account(demo, monkeypatch) -> None:
    url, pid = demo.url, demo.person_of(TAPACHULA_GTM)
    before = demo.last_id()
    monkeypatch.setenv(PASSWORD_ENV, demo.passwords["demo.jefa.gtm"])
    engine = create_engine(url)
    with engine.begin() as c:  # a reason on every case of the person (transitions.py stores them so)
        for case_id, version in c.execute(select(Case.id, Case.version).where(Case.person_id == pid)).all():
            c.execute(insert(CaseTransitionReason).values(case_id=case_id, version=version,
                                                          reason=f"motivo del caso {case_id}"))
    engine.dispose()
    r = runner.invoke(app, ["person", "export", str(pid), "--url", url, "--user", "demo.jefa.gtm"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["person"]["id"] == pid and data["cases"]
    # the reasons of the exported cases, and of those only (the right of access)
    assert [(t["case_id"], t["reason"]) for t in data["transitions"]] == [
        (c["id"], f"motivo del caso {c['id']}") for c in data["cases"]]
    r = runner.invoke(app, ["person", "erase", str(pid), "--url", url, "--user", "demo.jefa.gtm", "--yes"])
    assert r.exit_code == 0, r.output
    assert re.fullmatch(r"Persona [0-9]+ seudonimizada como P-[0-9A-F]{16} \(casos: [0-9]+\)\.\n", r.stdout)

    rows = demo.audit_rows(before)
    assert {(e.action, e.record_type) for e in rows} >= {("person.export", "person"), ("person.erase", "person")}
    assert all(e.actor == "demo.jefa.gtm" and e.actor_id and e.outcome == "granted" for e in rows)
    assert all(e.source_ip and e.source_ip.startswith("cli:") for e in rows)
    assert runner.invoke(app, ["audit", "verify", "--url", url]).exit_code == 0


def test_password_is_prompted_hidden(demo) -> None:
    pid = demo.person_of(TAPACHULA_GTM)
    password = demo.passwords["demo.jefa.gtm"]
    r = runner.invoke(app, ["person", "export", str(pid), "--url", demo.url, "--user", "demo.jefa.gtm"],
                      input=password + "\n")
    assert r.exit_code == 0, r.output
    assert "Contraseña de demo.jefa.gtm" in r.stderr  # the prompt stays off stdout …
    assert json.loads(r.stdout)["person"]["id"] == pid  # … so the export can be redirected
    assert password not in r.output  # hidden input is not echoed


def test_user_is_required(demo) -> None:
    r = runner.invoke(app, ["person", "export", "1", "--url", demo.url])
    assert r.exit_code == 2 and "--user" in r.output
    r = runner.invoke(app, ["person", "erase", "1", "--url", demo.url, "--yes"])
    assert r.exit_code == 2 and "--user" in r.output


def test_wrong_password_is_refused(demo, monkeypatch) -> None:
    pid = demo.person_of(TAPACHULA_GTM)
    before = demo.last_id()
    monkeypatch.setenv(PASSWORD_ENV, "not the password")
    for command in (["person", "export", str(pid)], ["person", "erase", str(pid), "--yes"]):
        r = runner.invoke(app, [*command, "--url", demo.url, "--user", "demo.jefa.gtm"])
        assert r.exit_code == EXIT_AUTH
        assert "Usuario o contraseña incorrectos." in r.stderr and "Incorrect username" not in r.stderr
        assert r.stdout == ""
    assert demo.audit_rows(before) == []  # no access happened; the failures feed the throttle
    engine = create_engine(demo.url)
    with engine.connect() as c:
        failures = c.execute(select(LoginFailure.username, LoginFailure.source_ip)).all()
        person = c.execute(select(Person.given_names, Person.erased_at).where(Person.id == pid)).one()
    engine.dispose()
    assert len(failures) == 2 and all(u == "demo.jefa.gtm" and ip.startswith("cli:") for u, ip in failures)
    assert person.given_names and person.erased_at is None


def test_login_throttling_applies(demo, monkeypatch) -> None:
    pid = demo.person_of(TAPACHULA_GTM)
    args = ["person", "export", str(pid), "--url", demo.url, "--user", "demo.jefa.gtm"]
    monkeypatch.setenv(PASSWORD_ENV, "guess")
    for _ in range(5):  # CasesConfig.max_failures_per_user_ip (one account from one cli: source)
        assert runner.invoke(app, args).exit_code == EXIT_AUTH
    monkeypatch.setenv(PASSWORD_ENV, demo.passwords["demo.jefa.gtm"])
    r = runner.invoke(app, args)
    assert r.exit_code == EXIT_AUTH
    assert "Demasiados intentos fallidos" in r.stderr and "Too many failed attempts" not in r.stderr


@pytest.mark.parametrize(
    ("user", "command", "code", "action", "es", "en"),
    [
        # a consular officer may read the person but neither export nor erase (403)
        ("demo.consul.gtm", "export", EXIT_FORBIDDEN, "person.export", "No permitido", "Not permitted"),
        ("demo.consul.gtm", "erase", EXIT_FORBIDDEN, "person.erase", "No permitido", "Not permitted"),
        # another country's head cannot even see the person (404, as the API)
        ("demo.jefe.hnd", "export", EXIT_NOT_FOUND, "person.export", "No encontrado", "Not found"),
        ("demo.jefe.hnd", "erase", EXIT_NOT_FOUND, "person.erase", "No encontrado", "Not found"),
        # an auditor has no personal-data grant at all
        ("demo.auditoria", "export", EXIT_NOT_FOUND, "person.export", "No encontrado", "Not found"),
    ],
)
def test_refusals_follow_the_policy_and_are_audited(demo, monkeypatch, user, command, code, action, es, en) -> None:
    pid = demo.person_of(TAPACHULA_GTM)
    before = demo.last_id()
    monkeypatch.setenv(PASSWORD_ENV, demo.passwords[user])
    args = ["person", command, str(pid), "--url", demo.url, "--user", user]
    r = runner.invoke(app, args + (["--yes"] if command == "erase" else []))
    assert r.exit_code == code, r.output
    assert f"{es}: " in r.stderr and f"{en}: " not in r.stderr
    assert r.stdout == ""
    rows = demo.audit_rows(before)
    assert [(e.actor, e.action, e.record_type, e.record_id, e.outcome) for e in rows] == [
        (user, action, "person", str(pid), "denied")]
    assert rows[0].source_ip.startswith("cli:")
    engine = create_engine(demo.url)
    with engine.connect() as c:
        assert c.scalar(select(Person.erased_at).where(Person.id == pid)) is None
    engine.dispose()
    r = runner.invoke(app, ["audit", "list", "--url", demo.url, "--outcome", "denied"])
    assert r.exit_code == 0 and [json.loads(x)["actor"] for x in r.output.splitlines()] == [user]
    assert runner.invoke(app, ["audit", "verify", "--url", demo.url]).exit_code == 0


def test_app_wiring(rt) -> None:
    """The project's app mounts the cases API and web routers."""
    from fastapi.testclient import TestClient

    from observatorio.publish.api.app import create_app
    from observatorio.settings import Settings

    app = create_app(Settings(secret_key="x" * 40))
    app.state.cases_runtime = rt
    paths = set(app.openapi()["paths"])
    assert {"/api/v1/cases", "/api/v1/people", "/api/v1/audit", "/api/v1/auth/token"} <= paths
    with TestClient(app) as client:
        r = client.get("/api/v1/cases")
        assert r.status_code == 401 and r.json()["detail"]["es"]
        assert client.get("/cases/login").status_code == 200
