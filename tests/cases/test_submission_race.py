"""Two reviewers approving the same submission at once: exactly one decides and publishes, the
other is told (in both languages) that it was already decided. Real concurrent sessions in two
threads, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from observatorio.cases import accounts
from observatorio.cases.errors import Conflict
from observatorio.cases.models import Organisation, User
from observatorio.cases.runtime import Runtime
from observatorio.cases.submission_models import Submission
from observatorio.store import snapshots
from observatorio.submissions import review

from .conftest import PASSWORD, World, ctx_for
from .test_submissions import NOW, revised, setup, upload

__all__ = ["setup"]  # the fixture, shared with test_submissions
REVIEWERS = ("reviewer", "reviewer2")


def _second_reviewer(rt: Runtime, world: World) -> None:
    with rt.sessions() as s:
        regional = s.get(Organisation, world.orgs["regional_io"])
        world.users["reviewer2"] = accounts.add_user(s, "reviewer2", PASSWORD, rt.config, [(regional, "reviewer")]).id
        s.commit()


def test_two_reviewers_approving_at_once_one_wins(rt: Runtime, setup: tuple[World, Path], backend: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    world, db = setup
    _second_reviewer(rt, world)
    with rt.sessions() as s:
        sub = review.submit(ctx_for(s, world, "hnd_provider"), upload(world, revised())).submission
        assert sub is not None
        sub_id = sub.id
    both = threading.Barrier(2, timeout=60)
    if backend == "postgresql":
        # Both reviewers have read the submission as pending before either goes on: the race
        # the status check alone lost. (On SQLite every transaction takes the writer lock at its
        # first statement, so the second reader waits for the first commit: both start at once.)
        real_readable = review.readable

        def read_then_wait(ctx: Any, submission_id: int) -> Any:
            found = real_readable(ctx, submission_id)
            both.wait()
            return found

        monkeypatch.setattr(review, "readable", read_then_wait)
    results: dict[str, Any] = {}

    def approve(user: str) -> None:
        try:
            with rt.sessions() as s:
                if backend == "sqlite":
                    both.wait()
                results[user] = review.decide(ctx_for(s, world, user), sub_id,
                                              review.Decision(True, f"ok {user}"), db, NOW).status
        except Exception as exc:  # noqa: BLE001 - the outcome under test, whatever it is
            results[user] = exc

    threads = [threading.Thread(target=approve, args=(u,)) for u in REVIEWERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(map(type, results.values()), key=str) == sorted([str, Conflict], key=str), results
    winner = next(u for u, r in results.items() if r == review.PUBLISHED)
    loser = next(r for r in results.values() if isinstance(r, Conflict))
    assert "ya fue decidido" in loser.es and "already decided" in loser.en
    assert len(snapshots.snapshots(db)) == 2  # the load before, and one publication
    with rt.sessions() as s:
        row = s.get(Submission, sub_id)
        assert row is not None and row.status == review.PUBLISHED and row.comment == f"ok {winner}"
        assert s.scalar(select(User.username).where(User.id == row.reviewer_id)) == winner
