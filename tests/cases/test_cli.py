"""The command line: init, demo, audit verify/list, retention, person export/erase."""

from __future__ import annotations

import json

from sqlalchemy import func, select, text
from typer.testing import CliRunner

from observatorio.cases.cli import app
from observatorio.cases.models import Case, Organisation, Person

runner = CliRunner()


def test_cli_end_to_end(db_url, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("OBSERVATORIO_SECRET_KEY", "cli-test-secret-cli-test-secret-cli-test")
    monkeypatch.setenv("OBSERVATORIO_CASES_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("OBSERVATORIO_CASES_ARGON2_MEMORY_COST", "8")
    monkeypatch.setenv("OBSERVATORIO_CASES_ARGON2_PARALLELISM", "1")
    from observatorio.settings import get_settings

    get_settings.cache_clear()
    try:
        r = runner.invoke(app, ["init", "--url", db_url])
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["demo", "--url", db_url, "--cases", "12", "--seed", "1"])
        assert r.exit_code == 0, r.output
        assert "demo.jefa.gtm" in r.output and "consular_head" in r.output
        assert "SINTÉTICO" in r.output
        r = runner.invoke(app, ["audit", "verify", "--url", db_url])
        assert r.exit_code == 0 and "Cadena íntegra" in r.output
        r = runner.invoke(app, ["audit", "list", "--url", db_url, "--limit", "2"])
        assert r.exit_code == 0 and len(r.output.strip().splitlines()) == 2
        assert json.loads(r.output.splitlines()[0])["id"] == 1

        from sqlalchemy import create_engine

        engine = create_engine(db_url)
        with engine.connect() as c:
            assert c.scalar(select(func.count()).select_from(Case).where(Case.synthetic.is_(False))) == 0
            assert c.scalar(select(func.count()).select_from(Organisation).where(Organisation.synthetic.is_(False))) == 0
            pid = c.scalar(select(Person.id).order_by(Person.id).limit(1))
        r = runner.invoke(app, ["person", "export", str(pid), "--url", db_url])
        assert r.exit_code == 0 and json.loads(r.output)["person"]["id"] == pid
        r = runner.invoke(app, ["person", "erase", str(pid), "--url", db_url, "--yes"])
        assert r.exit_code == 0 and "P-" in r.output
        r = runner.invoke(app, ["retention", "run", "--url", db_url, "--days", "0", "--dry-run"])
        assert r.exit_code == 0
        r = runner.invoke(app, ["retention", "run", "--url", db_url, "--days", "0"])
        assert r.exit_code == 0
        r = runner.invoke(app, ["audit", "verify", "--url", db_url])
        assert r.exit_code == 0

        # tamper, then verify fails with a bilingual message and exit code 1
        with engine.begin() as c:
            if engine.dialect.name == "postgresql":
                c.execute(text("SET session_replication_role = replica"))
            else:
                c.execute(text("DROP TRIGGER audit_log_no_update"))
            c.execute(text("UPDATE audit_log SET actor = 'nadie' WHERE id = 7"))
        engine.dispose()
        r = runner.invoke(app, ["audit", "verify", "--url", db_url])
        assert r.exit_code == 1
        assert "ALTERACIÓN DETECTADA en la entrada 7" in r.output and "TAMPERING DETECTED" in r.output
    finally:
        get_settings.cache_clear()


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
