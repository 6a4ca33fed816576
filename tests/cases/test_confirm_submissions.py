"""The confirmation step before approving or rejecting a data submission: the first post
publishes nothing and records no decision (only the read of the submission, as its page does);
only the confirming post decides; the uploader is refused the question as the decision."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from observatorio.cases.runtime import Runtime
from observatorio.store import snapshots
from publish.snapshot_example import first_men, men_january

from .conftest import World
from .test_confirm_referrals import _audit, _hidden, _question, _rows
from .test_submissions import NOW, revised
from .test_submissions import setup as setup  # noqa: PLC0414 - the fixture, shared
from .test_submissions_web import _as, _send, web  # noqa: F401  (fixture)


def test_approving_asks_first_then_publishes(web: TestClient, rt: Runtime, setup: tuple[World, Path]) -> None:  # noqa: F811
    world, db = setup
    before = men_january(snapshots.in_force(db, NOW))
    sent = _send(web, _as(web, "hnd_provider"), revised(), world)
    url = sent.headers["location"].split("?")[0]
    sid = url.rsplit("/", 1)[1]
    csrf = _as(web, "reviewer")
    form = {"csrf_token": csrf, "verdict": "approve", "comment": "Revisado", "notes": "Enero corregido"}
    rows, audit = _rows(rt), _audit(rt)
    for lang, words in (("es", f"Se aprobará el envío n.º {sid}"), ("en", "published on the portal at once")):
        asked = web.post(f"{url}/decision?lang={lang}", data=form)
        assert asked.status_code == 200 and words in _question(asked.text), _question(asked.text)
        assert _hidden(asked.text)["notes"] == ["Enero corregido"]
        assert '<button type="submit" name="confirmed" value="no" id="confirm-cancel"' in asked.text  # cancel: a button
    assert _rows(rt) == rows
    assert {e[1] for e in _audit(rt)[len(audit):]} == {"submission.read"}  # the read, never the decision
    assert men_january(snapshots.in_force(db, NOW)) == before  # nothing published
    embargoed = web.post(f"{url}/decision?lang=en", data=form | {"embargo": "2026-12-01T15:00"})
    assert "published on the portal on 2026-12-01 15:00 UTC" in _question(embargoed.text)
    forged = web.post(f"{url}/decision", data=form | {"confirmed": "yes", "csrf_token": "0" * 64})
    assert forged.status_code == 403 and _rows(rt) == rows
    done = web.post(f"{url}/decision", data=form | {"confirmed": "yes"}, follow_redirects=False)
    assert done.status_code == 303
    assert men_january(snapshots.in_force(db, NOW)) == before + first_men()
    assert ("reviewer", "submission.review", sid, "granted") in _audit(rt)


def test_the_uploader_is_refused_the_question_as_the_decision(web: TestClient, rt: Runtime,  # noqa: F811
                                                             setup: tuple[World, Path]) -> None:
    world, _ = setup
    sent = _send(web, _as(web, "both"), revised(), world)  # provider and reviewer: four eyes still refuse
    url = sent.headers["location"].split("?")[0]
    csrf = _as(web, "both")
    rows = _rows(rt)
    form = {"csrf_token": csrf, "verdict": "approve", "comment": "mío"}
    asked = web.post(f"{url}/decision?lang=en", data=form)
    acted = web.post(f"{url}/decision?lang=en", data=form | {"confirmed": "yes"})
    assert asked.status_code == acted.status_code == 403 and asked.text == acted.text
    assert "Nobody approves or rejects their own submission" in asked.text and _rows(rt) == rows
