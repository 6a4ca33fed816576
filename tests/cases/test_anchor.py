"""Audit anchors (#10 item 16): a cut tail with a rewritten head passes the chain check alone,
and fails against an anchor kept outside (its digest or its file)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from observatorio.cases import case_work
from observatorio.cases.cli import app
from observatorio.cases.models import AuditEntry
from observatorio.cases.schemas import NoteIn

from .conftest import ctx_for

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch) -> None:
    monkeypatch.setenv("OBSERVATORIO_SECRET_KEY", "cli-test-secret-cli-test-secret-cli-test")
    from observatorio.settings import get_settings

    get_settings.cache_clear()


def _anchor(db_url: str, output: Path) -> str:
    r = runner.invoke(app, ["audit", "anchor", "--url", db_url, "--output", str(output)])
    assert r.exit_code == 0, r.output
    found = re.search(r"\b([0-9a-f]{64})\b", r.output)
    assert found and "Guárdela fuera del sistema" in r.output and "Keep it outside" not in r.output
    assert json.loads(output.read_text())["digest"] == found.group(1)
    return found.group(1)


def _verify(db_url: str, anchor: str | None = None) -> tuple[int, str]:
    r = runner.invoke(app, ["audit", "verify", "--url", db_url, *(["--anchor", anchor] if anchor else [])])
    return r.exit_code, r.output


def _cut_tail_and_rewrite_head(rt) -> None:
    """Delete the newest entry of the longest chain and move its tip back, as a database owner
    who wants an access forgotten would."""
    with rt.engine.connect() as conn:
        chain, seq = conn.execute(text(
            "SELECT chain, MAX(seq) FROM audit_log GROUP BY chain ORDER BY MAX(seq) DESC LIMIT 1")).one()
        prev = conn.execute(text("SELECT hash FROM audit_log WHERE chain = :c AND seq = :s"),
                            {"c": chain, "s": seq - 1}).scalar_one()
        if rt.engine.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))  # disables triggers
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(text("DELETE FROM audit_log WHERE chain = :c AND seq = :s"), {"c": chain, "s": seq})
        conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = :c"),
                     {"s": seq - 1, "h": prev, "c": chain})
        conn.commit()


def test_cut_tail_with_rewritten_head_is_caught_by_the_anchor(rt, seeded, db_url, cli_env,
                                                              tmp_path: Path) -> None:
    file = tmp_path / "anchor.json"
    digest = _anchor(db_url, file)
    _cut_tail_and_rewrite_head(rt)
    code, out = _verify(db_url)
    assert code == 0, out  # the chain alone cannot see it (by design)
    for given in (digest, str(file)):
        code, out = _verify(db_url, given)
        assert code == 1, out
        assert "ALTERACIÓN DETECTADA" in out and "TAMPERING DETECTED" not in out


def test_anchor_survives_later_appends_and_catches_a_deleted_anchor(rt, seeded, db_url, cli_env,
                                                                     tmp_path: Path) -> None:
    file = tmp_path / "anchor.json"
    digest = _anchor(db_url, file)
    with rt.sessions() as s:  # work goes on after the anchor
        case_work.add_note(ctx_for(s, seeded.world, "gtm_head"), seeded.cases["gtm_mex"], NoteIn(body="nota"))
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    for given in (digest, str(file)):
        code, out = _verify(db_url, given)
        assert code == 0 and "Coincide con el ancla" in out and "Matches" not in out, out
    with rt.engine.connect() as conn:
        conn.execute(text("DELETE FROM audit_anchor"))
        conn.commit()
    assert _verify(db_url, digest)[0] == 1  # the stored copy is gone: the digest alone fails
    assert _verify(db_url, str(file))[0] == 0  # the file kept outside still proves the past
    assert before


def test_an_altered_anchor_file_and_garbage_are_refused(rt, seeded, db_url, cli_env, tmp_path: Path) -> None:
    file = tmp_path / "anchor.json"
    _anchor(db_url, file)
    data = json.loads(file.read_text())
    data["heads"][0][1] += 5
    file.write_text(json.dumps(data))
    assert _verify(db_url, str(file))[0] == 1
    assert _verify(db_url, "not-an-anchor")[0] == 2
