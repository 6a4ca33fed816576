"""Who may revise a published month (publication/access.py): a revision replaces figures already
public, so it is its own policy action, ``publication.revise`` (the ``reviewer`` role), needed
besides ``statistics.publish`` (the ``publisher`` role): only an account holding both revises.
Every revision, the operator's on the command line too, states a reason, refused in both
languages without one before the store opens, and written into the run's audit entry (action
``publication.revise``). Before, anyone allowed to publish revised, without a reason.
SQLite and PostgreSQL (the ``rt`` fixture)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from observatorio.cases import accounts
from observatorio.cases.models import AuditEntry, Organisation
from observatorio.cases.runtime import Runtime

from .conftest import PASSWORD, World, login
from .test_publication import _app
from .test_publication_returnees import receive

REASON = "Recuento de agosto tras 3 ingresos tardíos / August counted again after 3 late intakes"
PUBLISHED = dt.datetime(2025, 9, 16, 0, 1, tzinfo=dt.UTC)  # August has closed


def add_reviser(rt: Runtime, world: World, username: str = "stats_reviser") -> str:
    """An account of the regional office holding both roles a revision needs."""
    with rt.sessions() as s:
        regional = s.get(Organisation, world.orgs["regional_io"])
        assert regional is not None
        accounts.add_user(s, username, PASSWORD, rt.config, [(regional, "publisher"), (regional, "reviewer")])
        s.commit()
    return username


def _entries(rt: Runtime, action: str, outcome: str) -> list[AuditEntry]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.outcome == outcome)
                              .order_by(AuditEntry.id)))


def test_a_revision_needs_publication_revise_and_a_reason(rt: Runtime, world: World, tmp_path: Path) -> None:
    receive(rt, world, 30, dt.date(2025, 8, 14), children=2)
    app = _app(rt, tmp_path)
    app.state.cases_clock = lambda: PUBLISHED
    revise = {"period": "2025-08", "revise": True, "reason": REASON}
    with TestClient(app) as client:
        publisher = login(client, "stats_publisher")
        first = client.post("/api/v1/cases/publication", json={"period": "2025-08"}, headers=publisher)
        assert first.status_code == 200 and not first.json()["skipped"], first.text

        refused = client.post("/api/v1/cases/publication", json=revise, headers=publisher)
        assert refused.status_code == 403, refused.text  # publishing is not revising
        # the refusal names the action in words (its policy label), in each language
        assert "Revisar un mes ya publicado" in refused.json()["detail"]["es"]
        assert "Revise a month already published" in refused.json()["detail"]["en"]
        [denied] = _entries(rt, "publication.revise", "denied")
        assert denied.actor == "stats_publisher" and denied.record_type == "publication"

        reviewer = client.post("/api/v1/cases/publication", json=revise, headers=login(client, "stats_reviewer"))
        assert reviewer.status_code == 403, "the reviewer alone does not publish"
        assert [e.actor for e in _entries(rt, "statistics.publish", "denied")] == ["stats_reviewer"]

        reviser = login(client, add_reviser(rt, world))
        for missing in ({}, {"reason": ""}, {"reason": "   \n "}):
            body = {"period": "2025-08", "revise": True} | missing
            r = client.post("/api/v1/cases/publication", json=body, headers=reviser)
            assert r.status_code == 422, (missing, r.text)
            assert "motivo" in r.json()["detail"]["es"] and "reason" in r.json()["detail"]["en"]
        too_long = client.post("/api/v1/cases/publication", json=revise | {"reason": "x" * 1001}, headers=reviser)
        assert too_long.status_code == 422

        receive(rt, world, 1, dt.date(2025, 8, 28), origin="MEX")  # a late intake: the revision changes August
        ok = client.post("/api/v1/cases/publication", json=revise | {"reason": f"  {REASON} "}, headers=reviser)
        assert ok.status_code == 200 and not ok.json()["skipped"], ok.text
    [revision] = _entries(rt, "publication.revise", "granted")
    assert revision.actor == "stats_reviser" and revision.record_type == "publication"
    assert json.loads(revision.fields) == [f"reason:{REASON}"]
    assert f"cases_publication@{revision.record_id}" == ok.json()["load_id"], "lineage: the revision names its release"
    assert [e.actor for e in _entries(rt, "statistics.publish", "granted")] == ["stats_publisher"]


def test_the_operators_revision_states_its_reason(rt: Runtime, world: World, tmp_path: Path) -> None:
    from observatorio.cli import app as main_app

    receive(rt, world, 30, dt.date(2025, 8, 14), children=2)
    store = tmp_path / "stats.duckdb"
    args = ["cases", "publish", "--url", rt.url, "--db", str(store), "--period", "2025-08", "--revise"]
    for reason in ([], ["--reason", " "]):
        refused = CliRunner().invoke(main_app, [*args, *reason])
        assert refused.exit_code == 1, refused.output
        assert "indique el motivo" in refused.output and "give the reason" not in refused.output
        assert not store.exists(), "refused before the store opens"
    ok = CliRunner().invoke(main_app, [*args, "--reason", REASON])
    assert ok.exit_code == 0 and "Publicado" in ok.output, ok.output
    [revision] = _entries(rt, "publication.revise", "granted")
    assert revision.actor.startswith("cli:") and json.loads(revision.fields) == [f"reason:{REASON}"]
    assert _entries(rt, "statistics.publish", "granted") == []
