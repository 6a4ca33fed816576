"""The Cancel of the question before deciding a data submission (cases/confirm_page.py): the
review page again, holding the reviewer's comment and notes; nothing decided, only the page's
own read recorded; its language switch leads to the review, never to the post-only address."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from observatorio.cases.runtime import Runtime

from .conftest import World
from .test_confirm_cancel import CANCEL, _added, _switch, _textarea
from .test_confirm_referrals import _audit, _rows
from .test_submissions import revised
from .test_submissions import setup as setup  # noqa: PLC0414 - the fixture, shared
from .test_submissions_web import _as, _send, web  # noqa: F401  (fixture)


def test_cancelling_a_decision_gives_back_the_comment(web: TestClient, rt: Runtime,  # noqa: F811
                                                      setup: tuple[World, Path]) -> None:
    world, _db = setup
    sent = _send(web, _as(web, "hnd_provider"), revised(), world)
    url = sent.headers["location"].split("?")[0]
    csrf = _as(web, "reviewer")
    form = {"csrf_token": csrf, "verdict": "reject", "comment": "Faltan los meses de marzo",
            "notes": "ver la fila 12", "embargo": ""}
    assert web.post(f"{url}/decision", data=form).status_code == 200  # the question
    rows, audit = _rows(rt), _audit(rt)
    web.get(url)
    shown = _added(rt, audit)
    audit = _audit(rt)
    back = web.post(f"{url}/decision?lang=en", data=form | CANCEL)
    assert back.status_code == 200, back.text
    assert _textarea(back.text, "comment") == form["comment"] and _textarea(back.text, "notes") == form["notes"]
    assert _rows(rt) == rows and _added(rt, audit) == shown  # the read of the page, never a decision
    assert _switch(back.text) == f"{url}?lang=es#decide"
    assert web.get(_switch(back.text)).status_code == 200
